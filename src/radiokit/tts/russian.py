"""Russian front end: numbers, dates and abbreviations in words (ru-normalizr); '+' stress marks as espeak-ng phonemes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from radiokit.tts.espeak import text_to_phonemes
from radiokit.tts.stress import WORD, split_mark

if TYPE_CHECKING:
    from ru_normalizr import Normalizer

VOICE = "ru"
_VOWEL_LETTERS = "аеёиоуыэюя"
_IPA_VOWELS = frozenset("aɑɐæʌəɘeɛɜiɪɨoɔɵøuʊʉyʏɯɤœ")
# espeak-ng's ru mnemonics for a vowel letter under stress, and for the letters that reduce without it;
# у, ю, ы, и keep the quality espeak-ng gave them (и after ш, ж, ц is its "y").
_STRESSED = {"а": "A", "я": "A", "о": "o", "ё": "8", "э": "E", "е": "e", "ы": "y"}
_REDUCED = {"а": "V", "о": "V", "я": "I", "е": "I", "ё": "I", "э": "E#"}
_HARD_BEFORE_E = ("Z", "S", "ts")  # е after the hard ж, ш, ц is open


def normalize(text: str) -> str:
    """Numbers, dates, times, units and abbreviations as Russian words in the case the sentence needs.

    "в 2014 году" -> "в две тысячи четырнадцатом году"; stress marks ('+') pass through untouched.
    """
    return _normalizer().normalize(text)


def to_espeak(text: str) -> tuple[str, bool]:
    """Normalized Russian text -> (input for espeak-ng's ru voice, whether it holds phoneme input).

    espeak-ng takes no stress marks in text, so each marked word is given as phonemes: espeak-ng's own
    reading of the word, the stress moved to the marked vowel, which gets its full quality, and the
    vowel that lost the stress reduced.
    """
    if "+" not in text:
        return text, False
    # Brackets in the text itself must not open phoneme input.
    text = text.replace("[[", "(").replace("]]", ")")
    return WORD.sub(lambda m: _word(m.group()), text), True


def _word(word: str) -> str:
    plain, stressed_letter = split_mark(word)
    phonemes = restressed(plain, stressed_letter) if stressed_letter is not None else None
    return f"[[{phonemes}]]" if phonemes is not None else plain


def restressed(word: str, stressed_letter: int) -> str | None:
    """espeak-ng's phonemes for `word` with the stress on its vowel letter number `stressed_letter` (0-based).

    None if espeak-ng's vowels cannot be matched one to one with the word's vowel letters.
    """
    # espeak-ng writes palatalization (;) as a phoneme of its own after some consonants; IPA joins it (nʲ).
    mnemonics = re.sub("_;", ";", text_to_phonemes(word, VOICE, separator="_")).split("_")
    ipa = text_to_phonemes(word, VOICE, ipa=True, separator="_").split("_")
    letters = [char for char in word.lower() if char in _VOWEL_LETTERS]
    vowels = [i for i, sound in enumerate(ipa) if _IPA_VOWELS & set(sound)]
    if len(mnemonics) != len(ipa) or len(vowels) != len(letters) or not 0 <= stressed_letter < len(letters):
        return None
    out = [sound.replace("'", "").replace(",", "") for sound in mnemonics]
    for number, (index, letter) in enumerate(zip(vowels, letters, strict=True)):
        before, own = (out[index - 1] if index else ""), out[index]
        if number == stressed_letter:
            out[index] = "'" + _stressed(letter, own, before)
        elif mnemonics[index].startswith("'"):
            out[index] = _REDUCED.get(letter, own)
    return "".join(out)


def _stressed(letter: str, own: str, before: str) -> str:
    """The full vowel of `letter` under stress, given espeak-ng's unstressed `own` and the sound `before` it."""
    if letter == "е" and before.endswith(_HARD_BEFORE_E):
        return "E"
    if letter == "и":
        return "y" if own.startswith("y") else "i"
    if letter in ("у", "ю"):
        return 'u"' if before.endswith(";") else "u"
    return _STRESSED[letter]


@lru_cache(maxsize=1)
def _normalizer() -> Normalizer:
    from ru_normalizr import NormalizeOptions, Normalizer

    # The TTS profile reads CAPS words and Latin as speech; single vowel names keep США "сэ шэ а", not "аа".
    return Normalizer(NormalizeOptions.tts(letter_vowel_mode="single"))
