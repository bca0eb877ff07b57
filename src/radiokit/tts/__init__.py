"""Speech behind one function: text in a language, spoken by a script voice through its engine, as mono samples."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from radiokit.tts.engines import Prosody, Speech, resolve

if TYPE_CHECKING:
    from radiokit.script import Voice


def apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    """Whole-word respellings, matched without regard to case, in one pass: a respelling is never respelled."""
    if not lexicon:
        return text
    respellings = {word.casefold(): respelling for word, respelling in lexicon.items()}
    # Longer entries first, so that "Абдугани Мамадазимов" wins over "Абдугани".
    words = "|".join(re.escape(word) for word in sorted(lexicon, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w+])(?:{words})(?![\w+])", re.IGNORECASE)
    return pattern.sub(lambda match: respellings[match.group().casefold()], text)


def pieces_of(text: str, most: int) -> list[str]:
    """The text cut between sentences into pieces of at most `most` characters (a sentence longer than that
    is cut between words, a word longer than that where it must): what a very long text is spoken in, a
    piece at a time."""
    words: list[str] = []
    for sentence in re.split(r"(?<=[.!?…])\s+", text.strip()):
        if len(sentence) <= most:
            words.append(sentence)
            continue
        for word in sentence.split():
            words.extend(word[start : start + most] for start in range(0, len(word), most))
    pieces: list[str] = []
    for word in words:
        if pieces and len(pieces[-1]) + 1 + len(word) <= most:
            pieces[-1] += " " + word
        else:
            pieces.append(word)
    return pieces


def spoken_text(text: str, language: str, lexicon: Mapping[str, str]) -> str:
    """The text as it will be spoken: the lexicon's respellings, then numbers, dates and abbreviations as words."""
    text = apply_lexicon(text, lexicon)
    if language == "tg":
        from radiokit.tts import tajik_text

        return tajik_text.normalize(text)
    from radiokit.tts import russian

    return russian.normalize(text)


def espeak_voice(language: str, voice: str) -> str:
    """The espeak-ng voice name for a script's espeak voice: Tajik is read by the Persian voice, with its variant."""
    if language == "tg":
        from radiokit.tts.tajik import TAJIK_VOICE

        variant = voice.partition("+")[2]
        return TAJIK_VOICE + (f"+{variant}" if variant else "")
    return voice


def espeak_input(spoken: str, language: str) -> tuple[str, bool]:
    """Spoken text -> (what espeak-ng is given, whether it holds phoneme input)."""
    if language == "tg":
        from radiokit.tts import tajik

        return tajik.to_espeak(spoken)
    from radiokit.tts import russian

    return russian.to_espeak(spoken)


def speak(text: str, language: str, voice: Voice, lexicon: Mapping[str, str]) -> Speech:
    """Synthesize `text` in `language` with `voice`, after the lexicon's respellings and normalization.

    The first of the voice's engines that is installed speaks (tts.engines.resolve); `Speech.engine` names it.
    """
    chosen = resolve(voice, language)
    spoken = spoken_text(text, language, lexicon)
    speech = chosen.engine.synthesize(spoken, language, chosen.voice, Prosody(voice.rate, voice.pitch, voice.volume))
    return replace(speech, engine=chosen.engine.name)
