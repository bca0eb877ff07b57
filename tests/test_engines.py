"""Engines as plugins: a toy engine package, pip-installed into this environment, is found through its entry point,
checked when the script is read, and speaks an episode that radiokit builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import radiokit
from media import decode
from radiokit.errors import EngineError, ScriptError
from radiokit.script import Voice
from radiokit.tts import engines, speak

TOY = Path(__file__).parent / "plugins" / "radiokit_toy_engine"
TOY_HZ = 440.0

SCRIPT = """\
format: radiokit/1
programme:
  series: Toy
  title: {{ru: Проверка, tg: Санҷиш}}
languages: [ru, tg]
voices:
  host:
    ru: {ru}
    tg: {tg}
segments:
  - id: news
    speaker: host
    text: {{ru: Один два три, tg: Як ду се чор}}
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The toy engine installed with pip for this module's tests, and removed after them."""
    source = tmp_path_factory.mktemp("plugin") / TOY.name
    shutil.copytree(TOY, source)  # the build writes beside the sources: not into the test tree
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "install", "--no-deps", str(source)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([*pip, "uninstall", "--yes", "radiokit-toy-engine"], check=True, capture_output=True)


def write(folder: Path, ru: str, tg: str = "{engine: toy}") -> Path:
    path = folder / "episode.yaml"
    path.write_text(SCRIPT.format(ru=ru, tg=tg), encoding="utf-8")
    return path


def problems(folder: Path, ru: str, tg: str = "{engine: toy}") -> list[str]:
    with pytest.raises(ScriptError) as caught:
        radiokit.load_script(write(folder, ru, tg))
    return caught.value.problems


def test_the_entry_point_registers_the_engine(toy: None) -> None:
    assert {"espeak", "festival", "gtts", "toy", "toy-absent"} <= set(engines.names())
    engine = engines.get("toy")
    assert isinstance(engine, engines.Engine) and engine.languages == ("ru", "tg")
    assert engines.get("toy") is engine  # one instance per process
    listed = engines.describe()
    assert any(line.split()[:6] == ["toy", "ru", "tg", "yes", "yes", "rate"] for line in listed), listed
    assert any(line.startswith("toy-absent: ") and "apt-get install toy-absent" in line for line in listed)


def test_a_registered_class_that_is_no_engine_is_refused(toy: None) -> None:
    with pytest.raises(EngineError, match="'toy-broken' .* is not a radiokit Engine"):
        engines.get("toy-broken")
    with pytest.raises(EngineError, match="no speech engine 'toyy': did you mean 'toy'"):
        engines.get("toyy")


def test_an_unknown_engine_is_refused_before_any_work(toy: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = write(tmp_path, "{engine: toyy}")
    with pytest.raises(ScriptError) as caught:
        radiokit.build(script, out=out, cache=None)
    assert caught.value.problems[0] == f"{script}:8: voices.host.ru.engine: 'toyy' is not supported: did you mean 'toy'?"
    assert not out.exists()


def test_what_an_engine_cannot_do_is_refused_with_its_line(toy: None, tmp_path: Path) -> None:
    found = problems(tmp_path, "{engine: toy, voice: honk, pitch: 40}", "{engine: toy-absent}")
    assert [line.split(": ", 1)[1] for line in found] == [
        "voices.host.ru.voice: the toy has no voice 'honk': use 'beep' or 'boop'",
        "voices.host.ru.pitch: toy has no pitch: remove it",
        "voices.host.tg.engine: toy-absent is not installed here: apt-get install toy-absent, or let espeak speak "
        "when it is missing: engine: [toy-absent, espeak]",
    ]
    assert problems(tmp_path, "{engine: [toy, toy]}")[0].endswith("voices.host.ru.engine: 'toy' is listed twice")
    assert "voices.host.ru.engine: speech engine 'toy-broken' (radiokit_toy_engine:NotAnEngine) is not a radiokit " \
           "Engine named 'toy-broken'" in problems(tmp_path, "{engine: [toy-broken]}")[0]


def test_the_first_installed_engine_of_a_list_speaks(toy: None, tmp_path: Path) -> None:
    script = radiokit.load_script(write(tmp_path, "{engine: [toy-absent, toy], voice: boop}"))
    voice = script.voices["host"]["ru"]
    assert voice == Voice("toy-absent", "boop", fallbacks=("toy",))
    chosen = engines.resolve(voice, "ru")
    assert (chosen.engine.name, chosen.voice, chosen.key()) == ("toy", "beep", "toy toy 1.0 beep")
    speech = speak("Один два", "ru", voice, {})
    assert speech.engine == "toy" and len(speech.samples) / speech.sample_rate == pytest.approx(2 * 0.5, abs=0.01)
    with pytest.raises(EngineError, match=r"toy-absent is not installed \(apt-get install toy-absent\)"):
        speak("Один", "ru", Voice("toy-absent", "beep"), {})


def test_an_episode_is_built_with_the_plugin(toy: None, tmp_path: Path) -> None:
    # ru: three words at rate 80, two thirds of the toy's own pace: 0.75 s each; tg: four at its own pace, 0.5 s each.
    script = radiokit.load_script(write(tmp_path, "{engine: toy, rate: 80}", "{engine: [toy-absent, toy]}"))
    report = radiokit.build(script, out=tmp_path / "out", cache=None)
    for language, seconds in (("ru", 2.25), ("tg", 2.0)):
        [segment] = (report.folder / "segments" / language).glob("01-news.mp3")
        audio = decode(segment, 44100, 1)[:, 0]
        assert len(audio) / 44100 == pytest.approx(seconds, abs=0.1)
        spectrum = np.abs(np.fft.rfft(audio))
        assert np.fft.rfftfreq(len(audio), 1 / 44100)[spectrum.argmax()] == pytest.approx(TOY_HZ, abs=2)
