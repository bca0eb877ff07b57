"""`radiokit verify`: a station's check of a package before it airs.

The manifest is not trusted on its own: every file is hashed, every MP3 decoded to its end, its
audio checked against the CRC its encoder recorded, its tags and chapters read back and its
loudness measured, so a package whose manifest was made consistent with damaged audio (stripped
tags, a re-encode 8 dB too loud, a damaged frame) is still caught.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from radiokit.display import clock, figure
from radiokit.errors import AudioInputError, InputError
from radiokit.files import sha256
from radiokit.loudness import Loudness, measure_file
from radiokit.manifest import NAME as MANIFEST
from radiokit.manifest import Manifest, ProgrammeRecord
from radiokit.manifest import read as read_manifest
from radiokit.mpeg import Mp3Stream, mp3_stream
from radiokit.script import PROFILES
from radiokit.tag import ISO_639_2, Chapter, ReadBack, chapter_title, programme_chapters, read_tags

AUDIO_SUFFIXES = (".mp3", ".mp2", ".wav")
# What verify unpacks at most: a 3-hour programme in two languages, as MP3, MP2 and Broadcast Wave, with its
# segment files, is some 10 GiB in a few thousand entries.
MAX_ENTRIES = 20_000
MAX_UNPACKED_BYTES = 32 * 2**30
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


def verify(package: str | os.PathLike[str]) -> Verdict:
    """Check a package zip (or an unzipped package folder); raises InputError when it cannot be read at all."""
    with verified(package) as (_folder, verdict):
        assert verdict is not None
        return verdict


@contextlib.contextmanager
def verified(package: str | os.PathLike[str], unless: Callable[[Manifest, str], bool] | None = None
             ) -> Iterator[tuple[Path, Verdict | None]]:
    """The package's folder (a zip unpacked into a temporary one, removed on leaving) and its verdict; None
    instead where `unless(manifest, its sha256)` says no check is needed."""
    package = Path(package)
    if package.is_dir():
        yield package, _verify_folder(package, str(package), [], set(), unless)
        return
    if not package.is_file():
        raise InputError(f"{package}: no such file: give the package's .zip, or its unzipped folder")
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{package}: not a zip file ({exc}): is it the package radiokit wrote? "
                         "Ask the producer to send it again") from None
    with archive, tempfile.TemporaryDirectory(prefix="radiokit-verify-") as scratch:
        folder, problems, skipped = _unpack(archive, Path(scratch), package)
        yield folder, _verify_folder(folder, str(package), problems, skipped, unless)


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
    entries = archive.infolist()
    unpacked = sum(info.file_size for info in entries)
    if len(entries) > MAX_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise InputError(f"{package}: {len(entries)} entries, {unpacked / 2**30:.1f} GiB unpacked: more than a radiokit "
                         f"package holds (at most {MAX_ENTRIES} entries and {MAX_UNPACKED_BYTES // 2**30} GiB); "
                         "it was not unpacked")
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
    """Copy one entry out; what went wrong, or None. A failure to read the zip (a damaged entry, an end
    record pointing past the file) is the package's; only a failure to write is the temporary folder's."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sink = target.open("wb")
    except OSError as exc:
        return f"cannot be written to the temporary folder ({exc.strerror})"
    with sink:
        try:
            with archive.open(info) as source:
                while block := source.read(1 << 20):
                    try:
                        sink.write(block)
                    except OSError as exc:
                        return f"cannot be written to the temporary folder ({exc.strerror})"
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:  # a CRC, a stream, an offset that is wrong
            target.unlink(missing_ok=True)
            return f"damaged in the zip ({str(exc).split(' for file ')[0]})"
        except (NotImplementedError, RuntimeError) as exc:  # an unknown compression method, an encrypted entry
            target.unlink(missing_ok=True)
            return f"cannot be read ({exc})"
    return None


# What the manifest says each MP3 must be


@dataclass(frozen=True)
class _Audio:
    """An MP3 the manifest names, with what it must measure and carry."""

    path: str
    duration_s: float
    integrated_lufs: float  # -inf: silence
    true_peak_dbtp: float
    frames: dict[str, str]  # the frames it must carry, with their values
    chapters: list[Chapter] | None  # a programme's chapters; None for a segment

    @property
    def programme(self) -> bool:
        return self.chapters is not None


def _expected_audio(manifest: Manifest) -> list[_Audio]:
    audio: list[_Audio] = []
    programme = manifest.programme
    for entry in manifest.languages:
        language, segments = entry.language, entry.segments
        for segment in segments:
            frames = _frames(programme, language, segment.title, f"{segment.index}/{len(segments)}")
            audio.append(_Audio(segment.file, segment.duration_s, segment.integrated_lufs, segment.true_peak_dbtp,
                                frames, None))
        chapters = programme_chapters(entry) if segments else []
        title = programme.text("title", language) or programme.series
        frames = _frames(programme, language, title or "", programme.episode)
        audio.append(_Audio(entry.file, entry.duration_s, entry.integrated_lufs, entry.true_peak_dbtp, frames,
                            chapters))
    return audio


def _frames(programme: ProgrammeRecord, language: str, title: str, track: str | None) -> dict[str, str]:
    """The frames `tag.tag_language` writes, with the values the manifest's programme section implies."""
    def text(key: str) -> str | None:
        return programme.text(key, language)
    values = {"TIT2": title, "TALB": text("series"), "TPE1": text("presenter"), "TRCK": track,
              "TLAN": ISO_639_2.get(language, "und"), "date": text("date"), "TPUB": text("publisher"),
              "TCOP": text("copyright"), "COMM": text("description"), "APIC": text("artwork"),
              "TXXX:FUNDER": text("funder")}
    return {frame: value for frame, value in values.items() if value}


# The checks


def _verify_folder(folder: Path, shown: str, problems: list[str], skipped: set[str],
                   unless: Callable[[Manifest, str], bool] | None = None) -> Verdict | None:
    manifest = read_manifest(folder, shown)
    if unless is not None and not problems and unless(manifest, sha256(folder / MANIFEST)):
        return None
    problems = list(problems)
    if folder.name != manifest.slug:
        problems.append(f"{folder.name}/: the package folder's name differs from the manifest's slug {manifest.slug!r}")
    problems += _check_delivery(manifest)
    found_problems, present = _check_files(folder, manifest, skipped)
    problems += found_problems
    audio = [item for item in _expected_audio(manifest) if item.path in present]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each file is an ffmpeg run and the meter
        for item, found in zip(audio, pool.map(lambda item: _inspect(folder / item.path, manifest), audio)):
            problems += [f"{item.path}: {problem}" for problem in _judge(item, found, manifest)]
    if manifest.stations:
        from radiokit.station_checks import station_problems

        problems += station_problems(folder, manifest, present)
    return Verdict(tuple(problems), len(manifest.files))


def _check_delivery(manifest: Manifest) -> list[str]:
    """A named profile must carry its own figures: the targets are what the audio is measured against."""
    delivery = manifest.delivery
    if delivery.profile == "custom":
        return []
    if delivery.profile not in PROFILES:
        return [f"manifest.json: delivery.profile {delivery.profile!r} is none of {', '.join(PROFILES)} or custom"]
    lufs, peak = PROFILES[delivery.profile]
    if (delivery.integrated_lufs, delivery.true_peak_dbtp) != (lufs, peak):
        return [(f"manifest.json: delivery.profile {delivery.profile} means {lufs:.1f} LUFS and {peak:.1f} dBTP, "
                 f"the manifest gives {delivery.integrated_lufs:.1f} LUFS and {delivery.true_peak_dbtp:.1f} dBTP")]
    return []


def _check_files(folder: Path, manifest: Manifest, skipped: set[str]) -> tuple[list[str], set[str]]:
    """Sizes and checksums of every file the manifest lists, and no file it does not name; the problems, and
    the listed files that are there to be opened."""
    problems: list[str] = []
    present = set()
    listed = {claim.path: claim for claim in manifest.files}
    for claim in listed.values():
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
    for claim in manifest.copies:
        original = listed.get(claim.path)
        if original is None:
            problems.append(f"{claim.path}: named in the manifest's {claim.where} but not in its files list")
        elif (original.size, original.sha256) != (claim.size, claim.sha256):
            problems.append(f"{claim.path}: the manifest's {claim.where} gives another size or checksum than its "
                            "files list")
    named = {*listed, *(claim.path for claim in manifest.copies), MANIFEST}
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


def _inspect(path: Path, manifest: Manifest) -> _Found:
    try:
        loudness: Loudness | None = measure_file(path, manifest.delivery.sample_rate, manifest.delivery.channels)
    except AudioInputError:
        loudness = None
    return _Found(mp3_stream(path), loudness, read_tags(path))


def _judge(item: _Audio, found: _Found, manifest: Manifest) -> list[str]:
    problems = []
    if isinstance(found.stream, str):
        problems.append(found.stream)
    else:
        problems += [found.stream.problem] if found.stream.problem else []
        heard = (found.stream.sample_rate, found.stream.channels, found.stream.bitrate_kbps)
        if heard != (manifest.delivery.sample_rate, manifest.delivery.channels, manifest.delivery.bitrate_kbps):
            problems.append(f"{_format(*heard)}, the manifest says "
                            f"{_format(manifest.delivery.sample_rate, manifest.delivery.channels, manifest.delivery.bitrate_kbps)}")
    if found.loudness is None:
        return [*problems, "does not decode to its end (truncated or damaged)", *_tag_problems(item, found.tags,
                                                                                                manifest.delivery.id3_version)]
    measured = found.loudness
    if abs(measured.duration_s - item.duration_s) > DURATION_TOLERANCE_S:
        problems.append(f"decodes to {measured.duration_s:.2f} s, the manifest says {item.duration_s:.2f} s")
    if item.programme and not abs(measured.integrated_lufs - manifest.delivery.integrated_lufs) <= LOUDNESS_TOLERANCE_LU:
        problems.append(f"{measured.integrated_lufs:.1f} LUFS, the profile asks {manifest.delivery.integrated_lufs:.1f} "
                        f"+-{LOUDNESS_TOLERANCE_LU} LUFS")
    if measured.true_peak_dbtp > manifest.delivery.true_peak_dbtp:
        problems.append(f"true peak {measured.true_peak_dbtp:.1f} dBTP, over the {manifest.delivery.true_peak_dbtp:.1f} dBTP "
                        "ceiling")
    for name, unit, value, claimed in (("loudness", "LUFS", measured.integrated_lufs, item.integrated_lufs),
                                       ("true peak", "dBTP", measured.true_peak_dbtp, item.true_peak_dbtp)):
        if not _agrees(value, claimed, FIGURE_TOLERANCE):
            problems.append(f"measures a {name} of {value:.1f} {unit}, the manifest says {figure(claimed, silence='-inf (silence)')}")
    return problems + _tag_problems(item, found.tags, manifest.delivery.id3_version)


def _format(sample_rate: int, channels: int, bitrate_kbps: int) -> str:
    return f"{sample_rate} Hz {'mono' if channels == 1 else 'stereo'} {bitrate_kbps} kbit/s"


def _agrees(value: float, claimed: float, tolerance: float) -> bool:
    """A measured figure against the manifest's, where -inf stands for silence."""
    if not math.isfinite(claimed) or not math.isfinite(value):
        return not math.isfinite(claimed) and not math.isfinite(value)
    return abs(value - claimed) <= tolerance


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
            problems.append(f"{_frame(frame)} says {tags.frames[frame]}, the manifest {figure(claimed, silence='-inf (silence)')}")
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
