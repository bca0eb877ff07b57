"""A content-addressed store of entries (files and a little JSON), and the keys that name them.

A key is the sha256 of everything that decides the audio: the script's values as one language hears
them, the contents of every file they name, the speech engines' versions and the delivery settings.
What a build keeps there, and how it uses it again, is `reuse.py`'s business; this module knows only
entries. Entries are written to a temporary name and renamed into place (a build killed part-way
leaves no entry, not a broken one), carry the sha256 of their files, and are checked on every read:
a damaged entry is deleted and rebuilt. The cache is bounded; the least recently used entries go first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from radiokit import __version__
from radiokit.files import sha256
from radiokit.script import Script, Segment, Voice

DEFAULT_MAX_BYTES = 2 * 1024**3
# Part of every key: raised when rendering or mastering changes what the same script sounds like, or what
# an entry holds, within one radiokit version, so that no build takes an entry of the old kind.
AUDIO_REVISION = 5
KINDS = ("segments", "versions", "encodes", "gains")
ABANDONED_AFTER_S = 3600.0  # a half-written entry this old belongs to no running build
T = TypeVar("T")
_log = logging.getLogger("radiokit.cache")


def default_folder() -> Path:
    """$RADIOKIT_CACHE, else $XDG_CACHE_HOME/radiokit, else ~/.cache/radiokit."""
    if os.environ.get("RADIOKIT_CACHE"):
        return Path(os.environ["RADIOKIT_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "radiokit"


def file_digest(path: Path) -> str:
    return _digest(path, path.stat().st_size, path.stat().st_mtime_ns)


@lru_cache(maxsize=4096)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    """Content hash, remembered for as long as the file's size and modification time stay the same."""
    return sha256(path)


@lru_cache(maxsize=1)
def engine_versions() -> dict[str, str]:
    versions = {}
    for package in ("espeakng-loader", "gTTS", "ru-normalizr", "imageio-ffmpeg", "pydub", "soundfile", "soxr"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def _plain(value: Any) -> Any:
    """JSON-ready values, with each file named by its contents rather than its path."""
    if isinstance(value, Path):
        return {"file": file_digest(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def content_key(parts: Any) -> str:
    """The sha256 of JSON-ready `parts`, each file in them named by its contents."""
    return hashlib.sha256(json.dumps(_plain(parts), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def segment_key(script: Script, segment: Segment, language: str) -> str:
    """What decides one segment's audio in one language: not its id, title, position, gap or crossfade,
    and not what it says in the other language."""
    heard = dataclasses.replace(
        segment, index=0, id="", line=0, title={}, languages=(), gap_s=None, crossfade_s=0.0,
        text={k: v for k, v in segment.text.items() if k == language},
        take={k: v for k, v in segment.take.items() if k == language},
        voiceover=segment.voiceover and dataclasses.replace(
            segment.voiceover, lines={k: v for k, v in segment.voiceover.lines.items() if k == language}))
    speakers = {segment.speaker} | {line.speaker for line in (heard.voiceover.lines.values() if heard.voiceover else ())}
    # Which engine speaks depends on what is installed here (a voice may list several), and its version
    # on the engine itself: both are in the key, as the engine names them.
    voices = {name: (script.voices[name].get(language), _engine_key(script.voices[name].get(language), language))
              for name in sorted(s for s in speakers if s)}
    delivery = script.delivery
    return content_key({"radiokit": __version__, "revision": AUDIO_REVISION, "engines": engine_versions(),
                        "language": language,
                        "segment": heard, "voices": voices, "lexicon": script.lexicon.get(language, {}),
                        "rate": delivery.sample_rate, "channels": delivery.channels,
                        "target": delivery.profile.integrated_lufs})


def _engine_key(voice: Voice | None, language: str) -> str | None:
    if voice is None:
        return None
    from radiokit.tts import engines

    return engines.resolve(voice, language).key()


def version_key(script: Script, language: str, segment_keys: Sequence[str], layout: Sequence[Any]) -> str:
    """What decides a delivered language version's files: its segments, their layout, the delivery settings,
    the titles written into Broadcast Wave headers, and the slug that names the files."""
    programme = script.programme
    return content_key({"radiokit": __version__, "revision": AUDIO_REVISION, "language": language,
                        "slug": programme.slug, "segments": list(segment_keys), "layout": list(layout),
                        "delivery": script.delivery, "titles": [programme.series, programme.title.get(language, "")]})


def gain_key(script: Script, language: str, fmt: str) -> str:
    """One programme's language version in one format, whatever it holds: where its gain is kept. Only
    what the gain means is in the key, so that a change of slot or tolerance keeps it."""
    delivery = script.delivery
    return content_key({"radiokit": __version__, "revision": AUDIO_REVISION, "slug": script.programme.slug,
                        "language": language, "format": fmt, "target": delivery.profile, "rate": delivery.sample_rate,
                        "channels": delivery.channels, "bitrate": delivery.bitrate_kbps})


def typed(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """`data[key]` if it is of `kind`; TypeError (damage, to `Cache.load`) if it is not."""
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{key}: {type(value).__name__}")
    return value


def figures(values: Any, count: int) -> tuple[float, ...]:
    """A list of `count` numbers (a Loudness as stored), or TypeError."""
    if not isinstance(values, list) or len(values) != count or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise TypeError("figures")
    return tuple(float(v) for v in values)


def _data_digest(files: Mapping[str, str], data: Mapping[str, Any]) -> str:
    """What an entry's description says, checksummed: a flipped bit in a figure is damage, not a figure."""
    return hashlib.sha256(json.dumps({"files": files, "data": data}, sort_keys=True).encode()).hexdigest()


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def unusable(folder: Path) -> str | None:
    """Why a cache cannot be kept in `folder` (a file there, no permission, a read-only disk), or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


class Cache:
    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def holds(self, kind: str, key: str) -> bool:
        """Whether an entry is there (`load` checks that it is intact)."""
        return (self.folder / kind / key / "entry.json").is_file()

    def load(self, kind: str, key: str, read: Callable[[Path, dict[str, Any]], T]) -> T | None:
        """`read(entry folder, data)` of the entry, if present and intact; else None, and a damaged entry is
        removed (and logged). Intact means: its description parses, carries the sha256 of its own data and
        of every file, and all of them agree; and `read` accepts the data (a KeyError, TypeError or
        ValueError from it is damage too: valid JSON of the wrong shape)."""
        entry = self.folder / kind / key
        description = entry / "entry.json"
        if not description.is_file():
            return None
        try:
            stored = json.loads(description.read_text(encoding="utf-8"))
            files, data = stored["files"], stored["data"]
            if not (isinstance(files, dict) and isinstance(data, dict) and stored["sha256"] == _data_digest(files, data)
                    and all(file_digest(entry / name) == digest for name, digest in files.items())):
                raise ValueError("checksum")
            value = read(entry, data)
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            _log.info("cache entry %s/%s is damaged (%s): rebuilt", kind, key[:12], type(exc).__name__)
            shutil.rmtree(entry, ignore_errors=True)
            return None
        try:
            os.utime(description)  # most recently used
        except OSError:
            pass
        return value

    def store(self, kind: str, key: str, files: Mapping[str, Path], data: dict[str, Any], *,
              link: bool = False) -> None:
        """Copy `files` (name -> path) and `data` into a new entry, whole or not at all. With `link`, for
        files nothing will write to again, they are hard-linked where the cache is on their file system:
        a long programme's rendered segments are over a gigabyte, which copying took seconds over."""
        entry = self.folder / kind / key
        scratch = self.folder / kind / f".{key}.{os.getpid()}.{time.monotonic_ns()}"
        scratch.mkdir(parents=True)
        try:
            for name, path in files.items():
                if link:
                    _link_or_copy(path, scratch / name)
                else:
                    shutil.copyfile(path, scratch / name)
            digests = {name: file_digest(scratch / name) for name in files}
            (scratch / "entry.json").write_text(json.dumps({"files": digests, "data": data,
                                                            "sha256": _data_digest(digests, data)}), encoding="utf-8")
            shutil.rmtree(entry, ignore_errors=True)
            os.replace(scratch, entry)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)  # another build stored it first, or the disk is full

    def evict(self) -> None:
        """Delete least recently used entries until the cache fits its bound."""
        entries = []
        for kind in KINDS:
            for entry in (self.folder / kind).glob("*") if (self.folder / kind).is_dir() else ():
                if entry.name.startswith("."):  # being written, or left by a build that was killed
                    if time.time() - entry.stat().st_mtime > ABANDONED_AFTER_S:
                        shutil.rmtree(entry, ignore_errors=True)
                    continue
                size = sum(p.stat().st_size for p in entry.iterdir() if p.is_file())
                used = (entry / "entry.json").stat().st_mtime if (entry / "entry.json").exists() else 0.0
                entries.append((used, size, entry))
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries, key=lambda item: item[0]):
            if total <= self.max_bytes:
                break
            shutil.rmtree(entry, ignore_errors=True)
            total -= size

    def clear(self) -> int:
        """Empty the cache; returns the bytes freed."""
        freed = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file()) if self.folder.is_dir() else 0
        for kind in KINDS:
            shutil.rmtree(self.folder / kind, ignore_errors=True)
        return freed
