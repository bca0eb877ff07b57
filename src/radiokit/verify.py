"""`radiokit verify`: a station's check of a package before it airs.

The manifest is not trusted on its own: every file is hashed, every MP3 decoded to its end, its tags
and chapters read, and its loudness measured, so a package whose manifest was made consistent with
damaged audio (stripped tags, a re-encode 8 dB too loud) is still caught.
"""

from __future__ import annotations

import json
import stat
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mutagen.id3 import ID3, ID3NoHeaderError

from radiokit.errors import AudioInputError, InputError
from radiokit.loudness import Loudness
from radiokit.master import measure_file
from radiokit.package import MANIFEST_FORMAT, sha256

AUDIO_SUFFIXES = (".mp3", ".mp2", ".wav")
LOUDNESS_TOLERANCE_LU = 0.5  # EBU R128's tolerance for a programme's integrated loudness
DURATION_TOLERANCE_S = 0.05
CHAPTER_TOLERANCE_S = 0.01
REQUIRED_FRAMES = ("TIT2", "TALB", "TPE1", "TLAN")


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...]
    files_checked: int

    @property
    def fit_to_air(self) -> bool:
        return not self.problems


def verify(package: Path) -> Verdict:
    """Check a package zip (or an unzipped package folder)."""
    if package.is_dir():
        return _verify_folder(package, [])
    if not package.is_file():
        raise InputError(f"{package}: no such file")
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{package}: not a zip file ({exc}): is it the package radiokit wrote?") from None
    with archive, tempfile.TemporaryDirectory(prefix="radiokit-verify-") as scratch:
        problems = _extract_safely(archive, Path(scratch))
        tops = [p for p in Path(scratch).iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise InputError(f"{package}: expected one top folder <slug>/ in the zip, found {len(tops)}")
        return _verify_folder(tops[0], problems)


def _extract_safely(archive: zipfile.ZipFile, into: Path) -> list[str]:
    """Extract only plain files whose names stay inside `into`; every other entry is a problem."""
    problems = []
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
            problems.append(f"{info.filename}: entry leaves the package folder (absolute path or '..'); "
                            "it was not extracted")
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(f"{info.filename}: entry is a symbolic link; it was not extracted")
            continue
        if not info.is_dir():
            target = into.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, target.open("wb") as sink:
                while block := source.read(1 << 20):
                    sink.write(block)
    return problems


def _verify_folder(folder: Path, problems: list[str]) -> Verdict:
    manifest = _read_manifest(folder)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    problems = list(problems)
    for relative, entry in listed.items():
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: listed in the manifest but missing")
        elif path.stat().st_size != entry["size"]:
            problems.append(f"{relative}: {path.stat().st_size} bytes, the manifest says {entry['size']}")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"{relative}: checksum differs from the manifest (the file was changed or damaged)")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative not in listed and relative != "manifest.json":
            problems.append(f"{relative}: not in the manifest" + (" (unlisted audio)" if path.suffix in AUDIO_SUFFIXES
                                                                   else ""))
    problems += _check_audio(folder, manifest, listed)
    return Verdict(tuple(problems), len(listed))


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(f"{folder.name}/manifest.json: missing: this is not a radiokit package, or it is incomplete")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{folder.name}/manifest.json: not readable JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise InputError(f"{folder.name}/manifest.json: format {found!r}, expected {MANIFEST_FORMAT!r}")
    missing = [key for key in ("files", "languages", "delivery") if key not in manifest]
    if missing:
        raise InputError(f"{folder.name}/manifest.json: incomplete: no {', '.join(missing)}")
    return manifest


def _check_audio(folder: Path, manifest: dict[str, Any], listed: dict[str, Any]) -> list[str]:
    """Decode, tag and loudness checks for every MP3 the manifest names."""
    delivery = manifest["delivery"]
    expected: dict[str, tuple[float, list[dict[str, Any]] | None]] = {}  # file -> (duration, chapters or None)
    for language in manifest["languages"].values():
        expected[language["file"]] = (language["duration_s"], language["segments"])
        for segment in language["segments"]:
            expected[segment["file"]] = (segment["duration_s"], None)
    present = [name for name in expected if (folder / name).is_file() and name in listed]
    with ThreadPoolExecutor() as pool:
        measured = dict(zip(present, pool.map(
            lambda name: _measure(folder / name, delivery["sample_rate"], delivery["channels"]), present)))
    problems = []
    for name in present:
        duration_s, chapters = expected[name]
        loudness = measured[name]
        if isinstance(loudness, str):
            problems.append(f"{name}: {loudness}")
            continue
        if abs(loudness.duration_s - duration_s) > DURATION_TOLERANCE_S:
            problems.append(f"{name}: decodes to {loudness.duration_s:.2f} s, the manifest says {duration_s:.2f} s")
        if loudness.true_peak_dbtp > delivery["true_peak_dbtp"]:
            problems.append(f"{name}: true peak {loudness.true_peak_dbtp:.1f} dBTP, over the "
                            f"{delivery['true_peak_dbtp']:.1f} dBTP ceiling")
        if chapters is not None and not abs(loudness.integrated_lufs - delivery["integrated_lufs"]) <= LOUDNESS_TOLERANCE_LU:
            problems.append(f"{name}: {loudness.integrated_lufs:.1f} LUFS, the profile asks "
                            f"{delivery['integrated_lufs']:.1f} +-{LOUDNESS_TOLERANCE_LU} LUFS")
        problems += [f"{name}: {problem}" for problem in _check_tags(folder / name, chapters)]
    return problems


def _measure(path: Path, sample_rate: int, channels: int) -> Loudness | str:
    try:
        return measure_file(path, sample_rate, channels)
    except AudioInputError:
        return "does not decode to its end (truncated or damaged)"


def _check_tags(path: Path, chapters: list[dict[str, Any]] | None) -> list[str]:
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        return ["has no ID3 tag (title, series, presenter, language, chapters)"]
    problems = [f"no {frame} frame" for frame in REQUIRED_FRAMES if not tags.getall(frame)]
    if chapters is None:
        if not tags.getall("TRCK"):
            problems.append("no TRCK frame (segment number)")
        return problems
    if not tags.getall("TXXX:LOUDNESS_LUFS"):
        problems.append("no TXXX:LOUDNESS_LUFS frame")
    found = sorted((frame.start_time / 1000 for frame in tags.getall("CHAP")))
    if len(found) != len(chapters):
        problems.append(f"{len(found)} chapters, the manifest lists {len(chapters)} segments")
    elif any(abs(start - s["start_s"]) > CHAPTER_TOLERANCE_S for start, s in zip(found, chapters)):
        problems.append("chapter times differ from the manifest's segment times")
    if not tags.getall("CTOC"):
        problems.append("no CTOC frame (table of contents for the chapters)")
    return problems
