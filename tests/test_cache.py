"""The cache, observed through `--verbose` (every engine call and ffmpeg command is logged):
unchanged work is not redone, an edit redoes only what depends on it, damage is rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import make_episode
from media import decode
from radiokit import cache as cache_module
from radiokit.cache import Cache
from test_cli import radiokit

SLUG = "testovaya-seriya-7-2012-10-26"


def build(folder: Path, *extra: str) -> list[str]:
    done = radiokit("build", "episode.yaml", "--out", "out", "--cache", "cache", "--verbose", *extra, cwd=folder)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("radiokit.")]


def speech(log: list[str]) -> list[str]:
    return [line.split(": ", 2)[2] for line in log if line.startswith("radiokit.speech:")]


def encoded(log: list[str]) -> list[str]:
    return [line.rsplit(" ", 1)[1] for line in log if line.startswith("radiokit.ffmpeg:") and "pipe:0" in line
            and "-f s16le" in line]


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("cached")
    make_episode(folder)
    return folder, build(folder)


def test_cold_build_does_the_work(cached: tuple[Path, list[str]]) -> None:
    _, log = cached
    assert "Добрый вечер. Президент России посетил Душанбе." in speech(log)
    assert any(path.endswith(f"{SLUG}-tg.mp3") for path in encoded(log))


def test_rebuild_with_nothing_changed_does_no_audio_work(cached: tuple[Path, list[str]]) -> None:
    folder, _ = cached
    before = {lang: decode(folder / "out" / SLUG / f"{SLUG}-{lang}.mp3") for lang in ("ru", "tg")}
    log = build(folder)
    assert log == []  # no engine call, no ffmpeg run of any kind
    for lang, audio in before.items():
        np.testing.assert_array_equal(decode(folder / "out" / SLUG / f"{SLUG}-{lang}.mp3"), audio)
    manifest = json.loads((folder / "out" / SLUG / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["languages"]["ru"]["integrated_lufs"] == pytest.approx(-23.0, abs=0.15)


def test_editing_one_segment_redoes_only_what_depends_on_it(cached: tuple[Path, list[str]]) -> None:
    folder, _ = cached
    script = folder / "episode.yaml"
    script.write_text(script.read_text(encoding="utf-8").replace("посетил Душанбе", "прилетел в Душанбе"),
                      encoding="utf-8")
    log = build(folder)
    assert speech(log) == ["Добрый вечер. Президент России прилетел в Душанбе."]
    outputs = encoded(log)
    assert outputs and all("/segments/ru/" in path or path.endswith("-ru.mp3") for path in outputs)  # tg untouched
    assert f"{SLUG}-ru.mp3" in " ".join(outputs)


def test_a_damaged_entry_is_rebuilt_not_used(cached: tuple[Path, list[str]]) -> None:
    folder, _ = cached
    entries = [json.loads(p.read_text(encoding="utf-8")) | {"path": p.parent}
               for p in (folder / "cache" / "segments").glob("*/entry.json")]
    target = next(e for e in entries if e["data"]["text"] == "Шоми хуш. Президенти Русия ба Душанбе омад.")
    wav = target["path"] / "audio.wav"
    data = bytearray(wav.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wav.write_bytes(bytes(data))
    log = build(folder)
    assert speech(log) == ["Шоми хуш. Президенти Русия ба Душанбе омад."]
    assert encoded(log) == []  # the delivered version was intact and is still used
    assert build(folder) == []  # and the rebuilt entry is good


def test_cache_is_bounded_and_can_be_cleared(tmp_path: Path) -> None:
    make_episode(tmp_path)
    build(tmp_path, "--cache-max", "0")
    kept = [p for p in (tmp_path / "cache").rglob("entry.json")]
    assert kept == []
    build(tmp_path)
    assert list((tmp_path / "cache").rglob("entry.json"))
    done = radiokit("cache", "clear", "--cache", "cache", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("cleared cache (")
    assert not list((tmp_path / "cache").rglob("*.wav"))


def test_no_cache_keeps_nothing(tmp_path: Path) -> None:
    make_episode(tmp_path)
    done = radiokit("build", "episode.yaml", "--out", "out", "--no-cache", "--cache", "cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "cache").exists()


def test_a_linked_entry_shares_the_file_and_a_copied_one_does_not(tmp_path: Path) -> None:
    """Rendered segments are hard-linked into the cache (nothing writes to them again); anything else,
    such as a version's files that tagging rewrites afterwards, is copied."""
    source = tmp_path / "segment.wav"
    source.write_bytes(b"RIFF" + bytes(range(256)))
    store = Cache(tmp_path / "cache")
    store.store("segments", "linked", {"audio.wav": source}, {}, link=True)
    store.store("versions", "copied", {"audio.wav": source}, {})
    assert (tmp_path / "cache" / "segments" / "linked" / "audio.wav").samefile(source)
    copied = tmp_path / "cache" / "versions" / "copied" / "audio.wav"
    assert not copied.samefile(source) and copied.read_bytes() == source.read_bytes()
    source.unlink()  # the build's work folder goes; the entry stays whole
    assert store.load("segments", "linked", lambda entry, data: entry) is not None


def test_a_rebuild_from_the_cache_does_not_load_the_filters(cached: tuple[Path, list[str]]) -> None:
    """scipy's filters take a second to import; a build that measures nothing does not import them
    (the no-change rebuild is most of all start-up)."""
    folder, _ = cached
    program = ("import sys, runpy; sys.argv = ['radiokit', 'build', 'episode.yaml', '--out', 'out', '--cache', "
               "'cache', '--quiet']\ntry:\n    runpy.run_module('radiokit', run_name='__main__')\n"
               "except SystemExit as done:\n    assert not done.code, done.code\n"
               "print(sorted(m for m in ('scipy.signal', 'scipy.ndimage') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", program], cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_entry_of_the_wrong_shape_is_a_miss(cached: tuple[Path, list[str]]) -> None:
    """Valid JSON of the wrong shape, with its checksum made to match, is damage: rebuilt, reported in
    --verbose, never a traceback in every later build."""
    folder, _ = cached
    script = (folder / "episode.yaml").read_text(encoding="utf-8")
    line = next(line for line in ("Добрый вечер. Президент России посетил Душанбе.",
                                  "Добрый вечер. Президент России прилетел в Душанбе.") if line in script)
    for description in (folder / "cache" / "segments").glob("*/entry.json"):
        stored = json.loads(description.read_text(encoding="utf-8"))
        if stored["data"]["text"] == line:
            break
    else:
        raise AssertionError("no entry for the line")
    stored["data"]["frames"] = "many"
    stored["sha256"] = cache_module._data_digest(stored["files"], stored["data"])
    description.write_text(json.dumps(stored), encoding="utf-8")
    log = build(folder)
    assert speech(log) == [line]
    assert any(line.startswith("radiokit.cache: cache entry segments/") and "damaged" in line for line in log)
    assert build(folder) == []


def test_a_flipped_figure_is_caught_by_its_checksum(cached: tuple[Path, list[str]]) -> None:
    """A cached version's loudness changed by one bit would ship a manifest its own verify rejects: the
    entry's checksum covers its figures, so the version is mastered again and the package verifies."""
    folder, _ = cached
    changed = 0
    for description in (folder / "cache" / "versions").glob("*/entry.json"):
        text = description.read_text(encoding="utf-8")
        figure = text.index('"measured": {') + len('"measured": {')
        at = text.index("[-2", figure) + 2  # the first figure: a loudness of -2x LUFS
        description.write_text(text[:at] + ("1" if text[at] != "1" else "0") + text[at + 1:], encoding="utf-8")
        changed += 1
    assert changed >= 2  # both languages (and any earlier edit's version)
    log = build(folder)
    assert any(path.endswith(f"{SLUG}-ru.mp3") for path in encoded(log))
    done = radiokit("verify", f"out/{SLUG}.zip", cwd=folder)
    assert done.returncode == 0, done.stdout


def test_a_warm_cache_builds_an_episode_that_differs_only_in_its_slug(cached: tuple[Path, list[str]]) -> None:
    folder, _ = cached
    script = folder / "episode.yaml"
    original = script.read_text(encoding="utf-8")
    script.write_text(original.replace("programme:\n", "programme:\n  slug: another-slug\n", 1), encoding="utf-8")
    try:
        build(folder)
        done = radiokit("verify", "out/another-slug.zip", cwd=folder)
        assert done.returncode == 0, done.stdout
    finally:
        script.write_text(original, encoding="utf-8")
