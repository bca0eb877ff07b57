"""The episode script: parsed into frozen, typed objects and validated before any audio work."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from radiokit import files, translit, yamlsafe
from radiokit.clean.settings import RANGES as CLEANUP_RANGES
from radiokit.clean.settings import CleanupSettings
from radiokit.errors import EngineError, ScriptError
from radiokit.tts import engines as tts_engines
from radiokit.yamlsafe import Map, Node, Scalar, Seq

FORMAT = "radiokit/1"
MAX_SCRIPT_BYTES = 1_000_000
LANGUAGES = ("ru", "tg")
LANGUAGE_NAMES = {"ru": "Russian", "tg": "Tajik"}
ENGINES = tts_engines.names()  # registered here (entry points), for the schema; voices are checked by the registry
PROFILES = {"ebu-r128": (-23.0, -1.0), "podcast": (-16.0, -1.0), "atsc": (-24.0, -2.0)}
FORMATS = ("mp3", "mp2", "wav")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aif", ".aiff")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# Patterns and ranges the parser checks, which the JSON Schema (schema.py) takes from here.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
# m:ss(.s) or h:mm:ss(.s): minutes under an hour once hours are given, seconds under a minute.
TIME_PATTERN = r"^(?:(\d{1,4}):([0-5]?\d)|(\d{1,2})):([0-5]?\d(?:\.\d+)?)$"
BITRATES_KBPS = (64, 96, 112, 128, 160, 192, 224, 256, 320)
SAMPLE_RATES = (44100, 48000)
CHANNEL_COUNTS = (1, 2)
ID3_VERSIONS = ("2.3", "2.4")
RANGES = {"level_db": (-40.0, 20.0), "under_db": (-60.0, 0.0), "integrated_lufs": (-40.0, -5.0),
          "true_peak_dbtp": (-12.0, 0.0)}
VOICE_RANGES = {"rate": (80, 450), "pitch": (0, 100), "volume": (0, 200)}  # words a minute; 50 and 100 are neutral
TOP_KEYS = ("format", "programme", "languages", "delivery", "voices", "lexicon", "cleanup", "stations", "feed",
            "segments")
TOP_REQUIRED = ("format", "programme", "languages", "segments")
PROGRAMME_KEYS = ("series", "title", "episode", "date", "presenter", "publisher", "copyright", "description", "artwork",
                  "slug", "funder")
PROGRAMME_REQUIRED = ("series", "title")
DELIVERY_KEYS = ("profile", "formats", "bitrate_kbps", "sample_rate", "channels", "gap", "id3_version",
                 "target_duration", "tolerance")
PROFILE_KEYS = ("integrated_lufs", "true_peak_dbtp")
SEGMENT_KEYS = ("id", "title", "speaker", "text", "take", "music", "level_db", "clip", "clip_language", "trim",
                "voiceover", "cleanup", "transcript", "silence", "bed", "gap", "fade_in", "fade_out", "crossfade",
                "languages")
KINDS = {"text": "speech", "music": "music", "clip": "clip", "silence": "silence"}  # the key that makes each kind
BED_KEYS = ("music", "under_db", "preroll", "postroll", "fade_out")
TRIM_KEYS = ("start", "end")
VOICEOVER_KEYS = (*LANGUAGES, "lead", "under_db")
VOICEOVER_LINE_KEYS = ("speaker", "text", "take")
STATION_KEYS = ("format", "sample_rate", "channels", "bitrate_kbps", "languages", "names", "cuts", "air", "sidecars",
                "pad", "segments", "category")
STATION_FORMATS = {"wav": ".wav", "wav-mp2": ".wav", "mp2": ".mp2", "mp3": ".mp3"}  # wav: PCM; wav-mp2: MPEG in WAV
STATION_SAMPLE_RATES = (32000, 44100, 48000)
MP2_BITRATES_KBPS = (128, 160, 192, 224, 256, 320, 384)
SIDECARS = ("rivendell", "mairlist")
NAME_FIELDS = ("cut", "slug", "series", "episode", "date", "lang", "n", "id")
CUT_KEYS = ("base", "step")
CUT_RANGE = (1, 999999)  # Rivendell's cart numbers; other systems take any of these
AIR_KEYS = ("start", "end")
FEED_KEYS = ("url", "title", "description", "author", "owner", "category", "subcategory", "explicit", "locked", "guid",
             "funding", "guests")
OWNER_KEYS = ("name", "email")
FUNDING_KEYS = ("url", "text")
PERSON_KEYS = ("name", "role", "href", "img")
# podcast:person roles (the Podcasting 2.0 taxonomy) a programme's people take, and the group of each
PERSON_ROLES = {"host": "cast", "co-host": "cast", "guest": "cast", "announcer": "cast", "narrator": "cast",
                "reporter": "cast", "producer": "creative direction", "translator": "writing"}
# Apple Podcasts' categories, the ones a current-affairs programme is filed under, with their subcategories.
FEED_CATEGORIES = {"News": ("Daily News", "Politics", "Business News", "News Commentary"),
                   "Government": (), "Society & Culture": ("Documentary", "Personal Journals", "Places & Travel"),
                   "Education": (), "History": (), "Business": ("Non-Profit",)}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_NAME_FIELD = re.compile(r"\{([^{}]*)\}")
# A script's `cleanup:` keys and the CleanupSettings field each sets (times without their unit, as elsewhere).
CLEANUP_KEYS = {"highpass_hz": "highpass_hz", "hum": "hum", "denoise": "denoise", "level": "level",
                "pause_max": "pause_max_s", "pause_to": "pause_to_s"}
_ID = re.compile(ID_PATTERN)
# Control characters (among them all that str.splitlines splits on, and the escape that starts a
# terminal's colour codes) and the Unicode line separators: shown escaped when a message quotes them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_TIME = re.compile(TIME_PATTERN)


@dataclass(frozen=True)
class LoudnessTarget:
    name: str
    integrated_lufs: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class Delivery:
    profile: LoudnessTarget = LoudnessTarget("ebu-r128", -23.0, -1.0)
    formats: tuple[str, ...] = ("mp3",)
    bitrate_kbps: int = 128
    sample_rate: int = 44100
    channels: int = 2
    gap_s: float = 0.4
    id3_version: str = "2.3"
    target_duration_s: float | None = None
    tolerance_s: float = 30.0  # around target_duration_s


@dataclass(frozen=True)
class Voice:
    engine: str  # the engine that speaks, when installed here
    voice: str  # a voice of `engine`
    rate: int | None = None
    pitch: int | None = None
    volume: int | None = None
    fallbacks: tuple[str, ...] = ()  # engines to speak with instead, in order, when `engine` is not installed

    @property
    def engines(self) -> tuple[str, ...]:
        """The engines in order of preference."""
        return (self.engine, *self.fallbacks)


@dataclass(frozen=True)
class Programme:
    series: str
    title: Mapping[str, str]
    presenter: Mapping[str, str]
    description: Mapping[str, str]
    episode: str | None = None
    date: dt.date | None = None
    publisher: str | None = None
    copyright: str | None = None
    artwork: Path | None = None
    slug: str = ""
    funder: Mapping[str, str] = field(default_factory=dict)  # who paid for the programme, per language


@dataclass(frozen=True)
class Bed:
    music: Path
    under_db: float = -18.0
    preroll_s: float = 2.0
    postroll_s: float = 1.5
    fade_out_s: float = 1.0


@dataclass(frozen=True)
class VoiceOverLine:
    speaker: str | None = None
    text: str | None = None
    take: Path | None = None


@dataclass(frozen=True)
class VoiceOver:
    lines: Mapping[str, VoiceOverLine]
    lead_s: float = 1.5
    under_db: float = -15.0


@dataclass(frozen=True)
class Segment:
    index: int  # 1-based position in the script
    id: str
    line: int
    kind: str  # speech | music | clip | silence
    title: Mapping[str, str]
    languages: tuple[str, ...]
    speaker: str | None = None
    text: Mapping[str, str] = field(default_factory=dict)
    take: Mapping[str, Path] = field(default_factory=dict)
    music: Path | None = None
    level_db: float = 0.0
    clip: Path | None = None
    clip_language: str | None = None
    trim_start_s: float = 0.0
    trim_end_s: float | None = None
    voiceover: VoiceOver | None = None
    cleanup: CleanupSettings | None = None  # a clip's cleanup chain; None: played as recorded
    transcript: Mapping[str, str] = field(default_factory=dict)  # a clip's words, per language where heard as recorded
    silence_s: float = 0.0
    bed: Bed | None = None
    gap_s: float | None = None
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    crossfade_s: float = 0.0


@dataclass(frozen=True)
class Station:
    """A station profile: which files a station's playout system imports, in which format, under which
    names and cut numbers (docs/stations.md). None where the delivery's setting applies."""

    name: str
    format: str = "wav"  # a key of STATION_FORMATS
    sample_rate: int | None = None
    channels: int | None = None
    bitrate_kbps: int | None = None  # MP3: the delivery's; MP2: 256 stereo, 128 mono
    languages: tuple[str, ...] = ()  # (): every language of the script
    names: str = "{cut}"  # the file-name pattern (NAME_FIELDS), without or with the format's suffix
    cut_base: int = 1000  # the programme in the first language; its segments follow
    cut_step: int = 100  # between languages
    air_start: dt.datetime | None = None  # None: the programme's date at midnight, else the day of the build
    air_end: dt.datetime | None = None  # None: no end
    sidecars: tuple[str, ...] = ()
    pad_s: float = 0.0  # silence at the head and tail of every file
    segments: int | None = None  # how many segments each language must have, if the station's clock fixes it
    category: str = "RADIOKIT"

    @property
    def suffix(self) -> str:
        return STATION_FORMATS[self.format]

    def cut(self, language_index: int, number: int) -> int:
        """The cut number of a language's programme (number 0) or segment (1, 2, ...)."""
        return self.cut_base + language_index * self.cut_step + number

    def file_name(self, fields: Mapping[str, str]) -> str:
        """The pattern filled in (fields by NAME_FIELDS, ASCII), with the format's suffix."""
        name = _NAME_FIELD.sub(lambda found: fields[found.group(1)], self.names)
        return name if name.lower().endswith(self.suffix) else name + self.suffix


def name_fields(programme: Programme, station: Station, language_index: int, language: str, number: int,
                segment_id: str) -> dict[str, str]:
    """What a station's file-name pattern may use, for one file: all ASCII and safe in a file name."""
    def safe(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", translit.to_ascii(text)).strip("-.") or "x"
    return {"cut": str(station.cut(language_index, number)), "slug": programme.slug, "series": safe(programme.series),
            "episode": safe(programme.episode or ""), "date": programme.date.isoformat() if programme.date else "",
            "lang": language, "n": f"{number:02d}", "id": segment_id}


@dataclass(frozen=True)
class Person:
    """Someone a feed names (podcast:person): per-language name, a role from the podcast taxonomy."""

    name: Mapping[str, str]
    role: str = "guest"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Feed:
    """The series' podcast feed settings (docs/distribution.md); every field has a default, so a script
    without `feed:` still publishes. Carried in the manifest, so that `radiokit publish` needs no script."""

    url: str | None = None  # where the published folder is served: enclosures and transcripts are under it
    title: Mapping[str, str] = field(default_factory=dict)  # {}: the series
    description: Mapping[str, str] = field(default_factory=dict)  # {}: the series and its publisher
    author: str | None = None  # None: the publisher
    owner_name: str | None = None
    owner_email: str | None = None
    category: str = "News"
    subcategory: str | None = None
    explicit: bool = False
    locked: bool = False  # podcast:locked: other platforms may not import the feed
    guid: str | None = None  # None: the Podcasting 2.0 rule, a UUIDv5 of the feed's URL
    funding_url: str | None = None
    funding_text: Mapping[str, str] = field(default_factory=dict)  # {}: the funder
    guests: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Script:
    path: Path
    folder: Path
    programme: Programme
    languages: tuple[str, ...]
    delivery: Delivery
    voices: Mapping[str, Mapping[str, Voice]]
    lexicon: Mapping[str, Mapping[str, str]]
    segments: tuple[Segment, ...]
    stations: Mapping[str, Station] = field(default_factory=dict)
    feed: Feed = field(default_factory=Feed)

    def segments_for(self, language: str) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if language in s.languages)


def load_script(path: str | os.PathLike[str], allow_outside: Sequence[str | os.PathLike[str]] = ()) -> Script:
    """Read and validate a script (its episode.yaml); raises ScriptError listing every problem found, each as
    `file:line: where: what`. Files it names are taken from its folder, and from `allow_outside`."""
    path = Path(path)
    shown = str(path)
    try:
        # One byte past the bound is enough to refuse: a huge file (or /dev/zero) is never read whole.
        with path.open("rb") as handle:
            raw = handle.read(MAX_SCRIPT_BYTES + 1)
    except FileNotFoundError:
        raise ScriptError([f"{shown}: no such script: check the path"]) from None
    except IsADirectoryError:
        raise ScriptError([f"{shown}: is a folder: give the episode.yaml inside it"]) from None
    except OSError as exc:
        raise ScriptError([f"{shown}: cannot read the script ({exc.strerror})"]) from None
    if len(raw) > MAX_SCRIPT_BYTES:
        raise ScriptError([f"{shown}:1: the script is larger than {MAX_SCRIPT_BYTES // 1000} kB: is this the right file?"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScriptError([f"{shown}:1: the file is not UTF-8 text: save it as UTF-8"]) from None
    try:
        root = yamlsafe.load(text)
    except yamlsafe.YamlProblem as exc:
        raise ScriptError([f"{shown}:{exc.line}: {exc.message}"]) from None
    parser = _Parser(shown, path.resolve().parent, tuple(Path(p).resolve() for p in allow_outside))
    script = parser.script(root, path)
    if parser.problems:
        raise ScriptError([f"{shown}:{line}: {msg}" for line, msg in sorted(parser.problems, key=lambda p: p[0])])
    assert script is not None
    return script


def parse_time(value: Any) -> float | None:
    """Seconds from a number or an `m:ss(.s)` / `h:mm:ss(.s)` string; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float is no length of time
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        match = _TIME.match(value.strip())
        if match:
            hours, minutes_past, minutes, seconds = match.groups()
            return int(hours or 0) * 3600 + int(minutes_past or minutes) * 60 + float(seconds)
    return None


class _Parser:
    """Walks the located YAML tree, collecting (line, message) problems instead of stopping at the first."""

    def __init__(self, shown: str, folder: Path, allow_outside: tuple[Path, ...]) -> None:
        self.shown = shown
        self.folder = folder
        self.allow_outside = allow_outside
        self.problems: list[tuple[int, str]] = []
        self.episode_cleanup: CleanupSettings | None = CleanupSettings()  # what a clip gets unless it says otherwise

    def problem(self, line: int, where: str, message: str) -> None:
        # "segments[4] (mamadazimov).trim.end" is shown as "segments[4] (mamadazimov): trim.end: ..." so that
        # every segment problem starts with the same prefix.
        match = re.match(r"^(segments\[\d+\](?: \([^)]*\))?)\.(.+)$", where)
        if match:
            where = f"{match.group(1)}: {match.group(2)}"
        text = f"{where}: {message}" if where else message
        # Keys and values quoted in messages come from the script: a line break in one must not break the
        # one-line-per-problem form, nor an escape sequence recolour or move the producer's terminal.
        self.problems.append((line, _UNPRINTABLE.sub(lambda found: repr(found.group())[1:-1], text)))

    # ---- generic checks -------------------------------------------------
    def map_of(self, node: Node, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Map | None:
        if not isinstance(node, Map):
            self.problem(node.line, where, f"must be a map of keys ({', '.join(allowed)})")
            return None
        for key, (line, _value) in node.entries.items():
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean {near[0]!r}?" if near else f"allowed keys: {', '.join(allowed)}"
                self.problem(line, where, f"unknown key {key!r}: {hint}")
        for key in required:
            if key not in node.entries:
                self.problem(node.line, where, f"missing {key!r}: add it")
        return node

    def get(self, node: Map, key: str) -> Node | None:
        entry = node.entries.get(key)
        return entry[1] if entry else None

    def value(self, node: Map, key: str) -> Node:
        """The value of a key the caller knows is present (checked, or required by the segment's kind)."""
        return node.entries[key][1]

    def string(self, node: Node, where: str, allow_empty: bool = False) -> str | None:
        if isinstance(node, Scalar) and isinstance(node.value, (str, int, float)) and not isinstance(node.value, bool):
            text = str(node.value).strip()
            if text or allow_empty:
                return text
            self.problem(node.line, where, "is empty: write the text")
            return None
        self.problem(node.line, where, "must be text")
        return None

    def number(self, node: Node, where: str, low: float | None = None, high: float | None = None) -> float | None:
        if not isinstance(node, Scalar) or isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.problem(node.line, where, "must be a number")
            return None
        try:
            value = float(node.value)
        except OverflowError:  # an integer beyond any float is outside every range
            value = math.inf if node.value > 0 else -math.inf
        if math.isnan(value) or (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if low is not None and high is not None else (
                f"at least {low:g}" if low is not None else f"at most {high:g}")
            self.problem(node.line, where, f"{value:g} is out of range: use a value {bounds}")
            return None
        return value

    def integer(self, node: Node, where: str, choices: tuple[int, ...]) -> int | None:
        if not isinstance(node, Scalar) or isinstance(node.value, bool) or not isinstance(node.value, int):
            self.problem(node.line, where, "must be a whole number")
            return None
        if node.value not in choices:
            self.problem(node.line, where, f"{node.value} is not supported: use one of {', '.join(map(str, choices))}")
            return None
        return node.value

    def time(self, node: Node, where: str, positive: bool = False) -> float | None:
        value = parse_time(node.value) if isinstance(node, Scalar) else None
        if value is None:
            self.problem(node.line, where, "must be seconds (1.5) or a time like \"1:20\" or \"0:03.5\"")
            return None
        if value < 0 or (positive and value == 0):
            self.problem(node.line, where, f"must be {'more than' if positive else 'at least'} 0 seconds")
            return None
        return value

    def choice(self, node: Node, where: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, where)
        if value is not None and value not in choices:
            near = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else f"use one of {', '.join(choices)}"
            self.problem(node.line, where, f"{value!r} is not supported: {hint}")
            return None
        return value

    def file(self, node: Node, where: str, suffixes: tuple[str, ...]) -> Path | None:
        name = self.string(node, where)
        if name is None:
            return None
        given = Path(name)
        if given.is_absolute() and not self.allow_outside:
            self.problem(node.line, where, f"{name!r} is an absolute path: put the file beside the script "
                                           "and give a relative path (or pass --allow-outside)")
            return None
        try:
            resolved = (self.folder / given).resolve()
            is_folder, is_file = resolved.is_dir(), resolved.is_file()
        except RuntimeError:  # pathlib's way of saying a symbolic link loops
            self.problem(node.line, where, f"{name!r} is a symbolic link that leads back to itself: "
                                           "point it at the file")
            return None
        except ValueError:  # a NUL, or half a surrogate pair, from a YAML escape such as "\0"
            self.problem(node.line, where, f"{name!r} holds a character no file name can: retype the name")
            return None
        except OSError as exc:  # e.g. a name longer than the file system allows
            self.problem(node.line, where, f"{name!r} cannot be looked up ({exc.strerror}): check the name")
            return None
        roots = (self.folder, *self.allow_outside)
        if not any(resolved.is_relative_to(root) for root in roots):
            self.problem(node.line, where, f"{name!r} leads outside the script's folder: copy the file into "
                                           f"{self.folder.name}/ or pass --allow-outside")
            return None
        if is_folder:
            self.problem(node.line, where, f"{name!r} is a folder: name a file in it")
            return None
        if not is_file:
            self.problem(node.line, where, f"file {name!r} does not exist: check the name (paths are relative "
                                           "to the script's folder)")
            return None
        if resolved.suffix.lower() not in suffixes:
            self.problem(node.line, where, f"{name!r} is not a supported file type: use {', '.join(suffixes)}")
            return None
        try:
            with resolved.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            self.problem(node.line, where, f"cannot read {name!r} ({exc.strerror}): check its permissions")
            return None
        return resolved

    def per_language(self, node: Node, where: str, languages: tuple[str, ...],
                     read: Callable[[Node, str], Any], what: str, required: bool = True) -> dict[str, Any]:
        """A value given once for all languages, or as a map with one entry per language."""
        if isinstance(node, Map):
            result: dict[str, Any] = {}
            for key, (line, value) in node.entries.items():
                if key not in LANGUAGES:
                    self.problem(line, where, f"{key!r} is not a language: use {', '.join(LANGUAGES)}")
                elif key in languages:
                    parsed = read(value, f"{where}.{key}")
                    if parsed is not None:
                        result[key] = parsed
            for language in languages:
                if required and language not in node.entries:
                    self.problem(node.line, where, f"no {what} for {language!r}: add a {language}: entry, "
                                                   "or restrict the segment with languages: [...]")
            return result
        value = read(node, where)
        return {language: value for language in languages} if value is not None else {}

    # ---- the script ------------------------------------------------------
    def script(self, root: Node, path: Path) -> Script | None:
        top = self.map_of(root, "", TOP_KEYS, required=TOP_REQUIRED)
        if top is None:
            return None
        fmt = self.get(top, "format")
        written = self.string(fmt, "format") if fmt is not None else None
        if fmt is not None and written is not None and written != FORMAT:
            self.problem(fmt.line, "format", f"unsupported format {written!r}: this radiokit reads {FORMAT!r}")
        languages = self.languages(self.get(top, "languages"))
        delivery = self.delivery(self.get(top, "delivery"))
        voices = self.voices(self.get(top, "voices"))
        lexicon = self.lexicon(self.get(top, "lexicon"))
        programme = self.programme(self.get(top, "programme"), languages)
        cleanup_node = self.get(top, "cleanup")
        if cleanup_node is not None:
            self.episode_cleanup = self.cleanup(cleanup_node, "cleanup", CleanupSettings())
        segments = self.segments(self.get(top, "segments"), languages, voices)
        stations_node = self.get(top, "stations")
        stations = (self.stations(stations_node, programme, languages, segments)
                    if stations_node is not None and programme is not None else {})
        feed_node = self.get(top, "feed")
        feed = self.feed(feed_node, languages) if feed_node is not None else Feed()
        if programme is None or self.problems:
            return None
        return Script(path=path, folder=self.folder, programme=programme, languages=languages, delivery=delivery,
                      voices=voices, lexicon=lexicon, segments=segments, stations=stations, feed=feed)

    def languages(self, node: Node | None, where: str = "languages") -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node, Seq) or not node.items:
            self.problem(node.line, where, "must be a list such as [ru, tg]")
            return ()
        result: list[str] = []
        for item in node.items:
            language = self.choice(item, where, LANGUAGES)
            if language in result:
                self.problem(item.line, where, f"{language!r} is listed twice")
            elif language:
                result.append(language)
        return tuple(result)

    def delivery(self, node: Node | None) -> Delivery:
        if node is None:
            return Delivery()
        where = "delivery"
        found = self.map_of(node, where, DELIVERY_KEYS)
        if found is None:
            return Delivery()
        values: dict[str, Any] = {}
        for key, (_line, value) in found.entries.items():
            here = f"{where}.{key}"
            if key == "profile":
                values["profile"] = self.profile(value, here)
            elif key == "formats":
                values["formats"] = self.formats(value, here)
            elif key == "bitrate_kbps":
                values["bitrate_kbps"] = self.integer(value, here, BITRATES_KBPS)
            elif key == "sample_rate":
                values["sample_rate"] = self.integer(value, here, SAMPLE_RATES)
            elif key == "channels":
                values["channels"] = self.integer(value, here, CHANNEL_COUNTS)
            elif key == "gap":
                values["gap_s"] = self.time(value, here)
            elif key == "id3_version":
                version = value.value if isinstance(value, Scalar) else None
                values["id3_version"] = self.choice(Scalar(str(version), value.line), here, ID3_VERSIONS)
            elif key == "target_duration":
                values["target_duration_s"] = self.time(value, here, positive=True)
            elif key == "tolerance":
                values["tolerance_s"] = self.time(value, here)
        return Delivery(**{k: v for k, v in values.items() if v is not None})

    def profile(self, node: Node, where: str) -> LoudnessTarget | None:
        if isinstance(node, Map):
            found = self.map_of(node, where, PROFILE_KEYS, required=PROFILE_KEYS)
            if found is None or len(found.entries) != 2:
                return None
            lufs = self.number(found.entries["integrated_lufs"][1], f"{where}.integrated_lufs", *RANGES["integrated_lufs"])
            peak = self.number(found.entries["true_peak_dbtp"][1], f"{where}.true_peak_dbtp", *RANGES["true_peak_dbtp"])
            if lufs is None or peak is None:
                return None
            return LoudnessTarget("custom", lufs, peak)
        name = self.choice(node, where, tuple(PROFILES))
        return LoudnessTarget(name, *PROFILES[name]) if name else None

    def formats(self, node: Node, where: str) -> tuple[str, ...] | None:
        if not isinstance(node, Seq) or not node.items:
            self.problem(node.line, where, "must be a list such as [mp3]")
            return None
        chosen = [self.choice(item, where, FORMATS) for item in node.items]
        if "mp3" not in chosen:
            self.problem(node.line, where, "must include mp3: the package and its tags are built on MP3")
        return tuple(dict.fromkeys(c for c in chosen if c))

    def voices(self, node: Node | None) -> dict[str, dict[str, Voice]]:
        if node is None:
            return {}
        if not isinstance(node, Map):
            self.problem(node.line, "voices", "must be a map of speakers, e.g. host: {ru: {engine: espeak}}")
            return {}
        result: dict[str, dict[str, Voice]] = {}
        for name, (_line, per_language) in node.entries.items():
            where = f"voices.{name}"
            found = self.map_of(per_language, where, LANGUAGES)
            if found is None:
                continue
            result[name] = {}
            for language, (_l, voice_node) in found.entries.items():
                if language not in LANGUAGES:  # map_of has said so
                    continue
                voice = self.voice(voice_node, f"{where}.{language}", language)
                if voice is not None:
                    result[name][language] = voice
        return result

    def voice(self, node: Node, where: str, language: str) -> Voice | None:
        found = self.map_of(node, where, ("engine", "voice", "rate", "pitch", "volume"))
        if found is None:
            return None
        engine_node, voice_node = self.get(found, "engine"), self.get(found, "voice")
        if engine_node is not None:
            listed = self.engine_list(engine_node, f"{where}.engine")
        else:  # a voice named without an engine is an espeak-ng voice (ru+m3), as scripts have always written
            defaults = ("espeak",) if voice_node is not None else tts_engines.DEFAULT_ENGINES[language]
            listed = [tts_engines.get(name) for name in defaults]
        if not listed:
            return None
        chosen = tuple(engine.name for engine in listed)
        for engine in listed:
            if language not in engine.languages:
                self.problem(found.line, where, f"engine {engine.name!r} cannot speak {language!r}: use engine: espeak")
                return None
        if not any(engine.installed() for engine in listed):
            missing = " and ".join(chosen)
            self.problem((engine_node or found).line, f"{where}.engine",
                         f"{missing} {'is' if len(chosen) == 1 else 'are'} not installed here: "
                         f"{'; '.join(engine.install for engine in listed)}, or let espeak speak when it is "
                         f"missing: engine: [{', '.join(chosen)}, espeak]")
        first = listed[0]
        voice = first.default_voice(language)
        if voice_node is not None:
            voice = self.string(voice_node, f"{where}.voice") or voice
            trouble = first.check_voice(voice, language)
            if trouble:
                self.problem(voice_node.line, f"{where}.voice", trouble)
        limits = VOICE_RANGES
        numbers: dict[str, int | None] = {}
        for key, (low, high) in limits.items():
            value_node = self.get(found, key)
            if value_node is None:
                continue
            if not any(key in engine.prosody for engine in listed):
                has = "has" if len(chosen) == 1 else "have"
                self.problem(value_node.line, f"{where}.{key}", f"{' and '.join(chosen)} {has} no {key}: remove it")
                continue
            value = self.number(value_node, f"{where}.{key}", low, high)
            numbers[key] = int(round(value)) if value is not None else None
        return Voice(engine=chosen[0], voice=voice, fallbacks=chosen[1:], **numbers)

    def engine_list(self, node: Node, where: str) -> list[tts_engines.Engine]:
        """`engine: NAME`, or `engine: [NAME, ...]` in order of preference, each registered here; [] after a problem."""
        items = node.items if isinstance(node, Seq) else [node]
        if not items:
            self.problem(node.line, where, "list at least one engine, e.g. [festival, espeak]")
            return []
        registered = tts_engines.names()
        listed: list[tts_engines.Engine] = []
        for item in items:
            name = self.choice(item, where, registered)
            if name is None:
                return []
            if any(engine.name == name for engine in listed):
                self.problem(item.line, where, f"{name!r} is listed twice")
                return []
            try:
                listed.append(tts_engines.get(name))
            except EngineError as exc:  # a plugin that does not load
                self.problem(item.line, where, str(exc))
                return []
        return listed

    def lexicon(self, node: Node | None) -> dict[str, dict[str, str]]:
        if node is None:
            return {}
        found = self.map_of(node, "lexicon", LANGUAGES)
        if found is None:
            return {}
        result: dict[str, dict[str, str]] = {}
        for language, (_line, words) in found.entries.items():
            where = f"lexicon.{language}"
            if not isinstance(words, Map):
                self.problem(words.line, where, "must be a map of word: respelling")
                continue
            result[language] = {}
            for word, (_line, respelling) in words.entries.items():
                value = self.string(respelling, f"{where}.{word}")
                if value is not None:
                    result[language][word] = value
        return result

    def programme(self, node: Node | None, languages: tuple[str, ...]) -> Programme | None:
        if node is None:
            return None
        where = "programme"
        found = self.map_of(node, where, PROGRAMME_KEYS, required=PROGRAMME_REQUIRED)
        if found is None:
            return None

        def text(key: str) -> dict[str, str]:
            value = self.get(found, key)
            if value is None:
                return {}
            return self.per_language(value, f"{where}.{key}", languages, self.string, key)

        def plain(key: str) -> str | None:
            value = self.get(found, key)
            return self.string(value, f"{where}.{key}") if value is not None else None

        series = plain("series") or ""
        episode = plain("episode")
        date = None
        date_node = self.get(found, "date")
        if date_node is not None:
            date = self.date(date_node, f"{where}.date")
        artwork_node = self.get(found, "artwork")
        artwork = self.file(artwork_node, f"{where}.artwork", IMAGE_SUFFIXES) if artwork_node else None
        image_problem = files.image_problem(artwork) if artwork else None
        if artwork_node is not None and image_problem:
            self.problem(artwork_node.line, f"{where}.artwork", f"{artwork_node.value!r} {image_problem}")
            artwork = None
        slug_node = self.get(found, "slug")
        slug = plain("slug") if slug_node else make_slug(series, episode, date)
        if slug_node is not None and slug is not None and not _ID.match(slug):
            self.problem(slug_node.line, f"{where}.slug", f"{slug!r} must be lower-case letters, digits and hyphens")
        return Programme(series=series, title=text("title"), presenter=text("presenter"),
                         description=text("description"), episode=episode, date=date,
                         publisher=plain("publisher"), copyright=plain("copyright"), artwork=artwork,
                         slug=slug or "episode", funder=text("funder"))

    def date(self, node: Node, where: str) -> dt.date | None:
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(node.line, where, "must be a real date written YYYY-MM-DD")
        return None

    # ---- the podcast feed -----------------------------------------------------
    def feed(self, node: Node, languages: tuple[str, ...]) -> Feed:
        where = "feed"
        found = self.map_of(node, where, FEED_KEYS)
        if found is None:
            return Feed()
        values: dict[str, Any] = {}

        def texts(key: str, node: Node) -> dict[str, str]:
            return self.per_language(node, f"{where}.{key}", languages, self.string, key)

        for key, (line, value) in found.entries.items():
            at = f"{where}.{key}"
            if key == "url":
                values["url"] = self.web_address(value, at)
            elif key in ("title", "description"):
                values[key] = texts(key, value)
            elif key == "author":
                values["author"] = self.string(value, at)
            elif key == "owner":
                owner = self.map_of(value, at, OWNER_KEYS, required=("email",))
                if owner is not None:
                    name, email = self.get(owner, "name"), self.get(owner, "email")
                    values["owner_name"] = self.string(name, f"{at}.name") if name is not None else None
                    values["owner_email"] = self.email(email, f"{at}.email") if email is not None else None
            elif key == "category":
                values["category"] = self.choice(value, at, tuple(FEED_CATEGORIES))
            elif key == "subcategory":
                values["subcategory"] = self.string(value, at)
            elif key in ("explicit", "locked"):
                if isinstance(value, Scalar) and isinstance(value.value, bool):
                    values[key] = value.value
                else:
                    self.problem(value.line, at, "must be true or false")
            elif key == "guid":
                guid = self.string(value, at)
                if guid is not None and not _UUID.match(guid.lower()):
                    self.problem(value.line, at, f"{guid!r} is not a UUID: leave it out and radiokit derives one "
                                                 "from the feed's url, as Podcasting 2.0 asks")
                values["guid"] = guid.lower() if guid else None
            elif key == "funding":
                funding = self.map_of(value, at, FUNDING_KEYS, required=("url",))
                if funding is not None:
                    url, text = self.get(funding, "url"), self.get(funding, "text")
                    values["funding_url"] = self.web_address(url, f"{at}.url") if url is not None else None
                    values["funding_text"] = texts("funding.text", text) if text is not None else {}
            elif key == "guests":
                values["guests"] = self.people(value, at, languages)
        category = values.get("category") or "News"
        subcategory = values.get("subcategory")
        if subcategory is not None and subcategory not in FEED_CATEGORIES[category]:
            allowed = ", ".join(FEED_CATEGORIES[category]) or "none"
            self.problem(found.entries["subcategory"][0], f"{where}.subcategory",
                         f"{subcategory!r} is not an Apple Podcasts subcategory of {category!r}: use one of {allowed}")
        if values.get("locked") and not values.get("owner_email"):
            self.problem(found.entries["locked"][0], f"{where}.locked",
                         "a locked feed names its owner: add owner: {email: ...}")
        return Feed(**{key: value for key, value in values.items() if value is not None})

    def web_address(self, node: Node, where: str) -> str | None:
        text = self.string(node, where)
        if text is not None and not re.match(r"^https?://[^/\s]+(/\S*)?$", text):
            self.problem(node.line, where, f"{text!r} is not a web address: write it as https://host/path")
            return None
        return text

    def email(self, node: Node, where: str) -> str | None:
        text = self.string(node, where)
        if text is not None and not _EMAIL.match(text):
            self.problem(node.line, where, f"{text!r} is not an e-mail address")
            return None
        return text

    def people(self, node: Node, where: str, languages: tuple[str, ...]) -> tuple[Person, ...]:
        if not isinstance(node, Seq):
            self.problem(node.line, where, "must be a list of people, e.g. [{name: Rashid Abdullo}]")
            return ()
        people = []
        for number, item in enumerate(node.items):
            at = f"{where}[{number}]"
            found = self.map_of(item, at, PERSON_KEYS, required=("name",))
            if found is None or self.get(found, "name") is None:
                continue
            name = self.per_language(self.value(found, "name"), f"{at}.name", languages, self.string, "name")
            role_node, href, img = self.get(found, "role"), self.get(found, "href"), self.get(found, "img")
            people.append(Person(name=name,
                                 role=(self.choice(role_node, f"{at}.role", tuple(PERSON_ROLES)) or "guest")
                                 if role_node is not None else "guest",
                                 href=self.web_address(href, f"{at}.href") if href is not None else None,
                                 img=self.web_address(img, f"{at}.img") if img is not None else None))
        return tuple(people)

    # ---- stations ----------------------------------------------------------
    def stations(self, node: Node, programme: Programme, languages: tuple[str, ...],
                 segments: tuple[Segment, ...]) -> dict[str, Station]:
        if not isinstance(node, Map) or not node.entries:
            self.problem(node.line, "stations", "must be a map of station profiles, e.g. stations: {kfm: {format: wav}}")
            return {}
        result: dict[str, Station] = {}
        for name, (line, value) in node.entries.items():
            where = f"stations.{name}"
            if not _ID.match(name):
                self.problem(line, where, "a station's name must be lower-case letters, digits and hyphens "
                                          "(it names a folder), e.g. 'kfm'")
                continue
            station = self.station(value, where, name, languages)
            if station is not None:
                self.check_station_files(station, line, where, programme, languages, segments)
                result[name] = station
        return result

    def station(self, node: Node, where: str, name: str, languages: tuple[str, ...]) -> Station | None:
        found = self.map_of(node, where, STATION_KEYS)
        if found is None:
            return None
        values: dict[str, Any] = {}
        for key, (line, value) in found.entries.items():
            here = f"{where}.{key}"
            if key == "format":
                values["format"] = self.choice(value, here, tuple(STATION_FORMATS))
            elif key == "sample_rate":
                values["sample_rate"] = self.integer(value, here, STATION_SAMPLE_RATES)
            elif key == "channels":
                values["channels"] = self.integer(value, here, CHANNEL_COUNTS)
            elif key == "bitrate_kbps":
                values["bitrate_kbps"] = self.integer(value, here, tuple(sorted({*BITRATES_KBPS, *MP2_BITRATES_KBPS})))
            elif key == "languages":
                listed = self.languages(value, here)
                values["languages"] = tuple(language for language in listed if language in languages)
                if any(language not in languages for language in listed):
                    self.problem(line, here, f"the script builds only {list(languages)}: list only those")
            elif key == "names":
                values["names"] = self.name_pattern(value, here)
            elif key == "cuts":
                cuts = self.map_of(value, here, CUT_KEYS)
                for part in ("base", "step"):
                    if cuts is not None and part in cuts.entries:
                        number = self.number(self.value(cuts, part), f"{here}.{part}", *CUT_RANGE)
                        if number is not None and number != int(number):
                            self.problem(cuts.entries[part][0], f"{here}.{part}", "must be a whole number")
                        elif number is not None:
                            values[f"cut_{part}"] = int(number)
            elif key == "air":
                air = self.map_of(value, here, AIR_KEYS)
                for part in AIR_KEYS:
                    if air is not None and part in air.entries:
                        values[f"air_{part}"] = self.moment(self.value(air, part), f"{here}.{part}", part == "end")
            elif key == "sidecars":
                items = value.items if isinstance(value, Seq) else ()
                if not isinstance(value, Seq):
                    self.problem(line, here, f"must be a list of {', '.join(SIDECARS)}")
                values["sidecars"] = tuple(choice for item in items if (choice := self.choice(item, here, SIDECARS)))
            elif key == "pad":
                values["pad_s"] = self.time(value, here)
            elif key == "segments":
                count = self.number(value, here, 1, 999)
                values["segments"] = int(count) if count is not None else None
            elif key == "category":
                values["category"] = self.string(value, here)
        if any(value is None for value in values.values()):
            return None
        station = Station(name=name, **values)
        bitrate, fmt = station.bitrate_kbps, station.format
        allowed = BITRATES_KBPS if fmt == "mp3" else MP2_BITRATES_KBPS if fmt in ("mp2", "wav-mp2") else None
        if bitrate is not None and allowed is not None and bitrate not in allowed:
            self.problem(found.entries["bitrate_kbps"][0], f"{where}.bitrate_kbps",
                         f"{bitrate} is not a {fmt} bitrate: use one of {', '.join(map(str, allowed))}")
        if bitrate is not None and allowed is None:
            self.problem(found.entries["bitrate_kbps"][0], f"{where}.bitrate_kbps", "PCM WAV has no bitrate: remove it")
        written = Path(station.names).suffix.lower()
        if written in {*STATION_FORMATS.values(), *AUDIO_SUFFIXES} and written != station.suffix:
            self.problem(found.entries["names"][0], f"{where}.names", f"{station.names!r} ends in {written}, but "
                                                                      f"{fmt} files end in {station.suffix}")
        if station.air_start and station.air_end and station.air_end <= station.air_start:
            self.problem(found.entries["air"][0], f"{where}.air", f"the air window ends ({station.air_end:%Y-%m-%d %H:%M}) "
                                                                  f"before it starts ({station.air_start:%Y-%m-%d %H:%M})")
        return station

    def name_pattern(self, node: Node, where: str) -> str | None:
        pattern = self.string(node, where)
        if pattern is None:
            return None
        unknown = [field for field in _NAME_FIELD.findall(pattern) if field not in NAME_FIELDS]
        if unknown:
            self.problem(node.line, where, f"{{{unknown[0]}}} is not a name field: use "
                                           f"{', '.join('{' + field + '}' for field in NAME_FIELDS)}")
            return None
        if "/" in pattern or "\\" in pattern or pattern.startswith("."):
            self.problem(node.line, where, f"{pattern!r} must name a file in the station's folder: no / and no "
                                           "leading dot")
            return None
        return pattern

    def moment(self, node: Node, where: str, end: bool) -> dt.datetime | None:
        """A date and time: YYYY-MM-DD (midnight; the end of the day for an end) or YYYY-MM-DD HH:MM(:SS)."""
        value = node.value if isinstance(node, Scalar) else None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(23, 59, 59) if end else dt.time(0, 0))
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
            except ValueError:
                pass
        self.problem(node.line, where, "must be a date and time written YYYY-MM-DD or \"YYYY-MM-DD HH:MM\"")
        return None

    def check_station_files(self, station: Station, line: int, where: str, programme: Programme,
                            languages: tuple[str, ...], segments: tuple[Segment, ...]) -> None:
        """Cut numbers in range, one per file; a fixed segment count met; no two files with one name."""
        chosen = station.languages or languages
        names: dict[str, str] = {}
        for index, language in enumerate(chosen):
            own = [segment for segment in segments if language in segment.languages]
            if station.segments is not None and len(own) != station.segments:
                self.problem(line, where, f"the station takes {station.segments} segments, the {language} "
                                          f"version has {len(own)}: change segments: or the script")
                return
            if len(own) >= station.cut_step and len(chosen) > 1:
                self.problem(line, where, f"cuts.step {station.cut_step} leaves no room for {len(own)} segments "
                                          f"after each programme: use a step over {len(own)}")
                return
            last = station.cut(index, len(own))
            if last > CUT_RANGE[1]:
                self.problem(line, where, f"cut numbers reach {last}, past {CUT_RANGE[1]}: lower cuts.base or "
                                          "cuts.step")
                return
            for number, segment_id in enumerate(["programme", *(segment.id for segment in own)]):
                name = station.file_name(name_fields(programme, station, index, language, number, segment_id))
                if name in names:
                    self.problem(line, f"{where}.names", f"{station.names!r} gives two files the same name "
                                                         f"({name}: {names[name]} and {language} {segment_id}): add "
                                                         "{n}, {id} or {cut}")
                    return
                names[name] = f"{language} {segment_id}"

    # ---- segments ----------------------------------------------------------
    def segments(self, node: Node | None, languages: tuple[str, ...],
                 voices: Mapping[str, Mapping[str, Voice]]) -> tuple[Segment, ...]:
        if node is None:
            return ()
        if not isinstance(node, Seq) or not node.items:
            self.problem(node.line, "segments", "must be a list of segments, each starting with '- id: ...'")
            return ()
        result: list[Segment] = []
        seen: dict[str, int] = {}
        for number, item in enumerate(node.items, start=1):
            segment = self.segment(item, number, languages, voices, seen)
            if segment is not None:
                result.append(segment)
        for language in languages:
            if result and not any(language in s.languages for s in result):
                self.problem(node.line, "segments", f"no segment plays in {language!r}: add one or drop the language")
        return tuple(result)

    def segment(self, node: Node, number: int, languages: tuple[str, ...],
                voices: Mapping[str, Mapping[str, Voice]], seen: dict[str, int]) -> Segment | None:
        where = f"segments[{number}]"
        id_node = self.get(node, "id") if isinstance(node, Map) else None
        segment_id = None
        if id_node is not None:
            segment_id = self.string(id_node, where)
            if segment_id is not None:
                where = f"{where} ({segment_id})"
                if not _ID.match(segment_id):
                    self.problem(id_node.line, where, "the id must be lower-case letters, digits and hyphens "
                                                      "(it names files), e.g. 'sign-off'")
                elif segment_id in seen:
                    self.problem(id_node.line, where, f"id {segment_id!r} is already used by segments[{seen[segment_id]}]: "
                                                      "give each segment its own id")
                else:
                    seen[segment_id] = number
        found = self.map_of(node, where, SEGMENT_KEYS, required=("id",))
        if found is None:
            return None
        count_before = len(self.problems)
        kinds = [key for key in KINDS if key in found.entries]
        if len(kinds) != 1:
            what = f"has {' and '.join(kinds)}" if kinds else "has none of text, music, clip, silence"
            self.problem(found.line, where, f"{what}: give exactly one kind (split it into two segments)")
            return None
        kind = KINDS[kinds[0]]
        own_languages = languages
        languages_node = self.get(found, "languages")
        if languages_node is not None:
            listed = self.languages(languages_node, f"{where}.languages")
            if listed:
                extra = [lang for lang in listed if lang not in languages]
                if extra:
                    self.problem(languages_node.line, where, f"language {extra[0]!r} is not in the script's "
                                                             f"languages {list(languages)}: add it there or remove it here")
                own_languages = tuple(lang for lang in listed if lang in languages)
        values: dict[str, Any] = {}
        title_node = self.get(found, "title")
        title = (self.per_language(title_node, f"{where}.title", own_languages, self.string, "title")
                 if title_node is not None else {})
        for key, (_line, value) in found.entries.items():
            here = f"{where}.{key}"
            if key in ("gap", "fade_in", "fade_out", "crossfade"):
                values[f"{key}_s"] = self.time(value, here)
            elif key == "level_db":
                values["level_db"] = self.number(value, here, *RANGES["level_db"])
        if kind == "speech":
            self.speech(found, where, own_languages, voices, values)
        elif kind == "music":
            values["music"] = self.file(self.value(found, "music"), f"{where}.music", AUDIO_SUFFIXES)
        elif kind == "clip":
            self.clip(found, where, own_languages, voices, values)
        else:
            values["silence_s"] = self.time(self.value(found, "silence"), f"{where}.silence", positive=True)
        self.misplaced(found, where, kind)
        if segment_id is None or len(self.problems) > count_before:
            return None
        title = {lang: title.get(lang, segment_id) for lang in own_languages}
        return Segment(index=number, id=segment_id, line=found.line, kind=kind, title=title,
                       languages=own_languages, **{k: v for k, v in values.items() if v is not None})

    def misplaced(self, found: Map, where: str, kind: str) -> None:
        """Keys that belong to another kind are mistakes the producer should hear about."""
        belongs = {"speaker": "speech", "take": "speech", "bed": "speech", "clip_language": "clip", "trim": "clip",
                   "voiceover": "clip", "cleanup": "clip", "transcript": "clip", "level_db": "music"}
        for key, owner in belongs.items():
            if key in found.entries and owner != kind and not (key == "level_db" and kind == "clip"):
                line = found.entries[key][0]
                self.problem(line, where, f"{key!r} does not apply to a {kind} segment: remove it")

    def speech(self, found: Map, where: str, languages: tuple[str, ...],
               voices: Mapping[str, Mapping[str, Voice]], values: dict[str, Any]) -> None:
        values["text"] = self.per_language(self.value(found, "text"), f"{where}.text", languages,
                                           self.string, "text")
        take_node = self.get(found, "take")
        takes: dict[str, Path] = {}
        if take_node is not None:
            if isinstance(take_node, Map):
                takes = self.per_language(take_node, f"{where}.take", languages,
                                          lambda n, w: self.file(n, w, AUDIO_SUFFIXES), "take", required=False)
            elif len(languages) == 1:
                path = self.file(take_node, f"{where}.take", AUDIO_SUFFIXES)
                takes = {languages[0]: path} if path else {}
            else:
                self.problem(take_node.line, f"{where}.take", "name the language of the take, e.g. take: {ru: takes/x.wav}")
        values["take"] = takes
        speaker_node = self.get(found, "speaker")
        needs_voice = [lang for lang in languages if lang not in takes]
        speaker = None
        if speaker_node is not None:
            speaker = self.string(speaker_node, f"{where}.speaker")
            if speaker is not None:
                self.check_speaker(speaker, speaker_node.line, where, needs_voice, voices)
        elif needs_voice:
            self.problem(found.line, where, "a text segment needs a speaker: add speaker: NAME (defined under voices)")
        values["speaker"] = speaker
        bed_node = self.get(found, "bed")
        if bed_node is not None:
            values["bed"] = self.bed(bed_node, f"{where}.bed")

    def check_speaker(self, speaker: str, line: int, where: str, languages: list[str],
                      voices: Mapping[str, Mapping[str, Voice]]) -> None:
        if speaker not in voices:
            near = difflib.get_close_matches(speaker, list(voices), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else "define it under voices"
            self.problem(line, where, f"speaker {speaker!r} is not defined: {hint}")
            return
        for language in languages:
            if language not in voices[speaker]:
                self.problem(line, where, f"speaker {speaker!r} has no {language!r} voice: add voices.{speaker}."
                                          f"{language} or a take for {language}")

    def bed(self, node: Node, where: str) -> Bed | None:
        found = self.map_of(node, where, BED_KEYS, required=("music",))
        if found is None or "music" not in found.entries:
            return None
        music = self.file(self.value(found, "music"), f"{where}.music", AUDIO_SUFFIXES)
        values: dict[str, Any] = {}
        if "under_db" in found.entries:
            values["under_db"] = self.number(self.value(found, "under_db"), f"{where}.under_db", *RANGES["under_db"])
        for key in ("preroll", "postroll", "fade_out"):
            if key in found.entries:
                values[f"{key}_s"] = self.time(self.value(found, key), f"{where}.{key}")
        if music is None or any(v is None for v in values.values()):
            return None
        return Bed(music=music, **values)

    def clip(self, found: Map, where: str, languages: tuple[str, ...], voices: Mapping[str, Mapping[str, Voice]],
             values: dict[str, Any]) -> None:
        values["clip"] = self.file(self.value(found, "clip"), f"{where}.clip", AUDIO_SUFFIXES)
        language_node = self.get(found, "clip_language")
        clip_language = self.choice(language_node, f"{where}.clip_language", LANGUAGES) if language_node else None
        values["clip_language"] = clip_language
        trim_node = self.get(found, "trim")
        if trim_node is not None:
            trim = self.map_of(trim_node, f"{where}.trim", TRIM_KEYS)
            if trim is not None:
                start = self.time(self.value(trim, "start"), f"{where}.trim.start") if "start" in trim.entries else 0.0
                end = self.time(self.value(trim, "end"), f"{where}.trim.end") if "end" in trim.entries else None
                if start is not None and end is not None and end <= start:
                    self.problem(trim.line, f"{where}.trim", f"end ({end:g} s) must come after start ({start:g} s)")
                values["trim_start_s"], values["trim_end_s"] = start, end
        vo_node = self.get(found, "voiceover")
        if vo_node is not None:
            values["voiceover"] = self.voiceover(vo_node, f"{where}.voiceover", clip_language, voices)
        cleanup_node = self.get(found, "cleanup")
        values["cleanup"] = (self.cleanup(cleanup_node, f"{where}.cleanup", self.episode_cleanup or CleanupSettings())
                             if cleanup_node is not None else self.episode_cleanup)
        transcript_node = self.get(found, "transcript")
        if transcript_node is not None:
            values["transcript"] = self.transcript(transcript_node, f"{where}.transcript", languages, clip_language,
                                                   values.get("voiceover"))

    def cleanup(self, node: Node, where: str, base: CleanupSettings) -> CleanupSettings | None:
        """`false` (played as recorded), `true` (`base`), or a map of keys that change `base`."""
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return base if node.value else None
        if not isinstance(node, Map):
            self.problem(node.line, where, "must be true, false, or a map of keys (" + ", ".join(CLEANUP_KEYS) + ")")
            return base
        found = self.map_of(node, where, tuple(CLEANUP_KEYS))
        if found is None:
            return base
        changes: dict[str, Any] = {}
        for key, (line, value) in found.entries.items():
            field_name, here = CLEANUP_KEYS.get(key), f"{where}.{key}"
            if field_name is None:
                continue
            if field_name in ("hum", "denoise", "level"):
                if isinstance(value, Scalar) and isinstance(value.value, bool):
                    changes[field_name] = value.value
                else:
                    self.problem(line, here, "must be true or false")
                continue
            low, high = CLEANUP_RANGES[field_name]
            if field_name == "highpass_hz":
                number = self.number(value, here, 0.0, high)
                if number is not None and 0 < number < 20:
                    self.problem(line, here, f"{number:g} Hz filters nothing a listener hears: use 20 to "
                                             f"{high:g} Hz, or 0 to turn the filter off")
                    number = None
            else:
                number = self.time(value, here, positive=True)
                if number is not None and not low <= number <= high:
                    self.problem(line, here, f"{number:g} s is out of range: use a time between {low:g} and {high:g} s")
                    number = None
            if number is not None:
                changes[field_name] = number
        pause_max = changes.get("pause_max_s", base.pause_max_s)
        pause_to = changes.get("pause_to_s", base.pause_to_s)
        if "pause_to_s" in changes and pause_max is None:
            self.problem(found.line, where, "pause_to is what a pause longer than pause_max is cut to: add pause_max")
            return base
        if pause_max is not None and pause_to >= pause_max:
            self.problem(found.line, where, f"pause_to ({pause_to:g} s) must be shorter than pause_max "
                                            f"({pause_max:g} s)")
            return base
        return replace(base, **changes)

    def transcript(self, node: Node, where: str, languages: tuple[str, ...], clip_language: str | None,
                   voiceover: VoiceOver | None) -> dict[str, str]:
        """The clip's words for each language where they are heard: one text (the clip's own words, for
        every language that hears the clip as recorded) or a map by language (also the words of a recorded
        voice-over). A voice-over's text is already that language's words."""
        spoken = {language for language, line in (voiceover.lines.items() if voiceover else ())
                  if line.text is not None}
        as_recorded = [language for language in languages if language == clip_language
                       or voiceover is None or language not in voiceover.lines]
        if not isinstance(node, Map):
            words = self.string(node, where)
            return {language: words for language in as_recorded} if words else {}
        result = self.per_language(node, where, languages, self.string, "transcript", required=False)
        for language in sorted(spoken & set(result)):
            self.problem(node.entries[language][0], f"{where}.{language}", f"the {language} voice-over's text is "
                                                                           "what this language hears: remove this")
        return {language: words for language, words in result.items() if language not in spoken}

    def voiceover(self, node: Node, where: str, clip_language: str | None,
                  voices: Mapping[str, Mapping[str, Voice]]) -> VoiceOver | None:
        found = self.map_of(node, where, VOICEOVER_KEYS)
        if found is None:
            return None
        if clip_language is None:
            self.problem(found.line, where, "a voice-over needs the clip's language: add clip_language: ru (or tg)")
        values: dict[str, Any] = {}
        if "lead" in found.entries:
            values["lead_s"] = self.time(self.value(found, "lead"), f"{where}.lead")
        if "under_db" in found.entries:
            values["under_db"] = self.number(self.value(found, "under_db"), f"{where}.under_db", *RANGES["under_db"])
        lines: dict[str, VoiceOverLine] = {}
        for language in LANGUAGES:
            line_node = self.get(found, language)
            if line_node is None:
                continue
            here = f"{where}.{language}"
            if language == clip_language:
                self.problem(line_node.line, here, f"the clip is already in {language!r}: remove this voice-over")
                continue
            entry = self.map_of(line_node, here, VOICEOVER_LINE_KEYS)
            if entry is None:
                continue
            if "take" in entry.entries:
                if "text" in entry.entries or "speaker" in entry.entries:
                    self.problem(entry.line, here, "give either {take} or {speaker, text}, not both")
                take = self.file(self.value(entry, "take"), f"{here}.take", AUDIO_SUFFIXES)
                if take:
                    lines[language] = VoiceOverLine(take=take)
            elif "speaker" in entry.entries and "text" in entry.entries:
                speaker_node = self.value(entry, "speaker")
                speaker = self.string(speaker_node, f"{here}.speaker")
                text = self.string(self.value(entry, "text"), f"{here}.text")
                if speaker is not None:
                    self.check_speaker(speaker, speaker_node.line, where, [language], voices)
                if speaker and text:
                    lines[language] = VoiceOverLine(speaker=speaker, text=text)
            else:
                self.problem(entry.line, here, "give {speaker, text} or {take}")
        if any(v is None for v in values.values()):
            return None
        return VoiceOver(lines=lines, **values)


def make_slug(series: str, episode: str | None, date: dt.date | None) -> str:
    """A file-safe name from the series, episode and date, e.g. `global-voices-12-2012-10-26`."""
    parts = [series, episode or "", date.isoformat() if date else ""]
    latin = translit.to_ascii("-".join(p for p in parts if p)).lower().replace("'", "")
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    return slug[:80].strip("-") or "episode"
