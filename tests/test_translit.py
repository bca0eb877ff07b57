"""Russian and Tajik Cyrillic in ASCII: the table, capitals, what is not Cyrillic, and how much of the bundled
episode's own words comes back exactly from the ASCII spelling."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from radiokit.errors import ArgumentError
from radiokit.translit import from_ascii, to_ascii

EPISODE = Path(__file__).parent.parent / "examples" / "iwpr-tajikistan-russia" / "episode.yaml"
# The spellings radiokit has always used for these Russian letters: package names are built from them.
UNCHANGED = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "з": "z", "и": "i", "й": "y", "к": "k",
             "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
             "х": "kh", "ц": "ts", "ы": "y", "ё": "yo", "ж": "zh", "ч": "ch", "ш": "sh", "щ": "sch", "ю": "yu",
             "я": "ya"}
TAJIK = {"ғ": "gh", "ӣ": "iy", "қ": "q", "ӯ": "uu", "ҳ": "h", "ҷ": "j"}


def test_the_russian_letters_keep_their_spellings() -> None:
    assert {letter: to_ascii(letter) for letter in UNCHANGED} == UNCHANGED
    # Changed so that the way back can tell them apart: э from е, and ъ, ь from nothing.
    assert (to_ascii("э"), to_ascii("ъ"), to_ascii("ь")) == ("eh", "'", "'")


def test_each_tajik_letter_has_a_spelling_no_russian_letter_has() -> None:
    assert {letter: to_ascii(letter) for letter in TAJIK} == TAJIK
    russian = {to_ascii(letter) for letter in "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"}
    assert len(set(TAJIK.values())) == len(TAJIK) and not set(TAJIK.values()) & russian
    assert to_ascii("Тоҷикистон ҷонибдори равобити амалии иқтисодӣ бо Русия") == (
        "Tojikiston jonibdori ravobiti amalii iqtisodiy bo Rusiya")


def test_capitals() -> None:
    assert (to_ascii("Ш"), to_ascii("Шумо"), to_ascii("ШУМО")) == ("Sh", "Shumo", "SHUMO")
    assert (to_ascii("Ӯзбекистон"), to_ascii("ЧАҲОР"), to_ascii("НАТО ва ЩИТ")) == ("Uuzbekiston", "CHAHOR",
                                                                                   "NATO va SCHIT")
    assert from_ascii("SHUMO", "tg") == "ШУМО" and from_ascii("Shakhodat", "ru") == "Шаходат"


def test_anything_else_outside_ascii_is_a_question_mark() -> None:
    text = "«Ўзбек» café — 12 €, IWPR"
    assert to_ascii(text) == "??zbek? caf? ? 12 ?, IWPR"  # Ўзбек: ў is Uzbek, not Russian or Tajik
    assert to_ascii(text).isascii() and len(to_ascii("«€»")) == 3  # one "?" for each character, as encode() does


def test_decomposed_letters_are_read_as_one() -> None:
    assert to_ascii(unicodedata.normalize("NFD", "йӣӯё")) == "yiyuuyo"


def test_s_before_h_is_kept_apart_from_sh() -> None:
    assert (to_ascii("дарсҳо"), to_ascii("рӯзҳо"), to_ascii("кӯдакҳо")) == ("dars'ho", "ruuz'ho", "kuudak'ho")
    assert [from_ascii(to_ascii(w), "tg") for w in ("дарсҳо", "сангҳо", "Исҳоқ", "ташриф")] == [
        "дарсҳо", "сангҳо", "Исҳоқ", "ташриф"]


def test_where_the_way_back_guesses_as_documented() -> None:
    assert [from_ascii(to_ascii(w), "ru") for w in ("детский", "немецкий", "объявил", "семье", "район")] == [
        "детский", "неметский", "объявил", "семье", "раён"]
    assert from_ascii(to_ascii("Дмитрий"), "tg") == "Дмитрӣ"
    with pytest.raises(ArgumentError, match="'uz'"):
        from_ascii("salom", "uz")


def episode_words() -> dict[str, set[str]]:
    """Every Cyrillic word of the bundled episode's titles, names and texts, by language."""
    script = yaml.safe_load(EPISODE.read_text(encoding="utf-8"))
    words: dict[str, set[str]] = {"ru": set(), "tg": set()}

    def add(language: str, text: str) -> None:
        words[language].update(w for w in re.findall(r"[^\W\d_]+", text) if not w.isascii())

    programme = script["programme"]
    for key in ("title", "presenter", "description"):
        for language, text in programme[key].items():
            add(language, text)
    for segment in script["segments"]:
        for key in ("title", "text"):
            for language, text in (segment.get(key) or {}).items():
                add(language, text)
        if "transcript" in segment:
            add(segment["clip_language"], segment["transcript"])
        voiceover = segment.get("voiceover") or {}
        for language in words:
            if language in voiceover:
                add(language, voiceover[language]["text"])
    return words


def test_the_episode_words_come_back_from_ascii() -> None:
    for language, words in episode_words().items():
        missed = sorted(w for w in words if from_ascii(to_ascii(w), language) != w)
        share = 1 - len(missed) / len(words)
        print(f"\n{language}: {len(words) - len(missed)} of {len(words)} words come back exactly ({share:.1%});"
              f" not: {', '.join(f'{w} -> {from_ascii(to_ascii(w), language)}' for w in missed) or 'none'}")
        assert len(words) >= 40
        assert share >= 0.99
