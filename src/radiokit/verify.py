"""`radiokit verify`: a station's check of a package before it airs.

The manifest is not trusted on its own: every file is hashed, every MP3 decoded to its end, its
audio checked against the CRC its encoder recorded, its tags and chapters read back and its
loudness measured, so a package whose manifest was made consistent with damaged audio (stripped
tags, a re-encode 8 dB too loud, a damaged frame) is still caught.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import numpy as np

from radiokit.errors import AudioInputError, InputError
from radiokit.loudness import Loudness
from radiokit.master import measure_file
from radiokit.package import MANIFEST_FORMAT, clock, sha256
from radiokit.script import PROFILES
from radiokit.tag import ISO_639_2, Chapter, ReadBack, chapter_marks, chapter_title, read_tags

AUDIO_SUFFIXES = (".mp3", ".mp2", ".wav")
LOUDNESS_TOLERANCE_LU = 0.5  # EBU R128's tolerance for a programme's integrated loudness
FIGURE_TOLERANCE = 0.5  # a file's measured loudness or true peak against the manifest's figure
TAG_FIGURE_TOLERANCE = 0.06  # a TXXX figure (one decimal) against the manifest's (two)
DURATION_TOLERANCE_S = 0.05
CHAPTER_TOLERANCE_MS = 10
FRAME_NAMES = {"TIT2": "title", "TALB": "series", "TPE1": "presenter", "TRCK": "track number", "TLAN": "language",
               "date": "date", "TPUB": "publisher", "TCOP": "copyright", "COMM": "description", "USLT": "transcript",
               "APIC": "cover art", "TXXX:FUNDER": "funder", "TXXX:LOUDNESS_LUFS": "measured loudness",
               "TXXX:TRUE_PEAK_DBTP": "measured true peak"}


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...]
    files_checked: int

    @property
    def fit_to_air(self) -> bool:
        return not self.problems


def verify(package: Path) -> Verdict:
    """Check a package zip (or an unzipped package folder); raises InputError when it cannot be read at all."""
    if package.is_dir():
        return _verify_folder(package, str(package), [], set())
    if not package.is_file():
        raise InputError(f"{package}: no such file: give the package's .zip, or its unzipped folder")
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{package}: not a zip file ({exc}): is it the package radiokit wrote? "
                         "Ask the producer to send it again") from None
    with archive, tempfile.TemporaryDirectory(prefix="radiokit-verify-") as scratch:
        folder, problems, skipped = _unpack(archive, Path(scratch), package)
        return _verify_folder(folder, str(package), problems, skipped)


# The zip


def _unpack(archive: zipfile.ZipFile, into: Path, package: Path) -> tuple[Path, list[str], set[str]]:
    """Extract the package folder's plain files under `into`, and nothing else. Every other entry is a
    problem: one that would land outside (absolute, `..`), a symbolic link, a second copy of a name, an
    entry beside the package folder, one that does not decompress to its recorded CRC."""
    homes = sorted({name.split("/")[0] for name in archive.namelist() if name.count("/") == 1
                    and name.endswith("/manifest.json") and not _leaves(name)})
    if not homes:
        raise InputError(f"{package}: no <slug>/manifest.json in the zip: this is not a radiokit package, or it is "
                         "incomplete; ask the producer for the whole zip")
    if len(homes) > 1:
        raise InputError(f"{package}: {len(homes)} package folders in one zip ({', '.join(homes)}): "
                         "unzip it and verify each folder on its own")
    home = homes[0]
    problems: list[str] = []
    skipped: set[str] = set()  # inside the package folder but not extracted
    extracted: set[str] = set()
    for info in archive.infolist():
        name = info.filename
        if _leaves(name):
            problems.append(f"{name}: entry could land outside the package folder (an absolute path, '..', a drive "
                            "or a backslash); it was not extracted")
            continue
        parts = PurePosixPath(name).parts
        inside = "/".join(parts[1:])
        if parts[0] != home or not (inside or info.is_dir()):
            problems.append(f"{name}: entry outside the package folder {home}/; it was not extracted")
        elif stat.S_ISLNK(info.external_attr >> 16):
            problems.append(f"{name}: entry is a symbolic link; it was not extracted")
            skipped.add(inside)
        elif info.is_dir():
            continue
        elif inside in extracted:
            problems.append(f"{name}: in the zip twice (unzip tools differ on which copy they keep); the first was "
                            "checked")
        else:
            extracted.add(inside)
            failure = _extract(archive, info, into.joinpath(*parts))
            if failure:
                if inside == "manifest.json":
                    raise InputError(f"{package}: {name}: {failure}: ask the producer to send the package again")
                problems.append(f"{name}: {failure}; it was not extracted")
                skipped.add(inside)
    return into / home, problems, skipped


def _leaves(name: str) -> bool:
    """Whether a relative path (a zip entry's, a manifest's) leads outside its folder, or is no path at all."""
    parts = PurePosixPath(name).parts
    return not parts or name.startswith("/") or ".." in parts or "\\" in name or ":" in parts[0]


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> str | None:
    """Copy one entry out; what went wrong, or None."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("wb") as sink:
            while block := source.read(1 << 20):
                sink.write(block)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a CRC or a compressed stream that does not match
        target.unlink(missing_ok=True)
        return f"damaged in the zip ({str(exc).split(' for file ')[0]})"
    except (NotImplementedError, RuntimeError) as exc:  # an unknown compression method, an encrypted entry
        target.unlink(missing_ok=True)
        return f"cannot be read ({exc})"
    except OSError as exc:
        return f"cannot be written to the temporary folder ({exc.strerror})"
    return None


# The manifest


@dataclass(frozen=True)
class _Claim:
    """A file with the size and checksum the manifest gives it, and where the manifest says so."""

    path: str
    size: int
    sha256: str
    where: str


@dataclass(frozen=True)
class _Audio:
    """An MP3 the manifest names, with what it must measure and carry."""

    path: str
    duration_s: float
    integrated_lufs: float | None  # None: silence
    true_peak_dbtp: float | None
    frames: dict[str, str]  # the frames it must carry, with their values
    chapters: list[Chapter] | None  # a programme's chapters; None for a segment

    @property
    def programme(self) -> bool:
        return self.chapters is not None


@dataclass(frozen=True)
class _Manifest:
    slug: str
    listed: dict[str, _Claim]  # the `files` list
    claims: list[_Claim]  # the copies of its entries beside each language's and segment's file
    audio: list[_Audio]
    profile: str
    integrated_lufs: float
    true_peak_dbtp: float
    sample_rate: int
    channels: int
    bitrate_kbps: int
    id3_version: str


class _Reader:
    """Typed access to the manifest's JSON: a value of the wrong type is named by its key path."""

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def fail(self, where: str, expected: str) -> InputError:
        return InputError(f"{self.shown}: manifest.json: {where}: expected {expected}: the manifest is damaged or "
                          "not radiokit's; ask the producer to send the package again")

    def value(self, node: Any, key: str, kind: type | tuple[type, ...], where: str, optional: bool = False) -> Any:
        """`node[key]`, of `kind`; `where` is the node's key path ("" at the top)."""
        if not isinstance(node, dict):
            raise self.fail(where or "the top level", "an object")
        found = node.get(key)
        if found is None and optional:
            return None
        # JSON true is a Python int, and NaN would pass every comparison: neither is a figure.
        if isinstance(found, bool) or not isinstance(found, kind) or (isinstance(found, float)
                                                                         and not math.isfinite(found)):
            raise self.fail(f"{where}.{key}" if where else key, _kind_name(kind))
        return found

    def number(self, node: Any, key: str, where: str) -> float:
        return float(self.value(node, key, (int, float), where))

    def figure(self, node: Any, key: str, where: str) -> float | None:
        """A loudness figure, where null stands for silence."""
        found = self.value(node, key, (int, float), where, optional=True)
        return None if found is None else float(found)

    def text(self, node: Any, key: str, where: str, language: str | None = None) -> str | None:
        """A string, or for a per-language map that language's string (None when absent)."""
        found = self.value(node, key, (str, dict), where, optional=True)
        if isinstance(found, dict):
            return self.value(found, language, str, f"{where}.{key}", optional=True) if language else None
        return found


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "a number", float: "a number", str: "a string", dict: "an object", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


def _read_manifest(folder: Path, shown: str) -> _Manifest:
    path = folder / "manifest.json"
    if path.is_symlink() or not path.is_file():
        raise InputError(f"{shown}: no manifest.json in {folder.name}/: this is not a radiokit package, or it is "
                         "incomplete; ask the producer for the whole package")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: manifest.json: not readable JSON ({exc}): ask the producer to send the "
                         "package again") from None
    read = _Reader(shown)
    found = data.get("format") if isinstance(data, dict) else None
    if found != MANIFEST_FORMAT:
        raise InputError(f"{shown}: manifest.json: format {found!r}, this radiokit reads {MANIFEST_FORMAT!r}: "
                         "is it a radiokit package? Use the radiokit version that made it")
    delivery = read.value(data, "delivery", dict, "")
    listed: dict[str, _Claim] = {}
    for number, entry in enumerate(read.value(data, "files", list, "")):
        claim = _claim(read, entry, "path", f"files[{number}]")
        listed[claim.path] = claim
    id3_version = read.value(delivery, "id3_version", str, "delivery")
    programme = read.value(data, "programme", dict, "")
    claims: list[_Claim] = []
    audio: list[_Audio] = []
    languages = read.value(data, "languages", dict, "")
    for language, entry in languages.items():
        where = f"languages.{language}"
        claims.append(_claim(read, entry, "file", where))
        segments = read.value(entry, "segments", list, where)
        marks, programme_chapters = [], []
        for number, segment in enumerate(segments):
            at = f"{where}.segments[{number}]"
            claims.append(_claim(read, segment, "file", at))
            title = read.value(segment, "title", str, at)
            marks.append((title, read.number(segment, "start_s", at), read.number(segment, "duration_s", at)))
            index = read.value(segment, "index", int, at)
            frames = _frames(read, programme, language, title, f"{index}/{len(segments)}")
            audio.append(_audio(read, segment, at, frames, None))
        if marks:
            titles, starts, durations = zip(*marks)
            programme_chapters = chapter_marks(titles, starts, durations)
        title = read.text(programme, "title", "programme", language) or read.text(programme, "series", "programme")
        frames = _frames(read, programme, language, title or "", read.text(programme, "episode", "programme"))
        audio.append(_audio(read, entry, where, frames, programme_chapters))
    return _Manifest(
        slug=read.value(data, "slug", str, ""), listed=listed, claims=claims, audio=audio,
        profile=read.value(delivery, "profile", str, "delivery"),
        integrated_lufs=read.number(delivery, "integrated_lufs", "delivery"),
        true_peak_dbtp=read.number(delivery, "true_peak_dbtp", "delivery"),
        sample_rate=read.value(delivery, "sample_rate", int, "delivery"),
        channels=read.value(delivery, "channels", int, "delivery"),
        bitrate_kbps=read.value(delivery, "bitrate_kbps", int, "delivery"), id3_version=id3_version)


def _claim(read: _Reader, entry: Any, key: str, where: str) -> _Claim:
    return _Claim(read.value(entry, key, str, where), read.value(entry, "size", int, where),
                  read.value(entry, "sha256", str, where), where)


def _audio(read: _Reader, entry: Any, where: str, frames: dict[str, str], chapters: list[Chapter] | None) -> _Audio:
    return _Audio(read.value(entry, "file", str, where), read.number(entry, "duration_s", where),
                  read.figure(entry, "integrated_lufs", where), read.figure(entry, "true_peak_dbtp", where), frames,
                  chapters)


def _frames(read: _Reader, programme: Any, language: str, title: str, track: str | None) -> dict[str, str]:
    """The frames `tag.tag_language` writes, with the values the manifest's programme section implies."""
    def text(key: str) -> str | None:
        return read.text(programme, key, "programme", language)
    values = {"TIT2": title, "TALB": text("series"), "TPE1": text("presenter"), "TRCK": track,
              "TLAN": ISO_639_2.get(language, "und"), "date": text("date"), "TPUB": text("publisher"),
              "TCOP": text("copyright"), "COMM": text("description"), "APIC": text("artwork"),
              "TXXX:FUNDER": text("funder")}
    return {frame: value for frame, value in values.items() if value}


# The checks


def _verify_folder(folder: Path, shown: str, problems: list[str], skipped: set[str]) -> Verdict:
    manifest = _read_manifest(folder, shown)
    problems = list(problems)
    if folder.name != manifest.slug:
        problems.append(f"{folder.name}/: the package folder's name differs from the manifest's slug {manifest.slug!r}")
    problems += _check_delivery(manifest)
    found_problems, present = _check_files(folder, manifest, skipped)
    problems += found_problems
    audio = [item for item in manifest.audio if item.path in present]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each file is an ffmpeg run and the meter
        for item, found in zip(audio, pool.map(lambda item: _inspect(folder / item.path, manifest), audio)):
            problems += [f"{item.path}: {problem}" for problem in _judge(item, found, manifest)]
    return Verdict(tuple(problems), len(manifest.listed))


def _check_delivery(manifest: _Manifest) -> list[str]:
    """A named profile must carry its own figures: the targets are what the audio is measured against."""
    if manifest.profile == "custom":
        return []
    if manifest.profile not in PROFILES:
        return [f"manifest.json: delivery.profile {manifest.profile!r} is none of {', '.join(PROFILES)} or custom"]
    lufs, peak = PROFILES[manifest.profile]
    if (manifest.integrated_lufs, manifest.true_peak_dbtp) != (lufs, peak):
        return [(f"manifest.json: delivery.profile {manifest.profile} means {lufs:.1f} LUFS and {peak:.1f} dBTP, "
                 f"the manifest gives {manifest.integrated_lufs:.1f} LUFS and {manifest.true_peak_dbtp:.1f} dBTP")]
    return []


def _check_files(folder: Path, manifest: _Manifest, skipped: set[str]) -> tuple[list[str], set[str]]:
    """Sizes and checksums of every file the manifest lists, and no file it does not name; the problems, and
    the listed files that are there to be opened."""
    problems: list[str] = []
    present = set()
    for claim in manifest.listed.values():
        path = folder / claim.path
        if _leaves(claim.path):
            problems.append(f"{claim.path}: the manifest ({claim.where}) names a file outside the package; "
                            "it was not read")
        elif claim.path in skipped:
            continue
        elif path.is_symlink() or not path.is_file():
            problems.append(f"{claim.path}: listed in the manifest but missing")
        else:
            present.add(claim.path)  # a changed file is checked further, to say what changed
            if path.stat().st_size != claim.size:
                problems.append(f"{claim.path}: {path.stat().st_size} bytes, the manifest says {claim.size}")
            elif sha256(path) != claim.sha256:
                problems.append(f"{claim.path}: checksum differs from the manifest (the file was changed or damaged)")
    for claim in manifest.claims:
        listed = manifest.listed.get(claim.path)
        if listed is None:
            problems.append(f"{claim.path}: named in the manifest's {claim.where} but not in its files list")
        elif (listed.size, listed.sha256) != (claim.size, claim.sha256):
            problems.append(f"{claim.path}: the manifest's {claim.where} gives another size or checksum than its "
                            "files list")
    named = {*manifest.listed, *(claim.path for claim in manifest.claims), "manifest.json"}
    for path in _walk(folder):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            problems.append(f"{relative}: a symbolic link; it was not followed")
        elif relative not in named:
            audio = " (unlisted audio)" if path.suffix.lower() in AUDIO_SUFFIXES else ""
            problems.append(f"{relative}: not in the manifest{audio}")
    return problems, present


def _walk(folder: Path) -> Iterator[Path]:
    """Every file and symbolic link under `folder`, in order, without following links."""
    for root, folders, files in os.walk(folder):
        folders.sort()
        base = Path(root)
        yield from (base / name for name in sorted(files))
        yield from (base / name for name in folders if (base / name).is_symlink())


@dataclass(frozen=True)
class _Found:
    """What one MP3 turned out to be."""

    stream: Mp3Stream | str  # its MPEG stream, or why it has none
    loudness: Loudness | None  # None: it does not decode to its end
    tags: ReadBack | None


def _inspect(path: Path, manifest: _Manifest) -> _Found:
    try:
        loudness: Loudness | None = measure_file(path, manifest.sample_rate, manifest.channels)
    except AudioInputError:
        loudness = None
    return _Found(mp3_stream(path), loudness, read_tags(path))


def _judge(item: _Audio, found: _Found, manifest: _Manifest) -> list[str]:
    problems = []
    if isinstance(found.stream, str):
        problems.append(found.stream)
    else:
        problems += [found.stream.problem] if found.stream.problem else []
        heard = (found.stream.sample_rate, found.stream.channels, found.stream.bitrate_kbps)
        if heard != (manifest.sample_rate, manifest.channels, manifest.bitrate_kbps):
            problems.append(f"{_format(*heard)}, the manifest says "
                            f"{_format(manifest.sample_rate, manifest.channels, manifest.bitrate_kbps)}")
    if found.loudness is None:
        return [*problems, "does not decode to its end (truncated or damaged)", *_tag_problems(item, found.tags,
                                                                                                manifest.id3_version)]
    measured = found.loudness
    if abs(measured.duration_s - item.duration_s) > DURATION_TOLERANCE_S:
        problems.append(f"decodes to {measured.duration_s:.2f} s, the manifest says {item.duration_s:.2f} s")
    if item.programme and not abs(measured.integrated_lufs - manifest.integrated_lufs) <= LOUDNESS_TOLERANCE_LU:
        problems.append(f"{measured.integrated_lufs:.1f} LUFS, the profile asks {manifest.integrated_lufs:.1f} "
                        f"+-{LOUDNESS_TOLERANCE_LU} LUFS")
    if measured.true_peak_dbtp > manifest.true_peak_dbtp:
        problems.append(f"true peak {measured.true_peak_dbtp:.1f} dBTP, over the {manifest.true_peak_dbtp:.1f} dBTP "
                        "ceiling")
    for name, unit, value, claimed in (("loudness", "LUFS", measured.integrated_lufs, item.integrated_lufs),
                                       ("true peak", "dBTP", measured.true_peak_dbtp, item.true_peak_dbtp)):
        if not _agrees(value, claimed, FIGURE_TOLERANCE):
            problems.append(f"measures a {name} of {value:.1f} {unit}, the manifest says {_shown_figure(claimed)}")
    return problems + _tag_problems(item, found.tags, manifest.id3_version)


def _format(sample_rate: int, channels: int, bitrate_kbps: int) -> str:
    return f"{sample_rate} Hz {'mono' if channels == 1 else 'stereo'} {bitrate_kbps} kbit/s"


def _agrees(value: float, claimed: float | None, tolerance: float) -> bool:
    """A measured figure against the manifest's, where null stands for silence (-inf)."""
    if claimed is None or not math.isfinite(value):
        return claimed is None and not math.isfinite(value)
    return abs(value - claimed) <= tolerance


def _shown_figure(value: float | None) -> str:
    return "-inf (silence)" if value is None else f"{value:.1f}"


def _tag_problems(item: _Audio, tags: ReadBack | None, id3_version: str) -> list[str]:
    if tags is None:
        return ["has no ID3 tag (title, series, presenter, language, transcript, loudness" +
                (", chapters)" if item.programme else ")")]
    problems = [] if tags.version == id3_version else [f"ID3v{tags.version} tag, the manifest says ID3v{id3_version}"]
    for frame, value in item.frames.items():
        if frame not in tags.frames:
            problems.append(f"no {_frame(frame)}")
        elif tags.frames[frame] != value:
            problems.append(f"{_frame(frame)} is {tags.frames[frame]!r}, the manifest says {value!r}")
    if not tags.frames.get("USLT"):
        problems.append(f"no {_frame('USLT')}")
    for frame, claimed in (("TXXX:LOUDNESS_LUFS", item.integrated_lufs), ("TXXX:TRUE_PEAK_DBTP", item.true_peak_dbtp)):
        if frame not in tags.frames:
            problems.append(f"no {_frame(frame)}")
        elif not _agrees(_parse_figure(tags.frames[frame]), claimed, TAG_FIGURE_TOLERANCE):
            problems.append(f"{_frame(frame)} says {tags.frames[frame]}, the manifest {_shown_figure(claimed)}")
    if item.chapters is not None:
        problems += _chapter_problems(item.chapters, tags, id3_version)
    return problems


def _frame(frame: str) -> str:
    shown = "TYER/TDAT or TDRC" if frame == "date" else frame
    return f"{shown} frame ({FRAME_NAMES[frame]})"


def _parse_figure(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan  # agrees with nothing


def _chapter_problems(expected: list[Chapter], tags: ReadBack, id3_version: str) -> list[str]:
    problems = list(tags.problems)
    if len(tags.chapters) != len(expected):
        return [*problems, f"{len(tags.chapters)} chapters, the manifest lists {len(expected)} segments"]
    for number, (chapter, want) in enumerate(zip(tags.chapters, expected), start=1):
        title = chapter_title(want.title, id3_version)
        if chapter.title != title:
            problems.append(f"chapter {number} is titled {chapter.title!r}, the manifest says {title!r}")
        if max(abs(chapter.start_ms - want.start_ms), abs(chapter.end_ms - want.end_ms)) > CHAPTER_TOLERANCE_MS:
            problems.append(f"chapter {number} ({title}) runs {clock(chapter.start_ms / 1000, 3)} to "
                            f"{clock(chapter.end_ms / 1000, 3)}, the manifest's segment "
                            f"{clock(want.start_ms / 1000, 3)} to {clock(want.end_ms / 1000, 3)}")
    return problems


# The MPEG stream and its LAME "Info" header


_BITRATES_KBPS = {True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 layer III
                  False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}  # MPEG-2 and 2.5
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits
_LAME_BYTES = 36  # the LAME extension after the Xing/Info fields, up to and including its own CRC


@dataclass(frozen=True)
class Mp3Stream:
    """An MP3's format, from its first frame, and what is wrong with its audio."""

    sample_rate: int
    channels: int
    bitrate_kbps: int
    problem: str | None


def mp3_stream(path: Path) -> Mp3Stream | str:
    """The first frame after the ID3 tag (or why there is none), and the audio checked against the length
    and CRC-16 that the encoder wrote into that frame, the LAME "Info" header: ffmpeg decodes a damaged
    frame without a word, and skips a frame with a damaged header, a gap no duration check notices."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(10)
        start = 0
        if len(head) == 10 and head[:3] == b"ID3":
            start = 10 + _syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)  # a v2.4 footer adds 10
        handle.seek(start)
        layout = _frame_layout(int.from_bytes(handle.read(4).ljust(4, b"\0"), "big"))
        if layout is None:
            return "no MP3 audio frame where the ID3 tag ends (not an MP3, or damaged at its start)"
        stream, frame_bytes, info_at = layout
        handle.seek(max(start, size - 128))
        audio_bytes = size - start - (128 if size - start >= 128 and handle.read(3) == b"TAG" else 0)  # ID3v1
        handle.seek(start)
        problem = _audio_problem(handle, handle.read(frame_bytes), info_at, audio_bytes)
    return dataclasses.replace(stream, problem=problem)


def _frame_layout(header: int) -> tuple[Mp3Stream, int, int] | None:
    """An MPEG layer III frame header's format, the frame's length and where its Xing/Info header would be."""
    version, layer = (header >> 19) & 3, (header >> 17) & 3
    bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
    if header >> 21 != 0x7FF or layer != 1 or version == 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1, mono = version == 3, (header >> 6) & 3 == 3
    bitrate_kbps, sample_rate = _BITRATES_KBPS[mpeg1][bitrate_index], _SAMPLE_RATES[version][rate_index]
    frame_bytes = (144 if mpeg1 else 72) * bitrate_kbps * 1000 // sample_rate + ((header >> 9) & 1)
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return Mp3Stream(sample_rate, 1 if mono else 2, bitrate_kbps, None), frame_bytes, 4 + side_info


def _audio_problem(handle: BinaryIO, frame: bytes, info_at: int, audio_bytes: int) -> str | None:
    """The audio after the Info frame (where `handle` stands) against the Info frame's record of it."""
    if frame[info_at : info_at + 4] not in (b"Info", b"Xing"):
        return "no LAME Info header, so its audio cannot be checked for damage (it was not encoded by radiokit)"
    flags = int.from_bytes(frame[info_at + 4 : info_at + 8], "big")
    lame = info_at + 8 + sum(width for bit, width in ((1, 4), (2, 4), (4, 100), (8, 4)) if flags & bit)
    extension = frame[lame : lame + _LAME_BYTES]
    if len(extension) < _LAME_BYTES or int.from_bytes(extension[34:36], "big") not in _header_crcs(frame, lame + 34):
        return "its LAME Info header is damaged (CRC mismatch)"
    music_bytes, music_crc = int.from_bytes(extension[28:32], "big"), int.from_bytes(extension[32:34], "big")
    if audio_bytes != music_bytes:
        change = "truncated" if audio_bytes < music_bytes else "has bytes added"
        return f"{change}: {audio_bytes} bytes of audio, its encoder wrote {music_bytes}"
    if _crc16_stream(handle, music_bytes - len(frame)) != music_crc:
        return "its audio is damaged: the frames' CRC differs from the one its encoder wrote"
    return None


def _header_crcs(frame: bytes, field: int) -> tuple[int, int]:
    """The Info header's own CRC as LAME computes it (the bytes before the field) and as ffmpeg does (the
    frame's first 190 bytes, the field zeroed): the same bytes in stereo MPEG-1, not in mono."""
    zeroed = frame[:field] + b"\0\0" + frame[field + 2 :]
    return _crc16(frame[:field]), _crc16(zeroed[:190])


def _syncsafe(data: bytes) -> int:
    return (data[0] & 0x7F) << 21 | (data[1] & 0x7F) << 14 | (data[2] & 0x7F) << 7 | (data[3] & 0x7F)


# CRC-16 as LAME computes it (CRC-16/ARC: reflected polynomial 0xA001, starting from 0). A byte loop in
# Python would take seconds per programme, so the data is cut into CRC_CHUNK-byte rows, the rows run
# side by side through the table with numpy, and their CRCs are joined: with a zero start the CRC is
# linear, so crc(a + b) is crc(a) carried through len(b) zero bytes, xor crc(b).
CRC_CHUNK = 4096
_CRC_ROWS = 1024  # rows per block read: 4 MiB


@lru_cache(maxsize=1)
def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1)
    return table


@lru_cache(maxsize=1)
def _carry_tables() -> tuple[list[int], list[int]]:
    """A CRC register carried through CRC_CHUNK zero bytes, as a linear map by the register's low and high byte."""
    table = _crc_table()
    bits = (1 << np.arange(16)).astype(np.uint32)
    for _ in range(CRC_CHUNK):
        bits = (bits >> 8) ^ table[bits & 0xFF]
    images = [int(b) for b in bits]

    def by_byte(offset: int) -> list[int]:
        mapped = []
        for value in range(256):
            result = 0
            for bit in range(8):
                if value >> bit & 1:
                    result ^= images[offset + bit]
            mapped.append(result)
        return mapped
    return by_byte(0), by_byte(8)


def _crc16(data: bytes) -> int:
    table, crc = _crc_table(), 0
    for byte in data:
        crc = (crc >> 8) ^ int(table[(crc ^ byte) & 0xFF])
    return crc


def _crc16_stream(handle: BinaryIO, length: int) -> int:
    """The CRC of the next `length` bytes of `handle` (fewer if it ends first: the CRC then will not match)."""
    table, (low, high) = _crc_table(), _carry_tables()
    # Zeros in front do not change a CRC that starts from zero; they make every row whole.
    pending = b"\0" * (-length % CRC_CHUNK)
    crc, left = 0, length
    while left > 0 or pending:
        data = pending + handle.read(min(left, CRC_CHUNK * _CRC_ROWS - len(pending)))
        left -= len(data) - len(pending)
        pending = b""
        if not data:
            break
        data += b"\0" * (-len(data) % CRC_CHUNK)  # only when the file ended early
        rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, CRC_CHUNK).T.copy()
        registers = np.zeros(rows.shape[1], dtype=np.uint32)
        for column in rows:
            registers = (registers >> 8) ^ table[(registers ^ column) & 0xFF]
        for register in registers.tolist():
            crc = low[crc & 0xFF] ^ high[crc >> 8] ^ register
    return crc
