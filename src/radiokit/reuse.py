"""What one build keeps in the cache for the next: delivered language versions, encoded segment files by the
PCM they encode, and each version's gain.

An unchanged language version is never mastered or encoded again. Where a version changed, its gain is
kept if it still meets the target (master.deliver), and then the segment files whose PCM is the same to
the bit are restored rather than encoded: an edit re-encodes only what it changed.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any, Mapping

from radiokit import __version__
from radiokit.cache import AUDIO_REVISION, Cache, content_key, engine_versions, figures, typed
from radiokit.encode import Output
from radiokit.loudness import Loudness
from radiokit.master import KeptGain


class KeptEncodes:
    """Encoded files in the cache, keyed by the sha256 of the PCM they encode and how it was encoded
    (master.EncodeStore). Files are copied out and in: tagging rewrites the delivered ones in place."""

    def __init__(self, store: Cache, sample_rate: int, channels: int, bitrate_kbps: int) -> None:
        self.store = store
        self.settings = {"radiokit": __version__, "revision": AUDIO_REVISION, "engines": engine_versions(),
                         "rate": sample_rate, "channels": channels, "bitrate": bitrate_kbps}

    def _key(self, output: Output, fingerprint: str) -> str:
        return content_key({**self.settings, "format": output.fmt, "pcm": fingerprint})

    def restore(self, output: Output, fingerprint: str) -> Loudness | None:
        hit = self.store.load("encodes", self._key(output, fingerprint),
                              lambda entry, data: (_present(entry / "audio"), _loudness(data["measured"])))
        if hit is None:
            return None
        shutil.copyfile(hit[0], output.path)
        return hit[1]

    def keep(self, output: Output, fingerprint: str, measured: Loudness) -> None:
        self.store.store("encodes", self._key(output, fingerprint), {"audio": output.path},
                         {"measured": dataclasses.astuple(measured)})


def load_gain(store: Cache, key: str) -> KeptGain | None:
    def read(_: Path, data: dict[str, Any]) -> KeptGain:
        values = figures([data[f.name] for f in fields(KeptGain)], 3)
        if not all(math.isfinite(value) for value in values):  # JSON keeps an Infinity; a gain is never one
            raise ValueError("gain")
        return KeptGain(*values)
    return store.load("gains", key, read)


def keep_gain(store: Cache, key: str, kept: KeptGain) -> None:
    store.store("gains", key, {}, dataclasses.asdict(kept))


def keep_version(store: Cache, key: str, folder: Path, measured: Mapping[Path, Loudness], gain_db: float,
                 notes: list[str]) -> None:
    """Keep a version's untagged files (under `folder`) and their figures; tags are written fresh on every build."""
    names = {path.relative_to(folder).as_posix().replace("/", "__"): path for path in measured}
    figures = {name: dataclasses.astuple(measured[path]) for name, path in names.items()}
    store.store("versions", key, names, {"measured": figures, "gain_db": gain_db, "notes": notes})


def restore_version(store: Cache, key: str, folder: Path) -> tuple[dict[Path, Loudness], float, list[str]] | None:
    """A kept version's files copied under `folder`, with their figures, its gain and its notes; None if not kept."""
    def read(entry: Path, data: dict[str, Any]) -> tuple[dict[str, Loudness], float, list[str]]:
        measured = typed(data, "measured", dict)
        notes = typed(data, "notes", list)
        if not all(isinstance(note, str) for note in notes) or any(
                "/" in name or any(part in ("", ".", "..") for part in name.split("__"))
                or not (entry / name).is_file() for name in measured):
            raise TypeError("notes or names")
        return ({name: _loudness(values) for name, values in measured.items()}, float(typed(data, "gain_db", (int, float))),
                notes)
    hit = store.load("versions", key, read)
    if hit is None:
        return None
    kept, gain_db, notes = hit
    entry = store.folder / "versions" / key
    measured = {}
    for name, loudness in kept.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry / name, path)
        measured[path] = loudness
    return measured, gain_db, notes


def _present(path: Path) -> Path:
    """A file an entry's data names: one its checksummed file list lacks is damage, as a wrong figure is."""
    if not path.is_file():
        raise ValueError(f"{path.name} missing")
    return path


def _loudness(values: Any) -> Loudness:
    return Loudness(*figures(values, len(fields(Loudness))))
