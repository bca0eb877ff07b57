"""Numbers as Tajik words: cardinals with the linking -у/-ю, ordinals, decimal fractions, digit strings."""

from __future__ import annotations

_UNITS = ("сифр", "як", "ду", "се", "чор", "панҷ", "шаш", "ҳафт", "ҳашт", "нӯҳ")
_TEENS = ("даҳ", "ёздаҳ", "дувоздаҳ", "сездаҳ", "чордаҳ", "понздаҳ", "шонздаҳ", "ҳабдаҳ", "ҳаждаҳ", "нуздаҳ")
_TENS = ("", "", "бист", "сӣ", "чил", "панҷоҳ", "шаст", "ҳафтод", "ҳаштод", "навад")
# 200-900 are written as one word (дусад, нӯҳсад); 100 is сад, not "як сад".
_HUNDREDS = ("", "сад", *(f"{unit}сад" for unit in _UNITS[2:]))
# Groups of three digits from 10^3 up; a 1 before ҳазор is not said (ҳазору нӯҳсад), before the others it is.
_SCALES = ("ҳазор", "миллион", "миллиард", "триллион", "квадриллион", "квинтиллион")
_VOWELS = frozenset("аеёиӣоуӯыэюя")
# Past the named scales a number is read digit by digit, as one reads a long code.
LARGEST = 10 ** (3 * (len(_SCALES) + 1)) - 1
# Decimal places read as a fraction: 2,5 "ду бутуну панҷ даҳяк"; longer tails are read digit by digit.
_DENOMINATORS = ("даҳяк", "садяк", "ҳазоряк")


def cardinal(number: int) -> str:
    """2014 -> "ду ҳазору чордаҳ" (number >= 0); every part but the last takes -у, or -ю after a vowel."""
    if number == 0:
        return _UNITS[0]
    if number > LARGEST:
        return digits(str(number))
    parts: list[str] = []
    for power, group in reversed(list(enumerate(_groups(number)))):
        if group == 0:
            continue
        if power == 0:
            parts.append(_below_thousand(group))
        elif power == 1 and group == 1:
            parts.append(_SCALES[0])
        else:
            parts.append(f"{_below_thousand(group)} {_SCALES[power - 1]}")
    return _joined(parts)


def ordinal(number: int) -> str:
    """201 -> "дусаду якум": the cardinal with -ум after a consonant, -юм after a vowel."""
    return with_suffix(cardinal(number), "ум")


def with_suffix(words: str, suffix: str) -> str:
    """Join a suffix written after a digit (201-ум, 2-юм, 5-то) to the number's last word.

    The ordinal -ум/-юм follows the last sound, whichever the writer typed: 2-ум is дуюм, 4-юм чорум.
    """
    if suffix[:2] in ("ум", "юм"):
        suffix = ("юм" if words[-1] in _VOWELS else "ум") + suffix[2:]
        if words.endswith("ӣ"):
            words = words[:-1] + "и"  # сӣ -> сиюм
    return words + suffix


def decimal(whole: str, fraction: str) -> str:
    """"2", "5" -> "ду бутуну панҷ даҳяк": the fraction over ten, a hundred or a thousand; longer ones digit by digit."""
    head = linked(cardinal(int(whole)) + " бутун")
    if len(fraction) <= len(_DENOMINATORS):
        return f"{head} {cardinal(int(fraction))} {_DENOMINATORS[len(fraction) - 1]}"
    return f"{head} {digits(fraction)}"


def digits(text: str) -> str:
    """"0451" -> "сифр чор панҷ як": one word per digit."""
    return " ".join(_UNITS[int(char)] for char in text)


def _groups(number: int) -> list[int]:
    """Groups of three digits, lowest first: 2014 -> [14, 2]."""
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    return groups


def _below_thousand(number: int) -> str:
    """1..999: 451 -> "чорсаду панҷоҳу як"."""
    hundreds, rest = divmod(number, 100)
    parts = [_HUNDREDS[hundreds]] if hundreds else []
    if 10 <= rest < 20:
        parts.append(_TEENS[rest - 10])
    else:
        tens, units = divmod(rest, 10)
        parts += [word for word in (_TENS[tens], _UNITS[units] if units else "") if word]
    return _joined(parts)


def _joined(parts: list[str]) -> str:
    """Parts in order, each but the last linked to the next."""
    return " ".join([*(linked(part) for part in parts[:-1]), parts[-1]])


def linked(words: str) -> str:
    """A number part followed by another: бист -> бисту, сӣ -> сию, ду ҳазор -> ду ҳазору."""
    if words.endswith("ӣ"):
        return words[:-1] + "ию"
    return words + ("ю" if words[-1] in _VOWELS else "у")
