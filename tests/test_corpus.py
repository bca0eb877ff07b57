"""A corpus of bad scripts (tests/data/bad/NAME.yaml, the expected stderr beside it in NAME.expected),
each run through the real CLI: exit 2, exactly the expected lines, no traceback, nothing under --out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_cli import radiokit

CORPUS = Path(__file__).parent / "data" / "bad"
CASES = sorted(path.stem for path in CORPUS.glob("*.yaml"))


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """A copy, so that nothing a case might write lands in the repository (the folder keeps its name,
    which messages quote)."""
    return Path(shutil.copytree(CORPUS, tmp_path / "bad"))


def assert_refused(folder: Path, script: str, expected: str) -> None:
    done = radiokit("build", script, "--out", "out", "--no-cache", cwd=folder)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == expected
    assert "Traceback" not in done.stderr
    assert not (folder / "out").exists()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert all((CORPUS / f"{case}.expected").is_file() for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_bad_script_is_refused_with_the_expected_lines(corpus: Path, case: str) -> None:
    assert_refused(corpus, f"{case}.yaml", (CORPUS / f"{case}.expected").read_text(encoding="utf-8"))


def test_hostile_tags_run_nothing(corpus: Path) -> None:
    assert_refused(corpus, "python-tag.yaml", (CORPUS / "python-tag.expected").read_text(encoding="utf-8"))
    assert not list(corpus.rglob("pwned*")) and not list(Path.cwd().glob("pwned*"))


def test_a_symlink_leading_out_is_refused(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.wav"
    shutil.copy(CORPUS / "audio" / "tone.wav", outside)
    (corpus / "audio" / "linked.wav").symlink_to(outside)
    script = (CORPUS / "missing-file.yaml").read_text(encoding="utf-8").replace("audio/missing.wav", "audio/linked.wav")
    (corpus / "symlink.yaml").write_text(script, encoding="utf-8")
    line = script.splitlines().index("    music: audio/linked.wav") + 1
    assert_refused(corpus, "symlink.yaml", f"error: symlink.yaml:{line}: segments[1] (intro): music: 'audio/linked.wav' "
                                           "leads outside the script's folder: copy the file into bad/ or pass --allow-outside\n")


def test_oversized_and_overdeep_scripts_are_refused(corpus: Path) -> None:
    base = (CORPUS / "missing-file.yaml").read_text(encoding="utf-8")
    (corpus / "huge.yaml").write_text(base + "# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    done = radiokit("build", "huge.yaml", "--out", "out", cwd=corpus)
    assert done.returncode == 2 and done.stderr.startswith("error: huge.yaml") and "Traceback" not in done.stderr
    (corpus / "deep.yaml").write_text("a: " + "[" * 60 + "]" * 60 + "\n", encoding="utf-8")
    done = radiokit("build", "deep.yaml", "--out", "out", cwd=corpus)
    assert done.returncode == 2 and done.stderr.startswith("error: deep.yaml:1: ") and "Traceback" not in done.stderr
    assert not (corpus / "out").exists()
