"""`radiokit clean`: the cleanup chain on one file, with a report; a file it cannot read is one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile

from cleanup_signals import hum, line_level_dbfs, speech, stereo
from commands import radiokit

RATE = 44100



def test_a_humming_file_comes_out_without_its_hum(tmp_path: Path) -> None:
    voice = speech(RATE)
    noisy = voice + hum(len(voice), RATE, 50.0)
    soundfile.write(tmp_path / "interview.wav", stereo(noisy), RATE, subtype="FLOAT")
    done = radiokit("clean", "interview.wav", "--out", "cleaned.wav", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["hum_hz"] is not None and abs(report["hum_hz"] - 50.0) < 1.0
    cleaned, rate = soundfile.read(tmp_path / "cleaned.wav", always_2d=True)
    assert rate == RATE and cleaned.shape == (len(voice), 2)
    for harmonic in (1, 2, 3):
        hz = 50.0 * 1.001 * harmonic
        assert line_level_dbfs(cleaned[:, 0], RATE, hz) <= line_level_dbfs(noisy, RATE, hz) - 30.0
    shown = radiokit("clean", "interview.wav", "--out", "again.wav", "--report", cwd=tmp_path)
    assert shown.returncode == 0 and "hum" in shown.stdout
    # The chain's files on disk, beside the output, are gone.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["again.wav", "cleaned.wav", "interview.wav"]


def test_a_file_it_cannot_read_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not audio", encoding="utf-8")
    done = radiokit("clean", "notes.wav", "--out", "cleaned.wav", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("error: notes.wav: cannot decode the audio")
    assert not (tmp_path / "cleaned.wav").exists()
