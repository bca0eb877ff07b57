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
from typing import Any, Callable, Iterator

import numpy as np

from radiokit import audio_io, cache, clean, tts, workers
from radiokit.audio_io import AudioSegment
from radiokit.cache import Cache
from radiokit.clean import CleanupReport, CleanupSettings
from radiokit.clean.tape import FileTape
from radiokit.cluster import Cluster
from radiokit.errors import AudioInputError, EngineError
from radiokit.loudness import LoudnessMeter, ProfileMeter, energy_profile, measure, profile_loudness
from radiokit.progress import Progress
from radiokit.script import Bed, Script, Segment, VoiceOver
from radiokit.timeline import equal_power_fade_in

# Segments are leveled this far under the programme target, so that mixing beds and voices in pydub's
# integers never clips; the programme gain, in float, brings it back (and the limiter guards the peaks).
HEADROOM_DB = 12.0
_log = logging.getLogger("radiokit.speech")
RAMP_MS = 500
LOOP_CROSSFADE_S = 0.5  # a bed ducks over this long, ending as the voice starts
VOICEOVER_RAMP_MS = 300


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


class _Renderer:
    def __init__(self, script: Script, language: str) -> None:
        self.script = script
        self.language = language
        self.rate = script.delivery.sample_rate
        self.channels = script.delivery.channels
        self.target_lufs = script.delivery.profile.integrated_lufs - HEADROOM_DB

    def shown(self, path: Path) -> str:
        return str(path.relative_to(self.script.folder)) if path.is_relative_to(self.script.folder) else str(path)

    def decode(self, path: Path | None, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        assert path is not None
        return audio_io.decode(path, self.rate, self.channels, start_s, end_s, shown=self.shown(path))

    def silence(self, duration_ms: float) -> AudioSegment:
        silent = AudioSegment.silent(duration=duration_ms, frame_rate=self.rate)
        return silent.set_channels(self.channels).set_sample_width(audio_io.SAMPLE_WIDTH)

    def level(self, samples: np.ndarray, offset_db: float = 0.0, profile: np.ndarray | None = None) -> Leveled:
        """Float `samples` (frames, channels) brought to the programme's integrated loudness plus `offset_db`
        (BS.1770, gated), measured from their energy `profile` (made here if not given), which then serves
        the segment too if nothing else changes it: one K-weighting pass instead of two."""
        if profile is None:
            profile = energy_profile(samples, self.rate)
        measured = profile_loudness(profile, len(samples), self.rate)
        if measured is None:
            measured = measure(samples, self.rate, true_peak=False, maxima=False).integrated_lufs
        gain = self.gain(measured, offset_db)
        return Leveled(audio_io.from_array(samples, self.rate, gain), profile * gain**2)

    def gain(self, measured_lufs: float, offset_db: float) -> float:
        """What brings audio measured at `measured_lufs` to the target plus `offset_db`; 1 for silence."""
        return 10 ** ((self.target_lufs + offset_db - measured_lufs) / 20) if math.isfinite(measured_lufs) else 1.0

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
            voice = self.level(self.decode(take))
        else:
            assert segment.speaker is not None
            spoken, engine = self.voice(segment.speaker, text)
            voice = self.level(audio_io.to_array(spoken))
        if segment.bed is not None:
            return Rendered(self.under_bed(voice.audio, segment.bed), text, engine=engine)
        return Rendered(voice.audio, text, profile=voice.profile, engine=engine)

    def under_bed(self, voice: AudioSegment, bed: Bed) -> AudioSegment:
        """Music at full level for the preroll, ducked under the voice, back up for the postroll, faded out."""
        preroll, postroll, fade = (int(x * 1000) for x in (bed.preroll_s, bed.postroll_s, bed.fade_out_s))
        total = preroll + len(voice) + postroll + fade
        # Only what will be heard is decoded (and leveled): a bed far longer than its segment costs no more.
        music = self.looped(self.level(self.decode(bed.music, 0.0, total / 1000)).audio, total)
        voice_end = preroll + len(voice)
        down_start = max(0, preroll - RAMP_MS)
        ducked = music[:voice_end].fade(to_gain=bed.under_db, start=down_start, duration=preroll - down_start or 1)
        raised = music[voice_end:].fade(from_gain=bed.under_db, to_gain=0, start=0, duration=min(RAMP_MS, postroll) or 1)
        music = ducked + raised
        if fade:
            music = music.fade_out(fade)
        return music.overlay(voice, position=preroll)

    def looped(self, music: AudioSegment, duration_ms: int) -> AudioSegment:
        """`music` repeated to `duration_ms`, each repeat crossfaded into the last with equal power, so a
        loop point neither dips nor swells (pydub's `append` crossfades linearly, a 3 dB dip on music)."""
        if len(music) >= duration_ms:
            return music[:duration_ms]
        samples = audio_io.to_array(music)
        overlap = min(round(LOOP_CROSSFADE_S * self.rate), len(samples) // 4)
        rising = equal_power_fade_in(overlap)
        pieces, frames = [samples[:-overlap]], len(samples) - overlap
        tail = samples[-overlap:]
        needed = round(duration_ms * self.rate / 1000)
        while frames < needed:
            pieces.append(tail * rising[::-1] + samples[:overlap] * rising)
            pieces.append(samples[overlap:-overlap])
            tail = samples[-overlap:]
            frames += len(samples) - overlap
        pieces.append(tail)
        return audio_io.from_array(np.concatenate(pieces)[:needed], self.rate)

    def clip(self, segment: Segment) -> Rendered:
        assert segment.clip is not None
        notes = self.trim_notes(segment)
        decoded = self.decode(segment.clip, segment.trim_start_s, segment.trim_end_s)
        report = profile = None
        if segment.cleanup is not None:
            cleaned = clean.clean(decoded, self.rate, segment.cleanup)
            decoded, report, profile = cleaned.samples, cleaned.report, cleaned.profile
        original = self.level(decoded, segment.level_db, profile)
        words = segment.transcript.get(self.language, "")
        if segment.clip_language in (None, self.language):
            return Rendered(original.audio, words, notes, original.profile, cleanup=report)
        vo = segment.voiceover
        line = vo.lines.get(self.language) if vo is not None else None
        if vo is None or line is None:
            note = f"{segment.id}: no {self.language} voice-over; the clip plays as recorded ({segment.clip_language})"
            return Rendered(original.audio, words, (*notes, note), original.profile, cleanup=report)
        engine = None
        if line.take is not None:
            translation = self.level(self.decode(line.take))
        else:
            assert line.speaker is not None and line.text is not None
            spoken, engine = self.voice(line.speaker, line.text)
            translation = self.level(audio_io.to_array(spoken))
        # The lead is a time in the clip as recorded: where pauses were shortened, it moves with the words.
        lead_s = report.output_time(vo.lead_s) if report else vo.lead_s
        return Rendered(self.voiceover(original.audio, translation.audio, vo, lead_s), line.text or words, notes,
                        engine=engine, cleanup=report)

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

    def voiceover(self, original: AudioSegment, translation: AudioSegment, vo: VoiceOver,
                  lead_s: float) -> AudioSegment:
        """The original at full level for the lead, ducked under the translation, full again for any tail."""
        lead = int(lead_s * 1000)
        end = lead + len(translation)
        if len(original) < end:
            original = original + self.silence(end - len(original))
        # Full level through the whole lead; the duck starts with the translation's first word.
        ducked = original[:end].fade(to_gain=vo.under_db, start=lead, duration=min(VOICEOVER_RAMP_MS, end - lead))
        tail = original[end:]
        if len(tail):
            tail = tail.fade(from_gain=vo.under_db, to_gain=0, start=0, duration=min(VOICEOVER_RAMP_MS, len(tail)))
        return (ducked + tail).overlay(translation, position=lead)


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
        source = _long_plain_source(script, job.segment, job.language)
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


# A plain segment (one source, leveled, perhaps cleaned, perhaps faded, nothing mixed into it) longer than this
# is rendered a block at a time, so that memory does not grow with it: decoded once to measure it and once to
# write it, or, when it is cleaned, decoded to a file on disk that the cleanup chain works through.
STREAM_ABOVE_S = 600.0


@dataclass(frozen=True)
class _Source:
    path: Path
    start_s: float
    end_s: float | None
    offset_db: float  # over the programme target, as `level` takes it
    text: str
    notes: tuple[str, ...]
    cleanup: CleanupSettings | None = None


def _long_plain_source(script: Script, segment: Segment, language: str) -> _Source | None:
    """The one file a plain segment plays, and what it says, where it plays longer than STREAM_ABOVE_S; None
    for any other segment, and for a file whose length its header does not give."""
    renderer = _Renderer(script, language)
    if segment.kind == "music":
        path, start, end, offset = segment.music, 0.0, None, segment.level_db
    elif segment.kind == "speech" and segment.bed is None and language in segment.take:
        path, start, end, offset = segment.take[language], 0.0, None, 0.0
    elif segment.kind == "clip" and segment.clip_language in (None, language):
        path, start, end, offset = segment.clip, segment.trim_start_s, segment.trim_end_s, segment.level_db
    else:
        return None
    assert path is not None
    length = audio_io.probe(path, renderer.shown(path)).duration_s
    if length is None or (length if end is None else min(end, length)) - start <= STREAM_ABOVE_S:
        return None
    if segment.kind == "clip":
        return _Source(path, start, end, offset, segment.transcript.get(language, ""), renderer.trim_notes(segment),
                       segment.cleanup)
    return _Source(path, start, end, offset, segment.text.get(language, "") if segment.kind == "speech" else "", ())


def _stream_to_file(script: Script, job: SegmentJob, source: _Source) -> SegmentFile:
    """render_to_file for a long plain segment, a block at a time: the same frames, figures and notes as
    rendering it whole (a cleaned one: to within float32's rounding, which its chain works in on disk)."""
    rate, channels = script.delivery.sample_rate, script.delivery.channels
    renderer = _Renderer(script, job.language)

    def decoded() -> Iterator[np.ndarray]:
        return audio_io.decode_blocks(source.path, rate, channels, source.start_s, source.end_s,
                                      renderer.shown(source.path))
    if source.cleanup is None:
        return _level_to_file(script, job, source, decoded, None)
    tape = FileTape(job.wav.parent, 0, channels)
    try:
        for block in decoded():
            tape.append(block)
    except BaseException:
        tape.close()
        raise
    cleaned = clean.clean_tape(tape, rate, source.cleanup)
    try:
        made = _level_to_file(script, job, source, cleaned.tape.blocks, (cleaned.tape.frames, cleaned.profile))
    finally:
        cleaned.tape.close()
    return dataclasses.replace(made, cleanup=_cleanup_json(cleaned.report))


def _level_to_file(script: Script, job: SegmentJob, source: _Source, blocks: Callable[[], Iterator[np.ndarray]],
                   measured: tuple[int, np.ndarray] | None) -> SegmentFile:
    """The audio that `blocks` gives (each time it is called), leveled into the job's WAV a block at a time;
    measured from its frame count and energy profile, `measured`, or in a pass of its own if not given."""
    rate, channels = script.delivery.sample_rate, script.delivery.channels
    if measured is None:
        meter = ProfileMeter(rate, channels)
        for block in blocks():
            meter.feed(block)
        measured = meter.frames, meter.result()
    frames, profile = measured
    loudness = profile_loudness(profile, frames, rate)
    if loudness is None:
        whole = LoudnessMeter(rate, channels, true_peak=False, maxima=False)
        for block in blocks():
            whole.feed(block)
        loudness = whole.result().integrated_lufs
    gain = _Renderer(script, job.language).gain(loudness, source.offset_db)
    segment = job.segment
    faded = ProfileMeter(rate, channels) if segment.fade_in_s or segment.fade_out_s else None
    written = 0
    with open(job.wav, "wb") as handle, wave.open(handle, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(audio_io.SAMPLE_WIDTH)
        wav.setframerate(rate)
        for block in blocks():
            wav.writeframes(_leveled_block(block, gain, segment, written, frames, rate, faded))
            written += len(block)
    saved = job.wav.with_suffix(".npy")
    np.save(saved, profile * gain**2 if faded is None else faded.result())
    return SegmentFile(job.wav, saved, frames, source.text, source.notes)


def _leveled_block(block: np.ndarray, gain: float, segment: Segment, first: int, frames: int, rate: int,
                   faded: ProfileMeter | None) -> bytes:
    """One block of a streamed segment as its WAV's frames: leveled, then faded as _render fades a whole
    segment (its leveled audio, then its fades), the faded audio's profile fed to `faded`."""
    leveled = audio_io.from_array(block, rate, gain)
    if faded is None:
        return leveled.raw_data
    samples = audio_io.to_array(leveled)
    samples *= fade_gains(segment, first, len(samples), frames, rate)
    leveled = audio_io.from_array(samples, rate)
    faded.feed(audio_io.to_array(leveled))
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
