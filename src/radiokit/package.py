"""The station package: transcripts, rundown, preview page, manifest with checksums, and the zip."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path
from typing import Sequence

from radiokit import preview, transcript
from radiokit.display import clock, figure
from radiokit.files import image_mime
from radiokit.manifest import NAME as MANIFEST
from radiokit.manifest import COVER, DeliveryRecord, FileRecord, LanguageEntry, Manifest, ProgrammeRecord, StationEntry
from radiokit.manifest import companion_files
from radiokit.script import Script
from radiokit.tag import programme_chapters
from radiokit.transcript import edge_words

CHAPTERS_VERSION = "1.2.0"  # Podcasting 2.0's JSON chapters format


RUNDOWN_COLUMNS = ("language", "index", "id", "title", "kind", "start", "duration", "end", "in_words", "out_words",
                   "loudness_lufs")


def write_rundown(folder: Path, script: Script, entries: Sequence[LanguageEntry]) -> None:
    with (folder / "rundown.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RUNDOWN_COLUMNS)
        for entry in entries:
            for seg in entry.segments:
                first, last = edge_words(seg.text)
                writer.writerow([entry.language, seg.index, seg.id, seg.title, seg.kind, f"{seg.start_s:.3f}",
                                 f"{seg.duration_s:.3f}", f"{seg.start_s + seg.duration_s:.3f}", first, last,
                                 figure(seg.integrated_lufs)])
    lines: list[str] = []
    target = script.delivery.target_duration_s
    for entry in entries:
        lines.append(f"{script.programme.title.get(entry.language, '')} [{entry.language}]")
        slot = ""
        if target is not None:
            slot = f"  slot {clock(target)} ({'+' if entry.duration_s >= target else ''}{entry.duration_s - target:.1f} s)"
        lines.append(f"duration {clock(entry.duration_s)}{slot}  loudness {entry.integrated_lufs:.1f} LUFS  "
                     f"true peak {entry.true_peak_dbtp:.1f} dBTP")
        lines.append(f"{'#':>3}  {'start':>8}  {'length':>7}  {'end':>8}  {'LUFS':>5}  title / in ... out")
        for seg in entry.segments:
            first, last = edge_words(seg.text)
            words = f"  \"{first} ... {last}\"" if first else ""
            lines.append(f"{seg.index:>3}  {clock(seg.start_s):>8}  {clock(seg.duration_s):>7}  "
                         f"{clock(seg.start_s + seg.duration_s):>8}  {figure(seg.integrated_lufs, silence='-'):>5}  "
                         f"{seg.title}{words}")
        lines.append("")
    (folder / "rundown.txt").write_text("\n".join(lines), encoding="utf-8")


def write_manifest(folder: Path, script: Script, entries: Sequence[LanguageEntry],
                   stations: Sequence[StationEntry] = ()) -> None:
    """The package's contents with sizes and checksums, and each language's programme and segments with
    their times and loudness (docs/manifest.md)."""
    programme, delivery = script.programme, script.delivery
    files = tuple(FileRecord.of(folder, path) for path in sorted(folder.rglob("*"))
                  if path.is_file() and path.name != MANIFEST)
    Manifest(
        slug=programme.slug,
        programme=ProgrammeRecord(
            series=programme.series, title=programme.title, presenter=programme.presenter,
            description=programme.description, funder=programme.funder, episode=programme.episode,
            date=programme.date.isoformat() if programme.date else None, publisher=programme.publisher,
            copyright=programme.copyright, artwork=image_mime(programme.artwork) if programme.artwork else None),
        delivery=DeliveryRecord(
            profile=delivery.profile.name, integrated_lufs=delivery.profile.integrated_lufs,
            true_peak_dbtp=delivery.profile.true_peak_dbtp, sample_rate=delivery.sample_rate,
            channels=delivery.channels, bitrate_kbps=delivery.bitrate_kbps, id3_version=delivery.id3_version,
            target_duration_s=delivery.target_duration_s),
        languages=tuple(entries), files=files, stations=tuple(stations), feed=script.feed).write(folder)


def write_chapters(folder: Path, entry: LanguageEntry) -> None:
    """The programme's chapters as Podcasting 2.0 JSON chapters: the same list as its ID3 chapters, with the
    segments' full titles (ID3 shortens them to fit its frames)."""
    chapters = [{"startTime": mark.start_ms / 1000, "endTime": mark.end_ms / 1000, "title": mark.title}
                for mark in programme_chapters(entry)]
    data = {"version": CHAPTERS_VERSION, "chapters": chapters}
    (folder / companion_files(entry.language)["chapters"]).write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_package(folder: Path, zip_path: Path, script: Script, entries: Sequence[LanguageEntry],
                  stations: Sequence[StationEntry] = ()) -> None:
    """Everything beside the audio, then the manifest over all of it, then the zip of the whole."""
    for entry in entries:
        transcript.write_text(folder, script, entry)
        transcript.write_vtt(folder, entry)
        write_chapters(folder, entry)
    if script.programme.artwork:  # for the feed's image: the MP3s carry it inside already
        shutil.copyfile(script.programme.artwork, folder / f"{COVER}{script.programme.artwork.suffix.lower()}")
    write_rundown(folder, script, entries)
    preview.write_index(folder, script, entries)
    write_manifest(folder, script, entries, stations)
    write_zip(folder, zip_path)


def write_zip(folder: Path, zip_path: Path) -> None:
    """Every file of the package under one top folder named after the slug; MP3s stored, text deflated."""
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            compress = zipfile.ZIP_STORED if path.suffix in (".mp3", ".mp2") else zipfile.ZIP_DEFLATED
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}", compress_type=compress)
