"""`radiokit schema`: a valid JSON Schema (draft 2020-12) that accepts every valid script here and
rejects unknown keys and wrong types, as an editor would use it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest
import yaml

from conftest import EPISODE
from radiokit.scaffold import EPISODE as INIT_EPISODE

ROOT = Path(__file__).resolve().parents[1]


def as_editor_reads(node: Any) -> Any:
    """YAML 1.2 (what editors' YAML servers speak) has no date type: 2012-10-26 stays a string."""
    if isinstance(node, dt.date):
        return node.isoformat()
    if isinstance(node, dict):
        return {key: as_editor_reads(value) for key, value in node.items()}
    if isinstance(node, list):
        return [as_editor_reads(value) for value in node]
    return node


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    printed = subprocess.run([sys.executable, "-m", "radiokit", "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(printed.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


VALID = {"example": (ROOT / "examples" / "iwpr-tajikistan-russia" / "episode.yaml").read_text(encoding="utf-8"),
         "test episode": EPISODE, "radiokit init": INIT_EPISODE}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_scripts_pass(validator: jsonschema.Draft202012Validator, name: str) -> None:
    errors = [error.message for error in validator.iter_errors(as_editor_reads(yaml.safe_load(VALID[name])))]
    assert errors == []


def set_at(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(script: dict[str, Any]) -> None:
        node = script
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def drop_music(script: dict[str, Any]) -> None:
    del script["segments"][0]["music"]


MISTAKES = {
    "unknown top-level key": set_at(("extra",), 1),
    "misspelt delivery key": set_at(("delivery", "sample_rat"), 44100),
    "unsupported sample rate": set_at(("delivery", "sample_rate"), 22050),
    "unknown profile": set_at(("delivery", "profile"), "loud"),
    "misspelt segment key": set_at(("segments", 1, "fade_outt"), 1),
    "two kinds in a segment": set_at(("segments", 1, "music"), "audio/jingle.mp3"),
    "text where a number goes": set_at(("segments", 2, "voiceover", "under_db"), "quiet"),
    "id with capitals and spaces": set_at(("segments", 0, "id"), "Opening Jingle"),
    "unknown engine": set_at(("voices", "host", "ru", "engine"), "nuance"),
    "unsupported language": set_at(("languages",), ["ru", "en"]),
    "a segment of no kind": drop_music,
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_mistakes_are_rejected(validator: jsonschema.Draft202012Validator, mistake: str) -> None:
    script = as_editor_reads(yaml.safe_load(EPISODE))
    MISTAKES[mistake](script)
    assert list(validator.iter_errors(script)), mistake


TIMES = ["1:20", "0:03.5", "1:00:00", "1:59:59.5", "99:59", "75:30", "1:2", "1:60:00", "0:60", "10000:00:00", "1:20:",
         "::1", "1.5", "1:2:3:4", "-1:00", "1:00.", "12:5x"]


@pytest.mark.parametrize("time", TIMES)
def test_the_schema_takes_the_times_the_parser_takes(validator: jsonschema.Draft202012Validator, time: str) -> None:
    """The time pattern comes from the parser (script.TIME_PATTERN): an editor and a build agree on every time."""
    from radiokit.script import parse_time

    script = {"format": "radiokit/1", "programme": {"series": "S", "title": "T"}, "languages": ["ru"],
              "segments": [{"id": "pause", "silence": time}]}
    assert validator.is_valid(script) == (parse_time(time) is not None)
