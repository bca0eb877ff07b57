"""`radiokit init`: a new producer's first episode builds, and a station's verify accepts it."""

from __future__ import annotations

import json
from pathlib import Path

from media import ebur128
from test_cli import radiokit


def test_init_then_build_gives_a_package_fit_to_air(tmp_path: Path) -> None:
    done = radiokit("init", "show", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    show = tmp_path / "show"
    assert sorted(p.name for p in (show / "audio").iterdir()) == ["bed.flac", "interview.flac", "jingle.flac"]
    built = radiokit("build", "episode.yaml", "--out", "out", "--cache", "cache", cwd=show)
    assert built.returncode == 0, built.stderr
    package = show / "out" / "my-programme-1-2026-01-15"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["languages"]) == ["ru", "tg"]
    for entry in manifest["languages"].values():
        integrated, true_peak = ebur128(package / entry["file"])
        assert abs(integrated + 23.0) <= 0.2 and true_peak <= -1.0
        assert [s["id"] for s in entry["segments"]] == ["opening", "headline", "guest", "sign-off", "outro"]
    tg_guest = next(s for s in manifest["languages"]["tg"]["segments"] if s["id"] == "guest")
    ru_guest = next(s for s in manifest["languages"]["ru"]["segments"] if s["id"] == "guest")
    assert tg_guest["duration_s"] >= ru_guest["duration_s"]  # the translation plays over the Russian guest
    verified = radiokit("verify", "out/my-programme-1-2026-01-15.zip", cwd=show)
    assert verified.returncode == 0, verified.stdout


def test_init_never_overwrites_a_script(tmp_path: Path) -> None:
    (tmp_path / "episode.yaml").write_text("format: radiokit/1\n", encoding="utf-8")
    done = radiokit("init", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {Path('.') / 'episode.yaml'}: already exists: choose an empty folder (radiokit init DIR)"
    assert (tmp_path / "episode.yaml").read_text(encoding="utf-8") == "format: radiokit/1\n"
    assert not (tmp_path / "audio").exists()
