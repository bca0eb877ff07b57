"""Each language version: its rendered segments laid out on a timeline, checked against the slot, then
mastered and encoded into the delivered files (or taken whole from the cache), described for the package."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import shutil
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiokit import __version__, bwf, cache, encode, master, reuse, timeline, workers
from radiokit.cache import Cache
from radiokit.cluster import Cluster
from radiokit.display import clock
from radiokit.errors import BuildError
from radiokit.loudness import Loudness
from radiokit.manifest import LanguageEntry, SegmentEntry
from radiokit.playout import SOUND_UNDER_TARGET_LU, Cues, sound_span
from radiokit.progress import Progress, Silent
from radiokit.render import SegmentFile
from radiokit.script import Script, Segment
from radiokit.translit import to_ascii

_log = logging.getLogger("radiokit.mastering")


@dataclass(frozen=True)
class Version:
    """One language version, rendered and laid out, before mastering."""

    language: str
    segments: tuple[Segment, ...]
    stems: list[str]  # file names of its segments, e.g. 03-headline
    placed: list[timeline.Placed]
    files: list[SegmentFile]  # per segment: what was rendered, with its words, engine and cleanup
    notes: list[str]
    key: str | None  # cache key of the delivered version


def lay_out(script: Script, language: str, rendered: dict[tuple[str, int], SegmentFile],
            store: Cache | None) -> Version:
    """One language's segments in order, with their gaps and crossfades."""
    segments = script.segments_for(language)
    files = [rendered[language, number] for number in range(1, len(segments) + 1)]
    rate = script.delivery.sample_rate
    gaps = [segment.gap_s if segment.gap_s is not None else script.delivery.gap_s for segment in segments]
    crossfades = [segment.crossfade_s for segment in segments]
    placed = timeline.place([f.wav for f in files], [f.frames for f in files], gaps, crossfades, rate,
                            [f.profile for f in files])
    notes = [f"{language}: {note}" for f in files for note in f.notes]
    for segment, item in zip(segments, placed, strict=True):
        if segment.crossfade_s and item.crossfade_frames < round(segment.crossfade_s * rate):
            notes.append(f"{language}: {segment.id}: crossfade shortened to {item.crossfade_frames / rate:.2f} s "
                         "to fit the segments it joins")
    stems = [f"{number:02d}-{segment.id}" for number, segment in enumerate(segments, start=1)]
    key = None
    if store:
        keys = [cache.segment_key(script, segment, language) for segment in segments]
        key = cache.version_key(script, language, keys, [stems, gaps, crossfades])
    return Version(language, segments, stems, placed, files, notes, key)


def cleanup_notes(versions: list[Version]) -> list[str]:
    """What cleanup did to each clip, once per clip however many languages play it."""
    done: dict[str, str] = {}
    for version in versions:
        for segment, rendered in zip(version.segments, version.files, strict=True):
            if rendered.cleanup is not None:
                done.setdefault(segment.id, f"{segment.id}: cleanup: {rendered.cleanup['summary']}")
    return list(done.values())


def check_slot(script: Script, versions: list[Version], force: bool) -> list[str]:
    """Every version must fit the slot (target_duration +- tolerance); with `force` a miss is only noted."""
    target, tolerance = script.delivery.target_duration_s, script.delivery.tolerance_s
    if target is None:
        return []
    rate = script.delivery.sample_rate
    misses = []
    for version in versions:
        duration = timeline.duration_frames(version.placed) / rate
        if abs(duration - target) > tolerance:
            side = "over" if duration > target else "under"
            misses.append(f"{version.language}: runs {clock(duration)}, {clock(abs(duration - target))} {side} the "
                          f"{clock(target)} slot (tolerance {clock(tolerance)})")
    if misses and not force:
        raise BuildError("\n".join(f"{miss}: cut or add material, change delivery.target_duration, "
                                   "or build with --force" for miss in misses))
    return [f"{miss}; delivered anyway (--force)" for miss in misses]


def master_versions(script: Script, versions: list[Version], folder: Path, store: Cache | None, jobs: int,
                    progress: Progress, on: Cluster | None = None) -> tuple[list[LanguageEntry], list[str]]:
    """Every version's delivered files under `folder`, untagged, described by their entries; and the notes.
    The languages are mastered side by side (each is mostly ffmpeg processes and numpy): here, or as
    tasks on a cluster."""
    if on is not None:
        return _master_on(on, script, versions, folder, store, progress)
    needed = any(not (store and version.key and store.holds("versions", version.key)) for version in versions)
    with workers.measuring_pool(jobs if needed else 0) as measuring, \
            ThreadPoolExecutor(max_workers=max(1, min(jobs, len(versions)))) as pool:
        done = list(pool.map(lambda version: _master_version(script, version, folder, store, measuring, progress),
                             versions))
    return [entry for entry, _ in done], [note for _, notes in done for note in notes]


def _master_on(cluster: Cluster, script: Script, versions: list[Version], folder: Path, store: Cache | None,
               progress: Progress) -> tuple[list[LanguageEntry], list[str]]:
    """Each version a task that masters into a folder of its attempt's own beside `folder`; the files of the
    attempt whose result arrives are moved into `folder`."""
    done: dict[str, tuple[LanguageEntry, list[str]]] = {}
    progress.start("mastering", len(versions))

    def arrived(version: Version, result: tuple[LanguageEntry, list[str], Path]) -> None:
        entry, notes, attempt = result
        for made in sorted(attempt.rglob("*")):
            if made.is_file():
                (folder / made.relative_to(attempt)).parent.mkdir(parents=True, exist_ok=True)
                made.replace(folder / made.relative_to(attempt))
        shutil.rmtree(attempt)
        done[version.language] = entry, notes
        progress.advance()

    cluster.run_all(functools.partial(master_attempt, script, folder, store), versions,
                    lambda version: f"master:{version.key}:{folder / version.language}", arrived)
    ordered = [done[version.language] for version in versions]
    return [entry for entry, _ in ordered], [note for _, notes in ordered for note in notes]


def master_attempt(script: Script, folder: Path, store: Cache | None,
                   version: Version) -> tuple[LanguageEntry, list[str], Path]:
    """One version mastered as a cluster task, under a folder of this attempt's own beside `folder`."""
    attempt = folder.with_name(f".{uuid.uuid4().hex}-{version.language}")
    attempt.mkdir()  # not its parents: a build that has ended and removed its staging folder gets no new one
    entry, notes = _master_version(script, version, attempt, store, None, Silent())
    return entry, notes, attempt


def _master_version(script: Script, version: Version, folder: Path, store: Cache | None,
                    measuring: Executor | None, progress: Progress) -> tuple[LanguageEntry, list[str]]:
    language, rate = version.language, script.delivery.sample_rate
    stem = f"{script.programme.slug}-{language}"
    (folder / "segments" / language).mkdir(parents=True)
    kept = reuse.restore_version(store, version.key, folder) if store and version.key else None
    if kept:
        measured, gain_db, notes = kept
    else:
        measured, gain_db, notes = _encode_version(script, version, folder, stem, store, measuring, progress)
        if store and version.key:
            reuse.keep_version(store, version.key, folder, measured, gain_db, notes)
    entries: list[SegmentEntry] = []
    cues = segment_cues(script, version, gain_db)
    for number, (segment, name, item, rendered, cue) in enumerate(zip(version.segments, version.stems, version.placed,
                                                                      version.files, cues, strict=True), start=1):
        segment_mp3 = measured[folder / "segments" / language / f"{name}.mp3"]
        entries.append(SegmentEntry(
            index=number, id=segment.id, title=segment.title[language], kind=segment.kind,
            start_s=item.start_frame / rate, duration_s=item.frames / rate, text=rendered.text,
            clip_language=segment.clip_language, file=f"segments/{language}/{name}.mp3",
            integrated_lufs=segment_mp3.integrated_lufs, true_peak_dbtp=segment_mp3.true_peak_dbtp,
            engine=rendered.engine, cleanup=rendered.cleanup, cues=cue))
    final = measured[folder / f"{stem}.mp3"]
    return LanguageEntry(
        language=language, file=f"{stem}.mp3", duration_s=final.duration_s,
        integrated_lufs=final.integrated_lufs, true_peak_dbtp=final.true_peak_dbtp,
        loudness_range_lu=final.loudness_range_lu, gain_db=gain_db, segments=tuple(entries),
        cues=programme_cues(cues, [item.start_frame / rate for item in version.placed])), notes


def segment_cues(script: Script, version: Version, gain_db: float) -> list[Cues]:
    """Each segment's cue points in its own file: its sound (from the energy profile it was rendered with,
    at the level `gain_db` gives it), where the next item may start (a fade-out's start, or where the next
    segment crossfades in), and where a bed's voice starts."""
    rate = script.delivery.sample_rate
    threshold = script.delivery.profile.integrated_lufs - SOUND_UNDER_TARGET_LU - gain_db
    result = []
    for number, (segment, item, rendered) in enumerate(zip(version.segments, version.placed, version.files,
                                                          strict=True)):
        duration = item.frames / rate
        start, end = sound_span(np.load(rendered.profile), item.frames, rate, threshold)
        segue = [end]
        if segment.fade_out_s:
            segue.append(duration - segment.fade_out_s)
        if segment.bed is not None and segment.bed.fade_out_s:
            segue.append(duration - segment.bed.fade_out_s)
        if number + 1 < len(version.placed) and version.placed[number + 1].crossfade_frames:
            segue.append((version.placed[number + 1].start_frame - item.start_frame) / rate)
        intro = min(segment.bed.preroll_s, duration) if segment.bed is not None else None
        result.append(milliseconds(Cues(start, end, max(start, min(segue)), intro)))
    return result


def milliseconds(cues: Cues) -> Cues:
    """Cue points to the millisecond, as tags, manifest and sidecars write them: all say the same. Rounded
    down, so that a cue out at a file's last samples stays inside the file (the nearest millisecond can lie
    past its end) and cues in order stay in order; the 1e-6 ms keeps an exact millisecond where it is."""
    def down(seconds: float) -> float:
        return math.floor(seconds * 1000 + 1e-6) / 1000
    return Cues(down(cues.audio_start_s), down(cues.audio_end_s), down(cues.segue_s),
                None if cues.intro_end_s is None else down(cues.intro_end_s))


def programme_cues(segments: list[Cues], starts_s: list[float]) -> Cues:
    """The programme's cue points from its first and last segments'."""
    first, last = segments[0], segments[-1]
    intro = None if first.intro_end_s is None else starts_s[0] + first.intro_end_s
    return milliseconds(Cues(starts_s[0] + first.audio_start_s, starts_s[-1] + last.audio_end_s,
                             starts_s[-1] + last.segue_s, intro))


def _encode_version(script: Script, version: Version, folder: Path, stem: str, store: Cache | None,
                    measuring: Executor | None, progress: Progress) -> tuple[dict[Path, Loudness], float, list[str]]:
    """Every delivered file of one language, untagged, with what each measures after encoding. With a cache,
    the gain the last build of this version settled on is kept where it can be (master.deliver), and the
    segment files it encoded are restored where their audio is the same."""
    delivery = script.delivery
    rate, channels = delivery.sample_rate, delivery.channels
    language, placed = version.language, version.placed
    notes: list[str] = []
    progress.start(f"{language}: mastering", 1 + len(delivery.formats))
    rendered = master.measure_rendered(placed, rate)
    progress.advance()
    created = dt.datetime.now()
    measured: dict[Path, Loudness] = {}
    gains_db: dict[str, float] = {}
    for fmt in delivery.formats:
        suffix = encode.SUFFIXES[fmt]
        programme = encode.Output(folder / f"{stem}{suffix}", fmt,
                                  bext=bext_info(script, script.programme.title.get(language, ""), stem, created))
        segment_files = [encode.Output(folder / "segments" / language / f"{name}{suffix}", fmt, item.start_frame,
                                       item.start_frame + item.frames,
                                       bext_info(script, segment.title[language], f"{stem}-{name}", created))
                         for segment, name, item in zip(version.segments, version.stems, placed, strict=True)]
        gain_key = cache.gain_key(script, language, fmt)
        bitrate = delivery.bitrate_kbps if fmt == "mp3" else encode.mp2_bitrate_kbps(channels)
        done = master.deliver(placed, rendered, programme, segment_files, delivery.profile, rate, channels, bitrate,
                              kept_gain=reuse.load_gain(store, gain_key) if store else None,
                              encodes=reuse.KeptEncodes(store, rate, channels, bitrate) if store else None,
                              workers=measuring)
        if store:
            reuse.keep_gain(store, gain_key, done.kept_gain)
        if done.reused:
            _log.info("%s %s: the last build's gain kept; %d of %d segment files unchanged, not encoded again",
                      language, fmt, done.reused, len(segment_files))
        measured.update(done.measured)
        gains_db[fmt] = done.gain_db
        progress.advance()
        if fmt == "mp3" and done.limited_s:
            notes.append(f"{language}: the limiter held true peaks under {delivery.profile.true_peak_dbtp:.1f} dBTP "
                         f"for {done.limited_s:.1f} s (at most {done.max_limiting_db:.1f} dB)")
    for path, loudness in measured.items():
        if path.suffix == ".wav":
            bwf.write_loudness(path, loudness)
    return measured, gains_db["mp3"], notes


def bext_info(script: Script, title: str, reference: str, created: dt.datetime, sample_rate: int | None = None,
              channels: int | None = None, pcm: bool = True) -> bwf.BextInfo:
    """The bext of a delivered WAV (the delivery's rate and channels unless given): ASCII description and
    reference, and for 16-bit PCM its coding history (MPEG inside a WAV has none from radiokit)."""
    rate, channels = sample_rate or script.delivery.sample_rate, channels or script.delivery.channels
    history = f"A=PCM,F={rate},W=16,M={'mono' if channels == 1 else 'stereo'},T=radiokit {__version__}" if pcm else ""
    return bwf.BextInfo(
        description=to_ascii(f"{script.programme.series}: {title}")[:256], originator="radiokit",
        originator_reference=reference[:32], origination=created, coding_history=history)
