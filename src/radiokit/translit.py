"""Russian and Tajik Cyrillic spelled in ASCII, for fields that take ASCII only (cart chunk text, file names),
and a best-effort way back.

The table (lower case; an upper-case letter is spelled capitalised, `Ш` -> `Sh`, or all in capitals inside
a word in capitals, `ШУМО` -> `SHUMO`):

    а a    б b    в v    г g    д d    е e    ё yo   ж zh   з z    и i    й y    к k    л l    м m
    н n    о o    п p    р r    с s    т t    у u    ф f    х kh   ц ts   ч ch   ш sh   щ sch  ъ '
    ы y    ь '    э eh   ю yu   я ya
    Tajik: ғ gh   ӣ iy   қ q    ӯ uu   ҳ h    ҷ j

The Russian letters are spelled as radiokit always spelled them, so that names built from them stay as
they were, except э (`eh`, was `e`, as е is) and ъ, ь (an apostrophe, were dropped): without these the way
back could not tell это from ето, or деньги from денги. Each Tajik letter has a spelling of its own, none a
Russian letter's (ӣ and ӯ were `i` and `u`, as и and у are). Between с, з, к, г and a following ҳ an
apostrophe keeps `s'h` apart from ш (`sh`), as in дарсҳо -> `dars'ho`; Russian has no ҳ, so Russian text
never gets one. Any other character outside ASCII becomes `?`, as `str.encode("ascii", "replace")` does.

The way back (`from_ascii`) reads the longest spelling first and, where a spelling stands for more than
one letter or sequence, decides by the language and the neighbours:

- Russian `y` is ы after a consonant, else й; `'` is ъ after a prefix (об, под, с, раз, из, от, ...) before
  е, ё, ю, я, else ь; `ts` is тс before a consonant or in a closing `tsya` (-тся), else ц; `sch` is сч at the
  start of a word, else щ. So these come back wrong: ц before a consonant (немецкий -> неметский), йо
  (район -> раён), ы before а, о, у (выучить -> вючить), сч inside a word (расчёт -> ращёт), щ at a word's
  start (щит -> счит), ь after what looks like a prefix (вьюга -> въюга).
- Tajik `iy` is ӣ, except before a, o, u (ия, иё, ию); so a Russian name in Tajik text that ends in -ий comes
  back with ӣ (Дмитрий -> Дмитрӣ). `eh` is э at the start of a word, else е and ҳ (деҳа). `ts` is т and с
  (Tajik has no ц), `sch` с and ч, `y` й, `'` ъ (or nothing, as the apostrophe between с, з, к, г and ҳ).
- Latin letters that no Cyrillic letter is spelled with (c, h in Russian, j, q, w, x) stay as they are, but
  a Latin word in the text (CASA) comes back in Cyrillic letters (САСА): the way back cannot know it was
  never Cyrillic.
"""

from __future__ import annotations

import unicodedata

from radiokit.errors import ArgumentError

_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "'", "ы": "y", "ь": "'",
    "э": "eh", "ю": "yu", "я": "ya",
    "ғ": "gh", "ӣ": "iy", "қ": "q", "ӯ": "uu", "ҳ": "h", "ҷ": "j",
}
_ALPHABETS = {
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "tg": "абвгғдеёжзиӣйкқлмнопрстуӯфхҳчҷшъэюя",
}
_BEFORE_H = "сзкг"  # letters whose spelling and h's would read as another letter's (s'h, not sh)
_RU_PREFIXES = {"в", "вз", "воз", "вс", "из", "низ", "над", "об", "от", "под", "пред", "раз", "роз", "с",
                "без", "бес", "меж", "сверх", "суб", "ад", "дез", "кон", "контр", "пан", "пост", "транс",
                "двух", "трех", "трёх", "четырех", "интер", "супер"}
_VOWELS = "аеёиоуыэюяӣӯ"
_CONSONANTS = "bcdfghjklmnpqrstvwxz"  # ASCII
_SPELLINGS = {language: {spelling: [letter for letter in alphabet if _LATIN[letter] == spelling]
                         for spelling in {_LATIN[letter] for letter in alphabet}}
              for language, alphabet in _ALPHABETS.items()}


def to_ascii(text: str) -> str:
    """`text` with its Russian and Tajik letters spelled by the table above, other non-ASCII characters as
    `?`. Text is NFC-normalised first, so й typed as и and a combining breve is one letter."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for at, char in enumerate(text):
        lower = char.lower()
        spelling = _LATIN.get(lower)
        if spelling is None:
            out.append(char if char.isascii() else "?")
            continue
        if lower == "ҳ" and at and text[at - 1].lower() in _BEFORE_H:
            out.append("'")
        if char != lower:
            spelling = spelling.upper() if _in_capitals(text, at) else spelling.capitalize()
        out.append(spelling)
    return "".join(out)


def _in_capitals(text: str, at: int) -> bool:
    """Whether the capital at `at` stands in a word written in capitals: the next letter (or, at the word's
    end, the one before) is a capital too."""
    for neighbour in (text[at + 1 : at + 2], text[at - 1 : at] if at else ""):
        if neighbour.isalpha():
            return neighbour.isupper()
    return False


def from_ascii(text: str, language: str) -> str:
    """Best-effort inverse of `to_ascii` for a text in `language` ("ru" or "tg"): see the module's notes for
    where it has to guess."""
    if language not in _ALPHABETS:
        raise ArgumentError(f"from_ascii: language {language!r} is not one of {', '.join(_ALPHABETS)}")
    spellings = _SPELLINGS[language]
    low = text.lower()
    out: list[str] = []
    word = ""  # the Cyrillic letters of the current word so far, lower case
    at = 0
    while at < len(text):
        if not (low[at].isalpha() or low[at] == "'" and word):  # ъ and ь never start a word
            out.append(text[at])
            word, at = "", at + 1
            continue
        spelling = next((low[at : at + n] for n in (3, 2, 1) if low[at : at + n] in spellings), None)
        if spelling is None:
            out.append(text[at])
            word, at = "", at + 1
            continue
        letter, used = _decide(language, spelling, spellings[spelling], low, at, word)
        if letter:
            word += letter
            upper = text[at].isupper() if letter not in "ъь" else _apostrophe_in_capitals(text, at)
            out.append(letter.upper() if upper else letter)
        at += used
    return "".join(out)


def _decide(language: str, spelling: str, letters: list[str], low: str, at: int, word: str) -> tuple[str, int]:
    """The letter (or nothing) that `spelling` at `at` stands for, and how many characters it takes."""
    after = low[at + len(spelling) :]
    before = word[-1:] if word else ""
    if language == "ru":
        if spelling == "ts" and word and (after[:1] != "" and after[:1] in _CONSONANTS or _ends(after, "ya")):
            return "т", 1
        if spelling == "sch" and not word:
            return "с", 1
        if spelling == "y":
            return ("ы" if before and before not in _VOWELS + "ъь" else "й"), 1
        if spelling == "'":
            prefix = word in _RU_PREFIXES and (after[:1] == "e" or after[:2] in ("yo", "yu", "ya"))
            return ("ъ" if prefix else "ь"), 1
    else:
        if spelling == "eh" and word:
            return "е", 1
        if spelling == "iy" and after[:1] in ("a", "o", "u"):
            return "и", 1
        if spelling == "'":
            return ("" if after[:1] == "h" and before in _BEFORE_H else "ъ"), 1
    return letters[0], len(spelling)


def _ends(after: str, spelling: str) -> bool:
    """Whether `after` is `spelling` and then the end of the word."""
    return after.startswith(spelling) and not after[len(spelling) : len(spelling) + 1].isalpha()


def _apostrophe_in_capitals(text: str, at: int) -> bool:
    """ъ and ь have no case in ASCII: capital where the letters either side of the apostrophe are capitals."""
    sides = [c for c in (text[at - 1 : at] if at else "", text[at + 1 : at + 2]) if c.isalpha()]
    return bool(sides) and all(c.isupper() for c in sides)
