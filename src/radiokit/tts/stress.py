"""The script's stress mark: '+' at a vowel of a word (К+аса, Абдулл+о, Мамадази+мов) says where the stress falls."""

from __future__ import annotations

import re

# Vowel letters of Russian and Tajik Cyrillic and of Latin.
VOWELS = frozenset("аеёиӣоуӯыэюяaeiouy")
# A word with any '+' marks in it, before it or after its last vowel; a '+' between digits (2+2) is no mark.
WORD = re.compile(r"(?<!\w)\+?[^\W\d_]+(?:\+[^\W\d_]+)*(?:(?<=[" + "".join(sorted(VOWELS)) + r"])\+(?!\w))?",
                  re.IGNORECASE)


def split_mark(word: str) -> tuple[str, int | None]:
    """The word without marks, and which of its vowel letters (0-based) is stressed; None if unmarked.

    The mark goes before the stressed vowel (К+аса); a mark after a vowel and before a consonant marks
    that vowel (Мамадази+мов: the и). Only the first mark counts.
    """
    plain = word.replace("+", "")
    at = word.find("+")
    if at < 0:
        return plain, None
    lower = plain.lower()
    vowels_before = sum(char in VOWELS for char in lower[:at])
    after = lower[at : at + 1]
    before = lower[at - 1 : at] if at else ""
    if after not in VOWELS and before in VOWELS:
        return plain, vowels_before - 1
    if vowels_before >= sum(char in VOWELS for char in lower):
        return plain, None  # a mark after the last vowel marks nothing
    return plain, vowels_before


def unmarked(text: str) -> str:
    """Text without stress marks, for engines that cannot take them."""
    return WORD.sub(lambda m: m.group().replace("+", ""), text)
