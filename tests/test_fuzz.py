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
EXAMPLES = int(os.environ.get("RADIOKIT_FUZZ_EXAMPLES", "500"))
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
# Written into the YAML as they stand, unquoted: what a producer might type, and what no dump would write
# (dates and numbers YAML resolves but cannot build, escapes no file name can hold, tags, anchors, runaway nesting).
RAW = ["2012-13-45", "2012-10-26 25:00:00", "1" * 5000, "1" + "0" * 400, "1.0e400", "-.inf", ".nan", "0x1F", "0o17",
       "1:2:3:4", "99999:00:00", "12:60", "-0.0", "~", "yes", "off", '"\\0.wav"', '"\\ud800.wav"', "a" * 300 + ".wav",
       "../x.wav", "/etc/passwd", "loop.wav", "audio/folder.wav", "audio/outside.wav", "audio", "ru+m3", "tg+f2",
       "ru+" + "m" * 300, "tg+nope", "!!python/name:os.system", "!!python/object/apply:os.getcwd []", "!foo x",
       "&a x", "*a", "[" * 30 + "]" * 30, "{", "]", "'", '"\\x07"', '"a\\nb"', '"\\u2028"', "[mp3, mp3]",
       "{integrated_lufs: -18}", "{start: 5, end: 1}", "[]", "{}", '""', "-1", "0", "1e3"]
TOKENS = st.sampled_from(RAW) | st.sampled_from(KEYS) | st.sampled_from(["audio/jingle.mp3", "audio/bed.ogg",
                                                                          "takes/sign-off-ru.wav", "1:20", "0:03.5"])
FLOW = st.recursive(TOKENS, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}")), max_leaves=20)
RAW_SCRIPTS = st.lists(st.tuples(st.sampled_from(KEYS), FLOW), max_size=8).map(
    lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test episode's audio files, and the example's, so that valid file names pass their checks."""
    path = tmp_path_factory.mktemp("fuzz")
    make_episode(path)
    shutil.copytree(EXAMPLE / "audio", path / "audio", dirs_exist_ok=True)
    shutil.copytree(EXAMPLE / "takes", path / "takes", dirs_exist_ok=True)
    # Names the RAW values use: a symlink loop, a folder named like a file, a symlink leading out.
    (path / "loop.wav").symlink_to("loop.wav")
    (path / "audio" / "folder.wav").mkdir()
    (path / "audio" / "outside.wav").symlink_to(EXAMPLE / "takes" / "sign-off-ru.wav")
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


@FUZZ
@given(RAW_SCRIPTS)
def test_generated_raw_yaml_loads_or_fails_cleanly(folder: Path, text: str) -> None:
    load(folder, text.encode("utf-8"))


RETYPED = ["[1, 2]", "{a: b}", "-3", "null", "true", '""', "9e999", "!!str x", "&a b", "*a", *RAW]
VALID = [EPISODE, (EXAMPLE / "episode.yaml").read_text(encoding="utf-8")]


def test_the_valid_scripts_load_in_the_fuzzing_folder(folder: Path) -> None:
    """Otherwise every mutation would stop at a missing file and the deeper checks would go untested."""
    for text in VALID:
        (folder / "episode.yaml").write_text(text, encoding="utf-8")
        assert isinstance(load_script(folder / "episode.yaml"), Script)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid script with one to three of: a line (often a key) dropped, two lines or two values swapped, a
    value replaced by one of another type or a RAW one; then perhaps truncated or given random bytes."""
    lines = draw(st.sampled_from(VALID)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["drop line", "swap lines", "swap values", "retype value"]))
        a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if how == "drop line":
            del lines[a]
        elif how == "swap lines":
            lines[a], lines[b] = lines[b], lines[a]
        else:
            (key_a, colon_a, value_a), (key_b, colon_b, value_b) = lines[a].partition(":"), lines[b].partition(":")
            if colon_a and colon_b and how == "swap values":
                lines[a], lines[b] = f"{key_a}:{value_b}", f"{key_b}:{value_a}"
            elif colon_a and how == "retype value":
                lines[a] = f"{key_a}: {draw(st.sampled_from(RETYPED))}\n"
    data = "".join(lines).encode("utf-8")
    how = draw(st.sampled_from(["as is", "truncate", "insert bytes"]))
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
