"""Tajik text respelled in Russian letters with a '+' before each stressed vowel, for a Russian voice to read."""

from __future__ import annotations

import unicodedata

from radiokit.tts import stress, tajik

# Tajik letters that Russian lacks, by the nearest sounds a Russian voice has, as Russian transcription
# writes them (Ҷумҳурӣ Джумхури, Ғафуров Гафуров, Рӯдакӣ Рудаки): the uvulars қ [q] and ғ [ʁ] become
# velars, ҳ [h] the velar х, ӯ [ɵ] у.
TAJIK_LETTERS = {"ҳ": "х", "ҷ": "дж", "қ": "к", "ғ": "г", "ӣ": "и", "ӯ": "у"}

# Latin words (CASA) are read by their letters' Tajik sounds, as tts/tajik.py reads them for espeak-ng;
# y is [j] before a vowel and [i] elsewhere.
_LATIN_DIGRAPHS = {"sh": "ш", "ch": "ч", "kh": "х", "zh": "ж", "gh": "г", "ph": "ф"}
_LATIN = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "э", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "дж",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т",
    "u": "у", "v": "в", "w": "в", "x": "кс", "z": "з",
}


def to_russian(text: str) -> str:
    """Tajik text (numbers already in words) in Russian letters, each word's stressed vowel after a '+'.

    The stress is Tajik's (tts/tajik.py: a lexicon's '+', else the rules); little words that lean on
    their neighbour get no mark and are left to the voice.
    """
    return stress.WORD.sub(lambda m: _word(m.group()), unicodedata.normalize("NFC", text))


def respelled(char: str) -> str:
    """One Tajik letter as Russian letters, in its case; any other character as it is."""
    letters = TAJIK_LETTERS.get(char.lower())
    if letters is None:
        return char
    return letters.capitalize() if char.isupper() else letters


def _word(written: str) -> str:
    stressed = tajik.stressed_letter(written)
    word = written.replace("+", "")
    out: list[str] = []
    vowel = 0
    i = 0
    while i < len(word):
        lower = word[i].lower()
        after = word[i + 1 : i + 2].lower()
        glide = lower == "y" and after in stress.VOWELS
        if lower in stress.VOWELS:  # counted as tajik.stressed_letter counts them, a glide y too
            if vowel == stressed and not glide:
                out.append("+")
            vowel += 1
        if lower + after in _LATIN_DIGRAPHS:
            letters, step = _LATIN_DIGRAPHS[lower + after], 2
        elif lower == "ъ":
            # A glottal stop, which Russian has not; before е ё ю я Russian's separator keeps their [j].
            letters, step = ("ъ" if after in "еёюя" else ""), 1
        elif lower == "y":
            letters, step = ("й" if glide else "и"), 1
        else:
            letters, step = TAJIK_LETTERS.get(lower) or _LATIN.get(lower, lower), 1
        out.append(letters.capitalize() if word[i].isupper() else letters)
        i += step
    return "".join(out)
