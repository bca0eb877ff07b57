"""`radiokit check`: a valid script's timing estimated without audio work, close to what a build makes."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import make_episode
from radiokit.report import BuildReport
from test_cli import radiokit


def test_estimates_are_close_to_the_built_durations(built: BuildReport) -> None:
    script = built.folder.parent.parent / "episode.yaml"
    done = radiokit("check", script.name, cwd=script.parent)
    assert done.returncode == 0, done.stderr
    totals = re.findall(r"^  total (\d+):(\d+\.\d)", done.stdout, flags=re.MULTILINE)
    assert len(totals) == 2
    for (minutes, seconds), entry in zip(totals, built.languages):
        estimate = int(minutes) * 60 + float(seconds)
        assert abs(estimate - entry.duration_s) <= 0.15 * entry.duration_s, (entry.language, estimate)
    assert done.stdout.strip().endswith("episode.yaml: valid")


def test_each_segment_says_how_its_length_is_known(tmp_path: Path) -> None:
    make_episode(tmp_path)
    done = radiokit("check", "episode.yaml", cwd=tmp_path)
    assert done.returncode == 0
    rows = {line.split()[-1]: line.split()[-2] for line in done.stdout.splitlines() if re.match(r"^ +\d+ ", line)}
    assert rows == {"opening": "file", "headline": "text", "analyst": "text", "pause": "set", "sign-off": "text",
                    "ru-only": "file"}  # the Russian sign-off is a take, but the Tajik one (listed last) is text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audio", "episode.yaml", "takes"]  # nothing written


def test_bad_script_exits_2(tmp_path: Path) -> None:
    make_episode(tmp_path)
    script = tmp_path / "episode.yaml"
    script.write_text(script.read_text(encoding="utf-8").replace("speaker: host\n    text:", "speaker: nobody\n    text:"),
                      encoding="utf-8")
    done = radiokit("check", "episode.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "speaker 'nobody' is not defined" in done.stderr and done.stdout == ""
