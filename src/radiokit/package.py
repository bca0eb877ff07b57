"""The station package: transcripts, rundown, manifest with checksums, zip; moved into place whole."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import math
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from radiokit import __version__
from radiokit.script import Script

MANIFEST_FORMAT = "radiokit-package/1"
LANGUAGE_NAMES = {"ru": "Russian", "tg": "Tajik"}


@dataclass(frozen=True)
class SegmentEntry:
    index: int  # position within this language's programme, from 1
    id: str
    title: str
    kind: str
    start_s: float
    duration_s: float
    text: str  # as spoken ("" for music, silence and untranslated clips)
    clip_language: str | None
    file: str  # relative to the package folder
    integrated_lufs: float  # as encoded; -inf for silence
    true_peak_dbtp: float


@dataclass(frozen=True)
class LanguageEntry:
    language: str
    file: str
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    loudness_range_lu: float
    gain_db: float
    segments: tuple[SegmentEntry, ...]


def clock(seconds: float, decimals: int = 1) -> str:
    """`m:ss.s` below an hour, `h:mm:ss.s` above it."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    width = 3 + decimals if decimals else 2
    secs_text = f"{secs:0{width}.{decimals}f}"
    if secs_text.startswith("60"):  # rounding up to the next minute
        minutes, secs_text = minutes + 1, f"{0:0{width}.{decimals}f}"
    if hours:
        return f"{sign}{int(hours)}:{int(minutes):02d}:{secs_text}"
    return f"{sign}{int(minutes)}:{secs_text}"


def edge_words(text: str, count: int = 4) -> tuple[str, str]:
    """The first and last few words of a spoken segment (in-words and out-words of a rundown)."""
    words = text.split()
    if not words:
        return "", ""
    return " ".join(words[:count]), " ".join(words[-count:])


def segment_label(entry: SegmentEntry) -> str:
    if entry.kind == "music":
        return "[music]"
    if entry.kind == "silence":
        return "[silence]"
    if entry.kind == "clip" and not entry.text:
        return f"[interview in {LANGUAGE_NAMES.get(entry.clip_language or '', 'the original language')}]"
    return entry.text


def transcript_text(entry: LanguageEntry) -> str:
    """One block per segment: start time and title, then the words as spoken (or what is heard)."""
    return "\n\n".join(f"[{clock(seg.start_s)}] {seg.title}\n{segment_label(seg)}" for seg in entry.segments)


def write_transcript(folder: Path, script: Script, entry: LanguageEntry) -> Path:
    path = folder / f"transcript-{entry.language}.txt"
    title = script.programme.title.get(entry.language, script.programme.series)
    path.write_text(f"{title}\n\n{transcript_text(entry)}\n", encoding="utf-8")
    return path


def _vtt_time(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def write_vtt(folder: Path, entry: LanguageEntry) -> Path:
    """WebVTT captions: one cue per segment, ending where the next (perhaps crossfaded) one starts."""
    path = folder / f"transcript-{entry.language}.vtt"
    cues = ["WEBVTT", ""]
    for seg, after in zip(entry.segments, [*entry.segments[1:], None]):
        end = seg.start_s + seg.duration_s if after is None else min(seg.start_s + seg.duration_s, after.start_s)
        # A line break would end the cue; in cue text "&" and "<" start escapes and tags, and ">" would let
        # "-->" through, so all three are written as character references.
        text = html.escape(" ".join(f"{seg.title}: {segment_label(seg)}".split()), quote=False)
        cues += [str(seg.index), f"{_vtt_time(seg.start_s)} --> {_vtt_time(end)}", text, ""]
    path.write_text("\n".join(cues), encoding="utf-8")
    return path


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
                                 _figure(seg.integrated_lufs)])
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
                         f"{clock(seg.start_s + seg.duration_s):>8}  {_figure(seg.integrated_lufs) or '-':>5}  "
                         f"{seg.title}{words}")
        lines.append("")
    (folder / "rundown.txt").write_text("\n".join(lines), encoding="utf-8")


def _figure(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else ""


def _json_figure(value: float) -> float | None:
    """JSON has no infinities: silence (-inf LUFS, -inf dBTP) is null."""
    return round(value, 2) if math.isfinite(value) else None


def artwork_mime(path: Path) -> str:
    return "image/png" if path.suffix.lower() == ".png" else "image/jpeg"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, script: Script, entries: Sequence[LanguageEntry]) -> None:
    """The package's contents with sizes and checksums, and each language's programme and segments with
    their times and loudness (docs/manifest.md)."""
    programme = script.programme
    files = {p.relative_to(folder).as_posix(): {"path": p.relative_to(folder).as_posix(), "size": p.stat().st_size,
                                                "sha256": sha256(p)}
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}

    def checked(path: str) -> dict[str, object]:
        return {"file": path, "size": files[path]["size"], "sha256": files[path]["sha256"]}
    manifest = {
        "format": MANIFEST_FORMAT,
        "generator": f"radiokit {__version__}",
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "slug": programme.slug,
        "programme": {
            "series": programme.series, "title": dict(programme.title), "episode": programme.episode,
            "date": programme.date.isoformat() if programme.date else None,
            "presenter": dict(programme.presenter), "publisher": programme.publisher,
            "copyright": programme.copyright, "description": dict(programme.description),
            "funder": dict(programme.funder),
            "artwork": artwork_mime(programme.artwork) if programme.artwork else None,
        },
        "delivery": {
            "profile": script.delivery.profile.name,
            "integrated_lufs": script.delivery.profile.integrated_lufs,
            "true_peak_dbtp": script.delivery.profile.true_peak_dbtp,
            "sample_rate": script.delivery.sample_rate, "channels": script.delivery.channels,
            "bitrate_kbps": script.delivery.bitrate_kbps, "id3_version": script.delivery.id3_version,
            "target_duration_s": script.delivery.target_duration_s,
        },
        "languages": {
            entry.language: {
                **checked(entry.file), "duration_s": round(entry.duration_s, 3),
                "integrated_lufs": round(entry.integrated_lufs, 2), "true_peak_dbtp": round(entry.true_peak_dbtp, 2),
                "loudness_range_lu": round(entry.loudness_range_lu, 2),
                "segments": [
                    {"index": s.index, "id": s.id, "title": s.title, "kind": s.kind, "start_s": round(s.start_s, 3),
                     "duration_s": round(s.duration_s, 3), "end_s": round(s.start_s + s.duration_s, 3),
                     **checked(s.file), "integrated_lufs": _json_figure(s.integrated_lufs),
                     "true_peak_dbtp": _json_figure(s.true_peak_dbtp)}
                    for s in entry.segments
                ],
            }
            for entry in entries
        },
        "files": list(files.values()),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_zip(folder: Path, zip_path: Path) -> None:
    """Every file of the package under one top folder named after the slug; MP3s stored, text deflated."""
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            compress = zipfile.ZIP_STORED if path.suffix in (".mp3", ".mp2") else zipfile.ZIP_DEFLATED
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}", compress_type=compress)


def move_into_place(staged_folder: Path, staged_zip: Path, folder: Path, zip_path: Path) -> None:
    """Swap the new package in for the old one; the old one is whole until the new one is complete."""
    retired = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, retired)
    os.replace(staged_folder, folder)
    os.replace(staged_zip, zip_path)
    shutil.rmtree(retired, ignore_errors=True)
