"""Audition one line as a build would speak it: the text after lexicon and normalization, its phonemes, its audio."""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from radiokit import tts
from radiokit.errors import InputError
from radiokit.script import Voice, load_script
from radiokit.tts import engines
from radiokit.tts.espeak import spoken_phonemes


@dataclass(frozen=True)
class Line:
    """One line to audition, with the voice and lexicon it would get in a build."""

    text: str
    language: str
    voice: Voice
    lexicon: Mapping[str, str]

    @property
    def spoken(self) -> str:
        """The text exactly as it will be spoken: after the lexicon's respellings and normalization."""
        return tts.spoken_text(self.text, self.language, self.lexicon)


def line(text: str, language: str, voice: str | None = None, engine: str = "espeak", script: Path | None = None,
         speaker: str | None = None, offline: bool = False) -> Line:
    """The line with a voice given directly (`voice`, `engine`) or taken with the lexicon from a script's speaker."""
    lexicon: Mapping[str, str] = {}
    if script is not None:
        if speaker is None or voice is not None:
            raise InputError("with --script, name the voice with --speaker NAME (and drop --voice)")
        loaded = load_script(script)
        voices = {name: per_language[language] for name, per_language in loaded.voices.items()
                  if language in per_language}
        if speaker not in voices:
            known = ", ".join(sorted(voices)) or "none"
            raise InputError(f"{script}: no speaker {speaker!r} speaks {language!r}: choose one of {known}")
        chosen = voices[speaker]
        lexicon = loaded.lexicon.get(language, {})
    elif speaker is not None:
        raise InputError("--speaker needs --script FILE: the voices are defined in the script")
    else:
        chosen = Voice(engine, _checked_voice(voice, language, engine))
    for name in chosen.engines:
        if language not in engines.get(name).languages:
            raise InputError(f"{name} cannot speak {language!r}: use --engine espeak")
    if offline:
        chosen = engines.offline(chosen, language)
    return Line(text, language, chosen, lexicon)


def _checked_voice(voice: str | None, language: str, engine: str) -> str:
    """The --voice as a script would accept it for the engine (its default voice when none is given)."""
    found = engines.get(engine)
    if voice is None:
        return found.default_voice(language)
    problem = found.check_voice(voice, language)
    if problem:
        raise InputError(problem)
    return voice


def phonemes(audition: Line, ipa: bool = False) -> str:
    """What espeak-ng says for the line, as its phoneme mnemonics or in IPA (traced while it synthesizes)."""
    chosen = engines.resolve(audition.voice, audition.language)
    if chosen.engine.name != "espeak":
        raise InputError(f"{chosen.engine.name} shows no phonemes: use --text-only, or an espeak voice")
    prepared, phoneme_input = tts.espeak_input(audition.spoken, audition.language)
    return spoken_phonemes(prepared, tts.espeak_voice(audition.language, chosen.voice), phoneme_input, ipa)


def write_wav(audition: Line, path: Path) -> float:
    """Speak the line into a mono 16-bit WAV at the engine's own rate; returns its length in seconds.

    Written to a temporary name beside `path` and moved into place, so a failure leaves no half file.
    """
    speech = tts.speak(audition.text, audition.language, audition.voice, audition.lexicon)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: the folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file, wave.open(file, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(speech.sample_rate)
            out.writeframes(speech.samples.astype("<i2").tobytes())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return len(speech.samples) / speech.sample_rate
