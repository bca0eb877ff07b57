"""The build, stage by stage: script -> render -> master -> encode -> tag -> package."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from radiokit import audio_io, encode, master, package, tag
from radiokit.errors import BuildError
from radiokit.loudness import Loudness, measure
from radiokit.render import render
from radiokit.script import Script, Segment, Voice, load_script

# The encoded programme must measure within this of the target, or the build fails.
LOUDNESS_TOLERANCE_LU = 0.5
# Above this error after encoding, the programme is encoded once more with a corrected gain.
CORRECTION_THRESHOLD_LU = 0.1


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

    programme_file = folder / f"{script.programme.slug}-{language}.mp3"
    gain_db, final, duration_s = _encode_programme(programme_file, placed, script, gain_db)
    gain = np.float32(10 ** (gain_db / 20))
    for fmt in delivery.formats:
        if fmt != "mp3":
            _encode_stream(folder / f"{programme_file.stem}{encode.SUFFIXES[fmt]}", fmt, placed, script, gain_db)

    segment_folder = folder / "segments" / language
    segment_folder.mkdir(parents=True)
    entries: list[package.SegmentEntry] = []
    for number, (segment, stem, item, text) in enumerate(zip(segments, stems, placed, texts, strict=True), start=1):
        frames = audio_io.read_wav(item.wav) * gain
        for fmt in delivery.formats:
            encode.encode_array(segment_folder / f"{stem}{encode.SUFFIXES[fmt]}", fmt, frames, rate,
                                delivery.bitrate_kbps)
        entries.append(package.SegmentEntry(
            index=number, id=segment.id, title=segment.title[language], kind=segment.kind,
            start_s=item.start_frame / rate, duration_s=item.frames / rate, text=text,
            clip_language=segment.clip_language, file=f"segments/{language}/{stem}.mp3",
            integrated_lufs=measure(frames, rate).integrated_lufs))
    entry = package.LanguageEntry(
        language=language, file=programme_file.name, duration_s=duration_s,
        integrated_lufs=final.integrated_lufs, true_peak_dbtp=final.true_peak_dbtp,
        loudness_range_lu=final.loudness_range_lu, gain_db=gain_db, segments=tuple(entries))
    tag.tag_language(script, language, folder, entry)
    return entry, notes


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


def _encode_stream(path: Path, fmt: str, placed: list[master.Placed], script: Script, gain_db: float) -> None:
    delivery = script.delivery
    with encode.Encoder(path, fmt, delivery.sample_rate, delivery.channels, delivery.bitrate_kbps) as encoder:
        for block in master.stream(placed, delivery.channels, 10 ** (gain_db / 20)):
            encoder.write(block)


def _encode_programme(path: Path, placed: list[master.Placed], script: Script,
                      gain_db: float) -> tuple[float, Loudness, float]:
    """Encode the MP3 and measure what was encoded; correct the gain once if the codec moved the loudness.

    The MP3 low-pass removes energy that K-weighting counts (noise, sibilants, cymbals), so the encoded
    file can read a few tenths of a LU below the PCM it came from.
    """
    rate, channels = script.delivery.sample_rate, script.delivery.channels
    target = script.delivery.profile.integrated_lufs
    for attempt in range(2):
        _encode_stream(path, "mp3", placed, script, gain_db)
        final = master.measure_stream(audio_io.stream_float(path, rate, channels), rate, channels)
        error = target - final.integrated_lufs if np.isfinite(final.integrated_lufs) else 0.0
        if abs(error) <= CORRECTION_THRESHOLD_LU or attempt == 1:
            break
        gain_db += error
    if not np.isfinite(final.integrated_lufs) or abs(target - final.integrated_lufs) > LOUDNESS_TOLERANCE_LU:
        raise BuildError(f"{path.name}: measures {final.integrated_lufs:.1f} LUFS after encoding, "
                         f"target {target:.1f}: the programme may be silent or clipped")
    return gain_db, final, final.duration_s
