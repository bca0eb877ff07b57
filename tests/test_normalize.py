"""Text normalization before synthesis: Tajik numbers, dates, signs and abbreviations; Russian through ru-normalizr.

The Tajik tables are the project's reference facts (shared/reference/tajik.md: numbers, linking -у/-ю,
ordinals, years, percent, dates), written out here so that the tests run from a bare clone.
"""

from __future__ import annotations

import pytest

from radiokit.tts import apply_lexicon, spoken_text
from radiokit.tts.russian import normalize as russian
from radiokit.tts.tajik_numbers import cardinal, ordinal
from radiokit.tts.tajik_text import normalize as tajik

# The reference's table of numbers, every cell.
REFERENCE_NUMBERS = {
    0: "сифр", 1: "як", 2: "ду", 3: "се", 4: "чор", 5: "панҷ", 6: "шаш", 7: "ҳафт", 8: "ҳашт", 9: "нӯҳ",
    10: "даҳ", 11: "ёздаҳ", 12: "дувоздаҳ", 13: "сездаҳ", 14: "чордаҳ", 15: "понздаҳ", 16: "шонздаҳ",
    17: "ҳабдаҳ", 18: "ҳаждаҳ", 19: "нуздаҳ", 20: "бист", 30: "сӣ", 40: "чил", 50: "панҷоҳ", 60: "шаст",
    70: "ҳафтод", 80: "ҳаштод", 90: "навад", 100: "сад", 200: "дусад", 300: "сесад", 400: "чорсад",
    500: "панҷсад", 600: "шашсад", 700: "ҳафтсад", 800: "ҳаштсад", 900: "нӯҳсад", 1000: "ҳазор",
    10**6: "як миллион", 10**9: "як миллиард",
}


@pytest.mark.parametrize(("number", "words"), REFERENCE_NUMBERS.items())
def test_tajik_cardinals_match_the_reference_table(number: int, words: str) -> None:
    assert cardinal(number) == words


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (21, "бисту як"),  # -у after a consonant on every part but the last
        (25, "бисту панҷ"),
        (31, "сию як"),  # -ю after a vowel (сӣ)
        (105, "саду панҷ"),
        (201, "дусаду як"),
        (451, "чорсаду панҷоҳу як"),
        (1991, "ҳазору нӯҳсаду наваду як"),
        (2014, "ду ҳазору чордаҳ"),
        (21_000, "бисту як ҳазор"),  # a multiplier is linked inside, not to its scale word
        (30_000, "сӣ ҳазор"),
        (1_099_999, "як миллиону наваду нӯҳ ҳазору нӯҳсаду наваду нӯҳ"),
        (2_000_021, "ду миллиону бисту як"),
        (3 * 10**18 + 7, "се квинтиллиону ҳафт"),
        (10**21, "як " + " ".join(["сифр"] * 21)),  # past the named scales: digit by digit
    ],
)
def test_tajik_compound_cardinals_link_their_parts(number: int, words: str) -> None:
    assert cardinal(number) == words


@pytest.mark.parametrize(
    ("number", "words"),
    [(1, "якум"), (2, "дуюм"), (3, "сеюм"), (4, "чорум"), (20, "бистум"), (30, "сиюм"), (201, "дусаду якум")],
)
def test_tajik_ordinals_take_um_after_a_consonant_and_yum_after_a_vowel(number: int, words: str) -> None:
    assert ordinal(number) == words


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("2014", "ду ҳазору чордаҳ"),
        ("соли 2014", "соли ду ҳазору чордаҳ"),  # years are cardinals after соли
        ("Дивизияи 201-уми Русия", "Дивизияи дусаду якуми Русия"),  # ordinal with izofat
        ("201-ум", "дусаду якум"),
        ("2-юм", "дуюм"),
        ("2-ум ва 4-юм", "дуюм ва чорум"),  # the suffix follows the sound, whatever was typed
        ("солҳои 1990-ум", "солҳои ҳазору нӯҳсаду навадум"),
        ("5-то китоб", "панҷто китоб"),  # other suffixes join the last word
        ("20%", "бист фоиз"),
        ("20 %-и аҳолӣ", "бист фоизи аҳолӣ"),
        ("2,5%", "ду бутуну панҷ даҳяк фоиз"),  # decimals: бутун, then tenths, hundredths, thousandths
        ("0,25", "сифр бутуну бисту панҷ садяк"),
        ("3.125", "се бутуну саду бисту панҷ ҳазоряк"),
        ("3,14159", "се бутуну як чор як панҷ нӯҳ"),
        ("1 000 000 нафар", "як миллион нафар"),  # thousands separated by spaces
        ("26 октябри 2012", "бисту шашуми октябри соли ду ҳазору дувоздаҳ"),  # the reference's date
        ("26.10.2012", "бисту шашуми октябри соли ду ҳазору дувоздаҳ"),
        ("5 май", "панҷуми май"),
        ("моҳи сентябр 1991", "моҳи сентябри соли ҳазору нӯҳсаду наваду як"),
        ("соати 18:30", "соати ҳаждаҳу сӣ дақиқа"),
        ("Барнома 10:00 оғоз мешавад", "Барнома соати даҳ оғоз мешавад"),
        ("23:05", "соати бисту сею панҷ дақиқа"),
        ("$500", "панҷсад доллар"),
        ("500 млн. доллар", "панҷсад миллион доллар"),
        ("Масофа 300 км аст.", "Масофа сесад километр аст."),
        ("№5", "рақами панҷ"),
        ("асри XXI", "асри бисту якум"),  # a Roman numeral after an izofat is an ordinal
        ("синфи Х", "синфи даҳум"),  # written with the Cyrillic Х too
        ("007", "сифр сифр ҳафт"),  # a code, digit by digit
        ("CASA-1000", "CASA-ҳазор"),
        ("10км ва CASA1000", "даҳ километр ва CASA ҳазор"),  # digits against letters become words of their own
    ],
)
def test_tajik_numbers_in_text(written: str, spoken: str) -> None:
    assert tajik(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("НАТО", "НАТО"),  # an acronym said as a word
        ("CASA", "CASA"),
        ("ТОҶИКИСТОН", "ТОҶИКИСТОН"),  # a word in capitals is still a word
        ("СММ", "эс-эм-эм"),  # no vowel: letter by letter, with Tajik letter names
        ("ҶТ", "ҷе-те"),
        ("США", "эс-ша-а"),  # two consonants first: unpronounceable as a word
        ("IWPR", "ай-дабл-ю-пи-ар"),  # Latin letters named as Tajik media say them
        ("BBC", "би-би-си"),
        ("Н+ато", "Н+ато"),  # a stress-marked respelling is left alone
    ],
)
def test_tajik_abbreviations(written: str, spoken: str) -> None:
    assert tajik(written) == spoken


def test_tajik_text_keeps_no_digit() -> None:
    text = "Соли 2014, 26.10.2012 соати 18:30, 20% ва 2,5 млн. $, №7, 201-ум ва 1 000 нафар."
    assert not any(char.isdigit() for char in tajik(text))


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("в 2014 году", "в две тысячи четырнадцатом году"),  # the case the preposition needs
        ("201-я дивизия", "Двести первая дивизия"),
        ("на базе 201-й дивизии", "на базе двести первой дивизии"),
        ("распад СССР в 1991 году", "распад эс эс эс эр в тысяча девятьсот девяносто первом году"),
        ("Визит состоялся 5 октября 2012 г.", "Визит состоялся пятого октября две тысячи двенадцатого года."),
        ("из 25 стран", "из двадцати пяти стран"),
        ("рост на 20%", "рост на двадцать процентов"),
        ("около 1,5 млн человек", "около полутора миллионов человек"),
        ("в XXI веке", "в двадцать первом веке"),
        ("США и ОДКБ", "Сэ шэ а и о дэ ка бэ"),  # single vowel names (not "аа")
        ("силы НАТО", "силы нато"),
        ("Мамадази+мов и Абдулл+о", "Мамадази+мов и Абдулл+о"),  # stress marks pass through
    ],
)
def test_russian_normalization(written: str, spoken: str) -> None:
    assert russian(written) == spoken


def test_lexicon_applies_before_normalization() -> None:
    # The lexicon sees the script's own spelling: CASA is respelled before the digits become words.
    assert spoken_text("проект CASA-1000", "tg", {"casa": "Каса"}) == "проект Каса-ҳазор"
    assert spoken_text("силы НАТО", "ru", {"НАТО": "Н+ато"}) == "силы Н+ато"


def test_lexicon_replaces_whole_words_once_ignoring_case() -> None:
    lexicon = {"IWPR": "И-Вэ-Пэ-Эр", "Эр": "Ер", "НАТО": "Н+ато", "ато": "x", "Абдугани Мамадазимов": "А. М."}
    text = "Доклад iwpr о НАТО, НАТОвских и Абдугани Мамадазимов"
    # whole words only (not НАТОвских); a respelling is not respelled again (Эр, ато); the longer entry wins.
    assert apply_lexicon(text, lexicon) == "Доклад И-Вэ-Пэ-Эр о Н+ато, НАТОвских и А. М."
    assert apply_lexicon(r"a\1b", {"a": r"\1"}) == r"\1\1b"  # respellings are inserted as written
