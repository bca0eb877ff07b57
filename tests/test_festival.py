"""Festival for real: Russian and Tajik through the natural Russian voice, its prosody, its text and its failures.

Festival is a system package (apt-get install festival festvox-ru): without it these tests skip, unless
RADIOKIT_REQUIRE_FESTIVAL=1 (CI) makes its absence a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import radiokit
from radiokit.errors import EngineError, ScriptError
from radiokit.script import Voice
from radiokit.tts import speak
from radiokit.tts.festival import DEFAULT_VOICE, INSTALL, Festival, festival_text

RUSSIAN = "Добрый вечер. Президент России посетил Душанбе."  # 6 words
TAJIK = "Шоми хуш. Президенти Русия ба Душанбе омад."  # 7 words
VOICE = Voice("festival", DEFAULT_VOICE)


@pytest.fixture(autouse=True)
def festival_here(request: pytest.FixtureRequest) -> None:
    if "without_festival" in request.fixturenames or Festival().installed():
        return
    reason = f"Festival with a Russian voice is not installed ({INSTALL})"
    if os.environ.get("RADIOKIT_REQUIRE_FESTIVAL") == "1":
        pytest.fail(f"{reason}, and RADIOKIT_REQUIRE_FESTIVAL=1 requires it")
    pytest.skip(reason)


@pytest.fixture
def without_festival(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH on which there is no festival or text2wave, as on a machine without the package."""
    monkeypatch.setenv("PATH", str(tmp_path))


def seconds(samples: np.ndarray, rate: int) -> float:
    return len(samples) / rate


def voiced_fraction(samples: np.ndarray, rate: int) -> float:
    """The share of 20 ms frames within 30 dB of the loudest: speech, not silence."""
    frame = rate // 50
    frames = samples[: len(samples) // frame * frame].astype(np.float64).reshape(-1, frame)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    return float(np.mean(level > level.max() - 30))


def pitch_hz(samples: np.ndarray, rate: int) -> float:
    """Median fundamental of the loud frames, by autocorrelation between 60 and 400 Hz."""
    frame = int(0.04 * rate)
    found = []
    x = samples.astype(np.float64)
    loud = np.sqrt(np.mean(x**2)) * 1.5
    for start in range(0, len(x) - frame, frame // 2):
        chunk = x[start : start + frame] - x[start : start + frame].mean()
        if np.sqrt(np.mean(chunk**2)) < loud:
            continue
        ac = np.correlate(chunk, chunk, "full")[frame - 1 :]
        low, high = rate // 400, rate // 60
        lag = low + int(np.argmax(ac[low:high]))
        if ac[lag] > 0.5 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found))


@pytest.mark.parametrize(("language", "text", "words"), [("ru", RUSSIAN, 6), ("tg", TAJIK, 7)])
def test_festival_speaks_the_language(language: str, text: str, words: int) -> None:
    speech = speak(text, language, VOICE, {})
    assert speech.engine == "festival" and speech.sample_rate == 16000
    assert speech.samples.dtype == np.int16
    # The voice's own pace is about 100 words a minute, with the pause at the full stop.
    assert 0.35 * words < seconds(speech.samples, speech.sample_rate) < 1.0 * words
    assert np.abs(speech.samples).max() > 8000
    assert voiced_fraction(speech.samples, speech.sample_rate) > 0.6


def test_tajik_is_read_in_russian_letters_with_tajik_stress() -> None:
    assert festival_text("Ҷумҳурии Тоҷикистон қарор дод, ки ғалла ва меваи Ӯротеппа маъно дорад",
                         "tg") == "Джумхур+ии Тоджикист+он кар+ор д+од, ки галл+а ва мев+аи Уротепп+а ман+о дор+ад"
    assert festival_text("сиёсат ба CASA, Yahoo", "tg") == "сиёс+ат ба КАС+А, Йахо+о"


def test_russian_stress_marks_reach_the_voice_before_their_vowel() -> None:
    assert festival_text("Мамадази+мов и Абдулл+о", "ru") == "Мамадаз+имов и Абдулл+о"
    assert not np.array_equal(speak("з+амок", "ru", VOICE, {}).samples, speak("зам+ок", "ru", VOICE, {}).samples)


def test_text_the_voice_cannot_read_is_cleaned_not_fatal(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    # Quotes, backslashes and Scheme in the text are only text: nothing of it is evaluated.
    text = f'Он сказал: «нет» — \\ ") (system "touch {planted}") (" … и ушёл к Ҳасану ✓'
    assert festival_text("Он сказал: «нет» — \\ ✓ ) ( … и ушёл к Ҳасану", "ru") == "Он сказал: нет, и ушёл к Хасану"
    speech = speak(text, "ru", VOICE, {})
    assert seconds(speech.samples, speech.sample_rate) > 1.5 and not planted.exists()


def test_rate_changes_the_duration() -> None:
    slow = speak(RUSSIAN, "ru", Voice("festival", DEFAULT_VOICE, rate=90), {})
    fast = speak(RUSSIAN, "ru", Voice("festival", DEFAULT_VOICE, rate=180), {})
    assert seconds(slow.samples, 16000) / seconds(fast.samples, 16000) == pytest.approx(2.0, rel=0.05)


def test_pitch_and_volume_apply() -> None:
    low = speak(RUSSIAN, "ru", Voice("festival", DEFAULT_VOICE, pitch=20), {})
    high = speak(RUSSIAN, "ru", Voice("festival", DEFAULT_VOICE, pitch=80), {})
    # 60 points of pitch are 7.2 semitones: a ratio of 1.52.
    assert pitch_hz(high.samples, 16000) / pitch_hz(low.samples, 16000) == pytest.approx(1.52, rel=0.1)
    assert seconds(low.samples, 16000) == pytest.approx(seconds(high.samples, 16000), rel=0.02)
    normal = speak(RUSSIAN, "ru", VOICE, {}).samples.astype(np.float64)
    quiet = speak(RUSSIAN, "ru", Voice("festival", DEFAULT_VOICE, volume=50), {}).samples.astype(np.float64)
    assert np.sqrt(np.mean(quiet**2)) / np.sqrt(np.mean(normal**2)) == pytest.approx(0.5, rel=0.02)


def test_a_missing_voice_names_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=f"Festival has no voice 'msu_ru_xyz_clunits'.*{INSTALL}"):
        speak(RUSSIAN, "ru", Voice("festival", "msu_ru_xyz_clunits"), {})
    script = tmp_path / "episode.yaml"
    script.write_text("format: radiokit/1\nprogramme: {series: T, title: T}\nlanguages: [ru]\n"
                      "voices:\n  host: {ru: {engine: festival, voice: msu_ru_xyz_clunits}}\n"
                      "segments:\n  - {id: a, speaker: host, text: {ru: Привет}}\n", encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        radiokit.load_script(script)
    assert caught.value.problems == [f"{script}:5: voices.host.ru.voice: Festival has no voice 'msu_ru_xyz_clunits' "
                                     f"(it has {DEFAULT_VOICE}): use {DEFAULT_VOICE!r} ({INSTALL})"]


def test_without_festival_the_error_says_what_to_install(without_festival: None, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=f"festival is not installed \\({INSTALL}\\)"):
        speak(RUSSIAN, "ru", VOICE, {})
    # Listed before espeak, it gives way to it.
    fallback = speak(RUSSIAN, "ru", Voice("festival", DEFAULT_VOICE, fallbacks=("espeak",)), {})
    assert fallback.engine == "espeak" and seconds(fallback.samples, fallback.sample_rate) > 1.5
    script = tmp_path / "episode.yaml"
    script.write_text("format: radiokit/1\nprogramme: {series: T, title: T}\nlanguages: [ru]\n"
                      "voices:\n  host: {ru: {engine: festival}}\n"
                      "segments:\n  - {id: a, speaker: host, text: {ru: Привет}}\n", encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        radiokit.load_script(script)
    assert caught.value.problems == [f"{script}:5: voices.host.ru.engine: festival is not installed here: {INSTALL}, "
                                     "or let espeak speak when it is missing: engine: [festival, espeak]"]


def test_check_times_festival_speech_at_festivals_pace(tmp_path: Path) -> None:
    from radiokit.check import estimate

    text = ("Москва не раз давала понять, что хотела бы вернуть российских пограничников на таджикско-афганскую "
            "границу. Душанбе против.")
    script = tmp_path / "episode.yaml"
    script.write_text("format: radiokit/1\nprogramme: {series: T, title: T}\nlanguages: [ru]\n"
                      f"voices:\n  host: {{ru: {{engine: festival, voice: {DEFAULT_VOICE}}}}}\n"
                      f"segments:\n  - {{id: a, speaker: host, text: {{ru: '{text}'}}}}\n", encoding="utf-8")
    [timing] = estimate(radiokit.load_script(script))
    speech = speak(text, "ru", VOICE, {})
    spoken = seconds(speech.samples, speech.sample_rate)
    print(f"estimated {timing.total_s:.1f} s, spoken {spoken:.1f} s")
    assert timing.total_s == pytest.approx(spoken, rel=0.15)
