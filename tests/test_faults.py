"""Faults: a build killed at any moment (SIGKILL) or told to stop (SIGTERM) leaves the previous package whole;
builds at once."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import make_episode

SLUG = "testovaya-seriya-7-2012-10-26"


def start_build(folder: Path, cache: str = "cache") -> subprocess.Popen[str]:
    """A build that logs every engine call and ffmpeg run to stderr (--verbose), as points to kill it at."""
    return subprocess.Popen([sys.executable, "-m", "radiokit", "build", "episode.yaml", "--out", "out", "--cache", cache,
                             "--verbose"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def package_is_whole(out: Path) -> str:
    """Every file the manifest lists is there with its checksum, and the zip reads; returns the manifest's date."""
    folder = out / SLUG
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest() == entry["sha256"], entry["path"]
    with zipfile.ZipFile(out / f"{SLUG}.zip") as archive:
        assert archive.testzip() is None
    return manifest["created"]


@pytest.fixture(scope="module")
def first_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The first package, and how many steps (engine calls, ffmpeg runs) a cold build of it logs."""
    folder = tmp_path_factory.mktemp("faults")
    make_episode(folder)
    done = start_build(folder)
    _, log = done.communicate(timeout=300)
    assert done.returncode == 0, log
    return folder, len(log.splitlines())


def build_until(folder: Path, steps: int, moment: float, words: str,
                cache: str) -> tuple[subprocess.Popen[str], Callable[[], None]]:
    """A build of an edited programme (a different one each time, so that it has real work to do: no cache
    hits), read until a given share of its steps has started; and what puts the script back."""
    script = folder / "episode.yaml"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("Добрый вечер.", f"Добрый вечер, {words}."), encoding="utf-8")
    build = start_build(folder, cache=cache)
    assert build.stderr is not None
    for _ in range(max(1, round(moment * steps))):
        if not build.stderr.readline():
            pytest.fail("the build ended before the moment it was to be stopped at")
    return build, lambda: script.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("moment", [0.02, 0.2, 0.4, 0.6, 0.8, 0.95])
def test_killed_build_leaves_the_previous_package_whole(first_package: tuple[Path, int], moment: float) -> None:
    """Killed when a given share of its steps has started: loading, rendering, mastering, encoding, measuring."""
    folder, steps = first_package
    before = package_is_whole(folder / "out")
    build, restore = build_until(folder, steps, moment, f"{moment} секунды", f"cache-{moment}")
    os.killpg(build.pid, signal.SIGKILL)  # the build and its workers and encoders
    build.wait()
    restore()
    assert package_is_whole(folder / "out") == before
    visible = sorted(p.name for p in (folder / "out").iterdir() if not p.name.startswith("."))
    assert visible == [SLUG, f"{SLUG}.zip"]
    again = start_build(folder)
    again.communicate(timeout=300)
    assert again.returncode == 0
    package_is_whole(folder / "out")
    assert sorted(p.name for p in (folder / "out").iterdir()) == [SLUG, f"{SLUG}.zip"]  # leftovers cleared


def test_two_builds_at_once_both_succeed_and_leave_one_whole_package(first_package: tuple[Path, int]) -> None:
    folder, _ = first_package
    builds = [start_build(folder, cache=f"cache-{n}") for n in range(2)]
    for build in builds:
        build.communicate(timeout=300)
    assert [b.returncode for b in builds] == [0, 0]
    package_is_whole(folder / "out")
    assert sorted(p.name for p in (folder / "out").iterdir()) == [SLUG, f"{SLUG}.zip"]


@pytest.mark.parametrize("moment", [0.1, 0.5, 0.85])
def test_sigterm_stops_workers_and_leaves_nothing(first_package: tuple[Path, int], moment: float) -> None:
    """SIGTERM to the build alone (as a service manager sends it): it stops its workers and encoders, removes
    its staging folder, leaves the previous package, and exits 143 with one line."""
    folder, steps = first_package
    before = package_is_whole(folder / "out")
    build, restore = build_until(folder, steps, moment, f"{moment} минуты", f"cache-term-{moment}")
    os.kill(build.pid, signal.SIGTERM)
    assert build.stderr is not None
    rest = build.stderr.read()
    assert build.wait(timeout=60) == 143
    restore()
    errors = [line for line in rest.splitlines() if line.startswith("error: ") or "Traceback" in line]
    assert errors == ["error: terminated; the previous package is untouched"]
    for _ in range(50):  # the session's other processes (workers, ffmpeg) end with it
        try:
            os.killpg(build.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("processes of the stopped build are still running")
    assert package_is_whole(folder / "out") == before
    assert sorted(p.name for p in (folder / "out").iterdir()) == [SLUG, f"{SLUG}.zip"]
