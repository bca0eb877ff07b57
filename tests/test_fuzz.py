"""Property-based tests: whatever a script contains, loading it gives a Script or a clean error whose
every line names the file and line (`episode.yaml:12: ...`), never any other exception.

RADIOKIT_FUZZ_EXAMPLES raises the number of examples for a longer local run."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EPISODE, make_episode
from radiokit.errors import InputError
from radiokit.script import Script, load_script

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "iwpr-tajikistan-russia"
EXAMPLES = int(os.environ.get("RADIOKIT_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

KEYS = ["format", "programme", "languages", "delivery", "voices", "lexicon", "segments", "series", "title", "episode",
        "date", "presenter", "publisher", "copyright", "description", "artwork", "slug", "profile", "formats",
        "bitrate_kbps", "sample_rate", "channels", "gap", "id3_version", "target_duration", "tolerance", "engine",
        "voice", "rate", "pitch", "volume", "id", "speaker", "text", "take", "music", "level_db", "clip",
        "clip_language", "trim", "start", "end", "voiceover", "lead", "under_db", "silence", "bed", "preroll",
        "postroll", "fade_in", "fade_out", "crossfade", "integrated_lufs", "true_peak_dbtp", "ru", "tg", "host"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(["radiokit/1", "ru", "tg", "espeak", "gtts", "audio/jingle.mp3",
                                           "takes/sign-off-ru.wav", "1:20", "0:03.5", "-1", "ebu-r128", "mp3", "host"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)),
    max_leaves=25)
SCRIPTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test episode's audio files, and the example's, so that valid file names pass their checks."""
    path = tmp_path_factory.mktemp("fuzz")
    make_episode(path)
    shutil.copytree(EXAMPLE / "audio", path / "audio", dirs_exist_ok=True)
    shutil.copytree(EXAMPLE / "takes", path / "takes", dirs_exist_ok=True)
    return path


def load(folder: Path, data: bytes) -> None:
    script = folder / "episode.yaml"
    script.write_bytes(data)
    try:
        assert isinstance(load_script(script), Script)
    except InputError as exc:
        lines = str(exc).splitlines()
        line = re.compile(rf"^{re.escape(str(script))}:\d+: \S.*$")  # the script as it was named, its line
        assert lines and all(line.match(text) for text in lines), lines


@FUZZ
@given(SCRIPTS)
def test_generated_scripts_load_or_fail_cleanly(folder: Path, data: dict) -> None:
    load(folder, yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))


RETYPED = ["[1, 2]", "{a: b}", "-3", "null", "true", '""', "9e999", "!!str x", "&a b", "*a"]
VALID = [EPISODE, (EXAMPLE / "episode.yaml").read_text(encoding="utf-8")]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(VALID))
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["drop line", "swap lines", "truncate", "insert bytes", "retype value"]))
    if how == "drop line":
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif how == "swap lines":
        a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[a], lines[b] = lines[b], lines[a]
    elif how == "retype value":
        index = draw(st.integers(0, len(lines) - 1))
        key, colon, _ = lines[index].partition(":")
        if colon:
            lines[index] = f"{key}: {draw(st.sampled_from(RETYPED))}\n"
    data = "".join(lines).encode("utf-8")
    if how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "insert bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


@FUZZ
@given(mutated())
def test_mutated_valid_scripts_load_or_fail_cleanly(folder: Path, data: bytes) -> None:
    load(folder, data)
