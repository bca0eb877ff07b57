"""Speech engines as plugins: the interface every engine implements, and the registry that finds them by entry point.

An engine is a class derived from `Engine`, declared by its distribution under the entry point group
`radiokit.engines` with the name that scripts use (`engine: NAME`):

    [project.entry-points."radiokit.engines"]
    toy = "radiokit_toy_engine:Toy"

radiokit's front ends run before any engine: the engine is given the text as it is to be spoken (the
lexicon's respellings applied, numbers, dates and abbreviations in words) with the script's `+`
stress marks still in it; an engine that cannot take them removes them with
`radiokit.tts.stress.unmarked`. It returns mono 16-bit samples at a rate of its choosing.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from importlib import metadata
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from radiokit.errors import EngineError

if TYPE_CHECKING:
    from radiokit.script import Voice

GROUP = "radiokit.engines"
PROSODY = ("rate", "pitch", "volume")
# What a voice that names no engine is spoken by, per language, in order of preference. Festival reads
# Tajik more intelligibly than espeak-ng (docs/speech.md, "Intelligibility"); espeak-ng is always there.
DEFAULT_ENGINES: dict[str, tuple[str, ...]] = {"ru": ("espeak",), "tg": ("festival", "espeak")}


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit samples at the engine's own rate, and the name of the engine that spoke them."""

    samples: np.ndarray
    sample_rate: int
    engine: str = ""


@dataclass(frozen=True)
class Prosody:
    """How fast, how high and how loud, on the script's scales; None leaves that to the voice.

    rate is words per minute on espeak-ng's scale (80-450; radiokit's default pace is 165), so that one
    rate gives about the same pace in every engine; pitch is 0-100 (50 the voice's own), volume 0-200
    (100 as the engine speaks).
    """

    rate: int | None = None
    pitch: int | None = None
    volume: int | None = None


class Engine(ABC):
    """One speech engine: text in, mono samples out, and what it can do.

    radiokit makes one instance per process and may call it from more than one thread: an engine that
    holds global state guards it itself.
    """

    name: ClassVar[str]  # as scripts write it; equal to the entry point's name
    languages: ClassVar[tuple[str, ...]]  # the script languages it speaks (ru, tg)
    prosody: ClassVar[frozenset[str]] = frozenset()  # which of PROSODY it applies; the others it ignores
    phonemes: ClassVar[bool] = False  # whether it takes phoneme input
    offline: ClassVar[bool] = True  # whether it speaks without the network
    install: ClassVar[str] = ""  # what to install when it is missing: a command the user can run
    summary: ClassVar[str] = ""  # one line for `radiokit voices`
    # Its pace when the script sets no rate, on the rate scale (espeak-ng's words a minute): `radiokit check`
    # times text by it. espeak-ng's own default; an engine that speaks slower or faster says so.
    own_rate: ClassVar[int] = 175
    # How much faster than espeak-ng at the same rate it gets through a language's text (its front end may
    # spell the text otherwise), where that differs: `radiokit check` divides its time by it.
    text_speed: ClassVar[dict[str, float]] = {}

    @abstractmethod
    def installed(self) -> bool:
        """Whether it can speak on this machine now (its program, library or data are there)."""

    @abstractmethod
    def version(self) -> str:
        """Changes whenever the same text may come out as other audio: part of radiokit's cache keys."""

    @abstractmethod
    def default_voice(self, language: str) -> str:
        """The voice it speaks `language` with when the script names none."""

    @abstractmethod
    def check_voice(self, voice: str, language: str) -> str | None:
        """What is wrong with a voice name the script gives for `language` (one sentence with the fix), or None.

        Called when the script is read, before any audio work; checks what it can without the engine
        installed.
        """

    @abstractmethod
    def voices(self, language: str) -> tuple[str, ...]:
        """The voices for `language` installed here (empty when the engine is not installed)."""

    @abstractmethod
    def synthesize(self, text: str, language: str, voice: str, prosody: Prosody) -> Speech:
        """Speak `text` (front end applied, `+` marks in it) with `voice`; any failure is an EngineError."""


@dataclass(frozen=True)
class Resolved:
    """The engine that will speak a script voice on this machine, and the voice name it is given."""

    engine: Engine
    voice: str

    def key(self) -> str:
        """What identifies this engine and voice in a cache key."""
        return f"{self.engine.name} {self.engine.version()} {self.voice}"


_registered: dict[str, metadata.EntryPoint] = {}
_loaded: dict[tuple[str, str], Engine] = {}


def _entry_points(fresh: bool) -> dict[str, metadata.EntryPoint]:
    """The group's entry points by name, read again when `fresh` (a package installed since is found too)."""
    if fresh or not _registered:
        _registered.clear()
        for entry in metadata.entry_points(group=GROUP):
            _registered.setdefault(entry.name, entry)
    return _registered


def names() -> tuple[str, ...]:
    """The names of the engines registered on this machine, installed or not."""
    return tuple(sorted(_entry_points(fresh=True)))


def get(name: str) -> Engine:
    """The engine registered under `name`; an EngineError naming the registered ones if none is."""
    entries = _entry_points(fresh=False)
    if name not in entries:
        entries = _entry_points(fresh=True)
    entry = entries.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(entries), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(sorted(entries))}"
        raise EngineError(f"no speech engine {name!r}: {hint}")
    cached = _loaded.get((name, entry.value))
    if cached is not None:
        return cached
    try:
        cls = entry.load()
    except Exception as exc:  # a plugin's own import failure, whatever it is
        raise EngineError(f"speech engine {name!r} ({entry.value}) does not load: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Engine)) or cls.name != name:
        raise EngineError(f"speech engine {name!r} ({entry.value}) is not a radiokit Engine named {name!r}")
    engine = cls()
    _loaded[(name, entry.value)] = engine
    return engine


def resolve(voice: Voice, language: str) -> Resolved:
    """The first engine in the voice's order of preference that speaks `language` and is installed here.

    The script's `voice:` belongs to the first engine listed; a later one speaks with its default voice.
    """
    reasons: list[str] = []
    for position, name in enumerate(voice.engines):
        engine = get(name)
        if language not in engine.languages:
            reasons.append(f"{name} cannot speak {language!r}")
        elif not engine.installed():
            reasons.append(f"{name} is not installed ({engine.install})")
        else:
            return Resolved(engine, voice.voice if position == 0 else engine.default_voice(language))
    raise EngineError(f"no engine can speak {language!r} for this voice: {'; '.join(reasons)}")


def offline(voice: Voice, language: str) -> Voice:
    """The voice without its online engines (for `--offline`); espeak-ng with its default voice when none is left."""
    kept = [name for name in voice.engines if get(name).offline] or ["espeak"]
    first = voice.voice if kept[0] == voice.engine else get(kept[0]).default_voice(language)
    return replace(voice, engine=kept[0], voice=first, fallbacks=tuple(kept[1:]))


def describe() -> list[str]:
    """Lines for `radiokit voices`: every registered engine, its languages, whether it is offline and
    installed (or what to install), the settings and input it takes, its voices and its version."""
    lines = [f"{'engine':<10}{'languages':<11}{'offline':<9}{'installed':<11}{'takes':<28}voices"]
    notes: list[str] = []
    for name in names():
        try:
            engine = get(name)
        except EngineError as exc:
            notes.append(f"{name}: {exc}")
            continue
        installed = engine.installed()
        takes = " ".join([*(key for key in PROSODY if key in engine.prosody),
                          *(["phonemes"] if engine.phonemes else [])]) or "-"
        voices = sorted({v for language in engine.languages for v in engine.voices(language)}) if installed else []
        lines.append(f"{name:<10}{' '.join(engine.languages):<11}{'yes' if engine.offline else 'no':<9}"
                     f"{'yes' if installed else 'no':<11}{takes:<28}{', '.join(voices) or '-'}")
        notes.append(f"{name}: {engine.summary}" + (f" ({engine.version()})" if installed else
                                                     f"; to install: {engine.install}"))
    return lines + notes
