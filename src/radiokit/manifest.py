"""The package's manifest (docs/manifest.md): one model, written by a build and read back by verify.

A build fills the model with full-precision figures and writes it rounded; verify reads it back into the
same model, checking every value's type on the way and naming the key path of one that is wrong. Silence
measures -inf, which JSON writes as null.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from radiokit import __version__
from radiokit.display import json_figure
from radiokit.errors import InputError
from radiokit.files import sha256
from radiokit.playout import Cues
from radiokit.script import Feed, Person

FORMAT = "radiokit-package/1"
NAME = "manifest.json"
MAX_BYTES = 64 * 2**20  # some thousand segments take a few MiB


def companion_files(language: str) -> dict[str, str]:
    """The files beside a language's programme, by what they hold: named the same in every package."""
    return {"text": f"transcript-{language}.txt", "vtt": f"transcript-{language}.vtt",
            "chapters": f"chapters-{language}.json"}


COVER = "cover"  # the artwork's file name in the package, before its suffix


@dataclass(frozen=True)
class SegmentEntry:
    index: int  # position within this language's programme, from 1
    id: str
    title: str
    kind: str
    start_s: float
    duration_s: float
    text: str  # the words heard: as spoken, a voice-over's, a clip's transcript ("" where there are none)
    clip_language: str | None  # not in the manifest
    file: str  # relative to the package folder
    integrated_lufs: float  # as encoded; -inf for silence
    true_peak_dbtp: float
    engine: str | None = None  # the speech engine that spoke in it
    cleanup: Mapping[str, Any] | None = None  # what the cleanup chain did to a clip (CleanupReport as JSON)
    cues: Cues | None = None  # in its own file


@dataclass(frozen=True)
class LanguageEntry:
    language: str
    file: str
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    loudness_range_lu: float
    gain_db: float | None  # the programme gain; not in the manifest
    segments: tuple[SegmentEntry, ...]
    cues: Cues | None = None


@dataclass(frozen=True)
class StationFile:
    """One delivered file, as the manifest lists it: times in seconds in the file, padding included."""

    file: str  # relative to the package folder
    language: str
    number: int  # 0: the programme
    segment_id: str
    cut: int
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    cues: Cues


@dataclass(frozen=True)
class StationEntry:
    name: str
    format: str
    sample_rate: int
    channels: int
    bitrate_kbps: int | None  # None for PCM
    files: tuple[StationFile, ...]


@dataclass(frozen=True)
class FileRecord:
    path: str  # relative to the package folder
    size: int
    sha256: str
    where: str = "files"  # where the manifest gives it: the files list, or a language's or segment's entry

    @classmethod
    def of(cls, folder: Path, path: Path) -> FileRecord:
        return cls(path.relative_to(folder).as_posix(), path.stat().st_size, sha256(path))


@dataclass(frozen=True)
class ProgrammeRecord:
    series: str
    title: Mapping[str, str]
    presenter: Mapping[str, str]
    description: Mapping[str, str]
    funder: Mapping[str, str]
    episode: str | None = None
    date: str | None = None  # ISO
    publisher: str | None = None
    copyright: str | None = None
    artwork: str | None = None  # the cover's MIME type

    def text(self, key: str, language: str) -> str | None:
        """A field's value in one language (a per-language field) or for all (a plain one)."""
        value = getattr(self, key)
        return value.get(language) if isinstance(value, Mapping) else value


@dataclass(frozen=True)
class DeliveryRecord:
    profile: str
    integrated_lufs: float
    true_peak_dbtp: float
    sample_rate: int
    channels: int
    bitrate_kbps: int
    id3_version: str
    target_duration_s: float | None = None


@dataclass(frozen=True)
class Manifest:
    slug: str
    programme: ProgrammeRecord
    delivery: DeliveryRecord
    languages: tuple[LanguageEntry, ...]
    files: tuple[FileRecord, ...]  # every file of the package but the manifest
    stations: tuple[StationEntry, ...] = ()
    feed: Feed = field(default_factory=Feed)
    created: str = ""
    generator: str = f"radiokit {__version__}"
    # As read: the size and checksum each language and segment entry repeats from the files list.
    copies: tuple[FileRecord, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        by_path = {record.path: record for record in self.files}

        def checked(path: str) -> dict[str, object]:
            return {"file": path, "size": by_path[path].size, "sha256": by_path[path].sha256}
        programme, delivery = self.programme, self.delivery
        return {
            "format": FORMAT,
            "generator": self.generator,
            "created": self.created or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "slug": self.slug,
            "programme": {
                "series": programme.series, "title": dict(programme.title), "episode": programme.episode,
                "date": programme.date, "presenter": dict(programme.presenter), "publisher": programme.publisher,
                "copyright": programme.copyright, "description": dict(programme.description),
                "funder": dict(programme.funder), "artwork": programme.artwork,
            },
            "delivery": {
                "profile": delivery.profile, "integrated_lufs": delivery.integrated_lufs,
                "true_peak_dbtp": delivery.true_peak_dbtp, "sample_rate": delivery.sample_rate,
                "channels": delivery.channels, "bitrate_kbps": delivery.bitrate_kbps,
                "id3_version": delivery.id3_version, "target_duration_s": delivery.target_duration_s,
            },
            "languages": {
                entry.language: {
                    **checked(entry.file), "duration_s": round(entry.duration_s, 3),
                    "integrated_lufs": round(entry.integrated_lufs, 2),
                    "true_peak_dbtp": round(entry.true_peak_dbtp, 2),
                    "loudness_range_lu": round(entry.loudness_range_lu, 2), **_cues_json(entry.cues),
                    "segments": [
                        {"index": s.index, "id": s.id, "title": s.title, "kind": s.kind,
                         "start_s": round(s.start_s, 3), "duration_s": round(s.duration_s, 3),
                         "end_s": round(s.start_s + s.duration_s, 3), **checked(s.file),
                         "integrated_lufs": json_figure(s.integrated_lufs),
                         "true_peak_dbtp": json_figure(s.true_peak_dbtp), **_cues_json(s.cues), "text": s.text,
                         "engine": s.engine,
                         **({"cleanup": dict(s.cleanup)} if s.cleanup is not None else {})}
                        for s in entry.segments
                    ],
                }
                for entry in self.languages
            },
            **({"stations": {station.name: _station_json(station, checked) for station in self.stations}}
               if self.stations else {}),
            "feed": _feed_json(self.feed),
            "files": [{"path": record.path, "size": record.size, "sha256": record.sha256} for record in self.files],
        }

    def write(self, folder: Path) -> None:
        (folder / NAME).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _station_json(station: StationEntry, checked: Callable[[str], dict[str, object]]) -> dict[str, Any]:
    return {"format": station.format, "sample_rate": station.sample_rate, "channels": station.channels,
            "bitrate_kbps": station.bitrate_kbps,
            "files": [{**checked(file.file), "language": file.language, "index": file.number, "id": file.segment_id,
                       "cut": file.cut, "duration_s": round(file.duration_s, 3),
                       "integrated_lufs": json_figure(file.integrated_lufs),
                       "true_peak_dbtp": json_figure(file.true_peak_dbtp), **_cues_json(file.cues)}
                      for file in station.files]}


def _feed_json(feed: Feed) -> dict[str, Any]:
    return {"url": feed.url, "title": dict(feed.title), "description": dict(feed.description), "author": feed.author,
            "owner": {"name": feed.owner_name, "email": feed.owner_email}, "category": feed.category,
            "subcategory": feed.subcategory, "explicit": feed.explicit, "locked": feed.locked, "guid": feed.guid,
            "funding": {"url": feed.funding_url, "text": dict(feed.funding_text)},
            "guests": [{"name": dict(p.name), "role": p.role, "href": p.href, "img": p.img} for p in feed.guests]}


def _cues_json(cues: Cues | None) -> dict[str, float | None]:
    if cues is None:
        return {}
    return {"cue_in_s": round(cues.audio_start_s, 3), "cue_out_s": round(cues.audio_end_s, 3),
            "segue_s": round(cues.segue_s, 3),
            "intro_end_s": None if cues.intro_end_s is None else round(cues.intro_end_s, 3)}


def read(folder: Path, shown: str) -> Manifest:
    """The manifest in `folder`; InputError, naming the key path, where it is missing, not JSON, or damaged."""
    path = folder / NAME
    if path.is_symlink() or not path.is_file():
        raise InputError(f"{shown}: no {NAME} in {folder.name}/: this is not a radiokit package, or it is "
                         "incomplete; ask the producer for the whole package")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{shown}: {NAME}: {path.stat().st_size // 2**20} MiB, more than a manifest holds "
                         f"({MAX_BYTES // 2**20} MiB): ask the producer to send the package again")
    return parse(path.read_bytes(), shown)


def parse(data: bytes, shown: str) -> Manifest:
    """A manifest from its bytes (as read from a folder, or fetched); InputError as `read`."""
    try:
        found = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{shown}: {NAME}: not readable JSON ({str(exc)[:120]}): ask the producer to send the "
                         "package again") from None
    return _Reader(shown).manifest(found)


class _Reader:
    """Typed access to the manifest's JSON: a value of the wrong type is named by its key path."""

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def fail(self, where: str, expected: str) -> InputError:
        return InputError(f"{self.shown}: {NAME}: {where}: expected {expected}: the manifest is damaged or "
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

    def figure(self, node: Any, key: str, where: str) -> float:
        """A loudness figure, where null stands for silence (-inf)."""
        found = self.value(node, key, (int, float), where, optional=True)
        return -math.inf if found is None else float(found)

    def text(self, node: Any, key: str, where: str) -> str | None:
        return self.value(node, key, str, where, optional=True)

    def texts(self, node: Any, key: str, where: str) -> Mapping[str, str] | str:
        """A per-language map of strings, or one string for every language."""
        found = self.value(node, key, (str, dict), where, optional=True)
        if isinstance(found, dict):
            return {language: self.value(found, language, str, f"{where}.{key}") for language in found}
        return found if found is not None else {}

    def record(self, node: Any, key: str, where: str) -> FileRecord:
        return FileRecord(self.value(node, key, str, where), self.value(node, "size", int, where),
                          self.value(node, "sha256", str, where), where)

    def manifest(self, data: Any) -> Manifest:
        found = data.get("format") if isinstance(data, dict) else None
        if found != FORMAT:
            raise InputError(f"{self.shown}: {NAME}: format {found!r}, this radiokit reads {FORMAT!r}: "
                             "is it a radiokit package? Use the radiokit version that made it")
        delivery = self.value(data, "delivery", dict, "")
        files = tuple(self.record(entry, "path", f"files[{number}]")
                      for number, entry in enumerate(self.value(data, "files", list, "")))
        id3_version = self.value(delivery, "id3_version", str, "delivery")
        programme = self.programme(self.value(data, "programme", dict, ""))
        languages, copies = [], []
        for language, entry in self.value(data, "languages", dict, "").items():
            where = f"languages.{language}"
            copies.append(self.record(entry, "file", where))
            segments = []
            for number, segment in enumerate(self.value(entry, "segments", list, where)):
                at = f"{where}.segments[{number}]"
                copies.append(self.record(segment, "file", at))
                segments.append(SegmentEntry(
                    index=self.value(segment, "index", int, at), id=self.text(segment, "id", at) or "",
                    title=self.value(segment, "title", str, at), kind=self.text(segment, "kind", at) or "",
                    start_s=self.number(segment, "start_s", at), duration_s=self.number(segment, "duration_s", at),
                    text=self.text(segment, "text", at) or "", clip_language=None,
                    file=self.value(segment, "file", str, at), integrated_lufs=self.figure(segment, "integrated_lufs", at),
                    true_peak_dbtp=self.figure(segment, "true_peak_dbtp", at), engine=self.text(segment, "engine", at),
                    cleanup=self.value(segment, "cleanup", dict, at, optional=True), cues=self.cues(segment, at)))
            languages.append(LanguageEntry(
                language=language, file=self.value(entry, "file", str, where),
                duration_s=self.number(entry, "duration_s", where),
                integrated_lufs=self.figure(entry, "integrated_lufs", where),
                true_peak_dbtp=self.figure(entry, "true_peak_dbtp", where),
                loudness_range_lu=self.figure(entry, "loudness_range_lu", where), gain_db=None,
                segments=tuple(segments), cues=self.cues(entry, where)))
        stations = []
        for name, node in (self.value(data, "stations", dict, "", optional=True) or {}).items():
            where = f"stations.{name}"
            delivered = []
            for number, item in enumerate(self.value(node, "files", list, where)):
                at = f"{where}.files[{number}]"
                copies.append(self.record(item, "file", at))
                cues = self.cues(item, at)
                if cues is None:
                    raise self.fail(f"{at}.cue_in_s", "a number")
                delivered.append(StationFile(
                    file=self.value(item, "file", str, at), language=self.value(item, "language", str, at),
                    number=self.value(item, "index", int, at), segment_id=self.value(item, "id", str, at),
                    cut=self.value(item, "cut", int, at), duration_s=self.number(item, "duration_s", at),
                    integrated_lufs=self.figure(item, "integrated_lufs", at),
                    true_peak_dbtp=self.figure(item, "true_peak_dbtp", at), cues=cues))
            stations.append(StationEntry(
                name=name, format=self.value(node, "format", str, where),
                sample_rate=self.value(node, "sample_rate", int, where),
                channels=self.value(node, "channels", int, where),
                bitrate_kbps=self.value(node, "bitrate_kbps", int, where, optional=True), files=tuple(delivered)))
        return Manifest(
            slug=self.value(data, "slug", str, ""), programme=programme, stations=tuple(stations),
            feed=self.feed(self.value(data, "feed", dict, "", optional=True)),
            delivery=DeliveryRecord(
                profile=self.value(delivery, "profile", str, "delivery"),
                integrated_lufs=self.number(delivery, "integrated_lufs", "delivery"),
                true_peak_dbtp=self.number(delivery, "true_peak_dbtp", "delivery"),
                sample_rate=self.value(delivery, "sample_rate", int, "delivery"),
                channels=self.value(delivery, "channels", int, "delivery"),
                bitrate_kbps=self.value(delivery, "bitrate_kbps", int, "delivery"), id3_version=id3_version),
            languages=tuple(languages), files=files, created=self.text(data, "created", "") or "",
            generator=self.text(data, "generator", "") or "", copies=tuple(copies))

    def cues(self, node: Any, where: str) -> Cues | None:
        """A file's cue points, where the manifest gives them (older packages do not)."""
        if self.value(node, "cue_in_s", (int, float), where, optional=True) is None:
            return None
        intro = self.value(node, "intro_end_s", (int, float), where, optional=True)
        return Cues(self.number(node, "cue_in_s", where), self.number(node, "cue_out_s", where),
                    self.number(node, "segue_s", where), None if intro is None else float(intro))

    def feed(self, node: dict[str, Any] | None) -> Feed:
        """The series' feed settings; a package from before feeds has none, and takes every default."""
        if node is None:
            return Feed()
        where = "feed"
        owner = self.value(node, "owner", dict, where, optional=True) or {}
        funding = self.value(node, "funding", dict, where, optional=True) or {}
        guests = []
        for number, person in enumerate(self.value(node, "guests", list, where, optional=True) or []):
            at = f"{where}.guests[{number}]"
            guests.append(Person(name=self.strings(person, "name", at), role=self.text(person, "role", at) or "guest",
                                 href=self.text(person, "href", at), img=self.text(person, "img", at)))
        return Feed(url=self.text(node, "url", where), title=self.strings(node, "title", where),
                    description=self.strings(node, "description", where), author=self.text(node, "author", where),
                    owner_name=self.text(owner, "name", f"{where}.owner"),
                    owner_email=self.text(owner, "email", f"{where}.owner"),
                    category=self.text(node, "category", where) or "News",
                    subcategory=self.text(node, "subcategory", where),
                    explicit=self.flag(node, "explicit", where), locked=self.flag(node, "locked", where),
                    guid=self.text(node, "guid", where), funding_url=self.text(funding, "url", f"{where}.funding"),
                    funding_text=self.strings(funding, "text", f"{where}.funding"), guests=tuple(guests))

    def flag(self, node: dict[str, Any], key: str, where: str) -> bool:
        found = node.get(key, False)
        if not isinstance(found, bool):
            raise self.fail(f"{where}.{key}", "true or false")
        return found

    def strings(self, node: Any, key: str, where: str) -> dict[str, str]:
        """A map of language to text (empty where the key is absent)."""
        found = self.value(node, key, dict, where, optional=True) or {}
        for language, text in found.items():
            if not isinstance(text, str):
                raise self.fail(f"{where}.{key}.{language}", "a string")
        return dict(found)

    def programme(self, node: Any) -> ProgrammeRecord:
        where = "programme"
        return ProgrammeRecord(
            series=self.text(node, "series", where) or "", title=self.texts(node, "title", where),
            presenter=self.texts(node, "presenter", where), description=self.texts(node, "description", where),
            funder=self.texts(node, "funder", where), episode=self.text(node, "episode", where),
            date=self.text(node, "date", where), publisher=self.text(node, "publisher", where),
            copyright=self.text(node, "copyright", where), artwork=self.text(node, "artwork", where))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "a number", float: "a number", str: "a string", dict: "an object", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names[k] for k in kinds))
