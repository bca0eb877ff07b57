"""The build, stage by stage: script -> render -> master -> encode -> tag -> package."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from radiokit import __version__, audio_io, bwf, encode, master, package, tag, timeline
from radiokit.errors import BuildError
from radiokit.loudness import Loudness
from radiokit.package import clock
from radiokit.progress import Progress, Silent
from radiokit.render import render
from radiokit.script import Script, Segment, Voice, ascii_text, load_script


@dataclass(frozen=True)
class BuildOptions:
    out: Path = Path("build")
    allow_outside: tuple[Path, ...] = ()
    offline: bool = False  # speak gtts voices with espeak instead of going online
    force: bool = False  # deliver even when a version misses its slot


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


def build(script_path: Path, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build every language version of the script into a package under `options.out`."""
    started = time.monotonic()
    progress = progress or Silent()
    script = load_script(script_path, options.allow_outside)
    if options.offline:
        script = _offline(script)
    created_out = not options.out.exists()
    options.out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".radiokit-", dir=options.out))
    succeeded = False
    try:
        folder = staging / script.programme.slug
        folder.mkdir()
        work = staging / "work"
        work.mkdir()
        versions: list[_Version] = []
        for language in script.languages:
            versions.append(_render_version(script, language, work / language, progress))
        notes = [note for version in versions for note in version.notes]
        notes += _check_slot(script, versions, options.force)
        entries: list[package.LanguageEntry] = []
        for version in versions:
            entry, mastering_notes = _deliver_version(script, version, folder, progress)
            entries.append(entry)
            notes += mastering_notes
        for entry in entries:
            package.write_transcript(folder, script, entry)
        package.write_rundown(folder, script, entries)
        package.write_manifest(folder, script, entries)
        staged_zip = staging / f"{script.programme.slug}.zip"
        package.write_zip(folder, staged_zip)
        final = options.out / script.programme.slug
        zip_path = options.out / f"{script.programme.slug}.zip"
        package.move_into_place(folder, staged_zip, final, zip_path)
        succeeded = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created_out and not succeeded:
            shutil.rmtree(options.out, ignore_errors=True)  # a failed first build leaves no trace
    return BuildReport(script.programme.slug, final, zip_path, tuple(entries), tuple(notes),
                       time.monotonic() - started, script.delivery.target_duration_s)


def _offline(script: Script) -> Script:
    voices = {name: {lang: (Voice("espeak", lang, v.rate, v.pitch, v.volume) if v.engine == "gtts" else v)
                     for lang, v in per_language.items()}
              for name, per_language in script.voices.items()}
    return dataclasses.replace(script, voices=voices)


def _render_version(script: Script, language: str, work: Path, progress: Progress) -> _Version:
    """Render each segment to a WAV in `work` (one in memory at a time) and lay them on the timeline."""
    work.mkdir()
    segments = script.segments_for(language)
    progress.start(f"{language}: rendering", len(segments))
    stems = [f"{number:02d}-{segment.id}" for number, segment in enumerate(segments, start=1)]
    wavs, frame_counts, texts, notes = [], [], [], []
    for segment, stem in zip(segments, stems, strict=True):
        rendered = render(script, segment, language)
        wav = work / f"{stem}.wav"
        audio_io.write_wav(wav, rendered.audio)
        wavs.append(wav)
        frame_counts.append(int(rendered.audio.frame_count()))
        texts.append(rendered.spoken_text)
        notes += [f"{language}: {note}" for note in rendered.notes]
        progress.advance()
    rate = script.delivery.sample_rate
    gaps = [segment.gap_s if segment.gap_s is not None else script.delivery.gap_s for segment in segments]
    placed = timeline.place(wavs, frame_counts, gaps, [segment.crossfade_s for segment in segments], rate)
    for segment, item in zip(segments, placed, strict=True):
        if segment.crossfade_s and item.crossfade_frames < round(segment.crossfade_s * rate):
            notes.append(f"{language}: {segment.id}: crossfade shortened to {item.crossfade_frames / rate:.2f} s "
                         "to fit the segments it joins")
    return _Version(language, segments, stems, placed, texts, notes)


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


def _deliver_version(script: Script, version: _Version, folder: Path,
                     progress: Progress) -> tuple[package.LanguageEntry, list[str]]:
    """Master, encode, measure and tag one language version."""
    delivery = script.delivery
    rate, channels = delivery.sample_rate, delivery.channels
    language, segments, stems, placed = version.language, version.segments, version.stems, version.placed
    notes: list[str] = []
    progress.start(f"{language}: mastering", 1 + len(delivery.formats))
    measured_pcm = master.measure_stream(timeline.stream(placed, channels), rate, channels)
    gain_db = master.programme_gain_db(measured_pcm, delivery.profile.integrated_lufs)
    progress.advance()

    stem = f"{script.programme.slug}-{language}"
    (folder / "segments" / language).mkdir(parents=True)
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
        done = master.deliver(placed, programme, segment_files, delivery.profile, gain_db, rate, channels,
                              delivery.bitrate_kbps)
        measured.update(done.measured)
        final_gains_db[fmt] = done.gain_db
        progress.advance()
        if fmt == "mp3" and done.limited_s:
            notes.append(f"{language}: the limiter held true peaks under {delivery.profile.true_peak_dbtp:.1f} dBTP "
                         f"for {done.limited_s:.1f} s (at most {done.max_limiting_db:.1f} dB)")
    for path, loudness in measured.items():
        if path.suffix == ".wav":
            bwf.write_loudness(path, loudness)

    entries: list[package.SegmentEntry] = []
    for number, (segment, name, item, text) in enumerate(zip(segments, stems, placed, version.texts, strict=True),
                                                         start=1):
        entries.append(package.SegmentEntry(
            index=number, id=segment.id, title=segment.title[language], kind=segment.kind,
            start_s=item.start_frame / rate, duration_s=item.frames / rate, text=text,
            clip_language=segment.clip_language, file=f"segments/{language}/{name}.mp3",
            integrated_lufs=measured[folder / "segments" / language / f"{name}.mp3"].integrated_lufs))
    final = measured[folder / f"{stem}.mp3"]
    entry = package.LanguageEntry(
        language=language, file=f"{stem}.mp3", duration_s=final.duration_s,
        integrated_lufs=final.integrated_lufs, true_peak_dbtp=final.true_peak_dbtp,
        loudness_range_lu=final.loudness_range_lu, gain_db=final_gains_db["mp3"], segments=tuple(entries))
    tag.tag_language(script, language, folder, entry)
    return entry, notes


def _bext(script: Script, title: str, reference: str, created: dt.datetime) -> bwf.BextInfo:
    delivery = script.delivery
    mode = "mono" if delivery.channels == 1 else "stereo"
    return bwf.BextInfo(
        description=ascii_text(f"{script.programme.series}: {title}")[:256], originator="radiokit",
        originator_reference=reference[:32], origination=created,
        coding_history=f"A=PCM,F={delivery.sample_rate},W=16,M={mode},T=radiokit {__version__}")
