"""Tajik front end for espeak-ng: Tajik Cyrillic text to phoneme input for the Persian (fa) voice."""

from __future__ import annotations

import re
import unicodedata

from radiokit.tts import stress, tajik_text

# espeak-ng has no Tajik voice. The Persian voice's phoneme table has every Tajik sound
# (uvular q, ʁ, χ, glottal stop, the back â for о), and phoneme input lets us place Tajik
# stress; fa-Latn would merge қ/ғ, read х as [ks] and put Persian stress on Tajik words.
TAJIK_VOICE = "fa"

# One sound: a mnemonic of espeak-ng's fa phoneme table and whether it is a vowel (a syllable).
_Unit = tuple[str, bool]

_VOWELS = {"а": "a", "о": "A", "у": "u", "ӯ": "o", "и": "i", "ӣ": "i", "ы": "i", "е": "e", "э": "e"}
# ё ю я always start with [j], also after a consonant (сиёсат, бюджет, Русия).
_IOTATED = {"ё": "A", "ю": "u", "я": "a"}
_CONSONANTS: dict[str, tuple[str, ...]] = {
    "б": ("b",), "в": ("v",), "г": ("g",), "ғ": ('Q"',), "д": ("d",), "ж": ("Z",), "з": ("z",),
    "й": ("j",), "к": ("k",), "қ": ("q",), "л": ("l",), "м": ("m",), "н": ("n",), "п": ("p",),
    "р": ("R",), "с": ("s",), "т": ("t",), "ф": ("f",), "х": ("X",), "ҳ": ("h",), "ч": ("tS",),
    "ҷ": ("dZ",), "ш": ("S",), "щ": ("S",), "ц": ("t", "s"), "ъ": ("?",),
}

# Latin words (CASA, USAID) are read letter by letter as a Tajik reader would sound them out,
# so the voice never switches to English mid-sentence.
_LATIN_VOWELS = {"a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "y": "i"}
_LATIN_DIGRAPHS = {"sh": "S", "ch": "tS", "kh": "X", "zh": "Z", "gh": 'Q"', "ph": "f"}
_LATIN_CONSONANTS = {
    "b": ("b",), "c": ("k",), "d": ("d",), "f": ("f",), "g": ("g",), "h": ("h",), "j": ("dZ",),
    "k": ("k",), "l": ("l",), "m": ("m",), "n": ("n",), "p": ("p",), "q": ("k",), "r": ("R",),
    "s": ("s",), "t": ("t",), "v": ("v",), "w": ("v",), "x": ("k", "s"), "z": ("z",),
}

_ALL_VOWELS = _VOWELS | _LATIN_VOWELS
_ALL_CONSONANTS = _CONSONANTS | _LATIN_CONSONANTS
_VOWEL_LETTERS = frozenset(_ALL_VOWELS) | frozenset(_IOTATED)

# Unstressed little words: prepositions, conjunctions and the copula lean on their neighbour.
_CLITICS = frozenset({"ба", "бо", "аз", "дар", "бар", "бе", "ки", "ва", "то", "ё", "аст"})
# Personal endings (written with я after a vowel: мегӯяд) and past-stem finals that mark a
# finite verb after ме-/на-.
_VERB_ENDINGS = ("ам", "ям", "ад", "яд", "ем", "ед", "анд", "янд")
_PAST_STEM_ENDINGS = ("ст", "фт", "шт", "хт", "рд", "уд", "ид", "онд")
# Words that start like the negative на- but are not verbs (намояд "shows", назар, навад "90").
_NOT_NEGATIVE = ("намо", "наз", "нав")
# Words whose final -у belongs to the stem, not the conjunction -у "and".
_STEM_FINAL_U = frozenset({"зону", "бозу", "тарозу", "ҷоду", "ҳинду", "боку", "оҳу"})
# Possessive endings, unstressed: after a vowel (вазифаҳояш, ҷоямон) and the two-syllable ones after a
# consonant (кишварашон). Short ones after a consonant (-ам, -ат, -аш), -амон and -ят after a vowel are
# left to the default: they end too many stems (қалам, давлат, оташ, қаҳрамон, вилоят) to be told apart
# without a dictionary.
_POSSESSIVE_AFTER_VOWEL = ("ям", "яш", "ямон", "ятон", "яшон")
_POSSESSIVE_AFTER_CONSONANT = ("атон", "ашон")

# Concatenated mnemonics that espeak-ng would read as one phoneme: т+ш is not ч, д+ж not ҷ.
_MERGING = frozenset({("t", "S"), ("d", "Z")})

_TOKEN = re.compile(
    rf"(?P<word>{stress.WORD.pattern})"
    # Digits are normally written out by tajik_text before this; any left are read as Tajik
    # words here, never handed to the fa voice, which would read them in Persian.
    r"|(?P<number>\d+(?:[.,]\d+)*%?)"
    r"|(?P<stop>[.!?;:,…]+)"
    r"|(?P<dash>[-‐‑‒–—―]+)"
    r"|(?P<bracket>[()\[\]{}])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL | re.IGNORECASE,
)


def to_espeak(text: str) -> tuple[str, bool]:
    """Tajik text -> (input for espeak-ng's TAJIK_VOICE, whether it is phoneme input)."""
    text = unicodedata.normalize("NFC", text)  # ӣ typed as и + combining macron is still ӣ
    tokens = [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(text)]
    out: list[str] = []
    spoken = False  # whether anything was said since the last clause mark
    for i, (kind, token) in enumerate(tokens):
        prev_kind = tokens[i - 1][0] if i else "space"
        next_kind = tokens[i + 1][0] if i + 1 < len(tokens) else "space"
        if kind == "word":
            phonemes = _word_phonemes(token)
            if phonemes:
                # One [[...]] per word: espeak-ng splits long clauses and would read the rest
                # of a shared bracket as text.
                out.append(f" [[{phonemes}]]")
                spoken = True
        elif kind == "number":
            words = [_word_phonemes(word) for word in tajik_text.normalize(token).split()]
            out += [f" [[{phonemes}]]" for phonemes in words if phonemes]
            spoken = True
        elif kind == "stop" and spoken and not _is_initial(tokens, i):
            # Marks stay outside the brackets so espeak-ng gives clause pauses and intonation.
            out.append(token.replace("…", "..."))
            spoken = False
        elif spoken and (kind == "bracket" or (kind == "dash" and "space" in (prev_kind, next_kind))):
            # Parentheses and a free-standing dash are pauses; a hyphen inside CASA-1000 or
            # 201-ум only separates words.
            out.append(",")
            spoken = False
    return "".join(out).strip(), True


def _is_initial(tokens: list[tuple[str, str]], i: int) -> bool:
    """Whether tokens[i] is the full stop of an initial (Э. Раҳмон), which must not end a sentence."""
    if tokens[i][1] != "." or i == 0 or i + 2 >= len(tokens):
        return False
    (kind, letter), (gap, _), (next_kind, following) = tokens[i - 1], tokens[i + 1], tokens[i + 2]
    is_capital_letter = kind == "word" and len(letter) == 1 and letter.isupper()
    return is_capital_letter and gap == "space" and next_kind == "word" and following[0].isupper()


def _word_phonemes(written: str) -> str:
    """One word as espeak-ng fa mnemonics with its stress mark, or "" if it has no sound.

    A '+' in the word (a lexicon respelling) puts the stress on the vowel it marks.
    """
    word, marked = stress.split_mark(written.lower())
    letters = _letter_sounds(word)
    if not any(is_vowel for _, sounds in letters for _, is_vowel in sounds):
        # A word without vowels (ҳ, a stray consonant) gets a schwa after each letter, so it is
        # sounded out rather than lost; letter names are never used.
        letters = [(at, (*sounds, ("@", True))) for at, sounds in letters if sounds]
        marked = None
    units = [unit for _, sounds in letters for unit in sounds]
    if marked is None:
        stressed = _stressed_vowel(word, sum(is_vowel for _, is_vowel in units))
    else:
        # The marked vowel letter's first vowel sound; letters before it may hold vowel sounds of their own.
        at = [i for i, char in enumerate(word) if char in stress.VOWELS][marked]
        stressed = sum(is_vowel for start, sounds in letters if start < at for _, is_vowel in sounds)
    parts: list[str] = []
    vowel_index = 0
    previous = ""
    for mnemonic, is_vowel in units:
        if (previous, mnemonic) in _MERGING:
            parts.append("|")
        if is_vowel:
            if vowel_index == stressed:
                parts.append("'")
            vowel_index += 1
        parts.append(mnemonic)
        previous = mnemonic
    return "".join(parts)


def _letter_sounds(word: str) -> list[tuple[int, tuple[_Unit, ...]]]:
    """Each letter of a lower-case word (its index, its sounds), with the context rules of Tajik spelling."""
    letters: list[tuple[int, tuple[_Unit, ...]]] = []
    i = 0
    while i < len(word):
        before = word[i - 1] if i else ""
        after = word[i + 1] if i + 1 < len(word) else ""
        if word[i : i + 2] in _LATIN_DIGRAPHS:
            letters.append((i, ((_LATIN_DIGRAPHS[word[i : i + 2]], False),)))
            i += 2
            continue
        letter = _known_letter(word[i])
        sounds: tuple[_Unit, ...]
        if letter == "е" and (not before or before in _VOWEL_LETTERS or before in "ъь"):
            sounds = (("j", False), ("e", True))  # [je] word-initially and after a vowel
        elif letter == "в" and before == "а" and after not in _VOWEL_LETTERS:
            sounds = (("w", False),)  # давлат, нав: [aw]
        elif letter == "ъ" and after in _IOTATED.keys() | {"е"}:
            sounds = ()  # Russian separating ъ (объект): the [j] comes from the next letter
        elif letter == "y" and after in _VOWEL_LETTERS:
            sounds = (("j", False),)
        elif letter in _ALL_VOWELS:
            sounds = ((_ALL_VOWELS[letter], True),)
        elif letter in _IOTATED:
            sounds = (("j", False), (_IOTATED[letter], True))
        elif letter in _ALL_CONSONANTS:
            sounds = tuple((m, False) for m in _ALL_CONSONANTS[letter])
        else:
            sounds = ()  # ь and letters of other scripts are silent, never spelled out
        letters.append((i, sounds))
        i += 1
    return letters


def _known_letter(char: str) -> str:
    """The letter itself if mapped, else its base letter without diacritics (é -> e)."""
    if char in _VOWEL_LETTERS or char in _ALL_CONSONANTS:
        return char
    return unicodedata.normalize("NFKD", char)[:1]


def stressed_letter(written: str) -> int | None:
    """Which vowel letter of a Tajik word (0-based, among stress.VOWELS) is stressed: the word's '+' mark,
    else the stress rules above; None for a little word that leans on its neighbour."""
    word, marked = stress.split_mark(written.lower())
    return marked if marked is not None else _stressed_vowel(word, _syllables(word))


def _stressed_vowel(word: str, vowels: int) -> int | None:
    """Index of the stressed vowel of a lower-case word with `vowels` vowels; None if unstressed."""
    if word in _CLITICS or vowels == 0:
        return None
    if vowels == 1:
        return 0
    if _has_verbal_prefix(word):
        return 0
    last = vowels - 1
    # Unstressed endings leave the stress on the syllable before them.
    ending = _possessive_ending(word)
    if ending:
        return last - _syllables(ending)  # кишварашон: кишвар'ашон
    if word.endswith("ро") and _syllables(word[:-2]) >= 2:
        return last - 1  # object marker: китобро
    if _ends_in_copula(word):
        return last - 1  # гуфтааст
    if word.endswith("ю") and word[-2] in _VOWEL_LETTERS:
        return last - 1  # conjunction after a vowel: сию
    if word.endswith("у") and word[-2] not in _VOWEL_LETTERS and word not in _STEM_FINAL_U:
        return last - 1  # conjunction after a consonant: бисту, сиёсиву
    if word.endswith("и"):
        return last - 1  # izofat (stressed final i is written ӣ): президенти
    return last


def _possessive_ending(word: str) -> str:
    """The unstressed possessive ending of a noun, if the word has one and a stem with a vowel before it."""
    for ending in sorted(_POSSESSIVE_AFTER_VOWEL + _POSSESSIVE_AFTER_CONSONANT, key=len, reverse=True):
        stem = word[: -len(ending)]
        after_vowel = ending in _POSSESSIVE_AFTER_VOWEL
        if word.endswith(ending) and stem and (stem[-1] in _VOWEL_LETTERS) == after_vowel and _syllables(stem):
            return ending
    return ""


def _has_verbal_prefix(word: str) -> bool:
    """Whether the word is a verb with the stressed prefix ме- or the negative на-/не-."""
    if word.startswith(("наме", "неме")):
        return True
    if word.startswith("ме") and word[2:3] not in ("ҳ", "ъ"):  # меҳнат, меъёр are nouns
        return word.endswith(_VERB_ENDINGS + _PAST_STEM_ENDINGS)
    if word.startswith(("на", "не")) and not word.startswith(_NOT_NEGATIVE):
        return word.endswith(_VERB_ENDINGS) or _ends_in_copula(word)  # нашудааст
    return False


def _ends_in_copula(word: str) -> bool:
    """Whether the word ends in the copula -аст after a vowel (a consonant before it: шикаст, даст)."""
    return word.endswith("аст") and word[-4:-3] in _VOWEL_LETTERS


def _syllables(text: str) -> int:
    return sum(char in _VOWEL_LETTERS for char in text)
