"""Batch builds: several scripts, or a folder of them, in one `radiokit build`; one that fails does not stop the
others, and the summary says which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from commands import radiokit
from conftest import make_episode

from radiokit.batch import scripts_in
from radiokit.errors import InputError



def episode(folder: Path, number: int) -> Path:
    script = make_episode(folder)
    script.write_text(script.read_text(encoding="utf-8").replace("episode: 7", f"episode: {number}"),
                      encoding="utf-8")
    return script


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three episodes, the second with a mistake in its script."""
    root = tmp_path_factory.mktemp("day")
    episode(root / "a", 21)
    broken = episode(root / "b", 22)
    broken.write_text(broken.read_text(encoding="utf-8").replace("fade_out: 0.5", "fade_outt: 0.5"),
                      encoding="utf-8")
    episode(root / "c", 23)
    return root


def test_one_failed_episode_is_reported_and_the_others_are_built(day: Path, tmp_path: Path) -> None:
    done = radiokit("build", str(day), "--out", "out", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "3 episode(s): 2 built, 1 failed"
    rows = {line.split()[0]: line.split()[1] for line in lines[1:-1]}
    assert rows == {str(day / name / "episode.yaml"): result for name, result in
                    (("a", "built"), ("b", "FAILED"), ("c", "built"))}
    broken = day / "b" / "episode.yaml"
    fade_line = broken.read_text(encoding="utf-8").splitlines().index("    fade_outt: 0.5") + 1
    assert f"FAILED  exit 2: {broken}:{fade_line}: segments[1] (opening): unknown key 'fade_outt'" in done.stdout
    assert f"error: {broken}:{fade_line}: segments[1] (opening): unknown key 'fade_outt'" in done.stderr
    assert "Traceback" not in done.stderr
    packages = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert packages == ["testovaya-seriya-21-2012-10-26", "testovaya-seriya-21-2012-10-26.zip",
                        "testovaya-seriya-23-2012-10-26", "testovaya-seriya-23-2012-10-26.zip"]
    for package in packages[1::2]:
        assert radiokit("verify", f"out/{package}", cwd=tmp_path).returncode == 0


def test_the_batch_summary_as_json(day: Path, tmp_path: Path) -> None:
    done = radiokit("build", str(day / "c" / "episode.yaml"), str(day / "b"), "--out", "out", "--json", cwd=tmp_path)
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    assert (summary["built"], summary["failed"]) == (1, 1)
    built, failed = summary["episodes"]
    assert (built["script"], built["status"], built["exit_status"], built["error"]) == \
        (str(day / "c" / "episode.yaml"), "built", 0, None)
    assert [language["language"] for language in built["build"]["languages"]] == ["ru", "tg"]
    assert (tmp_path / built["build"]["package"]).is_file()
    assert (failed["script"], failed["status"], failed["exit_status"], failed["build"]) == \
        (str(day / "b" / "episode.yaml"), "failed", 2, None)
    assert "unknown key 'fade_outt'" in failed["error"]


def test_two_scripts_with_one_slug_build_the_first_and_refuse_the_second(tmp_path: Path) -> None:
    first, second = episode(tmp_path / "first", 31), episode(tmp_path / "second", 31)
    done = radiokit("build", str(first), str(second), "--out", "out", cwd=tmp_path)
    assert done.returncode == 1
    assert f"error: {second}: its slug 'testovaya-seriya-31-2012-10-26' is also {first}'s in this batch" in done.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == \
        ["testovaya-seriya-31-2012-10-26", "testovaya-seriya-31-2012-10-26.zip"]


def test_what_a_folder_stands_for(tmp_path: Path) -> None:
    (tmp_path / "show").mkdir()
    (tmp_path / "show" / "episode.yaml").write_text("x", encoding="utf-8")
    (tmp_path / "show" / "other.yaml").write_text("x", encoding="utf-8")
    assert scripts_in([tmp_path / "show"]) == [tmp_path / "show" / "episode.yaml"]
    day = tmp_path / "day"
    for name in ("b/episode.yaml", "a.yaml", "c.yml", "d/notes.yaml"):
        (day / name).parent.mkdir(parents=True, exist_ok=True)
        (day / name).write_text("x", encoding="utf-8")
    assert scripts_in([day, day / "a.yaml"]) == [day / "a.yaml", day / "b" / "episode.yaml", day / "c.yml"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no episode scripts in this folder"):
        scripts_in([tmp_path / "empty"])
