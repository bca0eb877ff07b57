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


DEEP = "1: the script nests deeper than 20 levels: a script needs far fewer; look for unclosed or runaway brackets"


@pytest.mark.parametrize("text, expected", [
    ("# " + "x" * 1_100_000 + "\n", "1: the script is larger than 1000 kB: is this the right file?"),
    # Nesting far past the bound, and far past what PyYAML's recursive composer survives, in a few kB.
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", DEEP),
    ("segments: " + "{a: " * 5000, DEEP),
])
def test_oversized_and_overdeep_scripts_are_refused(corpus: Path, text: str, expected: str) -> None:
    (corpus / "generated.yaml").write_text(text, encoding="utf-8")
    assert_refused(corpus, "generated.yaml", f"error: generated.yaml:{expected}\n")


def test_a_symlink_loop_is_refused(corpus: Path) -> None:
    (corpus / "audio" / "loop.wav").symlink_to("loop.wav")
    script = (CORPUS / "missing-file.yaml").read_text(encoding="utf-8").replace("audio/missing.wav", "audio/loop.wav")
    (corpus / "loop.yaml").write_text(script, encoding="utf-8")
    assert_refused(corpus, "loop.yaml", "error: loop.yaml:10: segments[1] (intro): music: 'audio/loop.wav' is a "
                                        "symbolic link that leads back to itself: point it at the file\n")


def test_a_script_that_does_not_exist_is_named(corpus: Path) -> None:
    assert_refused(corpus, "nope.yaml", "error: nope.yaml: no such script: check the path\n")
