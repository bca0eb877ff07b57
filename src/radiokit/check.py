"""`radiokit check`: validate a script and estimate each version's timing, without any audio work.

Files are timed from their headers; synthesized speech from its length in characters at the voice's
rate (or, where it sets none, the pace of the engine that will speak it here), scaled from the speaking
rates espeak-ng reaches through radiokit's front ends at its default rate (docs/speech.md says how they
were measured). A clip whose long pauses are to be shortened is timed as recorded, an upper bound. An
estimate, not a promise: `radiokit build` times the audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from radiokit import audio_io
from radiokit.errors import EngineError
from radiokit.script import Script, Segment, Voice
from radiokit.tts import engines

DEFAULT_RATE = 175
CHARACTERS_PER_SECOND = {"ru": 19.0, "tg": 14.4}  # at DEFAULT_RATE


@dataclass(frozen=True)
class Row:
    index: int
    segment: Segment
    start_s: float
    duration_s: float
    basis: str  # how the length is known: "file", "text", "set"; "max" for a clip whose pauses get shortened


@dataclass(frozen=True)
class Timing:
    language: str
    rows: tuple[Row, ...]
    total_s: float


def estimate(script: Script) -> list[Timing]:
    timings = []
    for language in script.languages:
        rows: list[Row] = []
        position = 0.0
        previous_end = 0.0
        for number, segment in enumerate(script.segments_for(language), start=1):
            duration, basis = _segment_seconds(script, segment, language)
            if rows:
                before = rows[-1].segment
                gap = before.gap_s if before.gap_s is not None else script.delivery.gap_s
                overlap = min(segment.crossfade_s, duration, rows[-1].duration_s)
                position = previous_end + (gap if not overlap else -overlap)
            rows.append(Row(number, segment, position, duration, basis))
            previous_end = position + duration
        timings.append(Timing(language, tuple(rows), previous_end))
    return timings


def _file_seconds(path: Path, start_s: float = 0.0, end_s: float | None = None) -> float:
    duration = audio_io.probe(path).duration_s or 0.0
    return max(0.0, (min(end_s, duration) if end_s is not None else duration) - start_s)


def _speech_seconds(script: Script, speaker: str | None, text: str, language: str) -> float:
    voice = script.voices.get(speaker or "", {}).get(language) or Voice("espeak", language)
    try:
        engine = engines.resolve(voice, language).engine
        own_rate, speed = engine.own_rate, engine.text_speed.get(language, 1.0)
    except EngineError:  # nothing installed speaks it: the build will say so
        own_rate, speed = DEFAULT_RATE, 1.0
    rate = voice.rate or own_rate
    return len(text) / (CHARACTERS_PER_SECOND.get(language, 15.0) * speed * rate / DEFAULT_RATE)


def _segment_seconds(script: Script, segment: Segment, language: str) -> tuple[float, str]:
    if segment.kind == "silence":
        return segment.silence_s, "set"
    if segment.kind == "music":
        assert segment.music is not None
        return _file_seconds(segment.music), "file"
    if segment.kind == "clip":
        assert segment.clip is not None
        seconds = _file_seconds(segment.clip, segment.trim_start_s, segment.trim_end_s)
        vo = segment.voiceover
        line = vo.lines.get(language) if vo and segment.clip_language not in (None, language) else None
        basis = "max" if segment.cleanup is not None and segment.cleanup.pause_max_s is not None else "file"
        if vo is None or line is None:
            return seconds, basis
        if line.take is not None:
            return max(seconds, vo.lead_s + _file_seconds(line.take)), basis
        return max(seconds, vo.lead_s + _speech_seconds(script, line.speaker, line.text or "", language)), "text"
    take = segment.take.get(language)
    if take is not None:
        seconds, basis = _file_seconds(take), "file"
    else:
        seconds, basis = _speech_seconds(script, segment.speaker, segment.text.get(language, ""), language), "text"
    if segment.bed is not None:
        seconds += segment.bed.preroll_s + segment.bed.postroll_s + segment.bed.fade_out_s
    return seconds, basis
