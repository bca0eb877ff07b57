"""`radiokit loudness`: any audio file measured as a broadcast meter would, for people or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from media import convert, write_wav
from signals import sine
from test_cli import radiokit

KEYS = ["file", "duration_s", "integrated_lufs", "loudness_range_lu", "true_peak_dbtp", "max_momentary_lufs",
        "max_short_term_lufs"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("loudness")
    stereo = write_wav(folder / "tone.wav", sine(-23.0, 5.0, 48000), 48000)  # Tech 3341 test 1: -23.0 LUFS
    quiet = write_wav(folder / "quiet.wav", sine(-33.0, 4.0, 44100, channels=1)[:, 0], 44100)
    odd_rate = convert(quiet, folder / "odd.flac", "-ar", "11025")  # 100 ms is not a whole number of samples
    silent = write_wav(folder / "silent.wav", np.zeros(22050), 22050)
    return {"stereo": stereo, "mono": quiet, "odd": odd_rate, "silent": silent, "folder": folder}


def test_json_has_the_fixed_keys_in_argument_order(files: dict[str, Path]) -> None:
    done = radiokit("loudness", "--json", "tone.wav", "quiet.wav", "odd.flac", cwd=files["folder"])
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [list(row) for row in rows] == [KEYS] * 3
    assert [row["file"] for row in rows] == ["tone.wav", "quiet.wav", "odd.flac"]
    tone, mono, odd = rows
    assert tone["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert tone["max_momentary_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert tone["max_short_term_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert tone["loudness_range_lu"] == pytest.approx(0.0, abs=0.1)
    assert tone["true_peak_dbtp"] == pytest.approx(-23.0, abs=0.1)
    assert tone["duration_s"] == pytest.approx(5.0, abs=0.001)
    # One channel counts once (BS.1770): 3 dB under the same tone on two channels, as for test 2's level.
    assert mono["integrated_lufs"] == pytest.approx(-33.0 - 3.01, abs=0.1)
    assert odd["integrated_lufs"] == pytest.approx(mono["integrated_lufs"], abs=0.1)
    assert odd["duration_s"] == pytest.approx(4.0, abs=0.01)


def test_silence_reads_null_not_infinity(files: dict[str, Path]) -> None:
    done = radiokit("loudness", "--json", "silent.wav", cwd=files["folder"])
    row = json.loads(done.stdout)[0]
    assert row["integrated_lufs"] is None and row["true_peak_dbtp"] is None
    assert row["duration_s"] == pytest.approx(1.0, abs=0.001)


def test_table_for_people(files: dict[str, Path]) -> None:
    done = radiokit("loudness", "tone.wav", cwd=files["folder"])
    assert done.returncode == 0
    header, row = done.stdout.strip().splitlines()
    assert "integrated" in header and "true peak" in header
    assert row.split() == ["0:05.0", "-23.0", "LUFS", "0.0", "LU", "-23.0", "dBTP", "-23.0", "LUFS", "-23.0", "LUFS",
                           "tone.wav"]


def test_unreadable_files_get_one_line_each_and_exit_2(files: dict[str, Path]) -> None:
    folder = files["folder"]
    (folder / "notes.txt").write_text("not audio", encoding="utf-8")
    six = convert(files["stereo"], folder / "six.wav", "-ac", "6")
    done = radiokit("loudness", "--json", "tone.wav", "missing.wav", "notes.txt", six.name, cwd=folder)
    assert done.returncode == 2
    assert [row["file"] for row in json.loads(done.stdout)] == ["tone.wav"]
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 3 and "Traceback" not in done.stderr
    assert errors[0] == "error: missing.wav: no such file"
    assert errors[1].startswith("error: notes.txt: cannot decode the audio")
    assert errors[2].startswith("error: six.wav: 6 channels")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_float_file_with_samples_that_are_not_numbers_is_refused_not_measured(tmp_path: Path, bad: float) -> None:
    """A damaged float WAV would otherwise read as plausible figures (its NaN left out of the peak, say)."""
    import soundfile

    samples = sine(-23.0, 3.0, 48000).astype(np.float32)
    samples[50000, 0] = bad
    soundfile.write(tmp_path / "broken.wav", samples, 48000, subtype="FLOAT")
    done = radiokit("loudness", "--json", "broken.wav", cwd=tmp_path)
    assert done.returncode == 2 and json.loads(done.stdout) == []
    assert done.stderr.strip().splitlines() == [
        "error: broken.wav: 1 samples are not numbers (NaN or infinity): the file is damaged; export it again"]
