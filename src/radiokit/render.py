"""Render segments to audio: speech, take, clip, music or silence, leveled; every segment of every language
to a WAV and its energy profile (from the cache where it can), in worker processes."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
import wave
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from radiokit import audio_io, cache, clean, tts, workers
from radiokit.audio_io import AudioSegment
from radiokit.cache import Cache
from radiokit.clean import CleanupReport
from radiokit.clean.tape import FileTape, Tape
from radiokit.cluster import Cluster
from radiokit.errors import AudioInputError, EngineError
from radiokit.loudness import LoudnessMeter, ProfileMeter, energy_profile, profile_loudness
from radiokit.mixing import Blocks, Duck, in_memory, looped, mixed, pieces, scaled
from radiokit.progress import Progress
from radiokit.script import Bed, Script, Segment, VoiceOverLine

# Segments are leveled this far under the programme target, so that mixing beds and voices in pydub's
# integers never clips; the programme gain, in float, brings it back (and the limiter guards the peaks).
HEADROOM_DB = 12.0
_log = logging.getLogger("radiokit.speech")
RAMP_S = 0.5  # a bed ducks over this long, ending as the voice starts
LOOP_CROSSFADE_S = 0.5  # a short bed's repeats are crossfaded over this long
VOICEOVER_RAMP_S = 0.3


@dataclass(frozen=True)
class Rendered:
    audio: AudioSegment
    spoken_text: str  # what a listener hears, for transcripts ("" for music and silence)
    notes: tuple[str, ...] = ()  # things the build report should tell the producer
    # Its energy profile (loudness.energy_profile), where leveling made it and nothing changed the audio since.
    profile: np.ndarray | None = None
    engine: str | None = None  # the speech engine that spoke in it, if one did
    cleanup: CleanupReport | None = None  # what the cleanup chain did to a clip


@dataclass(frozen=True)
class Leveled:
    audio: AudioSegment
    profile: np.ndarray  # of the leveled audio: the measurement that leveled it, scaled by the gain


def render(script: Script, segment: Segment, language: str) -> Rendered:
    """The audio of `segment` in `language`, at the delivery format, leveled to HEADROOM_DB under the target."""
    with _named(script, segment, language):
        return _render(script, segment, language)


@contextmanager
def _named(script: Script, segment: Segment, language: str) -> Iterator[None]:
    """An engine or a decoder knows its text or file, not the script: its error names the segment, so that the
    producer knows where to act."""
    try:
        yield
    except EngineError as exc:
        raise EngineError(f"{where_in_script(script, segment)}: {language}: {exc}") from None
    except AudioInputError as exc:
        raise AudioInputError(f"{where_in_script(script, segment)}: {exc}") from None


def where_in_script(script: Script, segment: Segment) -> str:
    return f"{script.path}:{segment.line}: segments[{segment.index}] ({segment.id})"


def _render(script: Script, segment: Segment, language: str) -> Rendered:
    renderer = _Renderer(script, language)
    if segment.kind == "speech":
        result = renderer.speech(segment)
    elif segment.kind == "music":
        music = renderer.level(renderer.decode(segment.music), segment.level_db)
        result = Rendered(music.audio, "", profile=music.profile)
    elif segment.kind == "clip":
        result = renderer.clip(segment)
    else:
        result = Rendered(renderer.silence(segment.silence_s * 1000), "")
    if not (segment.fade_in_s or segment.fade_out_s):
        return result
    samples = audio_io.to_array(result.audio)
    samples *= fade_gains(segment, 0, len(samples), len(samples), renderer.rate)
    # The fades change what its profile would be.
    return dataclasses.replace(result, audio=audio_io.from_array(samples, renderer.rate), profile=None)


def fade_gains(segment: Segment, first: int, count: int, frames: int, rate: int) -> np.ndarray:
    """The gains of a segment's own fades (linear in amplitude, from silence and to it) for `count` of its
    `frames` frames from `first`, as a column for (n, channels) samples: the same whether the segment is
    faded whole or a block at a time."""
    position = np.arange(first, first + count, dtype=np.float64)
    gains = np.ones(count)
    fade_in, fade_out = round(segment.fade_in_s * rate), round(segment.fade_out_s * rate)
    if fade_in:
        gains *= np.minimum(position / fade_in, 1.0)
    if fade_out:
        gains *= np.clip((frames - 1 - position) / fade_out, 0.0, 1.0)
    return gains.astype(np.float32)[:, np.newaxis]


def silence_frames(duration_ms: float, rate: int) -> int:
    """Frames in `duration_ms` of silence (counted as pydub's AudioSegment.silent counts them), whole or a
    block at a time."""
    return int(rate * (duration_ms / 1000.0))


class _Renderer:
    def __init__(self, script: Script, language: str, scratch: Path | None = None) -> None:
        self.script = script
        self.language = language
        self.rate = script.delivery.sample_rate
        self.channels = script.delivery.channels
        self.target_lufs = script.delivery.profile.integrated_lufs - HEADROOM_DB
        # Where a long segment's tapes go (rendering a block at a time), and the tapes made, for `close`.
        self.scratch = scratch
        self.tapes: list[Tape] = []

    def tape(self) -> FileTape:
        """A new, empty tape in the scratch folder, removed by `close`."""
        assert self.scratch is not None
        tape = FileTape(self.scratch, 0, self.channels)
        self.tapes.append(tape)
        return tape

    def close(self) -> None:
        for tape in self.tapes:
            tape.close()

    def spoken_tape(self, speaker: str, text: str) -> tuple[FileTape, str]:
        """A long text spoken onto a tape a piece at a time, cut between sentences; the engine that spoke it."""
        tape, engine = self.tape(), ""
        for piece in tts.pieces_of(text, TEXT_PIECE_CHARS):
            spoken, engine = self.voice(speaker, piece)
            tape.append(audio_io.to_array(spoken))
        return tape, engine

    def long_translation_text(self, segment: Segment) -> bool:
        """Whether a clip's voice-over in this language is a text long enough to be spoken a piece at a time."""
        line = self.translation_line(segment) if self.voiced_over(segment) else None
        return line is not None and line.take is None and len(line.text or "") > LONG_TEXT_CHARS

    def shown(self, path: Path) -> str:
        return str(path.relative_to(self.script.folder)) if path.is_relative_to(self.script.folder) else str(path)

    def decode(self, path: Path | None, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        assert path is not None
        return audio_io.decode(path, self.rate, self.channels, start_s, end_s, shown=self.shown(path))

    def silence(self, duration_ms: float) -> AudioSegment:
        return audio_io.from_array(np.zeros((silence_frames(duration_ms, self.rate), self.channels)), self.rate)

    def level(self, samples: np.ndarray, offset_db: float = 0.0, profile: np.ndarray | None = None) -> Leveled:
        """Float `samples` (frames, channels) brought to the programme's integrated loudness plus `offset_db`
        (BS.1770, gated), measured from their energy `profile` (made here if not given), which then serves
        the segment too if nothing else changes it: one K-weighting pass instead of two."""
        gain, _, profile = self.leveling(in_memory(samples), offset_db, (len(samples), profile))
        return Leveled(audio_io.from_array(samples, self.rate, gain), profile * gain**2)

    def leveled(self, samples: np.ndarray, offset_db: float = 0.0, profile: np.ndarray | None = None) -> np.ndarray:
        """`level`'s audio, in float32, for mixing."""
        return samples * np.float32(self.leveling(in_memory(samples), offset_db, (len(samples), profile))[0])

    def leveling(self, blocks: Blocks, offset_db: float,
                 measured: tuple[int, np.ndarray | None] | None = None) -> tuple[float, int, np.ndarray]:
        """The gain that brings audio to the target plus `offset_db`, the audio's frame count and its energy
        profile: from the count and profile where given, else measured in a pass over the blocks (and in
        another, by the meter itself, where the profile's steps do not tile the gating blocks)."""
        frames, profile = measured if measured is not None else (0, None)
        if profile is None:
            meter = ProfileMeter(self.rate, self.channels)
            for block in blocks():
                meter.feed(block)
            frames, profile = meter.frames, meter.result()
        loudness = profile_loudness(profile, frames, self.rate)
        if loudness is None:
            whole = LoudnessMeter(self.rate, self.channels, true_peak=False, maxima=False)
            for block in blocks():
                whole.feed(block)
            loudness = whole.result().integrated_lufs
        return self.gain(loudness, offset_db), frames, profile

    def gain(self, measured_lufs: float, offset_db: float) -> float:
        """What brings audio measured at `measured_lufs` to the target plus `offset_db`; 1 for silence."""
        return 10 ** ((self.target_lufs + offset_db - measured_lufs) / 20) if math.isfinite(measured_lufs) else 1.0

    def blocks(self, path: Path, start_s: float = 0.0, end_s: float | None = None) -> Blocks:
        """A range of a file (to its end if `end_s` is None), decoded whole where it is short, else a block
        at a time each time it is read."""
        stop_s = end_s if end_s is not None else audio_io.probe(path, self.shown(path)).duration_s
        if stop_s is not None and stop_s - start_s <= STREAM_ABOVE_S:
            return in_memory(self.decode(path, start_s, end_s))
        return lambda: audio_io.decode_blocks(path, self.rate, self.channels, start_s, end_s, self.shown(path))

    def voice(self, speaker: str, text: str) -> tuple[AudioSegment, str]:
        """`text` spoken by `speaker`, and the name of the engine that spoke it."""
        voice = self.script.voices[speaker][self.language]
        _log.debug("%s voice %s (rate %s, pitch %s) speaks %s: %s", voice.engine, voice.voice, voice.rate, voice.pitch,
                   self.language, text)
        speech = tts.speak(text, self.language, voice, self.script.lexicon.get(self.language, {}))
        return audio_io.from_samples(speech.samples, speech.sample_rate, self.rate, self.channels), speech.engine

    def speech(self, segment: Segment) -> Rendered:
        take = segment.take.get(self.language)
        text = segment.text.get(self.language, "")
        engine = None
        if take is not None:
            samples = self.decode(take)
        else:
            assert segment.speaker is not None
            spoken, engine = self.voice(segment.speaker, text)
            samples = audio_io.to_array(spoken)
        if segment.bed is not None:
            voice = self.leveled(samples)
            _, mix = self.under_bed(in_memory(voice), len(voice), segment.bed)
            return Rendered(_joined(mix, self.rate), text, engine=engine)
        leveled = self.level(samples)
        return Rendered(leveled.audio, text, profile=leveled.profile, engine=engine)

    def under_bed(self, voice: Blocks, frames: int, bed: Bed) -> tuple[int, Iterator[np.ndarray]]:
        """Music at full level for the preroll, ducked under the voice (leveled, `frames` long), back up for the
        postroll, faded out: its length, and its blocks."""
        preroll, postroll, fade = (round(seconds * self.rate) for seconds in (bed.preroll_s, bed.postroll_s,
                                                                              bed.fade_out_s))
        total = preroll + frames + postroll + fade
        # Only what will be heard is decoded (and leveled): a bed far longer than its segment costs no more.
        music = self.blocks(bed.music, 0.0, total / self.rate)
        gain, length, _ = self.leveling(music, 0.0)
        under = scaled(music, gain)
        if length < total:
            overlap = min(round(LOOP_CROSSFADE_S * self.rate), length // 4)
            music_blocks = looped(under, length, self.channels, overlap)
        else:
            music_blocks = under()
        ramp, down = round(RAMP_S * self.rate), _decibels(bed.under_db)
        points = [(max(0, preroll - ramp), 1.0), (preroll, down)] if preroll else [(0, down)]
        points += [(preroll + frames, down), (preroll + frames + max(1, min(ramp, postroll)), 1.0)]
        return total, mixed(music_blocks, voice(), Duck(total, _increasing(points), preroll, fade), self.channels)

    def clip(self, segment: Segment) -> Rendered:
        assert segment.clip is not None
        notes = self.trim_notes(segment)
        decoded = self.decode(segment.clip, segment.trim_start_s, segment.trim_end_s)
        report = profile = None
        if segment.cleanup is not None:
            cleaned = clean.clean(decoded, self.rate, segment.cleanup)
            decoded, report, profile = cleaned.samples, cleaned.report, cleaned.profile
        words = segment.transcript.get(self.language, "")
        if not self.voiced_over(segment):
            original = self.level(decoded, segment.level_db, profile)
            return Rendered(original.audio, words, (*notes, *self.untranslated(segment)), original.profile,
                            cleanup=report)
        leveled = self.leveled(decoded, segment.level_db, profile)
        translation, text, engine = self.translation(segment)
        _, mix = self.voiceover(in_memory(leveled), len(leveled), translation, segment, report)
        return Rendered(_joined(mix, self.rate), text or words, notes, engine=engine, cleanup=report)

    def translation_line(self, segment: Segment) -> VoiceOverLine | None:
        """The voice-over line of a clip in another language, for this language (None where it has none)."""
        return segment.voiceover.lines.get(self.language) if segment.voiceover is not None else None

    def voiced_over(self, segment: Segment) -> bool:
        """Whether a clip plays under a voice-over in this language."""
        return segment.clip_language not in (None, self.language) and self.translation_line(segment) is not None

    def untranslated(self, segment: Segment) -> tuple[str, ...]:
        """The note for a clip in another language that has no voice-over in this one."""
        if segment.clip_language in (None, self.language) or self.voiced_over(segment):
            return ()
        return (f"{segment.id}: no {self.language} voice-over; the clip plays as recorded ({segment.clip_language})",)

    def translation(self, segment: Segment) -> tuple[tuple[Blocks, int], str | None, str | None]:
        """A clip's voice-over in this language, leveled (float32 blocks, and how many frames), its text, and
        the engine that spoke it. A long take is read a block at a time, as it is needed; a long text, where
        there is a scratch folder, is spoken onto a tape in pieces."""
        line = self.translation_line(segment)
        assert line is not None
        if line.take is not None:
            blocks = self.blocks(line.take)
            gain, frames, _ = self.leveling(blocks, 0.0)
            return (scaled(blocks, gain), frames), line.text, None
        assert line.speaker is not None and line.text is not None
        if self.scratch is not None and self.long_translation_text(segment):
            tape, engine = self.spoken_tape(line.speaker, line.text)
            gain, frames, _ = self.leveling(tape.blocks, 0.0)
            return (scaled(tape.blocks, gain), frames), line.text, engine
        spoken, engine = self.voice(line.speaker, line.text)
        samples = self.leveled(audio_io.to_array(spoken))
        return (in_memory(samples), len(samples)), line.text, engine

    def voiceover(self, original: Blocks, frames: int, translation: tuple[Blocks, int], segment: Segment,
                  report: CleanupReport | None) -> tuple[int, Iterator[np.ndarray]]:
        """The original (leveled, `frames` long) at full level for the lead, ducked under the translation,
        full again for any tail, as long as the longer of the two: its length, and its blocks."""
        vo = segment.voiceover
        assert vo is not None
        # The lead is a time in the clip as recorded: where pauses were shortened, it moves with the words.
        lead = round((report.output_time(vo.lead_s) if report else vo.lead_s) * self.rate)
        spoken, spoken_frames = translation
        end = lead + spoken_frames
        total = max(frames, end)
        ramp, down = round(VOICEOVER_RAMP_S * self.rate), _decibels(vo.under_db)
        # Full level through the whole lead; the duck starts with the translation's first word.
        points = [(lead, 1.0), (lead + max(1, min(ramp, end - lead)), down), (end, down)]
        if total > end:
            points.append((end + max(1, min(ramp, total - end)), 1.0))
        return total, mixed(original(), spoken(), Duck(total, _increasing(points), lead), self.channels)

    def trim_notes(self, segment: Segment) -> tuple[str, ...]:
        """A trim that starts past the file's end cannot be played (AudioInputError); one that ends past it
        plays to the end, which the build report says."""
        assert segment.clip is not None
        length = audio_io.probe(segment.clip, self.shown(segment.clip)).duration_s
        if length is None:
            return ()
        if segment.trim_start_s >= length:
            raise AudioInputError(f"trim.start ({segment.trim_start_s:g} s) is past the end of {self.shown(segment.clip)} "
                                  f"({length:.1f} s): check the trim and the file")
        if segment.trim_end_s is not None and segment.trim_end_s > length + audio_io.TRUNCATION_TOLERANCE_S:
            return (f"{segment.id}: trim.end ({segment.trim_end_s:g} s) is past the end of "
                    f"{self.shown(segment.clip)} ({length:.1f} s): the clip plays to its end",)
        return ()



def _joined(blocks: Iterator[np.ndarray], rate: int) -> AudioSegment:
    return audio_io.from_array(np.concatenate(list(blocks)), rate)


def _decibels(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def _increasing(points: list[tuple[int, float]]) -> tuple[tuple[int, float], ...]:
    """Envelope points in order of frame, a later point at the same frame replacing an earlier one."""
    kept: list[tuple[int, float]] = []
    for point in points:
        while kept and point[0] <= kept[-1][0]:
            kept.pop()
        kept.append(point)
    return tuple(kept)


@dataclass(frozen=True)
class SegmentJob:
    language: str
    number: int  # position in the language's programme, from 1
    segment: Segment
    key: str | None  # cache key
    wav: Path


@dataclass(frozen=True)
class SegmentFile:
    """A rendered segment on disk: what travels back from a rendering process."""

    wav: Path
    profile: Path  # its energy profile (numpy), for the programme's loudness
    frames: int
    text: str
    notes: tuple[str, ...]
    engine: str | None = None  # the speech engine that spoke in it
    cleanup: dict[str, Any] | None = None  # a clip's CleanupReport, as JSON with its one-line "summary"


def render_segments(script: Script, work: Path, store: Cache | None, jobs: int, progress: Progress,
                    on: Cluster | None = None) -> dict[tuple[str, int], SegmentFile]:
    """Every segment of every language to a WAV under `work`, by (language, number); from the cache where
    it holds the segment, and kept there as soon as each is rendered. In `jobs` local processes, or as
    tasks on a cluster."""
    done: dict[tuple[str, int], SegmentFile] = {}
    pending: list[SegmentJob] = []
    for language in script.languages:
        (work / language).mkdir()
        for number, segment in enumerate(script.segments_for(language), start=1):
            key = cache.segment_key(script, segment, language) if store else None
            hit = store.load("segments", key, _kept_segment) if store and key else None
            if hit:
                done[language, number] = hit
            else:
                pending.append(SegmentJob(language, number, segment, key,
                                          work / language / f"{number:02d}-{segment.id}.wav"))
    check_sources(script, [job.segment for job in pending])  # what the cache holds was checked before
    progress.start("rendering", len(pending))

    def finished(job: SegmentJob, rendered: SegmentFile) -> None:
        done[job.language, job.number] = rendered
        if store and job.key:
            store.store("segments", job.key, {"audio.wav": rendered.wav, "profile.npy": rendered.profile},
                        {"frames": rendered.frames, "text": rendered.text, "notes": list(rendered.notes),
                         "engine": rendered.engine, "cleanup": rendered.cleanup}, link=True)
        progress.advance()

    if on is None:
        workers.run_all(render_to_file, script, pending, jobs, finished)
    else:
        on.run_all(functools.partial(render_attempt, script), pending,
                   lambda job: f"render:{job.key}:{job.wav}", finished)
    return done


def _kept_segment(entry: Path, data: dict[str, Any]) -> SegmentFile:
    notes = cache.typed(data, "notes", list)
    if not all(isinstance(note, str) for note in notes):
        raise TypeError("notes")
    engine, cleanup = data["engine"], data["cleanup"]
    if not (engine is None or isinstance(engine, str)) or not (
            cleanup is None or isinstance(cleanup, dict) and isinstance(cleanup.get("summary"), str)):
        raise TypeError("engine or cleanup")
    if not ((entry / "audio.wav").is_file() and (entry / "profile.npy").is_file()):
        raise ValueError("audio or profile missing")
    return SegmentFile(entry / "audio.wav", entry / "profile.npy", cache.typed(data, "frames", int),
                       cache.typed(data, "text", str), tuple(notes), engine, cleanup)


def render_to_file(script: Script, job: SegmentJob) -> SegmentFile:
    """One segment to a WAV and its energy profile; runs in a worker process, so only paths and text travel back."""
    with _named(script, job.segment, job.language):
        source = _long_source(script, job.segment, job.language)
        if source is not None:
            return _stream_to_file(script, job, source)
    rendered = render(script, job.segment, job.language)
    audio_io.write_wav(job.wav, rendered.audio)
    profile = job.wav.with_suffix(".npy")
    np.save(profile, rendered.profile if rendered.profile is not None
            else energy_profile(audio_io.to_array(rendered.audio), script.delivery.sample_rate))
    cleanup = None if rendered.cleanup is None else _cleanup_json(rendered.cleanup)
    return SegmentFile(job.wav, profile, int(rendered.audio.frame_count()), rendered.spoken_text, rendered.notes,
                       rendered.engine, cleanup)


def _cleanup_json(report: CleanupReport) -> dict[str, Any]:
    """A clip's CleanupReport as SegmentFile carries it."""
    return {"summary": report.summary(), **report.as_json()}


# A segment whose one long source (a take, with its bed or not; a music file; a clip, cleaned or not, with its
# voice-over or not) plays longer than this is rendered a block at a time, so that memory does not grow with it:
# decoded once to measure it and once to write it, or, when it is cleaned, decoded to a file on disk that the
# cleanup chain works through. What is mixed with it (a bed, a translation) is read as it is needed. Rendered
# whole, a segment's memory grows with its length, a cleaned clip's twice as fast (docs/faults.md, Memory).
STREAM_ABOVE_S = 180.0
CLEANED_STREAM_ABOVE_S = 60.0
# A text longer than this (some three minutes of speech) is spoken a piece of TEXT_PIECE_CHARS at a time, cut
# between sentences, into a file on disk, and rendered from there as a long take is.
LONG_TEXT_CHARS = 2500
TEXT_PIECE_CHARS = 1500


@dataclass(frozen=True)
class _Source:
    path: Path | None  # None: the segment's text spoken, or (if not `spoken`) silence end_s long
    start_s: float
    end_s: float | None
    offset_db: float  # over the programme target, as `level` takes it
    text: str
    notes: tuple[str, ...]
    spoken: bool = False


def _long_source(script: Script, segment: Segment, language: str) -> _Source | None:
    """The one long file a segment plays, and what it says, where it plays longer than STREAM_ABOVE_S
    (CLEANED_STREAM_ABOVE_S for a cleaned clip); None for any other segment, and for a file whose length its
    header does not give."""
    renderer = _Renderer(script, language)
    if segment.kind == "silence":
        return _Source(None, 0.0, segment.silence_s, 0.0, "", ()) if segment.silence_s > STREAM_ABOVE_S else None
    if segment.kind == "speech" and language not in segment.take:
        text = segment.text.get(language, "")
        return _Source(None, 0.0, None, 0.0, text, (), spoken=True) if len(text) > LONG_TEXT_CHARS else None
    if segment.kind == "music":
        path, start, end, offset = segment.music, 0.0, None, segment.level_db
    elif segment.kind == "speech":
        path, start, end, offset = segment.take[language], 0.0, None, 0.0
    elif segment.kind == "clip":
        path, start, end, offset = segment.clip, segment.trim_start_s, segment.trim_end_s, segment.level_db
    else:
        return None
    assert path is not None
    length = audio_io.probe(path, renderer.shown(path)).duration_s
    longest = CLEANED_STREAM_ABOVE_S if segment.kind == "clip" and segment.cleanup is not None else STREAM_ABOVE_S
    short = length is None or (length if end is None else min(end, length)) - start <= longest
    if short and not (segment.kind == "clip" and renderer.long_translation_text(segment)):
        return None
    if segment.kind == "clip":
        return _Source(path, start, end, offset, segment.transcript.get(language, ""),
                       (*renderer.trim_notes(segment), *renderer.untranslated(segment)))
    return _Source(path, start, end, offset, segment.text.get(language, "") if segment.kind == "speech" else "", ())


def _stream_to_file(script: Script, job: SegmentJob, source: _Source) -> SegmentFile:
    """render_to_file for a segment with one long source, a block at a time: the same frames, figures and
    notes as rendering it whole (a cleaned one: to within float32's rounding, which its chain works in on
    disk; a spoken one: but for the joins between its pieces). Its tapes are gone when it returns."""
    renderer = _Renderer(script, job.language, scratch=job.wav.parent)
    try:
        return _streamed(renderer, job, source)
    finally:
        renderer.close()


def _streamed(renderer: _Renderer, job: SegmentJob, source: _Source) -> SegmentFile:
    segment = job.segment
    if source.spoken:
        assert segment.speaker is not None
        tape, engine = renderer.spoken_tape(segment.speaker, source.text)
        return dataclasses.replace(_mix_to_file(renderer, job, source, tape.blocks, None, None), engine=engine)

    def decoded() -> Iterator[np.ndarray]:
        if source.path is None:
            return pieces(iter(()), silence_frames(1000 * (source.end_s or 0.0), renderer.rate), renderer.channels,
                          audio_io.DECODE_BLOCK_FRAMES)
        return audio_io.decode_blocks(source.path, renderer.rate, renderer.channels, source.start_s, source.end_s,
                                      renderer.shown(source.path))
    if segment.cleanup is None:
        return _mix_to_file(renderer, job, source, decoded, None, None)
    tape = renderer.tape()
    for block in decoded():
        tape.append(block)
    cleaned = clean.clean_tape(tape, renderer.rate, segment.cleanup)
    renderer.tapes.append(cleaned.tape)
    made = _mix_to_file(renderer, job, source, cleaned.tape.blocks, (cleaned.tape.frames, cleaned.profile),
                        cleaned.report)
    return dataclasses.replace(made, cleanup=_cleanup_json(cleaned.report))


def _mix_to_file(renderer: _Renderer, job: SegmentJob, source: _Source, blocks: Blocks,
                 measured: tuple[int, np.ndarray] | None, report: CleanupReport | None) -> SegmentFile:
    """The long source that `blocks` gives (measured from its frame count and profile, or in a pass of its
    own), leveled, mixed with its bed or its translation if it has one, into the job's WAV a block at a time."""
    segment = job.segment
    gain, frames, profile = renderer.leveling(blocks, source.offset_db, measured)
    if segment.kind == "speech" and segment.bed is not None:
        total, mix = renderer.under_bed(scaled(blocks, gain), frames, segment.bed)
        return SegmentFile(job.wav, _write_wav(renderer, job, mix, total, 1.0, None), total, source.text,
                           source.notes)
    if segment.kind == "clip" and renderer.voiced_over(segment):
        translation, text, engine = renderer.translation(segment)
        total, mix = renderer.voiceover(scaled(blocks, gain), frames, translation, segment, report)
        return SegmentFile(job.wav, _write_wav(renderer, job, mix, total, 1.0, None), total,
                           text or source.text, source.notes, engine)
    return SegmentFile(job.wav, _write_wav(renderer, job, blocks(), frames, gain, profile * gain**2), frames,
                       source.text, source.notes)


def _write_wav(renderer: _Renderer, job: SegmentJob, blocks: Iterator[np.ndarray], frames: int, gain: float,
               profile: np.ndarray | None) -> Path:
    """`frames` frames of float blocks times `gain` into the job's WAV, faded as the segment asks, and its
    energy profile beside it: `profile` where given and no fade changes it, else measured as it is written."""
    segment = job.segment
    meter = ProfileMeter(renderer.rate, renderer.channels) \
        if profile is None or segment.fade_in_s or segment.fade_out_s else None
    written = 0
    with open(job.wav, "wb") as handle, wave.open(handle, "wb") as wav:
        wav.setnchannels(renderer.channels)
        wav.setsampwidth(audio_io.SAMPLE_WIDTH)
        wav.setframerate(renderer.rate)
        for block in blocks:
            wav.writeframes(_leveled_block(block, gain, segment, written, frames, renderer.rate, meter))
            written += len(block)
    saved = job.wav.with_suffix(".npy")
    np.save(saved, profile if meter is None else meter.result())
    return saved


def _leveled_block(block: np.ndarray, gain: float, segment: Segment, first: int, frames: int, rate: int,
                   meter: ProfileMeter | None) -> bytes:
    """One block of a streamed segment as its WAV's frames: leveled, then faded as _render fades a whole
    segment (its leveled audio, then its fades), what is written fed to `meter` if given."""
    leveled = audio_io.from_array(block, rate, gain)
    if segment.fade_in_s or segment.fade_out_s:
        samples = audio_io.to_array(leveled)
        samples *= fade_gains(segment, first, len(samples), frames, rate)
        leveled = audio_io.from_array(samples, rate)
    if meter is not None:
        meter.feed(audio_io.to_array(leveled))
    return leveled.raw_data


def render_attempt(script: Script, job: SegmentJob) -> SegmentFile:
    """render_to_file, as a cluster task: under names of this attempt's own, renamed into place when whole."""
    attempt = job.wav.with_name(f".{uuid.uuid4().hex}-{job.wav.name}")
    made = render_to_file(script, dataclasses.replace(job, wav=attempt))
    profile = job.wav.with_suffix(".npy")
    made.profile.replace(profile)
    attempt.replace(job.wav)
    return dataclasses.replace(made, wav=job.wav, profile=profile)


def check_sources(script: Script, segments: list[Segment]) -> None:
    """Every audio file these segments name opens and has an audio stream, before any long work; every bad
    file is named at once, with the first segment that uses it. (A file that is cut short is caught when it
    is decoded.)"""
    users: dict[Path, Segment] = {}
    for segment in segments:
        named = [segment.music, segment.clip, *segment.take.values(), segment.bed.music if segment.bed else None]
        named += [line.take for line in segment.voiceover.lines.values()] if segment.voiceover else []
        for path in named:
            if path is not None:
                users.setdefault(path, segment)

    def problem(path: Path) -> str | None:
        shown = str(path.relative_to(script.folder)) if path.is_relative_to(script.folder) else str(path)
        try:
            audio_io.probe(path, shown)
        except AudioInputError as exc:
            return f"{where_in_script(script, users[path])}: {exc}"
        return None
    paths = list(users)
    batches = [paths[first : first + audio_io.PROBE_BATCH] for first in range(0, len(paths), audio_io.PROBE_BATCH)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each probe is an ffmpeg run
        list(pool.map(audio_io.probe_many, batches))
        problems = [found for found in pool.map(problem, paths) if found]  # what the batches left, one by one
    if problems:
        raise AudioInputError("\n".join(problems))
