"""The build, stage by stage: script -> render -> master -> encode -> tag -> package."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from radiokit import __version__, audio_io, bwf, encode, master, package, tag
from radiokit.loudness import Loudness
from radiokit.render import render
from radiokit.script import Script, Segment, Voice, ascii_text, load_script


@dataclass(frozen=True)
class BuildOptions:
    out: Path = Path("build")
    allow_outside: tuple[Path, ...] = ()
    offline: bool = False  # speak gtts voices with espeak instead of going online


@dataclass(frozen=True)
class BuildReport:
    slug: str
    folder: Path
    zip_path: Path
    languages: tuple[package.LanguageEntry, ...]
    notes: tuple[str, ...]
    elapsed_s: float


def build(script_path: Path, options: BuildOptions, say: Callable[[str], None] = lambda _: None) -> BuildReport:
    """Build every language version of the script into a package under `options.out`."""
    started = time.monotonic()
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
        entries: list[package.LanguageEntry] = []
        notes: list[str] = []
        for language in script.languages:
            say(f"{language}: rendering {len(script.segments_for(language))} segments")
            entry, language_notes = _build_language(script, language, folder, work / language)
            entries.append(entry)
            notes += language_notes
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
                       time.monotonic() - started)


def _offline(script: Script) -> Script:
    voices = {name: {lang: (Voice("espeak", lang, v.rate, v.pitch, v.volume) if v.engine == "gtts" else v)
                     for lang, v in per_language.items()}
              for name, per_language in script.voices.items()}
    return dataclasses.replace(script, voices=voices)


def _build_language(script: Script, language: str, folder: Path,
                    work: Path) -> tuple[package.LanguageEntry, list[str]]:
    delivery = script.delivery
    rate, channels = delivery.sample_rate, delivery.channels
    work.mkdir()
    segments = script.segments_for(language)
    stems = [f"{number:02d}-{segment.id}" for number, segment in enumerate(segments, start=1)]
    placed, texts, notes = _render_segments(script, language, segments, stems, work)
    measured = master.measure_stream(master.stream(placed, channels), rate, channels)
    gain_db = master.programme_gain_db(measured, delivery.profile.integrated_lufs)

    stem = f"{script.programme.slug}-{language}"
    (folder / "segments" / language).mkdir(parents=True)
    created = dt.datetime.now()
    measured: dict[Path, Loudness] = {}
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
        if fmt == "mp3":
            gain_db = done.gain_db
        if fmt == "mp3" and done.limited_s:
            notes.append(f"{language}: the limiter held true peaks under {delivery.profile.true_peak_dbtp:.1f} dBTP "
                         f"for {done.limited_s:.1f} s (at most {done.max_limiting_db:.1f} dB)")
    for path, loudness in measured.items():
        if path.suffix == ".wav":
            bwf.write_loudness(path, loudness)

    entries: list[package.SegmentEntry] = []
    for number, (segment, name, item, text) in enumerate(zip(segments, stems, placed, texts, strict=True), start=1):
        entries.append(package.SegmentEntry(
            index=number, id=segment.id, title=segment.title[language], kind=segment.kind,
            start_s=item.start_frame / rate, duration_s=item.frames / rate, text=text,
            clip_language=segment.clip_language, file=f"segments/{language}/{name}.mp3",
            integrated_lufs=measured[folder / "segments" / language / f"{name}.mp3"].integrated_lufs))
    final = measured[folder / f"{stem}.mp3"]
    entry = package.LanguageEntry(
        language=language, file=f"{stem}.mp3", duration_s=final.duration_s,
        integrated_lufs=final.integrated_lufs, true_peak_dbtp=final.true_peak_dbtp,
        loudness_range_lu=final.loudness_range_lu, gain_db=gain_db, segments=tuple(entries))
    tag.tag_language(script, language, folder, entry)
    return entry, notes


def _bext(script: Script, title: str, reference: str, created: dt.datetime) -> bwf.BextInfo:
    delivery = script.delivery
    mode = "mono" if delivery.channels == 1 else "stereo"
    return bwf.BextInfo(
        description=ascii_text(f"{script.programme.series}: {title}")[:256], originator="radiokit",
        originator_reference=reference[:32], origination=created,
        coding_history=f"A=PCM,F={delivery.sample_rate},W=16,M={mode},T=radiokit {__version__}")


def _render_segments(script: Script, language: str, segments: tuple[Segment, ...], stems: list[str],
                     work: Path) -> tuple[list[master.Placed], list[str], list[str]]:
    """Render each segment to a WAV in `work` (one in memory at a time) and lay them on the timeline."""
    wavs, frame_counts, texts = [], [], []
    notes = [f"{language}: {segment.id}: crossfade is not built yet; the segment follows its gap"
             for segment in segments if segment.crossfade_s]
    for segment, stem in zip(segments, stems, strict=True):
        rendered = render(script, segment, language)
        wav = work / f"{stem}.wav"
        audio_io.write_wav(wav, rendered.audio)
        wavs.append(wav)
        frame_counts.append(int(rendered.audio.frame_count()))
        texts.append(rendered.spoken_text)
        notes += [f"{language}: {note}" for note in rendered.notes]
    gaps = [segment.gap_s if segment.gap_s is not None else script.delivery.gap_s for segment in segments]
    return master.place(wavs, frame_counts, gaps, script.delivery.sample_rate), texts, notes
