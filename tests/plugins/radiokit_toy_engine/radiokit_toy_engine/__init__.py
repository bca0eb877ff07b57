"""A radiokit speech engine for tests: each word a 440 Hz tone of a known length, so a build's timing can be checked."""

from __future__ import annotations

import numpy as np

from radiokit.tts.engines import Engine, Prosody, Speech

RATE = 22050
TONE_HZ = 440.0
WORD_S = 0.25  # a word's tone at the toy's own pace, 120 words a minute with the gap
GAP_S = 0.25
OWN_RATE = 120


class Toy(Engine):
    """Speaks every word as a tone; applies rate only."""

    name = "toy"
    languages = ("ru", "tg")
    prosody = frozenset({"rate"})
    install = "pip install tests/plugins/radiokit_toy_engine"
    summary = "a tone per word (radiokit's tests)"

    def installed(self) -> bool:
        return True

    def version(self) -> str:
        return "toy 1.0"

    def default_voice(self, language: str) -> str:
        return "beep"

    def check_voice(self, voice: str, language: str) -> str | None:
        return None if voice in ("beep", "boop") else f"the toy has no voice {voice!r}: use 'beep' or 'boop'"

    def voices(self, language: str) -> tuple[str, ...]:
        return ("beep", "boop")

    def synthesize(self, text: str, language: str, voice: str, prosody: Prosody) -> Speech:
        stretch = OWN_RATE / prosody.rate if prosody.rate else 1.0
        word = np.arange(int(WORD_S * stretch * RATE)) / RATE
        hz = TONE_HZ if voice == "beep" else 2 * TONE_HZ
        tone = (8000 * np.sin(2 * np.pi * hz * word)).astype(np.int16)
        gap = np.zeros(int(GAP_S * stretch * RATE), dtype=np.int16)
        pieces = [piece for _ in text.split() for piece in (tone, gap)]
        return Speech(np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16), RATE)


class Absent(Toy):
    """An engine whose program is missing on this machine."""

    name = "toy-absent"
    install = "apt-get install toy-absent"

    def installed(self) -> bool:
        return False


class NotAnEngine:
    """Registered under the group by mistake: radiokit must refuse it clearly."""

    name = "toy-broken"
