"""The build, stage by stage: script -> render -> master -> encode -> tag -> package."""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import fcntl
import importlib
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from radiokit import __version__, audio_io, bwf, cache, encode, master, package, preview, tag, timeline
from radiokit.cache import DEFAULT_MAX_BYTES, Cache
from radiokit.errors import AudioInputError, BuildError
from radiokit.loudness import Loudness, energy_profile
from radiokit.package import clock
from radiokit.progress import Progress, Silent, show_log
from radiokit.render import render
from radiokit.script import Script, Segment, Voice, ascii_text, load_script


_log = logging.getLogger("radiokit.mastering")


@dataclass(frozen=True)
class BuildOptions:
    out: Path = Path("build")
    allow_outside: tuple[Path, ...] = ()
    offline: bool = False  # speak gtts voices with espeak instead of going online
    force: bool = False  # deliver even when a version misses its slot
    jobs: int = os.cpu_count() or 1  # processes that render segments, and languages mastered at once
    cache: Path | None = None  # where rendered segments and delivered versions are kept; None: no cache
    cache_max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class BuildReport:
    slug: str
    folder: Path
    zip_path: Path
    languages: tuple[package.LanguageEntry, ...]
    notes: tuple[str, ...]
    elapsed_s: float
    slot_s: float | None = None  # delivery.target_duration


@dataclass(frozen=True)
class _Version:
    """One language version, rendered and laid out, before mastering."""

    language: str
    segments: tuple[Segment, ...]
    stems: list[str]  # file names of its segments, e.g. 03-headline
    placed: list[timeline.Placed]
    texts: list[str]  # as spoken, per segment
    notes: list[str]
    key: str | None  # cache key of the delivered version


def build(script_path: Path, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build every language version of the script into a package under `options.out`."""
    started = time.monotonic()
    progress = progress or Silent()
    script = load_script(script_path, options.allow_outside)
    if options.offline:
        script = _offline(script)
    created_out = not options.out.exists()
    options.out.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(options.out)
    staging = Path(tempfile.mkdtemp(prefix=f".radiokit-{os.getpid()}-", dir=options.out))
    succeeded = False
    try:
        folder = staging / script.programme.slug
        folder.mkdir()
        work = staging / "work"
        work.mkdir()
        store = Cache(options.cache, options.cache_max_bytes) if options.cache else None
        versions = _render_versions(script, work, store, options.jobs, progress)
        notes = [note for version in versions for note in version.notes]
        notes += _check_slot(script, versions, options.force)
        mastering = any(not (store and v.key and store.holds("versions", v.key)) for v in versions)
        # The languages are mastered side by side: each is mostly ffmpeg processes and numpy.
        with _measuring_workers(options.jobs if mastering else 0) as workers, \
                ThreadPoolExecutor(max_workers=max(1, min(options.jobs, len(versions)))) as pool:
            delivered = list(pool.map(lambda version: _deliver_version(script, version, folder, store, workers,
                                                                       progress), versions))
        entries = [entry for entry, _ in delivered]
        notes += [note for _, version_notes in delivered for note in version_notes]
        if store:
            store.evict()
        for entry in entries:
            package.write_transcript(folder, script, entry)
            package.write_vtt(folder, entry)
        package.write_rundown(folder, script, entries)
        preview.write_index(folder, script, entries)
        package.write_manifest(folder, script, entries)
        staged_zip = staging / f"{script.programme.slug}.zip"
        package.write_zip(folder, staged_zip)
        final = options.out / script.programme.slug
        zip_path = options.out / f"{script.programme.slug}.zip"
        with _exclusive(options.out):  # two builds finishing at once take turns to swap their package in
            package.move_into_place(folder, staged_zip, final, zip_path)
        succeeded = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created_out and not succeeded:
            shutil.rmtree(options.out, ignore_errors=True)  # a failed first build leaves no trace
    return BuildReport(script.programme.slug, final, zip_path, tuple(entries), tuple(notes),
                       time.monotonic() - started, script.delivery.target_duration_s)


# Staging folders (.radiokit-<pid>-<random>) and retired packages (.<slug>.old-<pid>, see package.py).
_LEFTOVER = re.compile(r"\.radiokit-(?P<pid>\d+)-\w+|\.[a-z0-9-]+\.old-(?P<old_pid>\d+)")


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """An advisory lock on the output folder itself, so that no lock file is left beside the packages."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _remove_abandoned_staging(out: Path) -> None:
    """Staging folders (and retired packages) of builds that were killed: their process is gone."""
    for leftover in out.glob(".*"):
        found = _LEFTOVER.fullmatch(leftover.name)
        if found and leftover.is_dir() and not _alive(int(found.group("pid") or found.group("old_pid"))):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_audio_files(script: Script, segments: list[Segment]) -> None:
    """Every audio file these segments name opens and has an audio stream, before any long work; every bad
    file is named at once. (A file that is cut short is caught when it is decoded.)"""
    files: dict[Path, None] = {}
    for segment in segments:
        named = [segment.music, segment.clip, *segment.take.values(), segment.bed.music if segment.bed else None]
        named += [line.take for line in segment.voiceover.lines.values()] if segment.voiceover else []
        files.update(dict.fromkeys(path for path in named if path is not None))

    def problem(path: Path) -> str | None:
        shown = str(path.relative_to(script.folder)) if path.is_relative_to(script.folder) else str(path)
        try:
            audio_io.probe(path, shown)
        except AudioInputError as exc:
            return str(exc)
        return None
    paths = list(files)
    batches = [paths[first : first + audio_io.PROBE_BATCH] for first in range(0, len(paths), audio_io.PROBE_BATCH)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each probe is an ffmpeg run
        list(pool.map(audio_io.probe_many, batches))
        problems = [found for found in pool.map(problem, paths) if found]  # what the batches left, one by one
    if problems:
        raise AudioInputError("\n".join(problems))


def _offline(script: Script) -> Script:
    voices = {name: {lang: (Voice("espeak", lang, v.rate, v.pitch, v.volume) if v.engine == "gtts" else v)
                     for lang, v in per_language.items()}
              for name, per_language in script.voices.items()}
    return dataclasses.replace(script, voices=voices)


@dataclass(frozen=True)
class _Job:
    language: str
    number: int
    segment: Segment
    key: str | None  # cache key
    wav: Path


@dataclass(frozen=True)
class _Rendered:
    wav: Path
    profile: Path  # its energy profile, for the programme's loudness
    frames: int
    text: str
    notes: tuple[str, ...]


def _render_job(script: Script, job: _Job) -> _Rendered:
    """One segment to a WAV and its energy profile; runs in a worker process, so only paths and text travel back."""
    rendered = render(script, job.segment, job.language)
    audio_io.write_wav(job.wav, rendered.audio)
    profile = job.wav.with_suffix(".npy")
    np.save(profile, rendered.profile if rendered.profile is not None
            else energy_profile(audio_io.to_array(rendered.audio), script.delivery.sample_rate))
    return _Rendered(job.wav, profile, int(rendered.audio.frame_count()), rendered.spoken_text, rendered.notes)


def _render_versions(script: Script, work: Path, store: Cache | None, jobs: int,
                     progress: Progress) -> list[_Version]:
    """Every segment of every language to a WAV (from the cache where it can), laid out on timelines."""
    done: dict[tuple[str, int], _Rendered] = {}
    pending: list[_Job] = []
    for language in script.languages:
        (work / language).mkdir()
        for number, segment in enumerate(script.segments_for(language), start=1):
            key = cache.segment_key(script, segment, language) if store else None
            hit = store.load("segments", key) if store and key else None
            if hit:
                entry, data = hit
                done[language, number] = _Rendered(entry / "audio.wav", entry / "profile.npy", data["frames"],
                                                   data["text"], tuple(data["notes"]))
            else:
                pending.append(_Job(language, number, segment, key, work / language / f"{number:02d}-{segment.id}.wav"))
    _check_audio_files(script, [job.segment for job in pending])  # what the cache holds was checked before
    progress.start("rendering", len(pending))

    def finished(job: _Job, rendered: _Rendered) -> None:
        """Kept as soon as it is rendered: this process would otherwise only wait for the workers."""
        done[job.language, job.number] = rendered
        if store and job.key:
            store.store("segments", job.key, {"audio.wav": rendered.wav, "profile.npy": rendered.profile},
                        {"frames": rendered.frames, "text": rendered.text, "notes": list(rendered.notes)}, link=True)

    _run_jobs(script, pending, jobs, progress, finished)
    return [_lay_out(script, language, done, store) for language in script.languages]


def _run_jobs(script: Script, pending: list[_Job], jobs: int, progress: Progress,
              finished: Callable[[_Job, _Rendered], None]) -> None:
    """Render every job, handing each to `finished` as it completes (in any order)."""
    if jobs <= 1 or len(pending) <= 1:
        for job in pending:
            finished(job, _render_job(script, job))
            progress.advance()
        return
    # Separate processes: pydub and the espeak-ng library hold the GIL. Forked, where this process runs
    # no other thread (the CLI's case), so that the workers share its imported libraries (scipy.signal
    # alone is some 60 MB a process) instead of importing their own; spawned otherwise, since a fork
    # copies only the forking thread and could inherit a lock another thread held.
    # The filters the meter and the limiter import on first use, imported here, for the workers to share.
    importlib.import_module("scipy.signal")
    importlib.import_module("scipy.ndimage")
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    level = logging.getLogger("radiokit").getEffectiveLevel()
    with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context, initializer=_start_worker,
                             initargs=(level, audio_io.probed())) as pool:
        futures = {pool.submit(_render_job, script, job): job for job in pending}
        for future in as_completed(futures):
            finished(futures[future], future.result())  # a failed segment stops the build now, with its own error
            progress.advance()


@contextmanager
def _measuring_workers(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """Processes that decode and measure the encoded files, forked now, while this process runs one thread
    (see _run_jobs): threads measuring side by side reached 1.7 of 2 cores, the meter's own Python holding
    the GIL. None (threads will measure) for one job, or where a fork would not be safe."""
    if jobs <= 1 or threading.active_count() > 1:
        yield None
        return
    level = logging.getLogger("radiokit").getEffectiveLevel()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=show_log, initargs=(level,)) as workers:
        workers.submit(int).result()  # the first task forks every worker: before mastering starts its threads
        yield workers


def _start_worker(log_level: int, probes: dict[tuple[Path, int, int], audio_io.StreamInfo]) -> None:
    """A rendering process logs as the build does, knows the sources the build has probed already, and
    gives back the memory of each segment once it is written."""
    show_log(log_level)
    audio_io.remember_probes(probes)
    _return_freed_memory()


def _return_freed_memory() -> None:
    """glibc's adaptive mmap threshold rises to the size of the audio buffers once they have been freed,
    after which it serves them from the heap and, with its trim threshold rising to match, may keep the
    freed memory: some 150 MB a rendering process was measured to hold. Mapping every buffer on its own
    instead (a 1 MiB threshold) returned it all, but every new buffer then faulted its pages in afresh:
    10 s of system time an hour of audio. Fixed thresholds do both: buffers up to 64 MiB (a minute of
    stereo float64) come from the heap and are reused, and free memory past 16 MiB at its top goes back."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 64 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 16 << 20)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator keeps its own ways


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h


def _lay_out(script: Script, language: str, done: dict[tuple[str, int], _Rendered], store: Cache | None) -> _Version:
    segments = script.segments_for(language)
    rendered = [done[language, number] for number in range(1, len(segments) + 1)]
    rate = script.delivery.sample_rate
    gaps = [segment.gap_s if segment.gap_s is not None else script.delivery.gap_s for segment in segments]
    crossfades = [segment.crossfade_s for segment in segments]
    placed = timeline.place([r.wav for r in rendered], [r.frames for r in rendered], gaps, crossfades, rate,
                            [r.profile for r in rendered])
    notes = [f"{language}: {note}" for r in rendered for note in r.notes]
    for segment, item in zip(segments, placed, strict=True):
        if segment.crossfade_s and item.crossfade_frames < round(segment.crossfade_s * rate):
            notes.append(f"{language}: {segment.id}: crossfade shortened to {item.crossfade_frames / rate:.2f} s "
                         "to fit the segments it joins")
    stems = [f"{number:02d}-{segment.id}" for number, segment in enumerate(segments, start=1)]
    key = None
    if store:
        keys = [cache.segment_key(script, segment, language) for segment in segments]
        key = cache.version_key(script, language, keys, [stems, gaps, crossfades])
    return _Version(language, segments, stems, placed, [r.text for r in rendered], notes, key)


def _check_slot(script: Script, versions: list[_Version], force: bool) -> list[str]:
    """Every version must fit the slot (target_duration +- tolerance); with --force a miss is only noted."""
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


def _deliver_version(script: Script, version: _Version, folder: Path, store: Cache | None,
                     workers: ProcessPoolExecutor | None, progress: Progress) -> tuple[package.LanguageEntry, list[str]]:
    """Master, encode and measure one language version (or take it from the cache), then tag it."""
    language, segments, stems, placed = version.language, version.segments, version.stems, version.placed
    rate = script.delivery.sample_rate
    stem = f"{script.programme.slug}-{language}"
    (folder / "segments" / language).mkdir(parents=True)
    hit = store.load("versions", version.key) if store and version.key else None
    if hit:
        measured, gain_db, notes = _unpack_version(hit, folder)
    else:
        measured, gain_db, notes = _master_version(script, version, folder, stem, store, workers, progress)
        if store and version.key:
            _pack_version(store, version.key, folder, measured, gain_db, notes)

    entries: list[package.SegmentEntry] = []
    for number, (segment, name, item, text) in enumerate(zip(segments, stems, placed, version.texts, strict=True),
                                                         start=1):
        segment_mp3 = measured[folder / "segments" / language / f"{name}.mp3"]
        entries.append(package.SegmentEntry(
            index=number, id=segment.id, title=segment.title[language], kind=segment.kind,
            start_s=item.start_frame / rate, duration_s=item.frames / rate, text=text,
            clip_language=segment.clip_language, file=f"segments/{language}/{name}.mp3",
            integrated_lufs=segment_mp3.integrated_lufs, true_peak_dbtp=segment_mp3.true_peak_dbtp))
    final = measured[folder / f"{stem}.mp3"]
    entry = package.LanguageEntry(
        language=language, file=f"{stem}.mp3", duration_s=final.duration_s,
        integrated_lufs=final.integrated_lufs, true_peak_dbtp=final.true_peak_dbtp,
        loudness_range_lu=final.loudness_range_lu, gain_db=gain_db, segments=tuple(entries))
    tag.tag_language(script, language, folder, entry)
    return entry, notes


def _master_version(script: Script, version: _Version, folder: Path, stem: str, store: Cache | None,
                    workers: ProcessPoolExecutor | None,
                    progress: Progress) -> tuple[dict[Path, Loudness], float, list[str]]:
    """Every delivered file of one language, untagged, with what each measures after encoding. With a cache,
    the gain the last build of this version settled on is kept where it can be (master.deliver), and the
    segment files it encoded are used again where their audio is the same."""
    delivery = script.delivery
    rate, channels = delivery.sample_rate, delivery.channels
    language, segments, stems, placed = version.language, version.segments, version.stems, version.placed
    notes: list[str] = []
    progress.start(f"{language}: mastering", 1 + len(delivery.formats))
    rendered = master.measure_rendered(placed, rate)
    progress.advance()
    created = dt.datetime.now()
    measured: dict[Path, Loudness] = {}
    final_gains_db: dict[str, float] = {}
    for fmt in delivery.formats:
        suffix = encode.SUFFIXES[fmt]
        programme = encode.Output(folder / f"{stem}{suffix}", fmt,
                                  bext=_bext(script, script.programme.title.get(language, ""), stem, created))
        segment_files = [encode.Output(folder / "segments" / language / f"{name}{suffix}", fmt, item.start_frame,
                                       item.start_frame + item.frames,
                                       _bext(script, segment.title[language], f"{stem}-{name}", created))
                         for segment, name, item in zip(segments, stems, placed, strict=True)]
        held_key = cache.held_key(script, language, fmt)
        done = master.deliver(placed, rendered, programme, segment_files, delivery.profile, rate, channels,
                              delivery.bitrate_kbps, held=cache.load_held(store, held_key) if store else None,
                              encodes=cache.KeptEncodes(store, rate, channels, delivery.bitrate_kbps) if store else None,
                              workers=workers)
        if store:
            cache.keep_held(store, held_key, done.held)
        if done.reused:
            _log.info("%s %s: the last build's gain kept; %d of %d segment files unchanged, not encoded again",
                      language, fmt, done.reused, len(segment_files))
        measured.update(done.measured)
        final_gains_db[fmt] = done.gain_db
        progress.advance()
        if fmt == "mp3" and done.limited_s:
            notes.append(f"{language}: the limiter held true peaks under {delivery.profile.true_peak_dbtp:.1f} dBTP "
                         f"for {done.limited_s:.1f} s (at most {done.max_limiting_db:.1f} dB)")
    for path, loudness in measured.items():
        if path.suffix == ".wav":
            bwf.write_loudness(path, loudness)
    return measured, final_gains_db["mp3"], notes


def _pack_version(store: Cache, key: str, folder: Path, measured: dict[Path, Loudness], gain_db: float,
                  notes: list[str]) -> None:
    """Keep the untagged files and their figures; tags are written fresh on every build."""
    names = {path.relative_to(folder).as_posix().replace("/", "__"): path for path in measured}
    figures = {name: dataclasses.astuple(measured[path]) for name, path in names.items()}
    store.store("versions", key, names, {"measured": figures, "gain_db": gain_db, "notes": notes})


def _unpack_version(hit: tuple[Path, dict], folder: Path) -> tuple[dict[Path, Loudness], float, list[str]]:
    entry, data = hit
    measured = {}
    for name, figures in data["measured"].items():
        path = folder / name.replace("__", "/")
        shutil.copyfile(entry / name, path)
        measured[path] = Loudness(*figures)
    return measured, data["gain_db"], data["notes"]


def _bext(script: Script, title: str, reference: str, created: dt.datetime) -> bwf.BextInfo:
    delivery = script.delivery
    mode = "mono" if delivery.channels == 1 else "stereo"
    return bwf.BextInfo(
        description=ascii_text(f"{script.programme.series}: {title}")[:256], originator="radiokit",
        originator_reference=reference[:32], origination=created,
        coding_history=f"A=PCM,F={delivery.sample_rate},W=16,M={mode},T=radiokit {__version__}")
