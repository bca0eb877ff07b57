"""Hostile environments: an output that is a file, a read-only or full disk, a cache that cannot be used, a
locale whose file-system encoding is ASCII. Each ends in one `error:` line with its documented status (or a
note, for the cache), the previous package untouched and nothing left behind."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import radiokit
from conftest import make_episode

SLUG = "testovaya-seriya-7-2012-10-26"



def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real file system of 400 KB (tmpfs): room for a previous package's stand-in, not for a build."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def previous_package(out: Path) -> dict[str, bytes]:
    """A stand-in for the package an earlier build left, to prove it is untouched."""
    (out / SLUG).mkdir(parents=True)
    (out / SLUG / "manifest.json").write_text("{}", encoding="utf-8")
    (out / f"{SLUG}.zip").write_bytes(b"PK earlier")
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def contents(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_an_output_that_is_a_file_is_the_producers_mistake(tmp_path: Path) -> None:
    make_episode(tmp_path)
    (tmp_path / "out").write_text("notes", encoding="utf-8")
    done = radiokit("build", "episode.yaml", "--out", "out", "--no-cache", cwd=tmp_path)
    assert done.returncode == 2
    assert errors(done) == ["error: out: the output folder is a file: choose another --out (a folder, made if missing)"]
    assert (tmp_path / "out").read_text(encoding="utf-8") == "notes"


def test_a_full_disk_is_one_line_and_leaves_the_previous_package(tmp_path: Path, small_disk: Path) -> None:
    make_episode(tmp_path)
    out = small_disk / "out"
    before = previous_package(out)
    done = radiokit("build", "episode.yaml", "--out", str(out), "--no-cache", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    [line] = errors(done)
    assert "cannot be written" in line and "free some space on the disk of --out, or choose another" in line
    assert contents(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_read_only_output_is_one_line(tmp_path: Path, small_disk: Path) -> None:
    make_episode(tmp_path)
    out = small_disk / "out"
    before = previous_package(out)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    done = radiokit("build", "episode.yaml", "--out", str(out), "--no-cache", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert errors(done) == [f"error: {out}: cannot write the package here (Read-only file system): choose another "
                            "--out, or make this one writable"]
    assert contents(out) == before


def test_a_cache_that_cannot_be_used_is_a_note(tmp_path: Path) -> None:
    make_episode(tmp_path)
    (tmp_path / "cache").write_text("not a folder", encoding="utf-8")
    done = radiokit("build", "episode.yaml", "--out", "out", "--cache", "cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "note: the cache cache cannot be used (File exists): built without it" in done.stderr
    assert radiokit("verify", f"out/{SLUG}.zip", cwd=tmp_path).returncode == 0


def test_non_ascii_paths_under_an_ascii_locale(tmp_path: Path) -> None:
    """With the C locale and neither UTF-8 mode nor locale coercion, Python's file-system encoding is ASCII:
    Cyrillic folder names must still build, verify and measure."""
    folder = tmp_path / "Выпуск"
    make_episode(folder)
    ascii_locale = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    done = radiokit("build", "episode.yaml", "--out", "выход", "--no-cache", cwd=folder, env=ascii_locale)
    assert done.returncode == 0, done.stderr
    assert errors(done) == []
    done = radiokit("verify", f"выход/{SLUG}.zip", cwd=folder, env=ascii_locale)
    assert done.returncode == 0, done.stdout + done.stderr
    done = radiokit("loudness", f"выход/{SLUG}/{SLUG}-ru.mp3", cwd=folder, env=ascii_locale)
    assert done.returncode == 0 and "-23.0 LUFS" in done.stdout
