"""The Tajik front end, checked against real espeak-ng: every letter sounds, Tajik phonemes, stress, pauses."""

from __future__ import annotations

import re

import numpy as np
import pytest

from radiokit.tts.espeak import Speech, spoken_phonemes, synthesize, text_to_phonemes
from radiokit.tts.tajik import TAJIK_VOICE, to_espeak
from radiokit.tts.tajik_russian import to_russian

TAJIK_ALPHABET = "абвгғдеёжзиӣйкқлмнопрстуӯфхҳчҷшъэюя"
LOANWORD_LETTERS = "цщы"  # ь is silent and tested inside a word

# Every mnemonic the front end may write; all are phonemes of espeak-ng's fa table.
FA_PHONEMES = {
    "a", "e", "i", "o", "u", "A", "@", "b", "d", "g", "k", "q", "p", "t", "f", "v", "w", "s", "z",
    "S", "Z", "X", "h", 'Q"', "tS", "dZ", "j", "l", "m", "n", "R", "?",
}
_PHONEME = re.compile("|".join(re.escape(p) for p in sorted(FA_PHONEMES, key=len, reverse=True)))

SENTENCE = "Сафари президенти Русия ба Тоҷикистон натиҷаҳои муҳим дошт."
SECOND_SENTENCE = "Ҷонибҳо се созишнома имзо карданд."


def speak(text: str) -> Speech:
    espeak_input, phonemes = to_espeak(text)
    return synthesize(espeak_input, TAJIK_VOICE, rate=150, phonemes=phonemes)


def seconds(speech: Speech) -> float:
    return len(speech.samples) / speech.sample_rate


def longest_inner_pause_ms(speech: Speech) -> int:
    """The longest run of near-silent 10 ms frames between the first and the last sound."""
    frame = speech.sample_rate // 100
    count = len(speech.samples) // frame
    frames = speech.samples[: count * frame].astype(float).reshape(count, frame)
    loud = np.sqrt((frames**2).mean(axis=1)) >= 0.02 * np.sqrt((frames**2).mean(axis=1)).max()
    sounding = np.flatnonzero(loud)
    longest = run = 0
    for is_loud in loud[sounding[0] : sounding[-1] + 1]:
        run = 0 if is_loud else run + 1
        longest = max(longest, run)
    return longest * 10


def word_phonemes(espeak_input: str) -> list[str]:
    """The phoneme strings inside the [[...]] brackets of the front end's output."""
    return re.findall(r"\[\[([^\[\]]*)\]\]", espeak_input)


def test_the_alphabet_is_complete() -> None:
    assert len(TAJIK_ALPHABET) == len(set(TAJIK_ALPHABET)) == 35


@pytest.mark.parametrize("letter", list(TAJIK_ALPHABET + LOANWORD_LETTERS))
def test_every_letter_alone_is_a_short_sound_not_a_letter_name(letter: str) -> None:
    for case in (letter, letter.upper()):
        espeak_input, phonemes = to_espeak(case)
        assert phonemes
        [word] = word_phonemes(espeak_input)
        assert espeak_input == f"[[{word}]]"
        # Only fa phonemes, at most one syllable: a name like "letter 4 B 3" cannot hide in it.
        sounds = _PHONEME.findall(word.replace("'", ""))
        assert "".join(sounds) == word.replace("'", "")
        assert sum(sound in {"a", "e", "i", "o", "u", "A", "@"} for sound in sounds) == 1
        speech = speak(case)
        # Real audio (an unknown mnemonic would make espeak-ng drop the word: silence), and
        # short: spelling a letter out takes over a second.
        assert 0.15 <= seconds(speech) <= 0.6
        assert np.abs(speech.samples).max() > 5000


@pytest.mark.parametrize("letter", ["ҳ", "ҷ", "қ", "ғ", "ӣ", "ӯ"])
def test_the_naive_approach_spells_the_tajik_letters_out(letter: str) -> None:
    # The Russian voice reads Tajik letters as "letter <code point>", the fa voice as
    # "Cyrillic letter ...": several words where one sound belongs.
    for voice in ("ru", TAJIK_VOICE):
        assert "l'et@" in text_to_phonemes(letter, voice)
        assert seconds(synthesize(letter, voice, rate=150)) > 0.9
    assert "l'et@" not in to_espeak(letter)[0]
    assert seconds(speak(letter)) < 0.6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ҷанг", "dZ'ang"),  # ҷ [dʒ]
        ("чор", "tS'AR"),  # ч [tʃ]
        ("ҳафтшанбе", "haft|Sanb'e"),  # т+ш stays two sounds, not ч
        ("қанд", "q'and"),  # қ uvular stop
        ("ғалла", "Q\"all'a"),  # ғ voiced uvular fricative
        ("ҳафт", "h'aft"),  # ҳ [h]
        ("хуб", "X'ub"),  # х [χ]
        ("об", "'Ab"),  # о is the Persian â
        ("рӯз", "R'oz"),  # ӯ [ɵ] ...
        ("руз", "R'uz"),  # ... is not у
        ("маъно", "ma?n'A"),  # ъ glottal stop
        ("ер", "j'eR"),  # е is [je] word-initially ...
        ("мегӯед", "m'egojed"),  # ... and after a vowel
        ("мева", "mev'a"),  # ... but [e] after a consonant
        ("сиёсат", "sijAs'at"),  # ё ю я have a [j] onset
        ("премьер", "pRemj'eR"),  # ь is silent
        ("давлат", "dawl'at"),  # в after а and before a consonant is [w]
    ],
)
def test_letters_map_to_tajik_sounds(text: str, expected: str) -> None:
    assert to_espeak(text) == (f"[[{expected}]]", True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Тоҷикистон", ["tAdZikist'An"]),  # last syllable by default
        ("президенти Русия", ["pRezid'enti", "Rusij'a"]),  # izofat -и unstressed
        ("Ҷумҳурии Тоҷикистон", ["dZumhuR'ii", "tAdZikist'An"]),
        ("тоҷикӣ", ["tAdZik'i"]),  # final ӣ is stressed
        ("китобро", ["kit'AbRA"]),  # object marker -ро
        ("бисту як", ["b'istu", "j'ak"]),  # conjunction -у
        ("гуфтааст", ["guft'aast"]),  # copula -аст
        ("ба Тоҷикистон", ["ba", "tAdZikist'An"]),  # preposition leans on its noun
        ("меравам", ["m'eRavam"]),  # verbal prefix ме- carries the stress
        ("мекунанд", ["m'ekunand"]),
        ("намекунад", ["n'amekunad"]),  # negative на-
        ("набояд", ["n'abAjad"]),
        ("меҳнат натиҷа навад", ["mehn'at", "natidZ'a", "nav'ad"]),  # nouns, not prefixes
        ("вазифаҳояш", ["vazifah'AjaS"]),  # possessive endings after a vowel
        ("кишварашон китобҳояшон", ["kiSv'aRaSAn", "kitAbh'AjaSAn"]),  # -ашон, -яшон
        ("вилоят қаҳрамон замон", ["vilAj'at", "qahRam'An", "zam'An"]),  # stems that only look like them
    ],
)
def test_tajik_stress(text: str, expected: list[str]) -> None:
    assert word_phonemes(to_espeak(text)[0]) == expected


def test_a_sentence_has_a_plausible_duration() -> None:
    speech = speak(SENTENCE)
    assert 2.0 <= seconds(speech) <= 8.0
    assert longest_inner_pause_ms(speech) < 150


def test_two_sentences_are_separated_by_a_pause() -> None:
    one, two = speak(SENTENCE), speak(f"{SENTENCE} {SECOND_SENTENCE}")
    assert seconds(two) > seconds(one) + 1.0
    assert longest_inner_pause_ms(two) >= 150


def test_punctuation_stays_outside_the_phonemes_for_intonation() -> None:
    assert to_espeak("Салом, дӯстон! Шумо чӣ хелед?")[0] == (
        "[[sal'Am]], [[dost'An]]! [[Sum'A]] [[tS'i]] [[Xel'ed]]?"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ТОҶИКИСТОН", "[[tAdZikist'An]]"),  # any case
        ("CASA-ҳазор", "[[kas'a]] [[haz'AR]]"),  # Latin letters; a hyphen only separates words
        ("201", "[[dus'adu]] [[j'ak]]"),  # digits left over are Tajik words, never the voice's Persian
        ("«Хабар» — хабар", "[[Xab'aR]], [[Xab'aR]]"),  # quotes dropped, a dash is a pause
        ("хабар (нав)", "[[Xab'aR]], [[n'aw]],"),  # parentheses are pauses
        ("— Э. Раҳмон гуфт…", "[['e]] [[Rahm'An]] [[g'uft]]..."),  # an initial does not end a sentence
        ("[[h]] ь 中文", "[[h'@]],"),  # no phoneme injection, silent letters, other scripts
        ("", ""),
    ],
)
def test_text_is_normalized(text: str, expected: str) -> None:
    assert to_espeak(text) == (expected, True)


@pytest.mark.parametrize("text", ["CASA-1000 ва 201-ум, 20%!", "«Ҷумҳурии Тоҷикистон» — 2014.", "Wi-Fi, café"])
def test_mixed_text_synthesizes(text: str) -> None:
    assert seconds(speak(text)) > 0.5


@pytest.mark.parametrize(
    ("word", "ipa"),
    [
        # What espeak-ng says, traced as IPA while it synthesizes: together these cover all 35 letters.
        ("ҷанг", "dʒˈanɡ"),  # ҷ, а, н, г
        ("чор", "tʃˈɑr"),  # ч, о (Persian â, the fa voice's nearest to [ɔ]), р
        ("ҳафт", "hˈaft"),  # ҳ, ф, т
        ("хуб", "χˈub"),  # х, у, б
        ("қанд", "qˈand"),  # қ, д
        ("ғалла", "ʁallˈa"),  # ғ, л
        ("тоҷикӣ", "tɑdʒikˈi"),  # и, к, ӣ (stressed)
        ("рӯз", "rˈoz"),  # ӯ (the fa voice's [o], its nearest to [ɵ]), з
        ("маъно", "maʔnˈɑ"),  # м, ъ glottal stop
        ("ер", "jˈer"),  # е with [j] word-initially
        ("мева", "mevˈa"),  # е without it after a consonant, в
        ("ёр", "jˈɑr"),  # ё
        ("юнон", "junˈɑn"),  # ю
        ("ягона", "jaɡɑnˈa"),  # я
        ("жола", "ʒɑlˈa"),  # ж
        ("йод", "jˈɑd"),  # й
        ("сухан", "suχˈan"),  # с
        ("пахта", "paχtˈa"),  # п
        ("шаб", "ʃˈab"),  # ш
        ("эшон", "eʃˈɑn"),  # э
    ],
)
def test_letters_reach_espeak_as_tajik_sounds(word: str, ipa: str) -> None:
    espeak_input, phonemes = to_espeak(word)
    assert spoken_phonemes(espeak_input, TAJIK_VOICE, phonemes=phonemes, ipa=True) == ipa


def test_a_sentence_with_every_letter_has_no_letter_names() -> None:
    # Every letter of the alphabet, capital and small; espeak-ng's fallback would say "letter" (l'et@).
    text = " ".join(TAJIK_ALPHABET) + " " + TAJIK_ALPHABET.upper()
    espeak_input, phonemes = to_espeak(text)
    said = spoken_phonemes(espeak_input, TAJIK_VOICE, phonemes=phonemes)
    assert "l'et" not in said
    assert "l'et" in spoken_phonemes(text, TAJIK_VOICE)  # what the fa voice does with the raw letters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Н+ато", ["n'atA"]),  # the lexicon's mark moves the stress from the default last syllable
        ("Мамадази+мов", ["mamadaz'imAv"]),  # a mark after a vowel marks that vowel
        ("мера+вам", ["meR'avam"]),  # and overrides the rules (ме- would take the stress)
        ("+Абдулло", ["'abdullA"]),
    ],
)
def test_a_stress_mark_places_the_stress(text: str, expected: list[str]) -> None:
    assert word_phonemes(to_espeak(text)[0]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The same stress as for espeak-ng, as a '+' before the vowel a Russian voice reads stressed.
        ("президенти китобро бисту гуфтааст мехонам", "презид+енти кит+обро б+исту гуфт+ааст м+ехонам"),
        ("вазифаҳояш кишварашон Н+ато Мамадази+мов", "вазифах+ояш кишв+арашон Н+ато Мамадаз+имов"),
        # Tajik letters become their Russian counterparts; every Tajik letter has one, none is dropped.
        ("Ҷумҳурӣ қалъа ғӯза маъюб", "Джумхур+и кал+а гуз+а маъ+юб"),
        ("ба Душанбе", "ба Душанб+е"),  # a little word leans on its neighbour: no mark, the voice decides
    ],
)
def test_tajik_in_russian_letters_keeps_tajik_stress(text: str, expected: str) -> None:
    assert to_russian(text) == expected
    assert not set(to_russian(TAJIK_ALPHABET + TAJIK_ALPHABET.upper())) & set("ҳҷқғӣӯҲҶҚҒӢӮ")
