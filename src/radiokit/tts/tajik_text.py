"""Tajik text normalization: digits, dates, times, signs and abbreviations written out as Tajik words."""

from __future__ import annotations

import re
import unicodedata

from radiokit.tts.tajik_numbers import (
    LARGEST,
    cardinal,
    decimal,
    digits,
    linked,
    ordinal,
    with_suffix,
)

# Month names as Tajik writes them (the izofat -и is added when a day or year is attached).
MONTHS = ("январ", "феврал", "март", "апрел", "май", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр")
_MONTH = r"(?P<month>" + "|".join(MONTHS) + r")(?P<izofat>и?)"

# Letter names for abbreviations read letter by letter: Cyrillic as a Tajik reader names them,
# Latin as Tajik media say English abbreviations (Би-Би-Си).
_CYRILLIC_NAMES = {
    "а": "а", "б": "бе", "в": "ве", "г": "ге", "ғ": "ғе", "д": "де", "е": "е", "ё": "ё", "ж": "же",
    "з": "зе", "и": "и", "ӣ": "ӣ", "й": "йот", "к": "ка", "қ": "қе", "л": "эл", "м": "эм", "н": "эн",
    "о": "о", "п": "пе", "р": "эр", "с": "эс", "т": "те", "у": "у", "ӯ": "ӯ", "ф": "эф", "х": "хе",
    "ҳ": "ҳе", "ч": "че", "ҷ": "ҷе", "ш": "ша", "щ": "ща", "ц": "се", "ы": "ы", "э": "э", "ю": "ю", "я": "я",
}
_LATIN_NAMES = {
    "a": "эй", "b": "би", "c": "си", "d": "ди", "e": "и", "f": "эф", "g": "ҷи", "h": "эйч", "i": "ай",
    "j": "ҷей", "k": "кей", "l": "эл", "m": "эм", "n": "эн", "o": "оу", "p": "пи", "q": "кю", "r": "ар",
    "s": "эс", "t": "ти", "u": "ю", "v": "ви", "w": "дабл-ю", "x": "экс", "y": "вай", "z": "зед",
}
_VOWELS = frozenset("аеёиӣоуӯыэюяaeiouy")

# Written abbreviations of units, read in full wherever they stand as words.
_UNITS = {"млн": "миллион", "млрд": "миллиард", "км": "километр", "кг": "килограмм", "ҳаз": "ҳазор"}
# Their full stop is dropped when the sentence goes on (500 млн. доллар), kept when it ends there.
_UNIT = re.compile(r"(?<!\w)(?P<unit>(?i:" + "|".join(_UNITS) + r"))(?:\.(?=\s*[^\W\d_A-ZА-ЯЁӢӮҚҒҲҶ]))?(?!\w)")
_SIGNS_AFTER = {"%": "фоиз", "$": "доллар", "€": "евро", "₽": "рубл", "°": "дараҷа"}
_SIGNS_BEFORE = {"$": "доллар", "€": "евро", "₽": "рубл"}
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}

_DATE = re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?![\d.]\d)")
_TIME = re.compile(r"(?P<before>\bсоати\s+)?(?<![\d:])(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?![\d:])",
                   re.IGNORECASE)
_DAY_MONTH = re.compile(r"(?<![\d.,])(?P<day>\d{1,2})\s+" + _MONTH + r"\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"\b" + _MONTH + r"\s+(?=\d{4}(?!\d))", re.IGNORECASE)
_NUMBER_SIGN = re.compile(r"№\s*(?=\d)")
_NUMBER = re.compile(
    r"(?<![\d,.])(?P<before>[$€₽]\s?)?"
    r"(?P<whole>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)"
    r"(?:[,.](?P<fraction>\d+))?"
    r"(?:\s?(?P<after>[%$€₽°]))?"
    r"(?:-(?P<suffix>[^\W\d_]+))?"
)
_ROMAN_NUMERAL = re.compile(r"(?<=[^\W\d_]и )(?P<roman>[IVXLХ]+)\b")
_WORD = re.compile(r"(?<![\w+])(?P<word>[^\W\d_]+)(?![\w+])")


def normalize(text: str) -> str:
    """Tajik text with numbers, dates, times, signs and letter abbreviations as the words a reader says."""
    text = unicodedata.normalize("NFC", text)
    text = _DATE.sub(_date, text)
    text = _TIME.sub(_time, text)
    text = _DAY_MONTH.sub(lambda m: f"{m['day']}-уми {m['month']}{m['izofat']}", text)
    text = _MONTH_YEAR.sub(lambda m: f"{m['month']}и соли ", text)
    text = _NUMBER_SIGN.sub("рақами ", text)
    text = _NUMBER.sub(_number, text)
    text = _ROMAN_NUMERAL.sub(_roman, text)
    text = _UNIT.sub(lambda m: _UNITS[m["unit"].lower()], text)
    return _WORD.sub(_word, text)


def _date(match: re.Match[str]) -> str:
    day, month = int(match["day"]), int(match["month"])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group()
    return f"{with_suffix(cardinal(day), 'уми')} {MONTHS[month - 1]}и соли {cardinal(int(match['year']))}"


def _time(match: re.Match[str]) -> str:
    """18:30 -> "соати ҳаждаҳу сӣ дақиқа"; whole hours are the hour alone (соати даҳ)."""
    hour, minute = int(match["hour"]), int(match["minute"])
    before = match["before"] or "соати "
    if minute == 0:
        return f"{before}{cardinal(hour)}"
    return f"{before}{linked(cardinal(hour))} {cardinal(minute)} дақиқа"


def _number(match: re.Match[str]) -> str:
    whole = re.sub(r"\D", "", match["whole"])
    fraction, suffix = match["fraction"], match["suffix"]
    if fraction is not None:
        words = decimal(whole, fraction)
    elif len(whole) > 1 and whole.startswith("0") or int(whole) > LARGEST:
        words = digits(whole)  # a code or an account number, not a quantity
    else:
        words = cardinal(int(whole))
    signs = [_SIGNS_BEFORE[match["before"].strip()]] if match["before"] else []
    if match["after"]:
        signs.append(_SIGNS_AFTER[match["after"]])
    words = " ".join([words, *signs])
    if suffix:
        words = with_suffix(words, suffix.lower())
    # Digits written against a word (10км, CASA1000) become words of their own.
    before, after = match.string[match.start() - 1 : match.start()], match.string[match.end() : match.end() + 1]
    return (" " if before.isalpha() else "") + words + (" " if after.isalpha() else "")


def _roman(match: re.Match[str]) -> str:
    """A Roman numeral after an izofat is an ordinal: асри XXI -> асри бисту якум."""
    values = [_ROMAN["X" if char == "Х" else char] for char in match["roman"]]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return ordinal(total)


def _word(match: re.Match[str]) -> str:
    word = match["word"]
    if not _is_spelled_abbreviation(word):
        return word
    names = _LATIN_NAMES if word.isascii() else _CYRILLIC_NAMES
    return "-".join(names[char] for char in word.lower())


def _is_spelled_abbreviation(word: str) -> bool:
    """Whether an all-capital word is said letter by letter (СММ, IWPR, США) rather than as a word (НАТО, CASA)."""
    if not (2 <= len(word) <= 5 and word.isupper()):
        return False
    lower = word.lower()
    if not (lower.isascii() or all(char in _CYRILLIC_NAMES for char in lower)):
        return False
    pattern = "".join("v" if char in _VOWELS else "c" for char in lower)
    return "v" not in pattern or pattern.startswith("cc") or "ccc" in pattern
