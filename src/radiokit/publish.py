"""`radiokit publish`: a verified package to a folder stations poll, and its feeds (docs/distribution.md).

The destination holds, for each episode, one folder per version, `<slug>/<version>/` (the version: the
first 12 hex digits of its manifest's sha256), so that the files of a version never change once they are
in place; `published.json`, what is published; and `feed-<lang>.xml`, written last. A station following a
feed therefore never sees a version half uploaded, nor files of two versions mixed: until the feed names
the new version, it names the old one, whole. An upload cut short leaves files under temporary names and
whole files of a version no feed names yet; publishing again keeps the whole ones (resumed by file) and
finishes. A corrected build is a new version under the same item GUID; the version it replaced is kept
until the next correction, for stations that were fetching it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radiokit.errors import BuildError, InputError, TransferError
from radiokit.feed import Published, feed_name, feed_xml
from radiokit.files import sha256
from radiokit.manifest import MAX_BYTES as MANIFEST_MAX_BYTES
from radiokit.manifest import NAME as MANIFEST
from radiokit.manifest import Manifest
from radiokit.manifest import parse as parse_manifest
from radiokit.manifest import read as read_manifest
from radiokit.remote import Place, join_url
from radiokit.verification import verified

INDEX = "published.json"
INDEX_FORMAT = "radiokit-published/1"
VERSION_DIGITS = 12


@dataclass(frozen=True)
class PublishReport:
    slug: str
    folder: str  # the version's folder at the destination
    state: str  # "new", "corrected" (a new version of a published episode), "unchanged"
    uploaded: int  # files sent now
    kept: int  # files already there whole (an earlier, interrupted publish)
    feeds: tuple[str, ...]  # the feed URLs written (or, unchanged, already there)


def publish(package: str | Path, destination: str, base_url: str | None = None,
            now: Callable[[], dt.datetime] | None = None) -> PublishReport:
    """Verify `package` (a zip or a package folder) and publish it to `destination`; BuildError when it is
    not fit to air (nothing is sent), TransferError when the destination fails."""
    place = Place(destination)
    index = _read_index(place)
    with verified(package, unless=lambda manifest, digest: _published(place, index, manifest, digest)) \
            as (folder, verdict):
        manifest = read_manifest(folder, str(package))
        digest = sha256(folder / MANIFEST)
        previous = index.get(manifest.slug)
        version = f"{manifest.slug}/{digest[:VERSION_DIGITS]}"
        base = base_url or manifest.feed.url or place.public_url()
        feeds = tuple(join_url(base, feed_name(e.language)) for e in manifest.languages)
        if verdict is None:  # this very package is what the destination publishes: nothing to send or check
            return PublishReport(manifest.slug, version, "unchanged", 0, 0, feeds)
        if not verdict.fit_to_air:
            shown = "; ".join(verdict.problems[:3]) + ("; ..." if len(verdict.problems) > 3 else "")
            raise BuildError(f"{package}: not fit to air, nothing published ({len(verdict.problems)} problem(s): "
                             f"{shown}): run radiokit verify on it")
        uploaded = kept = 0
        there = place.sizes(version)  # whole files from an earlier, interrupted publish of this version
        for leftover in [name for name in there if name.endswith(".part")]:  # what that publish was writing
            place.remove(f"{version}/{leftover}")
        # The manifest goes last: a version folder with its manifest is whole.
        for record in [*sorted(manifest.files, key=lambda r: r.path), None]:
            path, size = (record.path, record.size) if record else (MANIFEST, (folder / MANIFEST).stat().st_size)
            if there.get(path) == size:
                kept += 1
                continue
            place.put(folder / path, f"{version}/{path}", record.sha256 if record else digest)
            uploaded += 1
    stamp = (now or _now)()
    replaced = previous["folder"] if previous and previous["folder"] != version else None
    index[manifest.slug] = {"folder": version, "manifest_sha256": digest, "published": stamp.isoformat(),
                            "languages": [e.language for e in manifest.languages], "replaced": replaced}
    episodes = _episodes(place, index, {manifest.slug: manifest})
    place.write(INDEX, _index_json(index))
    for language in sorted({lang for entry in index.values() for lang in entry["languages"]}):
        place.write(feed_name(language), feed_xml(language, episodes, base))
    if previous and previous.get("replaced") and previous["replaced"] != version:
        place.remove(previous["replaced"])  # two corrections back: no feed has named it since the last one
    return PublishReport(manifest.slug, version, "corrected" if previous else "new", uploaded, kept, feeds)


def _published(place: Place, index: dict[str, dict[str, Any]], manifest: Manifest, digest: str) -> bool:
    """Whether the destination publishes exactly this package (its manifest), feeds and all."""
    entry = index.get(manifest.slug)
    return bool(entry and entry["manifest_sha256"] == digest
                and all(place.size(feed_name(e.language)) is not None for e in manifest.languages))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _read_index(place: Place) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(place.read(INDEX))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{place.url_of(INDEX)}: not readable JSON ({str(exc)[:80]}): this destination's "
                         "index is damaged; move it aside and publish every episode again") from None
    episodes = data.get("episodes") if isinstance(data, dict) and data.get("format") == INDEX_FORMAT else None
    if not isinstance(episodes, dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("folder"), str)
            and isinstance(entry.get("manifest_sha256"), str) and isinstance(entry.get("published"), str)
            and isinstance(entry.get("languages"), list) for entry in episodes.values()):
        raise InputError(f"{place.url_of(INDEX)}: not a radiokit publishing index: is this the right destination?")
    return episodes


def _index_json(index: dict[str, dict[str, Any]]) -> bytes:
    return (json.dumps({"format": INDEX_FORMAT, "episodes": index}, ensure_ascii=False, indent=2) + "\n").encode()


def _episodes(place: Place, index: dict[str, dict[str, Any]], known: dict[str, Manifest]) -> list[Published]:
    """Every published episode, newest first, from its manifest (read back from the destination but for
    those given)."""
    episodes = []
    for slug, entry in index.items():
        manifest = known.get(slug)
        if manifest is None:
            manifest = _remote_manifest(place, f"{entry['folder']}/{MANIFEST}")
        episodes.append(Published(manifest, entry["folder"], entry["manifest_sha256"],
                                  dt.datetime.fromisoformat(entry["published"])))
    return sorted(episodes, key=lambda e: (e.published, e.manifest.slug), reverse=True)


def _remote_manifest(place: Place, name: str) -> Manifest:
    try:
        data = place.read(name, limit=MANIFEST_MAX_BYTES)
    except FileNotFoundError:
        raise TransferError(f"{place.url_of(name)}: missing, but {INDEX} lists it: publish that episode again") \
            from None
    return parse_manifest(data, place.url_of(name))
