"""Speech engines: voice parameters reach espeak-ng, Russian stress marks and numbers, Tajik letters are sounds."""

from __future__ import annotations

import numpy as np
import pytest

from radiokit.script import Voice
from radiokit.tts import espeak_input, speak, spoken_text
from radiokit.tts.espeak import spoken_phonemes, synthesize, text_to_phonemes

TEXT = "Президент России посетил Душанбе и встретился с руководством страны."


def seconds(speech) -> float:  # type: ignore[no-untyped-def]
    return len(speech.samples) / speech.sample_rate


def fundamental_hz(speech) -> float:  # type: ignore[no-untyped-def]
    """Median cepstral pitch of the louder, clearly voiced 50 ms frames (robust to strong formants).

    espeak-ng varies its voice a little from call to call; frames without a distinct cepstral peak
    (fricatives, transitions) would let that noise pull the median anywhere.
    """
    rate = speech.sample_rate
    samples = speech.samples.astype(np.float64)
    size = int(0.05 * rate)
    frames = [samples[i:i + size] for i in range(0, len(samples) - size, size // 2)]
    loudest = max(float(np.sqrt(np.mean(f ** 2))) for f in frames)
    low, high = int(rate / 400), int(rate / 60)
    pitches = []
    for frame in frames:
        if np.sqrt(np.mean(frame ** 2)) < loudest / 4:
            continue
        cepstrum = np.fft.irfft(np.log(np.abs(np.fft.rfft(frame * np.hanning(size))) + 1e-9))
        peak = low + int(np.argmax(cepstrum[low:high]))
        if cepstrum[peak] >= 0.1:
            pitches.append(rate / peak)
    assert len(pitches) >= 5, "too few voiced frames to measure the pitch"
    return float(np.median(pitches))


def test_rate_changes_duration() -> None:
    slow = speak(TEXT, "ru", Voice("espeak", "ru", rate=100), {})
    fast = speak(TEXT, "ru", Voice("espeak", "ru", rate=250), {})
    assert seconds(slow) / seconds(fast) > 1.8


def test_pitch_changes_the_voice() -> None:
    low = speak(TEXT, "ru", Voice("espeak", "ru", pitch=10), {})
    high = speak(TEXT, "ru", Voice("espeak", "ru", pitch=90), {})
    assert fundamental_hz(high) > fundamental_hz(low) * 1.2


def test_volume_changes_the_level() -> None:
    quiet = speak(TEXT, "ru", Voice("espeak", "ru", volume=40), {})
    loud = speak(TEXT, "ru", Voice("espeak", "ru", volume=160), {})
    rms = lambda s: float(np.sqrt(np.mean(s.samples.astype(np.float64) ** 2)))
    assert rms(loud) > rms(quiet) * 2


def said_ipa(text: str, language: str = "ru", lexicon: dict[str, str] | None = None) -> str:
    """What espeak-ng says for `text` through radiokit's front end, traced as IPA during synthesis."""
    prepared, phonemes = espeak_input(spoken_text(text, language, lexicon or {}), language)
    return spoken_phonemes(prepared, "fa" if language == "tg" else "ru", phonemes=phonemes, ipa=True)


@pytest.mark.parametrize(
    ("plain", "marked", "unmarked_ipa", "marked_ipa"),
    [
        ("Абдулло", "Абдулл+о", "abdˈuɭɭʌ", "abduɭɭˈo"),  # stress moved and the vowels' qualities with it
        ("Мамадазимов", "Мамадази+мов", "mʌmadˈɑʑimʌf", "mʌmadaʑˈimʌf"),  # a mark after the vowel
        ("замок", "з+амок", "zamˈok", "zˈɑmʌk"),
        ("Рашидгани", "Рашидг+ани", "raʃˈydɡʌnʲɪ", "raʃydɡˈɑnʲɪ"),
        ("жена", "ж+ена", "ʒynˈɑ", "ʒˈɛnʌ"),  # е after ж is open under stress
    ],
)
def test_a_russian_stress_mark_moves_the_stress(plain: str, marked: str, unmarked_ipa: str, marked_ipa: str) -> None:
    assert said_ipa(plain) == unmarked_ipa
    assert said_ipa(marked) == marked_ipa


def test_a_stress_mark_from_the_lexicon_is_heard_not_read_as_plus() -> None:
    sentence = "Политолог Абдулло сказал."
    said = said_ipa(sentence, lexicon={"абдулло": "Абдулл+о"})
    assert "abduɭɭˈo" in said and "pɭˈjus" not in said
    assert "pɭˈjus" in spoken_phonemes("Абдулл+о", "ru", ipa=True)  # espeak-ng's own reading of the mark
    marked = speak(sentence, "ru", Voice("espeak", "ru"), {"абдулло": "Абдулл+о"})
    plain = speak(sentence, "ru", Voice("espeak", "ru"), {})
    assert seconds(marked) == pytest.approx(seconds(plain), abs=0.25)  # no extra word in the audio


def test_russian_numbers_are_read_in_the_case_the_sentence_needs() -> None:
    digits, words = "Войска уйдут в 2014 году.", "Войска уйдут в две тысячи четырнадцатом году."
    assert said_ipa(digits) == said_ipa(words)
    # espeak-ng alone reads the digits without agreement: "две тысячи четырнадцать году"
    assert spoken_phonemes(digits, "ru", ipa=True) != said_ipa(words)
    voice = Voice("espeak", "ru")
    # espeak-ng varies its output by a few samples from call to call: compare durations, not samples.
    assert seconds(speak(digits, "ru", voice, {})) == pytest.approx(seconds(speak(words, "ru", voice, {})), rel=0.01)


def test_tajik_numbers_are_spoken_as_tajik_words() -> None:
    digits, words = "Дивизияи 201-уми Русия соли 2014", "Дивизияи дусаду якуми Русия соли ду ҳазору чордаҳ"
    assert said_ipa(digits, "tg") == said_ipa(words, "tg")
    assert "dusˈadu jakˈumi" in said_ipa(digits, "tg")  # not Persian "devist o yek"
    speech = speak(digits, "tg", Voice("espeak", "tg"), {})
    assert seconds(speech) == pytest.approx(seconds(speak(words, "tg", Voice("espeak", "tg"), {})), rel=0.01)
    assert np.abs(speech.samples).max() > 5000


def test_russian_voice_spells_tajik_letters_but_radiokit_does_not() -> None:
    # the reason for the Tajik front end: espeak-ng's Russian voice names the letter ҳ
    assert "l'et" in text_to_phonemes("Тоҷикистон", "ru")
    naive = synthesize("Ҷумҳурии Тоҷикистон", "ru")
    ours = speak("Ҷумҳурии Тоҷикистон", "tg", Voice("espeak", "tg"), {})
    assert seconds(ours) < seconds(naive) * 0.6
    assert seconds(ours) > 0.8


def say(*args: str) -> tuple[int, str, str]:
    """Run `radiokit say` in-process: exit status, stdout, stderr."""
    import inspect

    from click.testing import CliRunner

    from radiokit.cli import cli

    # click 8.1 mixes stderr into stdout unless told not to; 8.2 always keeps them apart and has no such option.
    apart = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters else {}
    result = CliRunner(**apart).invoke(cli, ["say", *args])
    return result.exit_code, result.stdout, result.stderr


def test_say_prints_the_text_as_it_will_be_spoken() -> None:
    status, out, _ = say("--lang", "tg", "--text-only", "Дивизияи 201-уми Русия соли 2014, 20%")
    assert (status, out) == (0, "Дивизияи дусаду якуми Русия соли ду ҳазору чордаҳ, бист фоиз\n")


def test_say_prints_what_espeak_says() -> None:
    status, out, _ = say("--lang", "ru", "--ipa", "Абдулл+о")
    assert (status, out) == (0, "abduɭɭˈo\n")
    status, out, _ = say("--lang", "tg", "--phonemes", "--ipa", "Тоҷикистон")
    assert (status, out) == (0, "tAdZikist'An\ntɑdʒikistˈɑn\n")


def test_say_writes_the_audio(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import wave

    target = tmp_path / "line.wav"
    status, _, err = say("--lang", "tg", "--voice", "tg+f2", "-o", str(target), "Салом, шунавандагони азиз!")
    assert status == 0 and str(target) in err
    with wave.open(str(target)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        rate = wav.getframerate()
    assert 1.0 < len(samples) / rate < 4.0
    assert np.abs(samples).max() > 5000
    assert [p.name for p in tmp_path.iterdir()] == ["line.wav"]  # no temporary file left behind


def test_say_takes_the_voice_and_lexicon_from_a_script(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "episode.yaml"
    script.write_text(
        "format: radiokit/1\n"
        "programme: {series: Test, title: Test}\n"
        "languages: [tg]\n"
        "voices:\n"
        "  host: {tg: {engine: espeak, voice: tg, rate: 150}}\n"
        "lexicon:\n"
        "  tg: {CASA: Каса}\n"
        "segments:\n"
        "  - {id: news, speaker: host, text: {tg: Салом}}\n", encoding="utf-8")
    status, out, _ = say("--lang", "tg", "--script", str(script), "--speaker", "host", "--text-only", "CASA-1000")
    assert (status, out) == (0, "Каса-ҳазор\n")
    status, _, err = say("--lang", "tg", "--script", str(script), "--speaker", "guest", "--text-only", "x")
    assert status == 2 and err == f"error: {script}: no speaker 'guest' speaks 'tg': choose one of host\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "tg", "Салом"], "choose what to audition"),
        (["--lang", "tg", "--engine", "gtts", "--text-only", "Салом"], "gtts cannot speak 'tg'"),
        (["--lang", "ru", "--voice", "ru+zz", "--text-only", "Привет"], "espeak-ng has no variant 'zz'"),
        (["--lang", "ru", "--speaker", "host", "--text-only", "Привет"], "--speaker needs --script"),
    ],
)
def test_say_refuses_bad_requests_in_one_line(args: list[str], message: str) -> None:
    status, out, err = say(*args)
    assert status == 2 and out == "" and message in err and "Traceback" not in err
