"""Speech engines behind one function: text in a language, spoken by a voice, as mono samples."""

from __future__ import annotations

import re
from typing import Mapping

from radiokit.script import Voice
from radiokit.tts.espeak import Speech


def apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    """Whole-word respellings, matched without regard to case."""
    for word, respelling in sorted(lexicon.items(), key=lambda item: -len(item[0])):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", respelling, text, flags=re.IGNORECASE)
    return text


def speak(text: str, language: str, voice: Voice, lexicon: Mapping[str, str]) -> Speech:
    """Synthesize `text` in `language` with `voice`, after the lexicon's respellings."""
    text = apply_lexicon(text, lexicon)
    if voice.engine == "gtts":
        from radiokit.tts import gtts

        return gtts.synthesize(text, language)
    from radiokit.tts import espeak

    rate = voice.rate or 165
    pitch = 50 if voice.pitch is None else voice.pitch
    volume = 100 if voice.volume is None else voice.volume
    variant = voice.voice.partition("+")[2]
    if language == "tg":
        from radiokit.tts import tajik

        prepared, phonemes = tajik.to_espeak(text)
        name = tajik.TAJIK_VOICE + (f"+{variant}" if variant else "")
        return espeak.synthesize(prepared, name, rate, pitch, volume, phonemes=phonemes)
    # espeak-ng ignores both "+" and a combining acute in Russian text, so a lexicon's stress mark is dropped
    # rather than read aloud as "plus"; placing the stress needs phoneme input (the Russian front end's work).
    text = re.sub(r"\+(?=\w)", "", text)
    return espeak.synthesize(text, voice.voice, rate, pitch, volume)
