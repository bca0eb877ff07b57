"""`radiokit fetch`: the station's side of publishing (docs/distribution.md). Reads a feed, downloads each new
or corrected episode's package, verifies it, and only then moves its files into the station's folder.

Everything in flight lives in `DIR/.radiokit/` (on the same file system as DIR, so that moving a file in is
a rename): `partial/<version>/` while downloading (kept when a download breaks off, and continued), then
`rejected/<version>/` for a package that failed its checks, and `fetched.json`, what has been delivered. A
playout system watching DIR sees whole, verified files appear, sidecars before the audio they describe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from radiokit.errors import InputError, TransferError
from radiokit.feed import RADIOKIT
from radiokit.files import sha256
from radiokit.manifest import MAX_BYTES as MANIFEST_MAX_BYTES
from radiokit.manifest import NAME as MANIFEST
from radiokit.manifest import Manifest
from radiokit.manifest import parse as parse_manifest
from radiokit.remote import Place, copy_to, split_url
from radiokit.script import ID_PATTERN
from radiokit.verification import verify

WORK = ".radiokit"
STATE = "fetched.json"
STATE_FORMAT = "radiokit-fetched/1"
FEED_MAX_BYTES = 16 * 2**20
AUDIO_SUFFIXES = (".wav", ".mp2", ".mp3")


@dataclass(frozen=True)
class Offered:
    """An episode a feed offers: its package's manifest, relative to the feed, and that manifest's sha256."""

    slug: str
    manifest: str
    sha256: str


@dataclass
class FetchReport:
    fetched: list[tuple[str, list[str]]] = field(default_factory=list)  # (slug, the paths delivered into DIR)
    unchanged: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (slug, why, where it was kept)


def fetch(feed_url: str, into: Path, station: str | None = None) -> FetchReport:
    """Fetch every episode of the feed at `feed_url` not yet delivered into `into` (or corrected since)."""
    folder_url, feed_file = split_url(feed_url)
    place = Place(folder_url)
    offered = _offered(place, feed_file)
    work = into / WORK
    state = _read_state(work / STATE)
    report = FetchReport()
    for episode in reversed(offered):  # oldest first, as they were published
        if state.get(episode.slug, {}).get("sha256") == episode.sha256:
            report.unchanged += 1
            continue
        version = f"{episode.sha256[:12]}/{episode.slug}"  # verify wants the folder named by the slug
        partial = work / "partial" / version
        got = _download(place, episode, partial)
        problem = got if isinstance(got, str) else _refusal(partial, got, station)
        if problem is not None or isinstance(got, str):
            kept = _reject(work, partial, version)
            report.failed.append((episode.slug, problem or "", kept))
            continue
        delivered = _deliver(partial, into, got, station)
        state[episode.slug] = {"sha256": episode.sha256, "fetched": _now()}
        _write_state(work / STATE, state)
        shutil.rmtree(partial.parent, ignore_errors=True)
        report.fetched.append((episode.slug, delivered))
    return report


def _offered(place: Place, feed_file: str) -> list[Offered]:
    """The episodes in the feed, newest first, as the feed lists them (one package serves every language)."""
    try:
        data = place.read(feed_file, limit=FEED_MAX_BYTES)
    except FileNotFoundError:
        raise TransferError(f"{place.url_of(feed_file)}: no feed there: check the address") from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"{place.url_of(feed_file)}: not a feed ({exc}): check the address") from None
    if root.tag != "rss" or root.find("channel") is None:
        raise InputError(f"{place.url_of(feed_file)}: not an RSS feed: check the address")
    offered: dict[str, Offered] = {}
    for item in root.iterfind("channel/item"):
        package = item.find(f"{{{RADIOKIT}}}package")
        if package is None:
            continue
        manifest, digest = package.get("manifest", ""), package.get("sha256", "")
        if _unsafe(manifest) or len(digest) != 64:
            raise InputError(f"{place.url_of(feed_file)}: an item's radiokit:package is malformed "
                             f"({manifest!r}): ask the producer to publish again")
        slug = PurePosixPath(manifest).parts[0]
        if not re.fullmatch(ID_PATTERN, slug):  # it names a folder in DIR: only what a build could have made
            raise InputError(f"{place.url_of(feed_file)}: {slug!r} is not a package name radiokit makes: "
                             "is this feed radiokit's?")
        offered.setdefault(slug, Offered(slug, manifest, digest))
    return list(offered.values())


def _refusal(partial: Path, manifest: Manifest, station: str | None) -> str | None:
    """Why a downloaded package is not delivered (verify's problems, no files for the station), or None."""
    verdict = verify(partial)
    if not verdict.fit_to_air:
        return "; ".join(verdict.problems[:3])
    if station is not None and station not in {s.name for s in manifest.stations}:
        return (f"the package has no files for station {station!r} (it has: "
                f"{', '.join(s.name for s in manifest.stations) or 'none'}): ask the producer to build with "
                f"--station {station}")
    return None


def _download(place: Place, episode: Offered, partial: Path) -> Manifest | str:
    """The package into `partial`, each file checked against the manifest: its manifest, or what is wrong.
    TransferError (raised) where the network or server failed: what arrived is kept for the next run."""
    try:
        data = place.read(episode.manifest, limit=MANIFEST_MAX_BYTES)
    except FileNotFoundError:
        return f"{episode.manifest}: missing on the server"
    if hashlib.sha256(data).hexdigest() != episode.sha256:
        return f"{episode.manifest}: its checksum is not the one the feed gives: the package was changed after " \
               "it was published"
    manifest = parse_manifest(data, place.url_of(episode.manifest))
    partial.mkdir(parents=True, exist_ok=True)
    (partial / MANIFEST).write_bytes(data)
    folder = str(PurePosixPath(episode.manifest).parent)
    for record in manifest.files:
        if _unsafe(record.path):
            return f"{record.path}: a file name that leads outside the package"
        target = partial / record.path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            copy_to(place, f"{folder}/{record.path}", target, record.size)
        except FileNotFoundError:
            return f"{record.path}: missing on the server"
        if sha256(target) != record.sha256:
            target.unlink()
            return f"{record.path}: its checksum is not the manifest's: the file was changed or damaged on the server"
    return manifest


def _unsafe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return not parts or path.startswith("/") or "\\" in path or ".." in parts or ":" in parts[0]


def _deliver(partial: Path, into: Path, manifest: Manifest, station: str | None) -> list[str]:
    """Move a verified package into the station's folder: a profile's files by their names, or else the
    whole package as `<slug>/` (a corrected one replacing the old)."""
    if station is None:
        target = into / manifest.slug
        old = into / WORK / f"replaced-{manifest.slug}"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.replace(target, old)
        os.replace(partial, target)
        shutil.rmtree(old, ignore_errors=True)
        return [manifest.slug + "/"]
    source = partial / "stations" / station
    files = sorted((p for p in source.iterdir() if p.is_file()), key=lambda p: (p.suffix in AUDIO_SUFFIXES, p.name))
    for path in files:  # sidecars first: an importer that wakes on the audio finds its XML there
        os.replace(path, into / path.name)
    return [path.name for path in files]


def _reject(work: Path, partial: Path, version: str) -> str:
    """Move what arrived of a refused package aside, for the engineer to look at; where it went ("" if nothing)."""
    if not partial.exists():
        return ""
    kept = work / "rejected" / version
    shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, kept)
    shutil.rmtree(partial.parent, ignore_errors=True)
    return str(kept)


def _read_state(path: Path) -> dict[str, dict[str, str]]:
    """What has been delivered: slug -> {"sha256": its manifest's, "fetched": when}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: not readable ({str(exc)[:80]}): move it aside (every episode is then fetched "
                         "again)") from None
    episodes = data.get("episodes") if isinstance(data, dict) and data.get("format") == STATE_FORMAT else None
    if not isinstance(episodes, dict) or not all(isinstance(v, dict) and isinstance(v.get("sha256"), str)
                                                 for v in episodes.values()):
        raise InputError(f"{path}: not radiokit's fetch state: move it aside (every episode is then fetched again)")
    return episodes


def _write_state(path: Path, state: dict[str, dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_text(json.dumps({"format": STATE_FORMAT, "episodes": state}, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
