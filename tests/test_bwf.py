"""Broadcast Wave files: a version 2 bext chunk with loudness, read back by ffprobe and by the bytes."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pytest

from radiokit import bwf
from radiokit.bwf import BextInfo, BroadcastWaveWriter, read_loudness, write_loudness
from radiokit.loudness import measure
from tests.media import decode, ffprobe, tone

INFO = BextInfo("Global Voices 12 (ru)", "radiokit", "gv12-ru", dt.datetime(2012, 10, 26, 18, 30, 5),
                "A=PCM,F=48000,W=16,M=stereo,T=radiokit")


def write(path: Path, samples: np.ndarray, rate: int = 48000, info: BextInfo = INFO) -> Path:
    with BroadcastWaveWriter(path, rate, samples.shape[1], info) as writer:
        for start in range(0, len(samples), 7000):
            writer.write(samples[start : start + 7000])
    return path


def test_ffprobe_reads_the_pcm_and_the_bext_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "p.wav", tone(440.0, 2.0, 48000, -20.0, channels=2))
    probe = ffprobe(path)
    stream, tags = probe["streams"][0], probe["format"]["tags"]
    assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == ("pcm_s16le", 48000, 2)
    assert float(probe["format"]["duration"]) == pytest.approx(2.0, abs=1e-3)
    # ffmpeg maps bext fields to its generic tag names.
    assert tags["comment"] == INFO.description
    assert tags["encoded_by"] == "radiokit" and tags["originator_reference"] == "gv12-ru"
    assert (tags["date"], tags["creation_time"]) == ("2012-10-26", "18:30:05")
    assert tags["coding_history"].strip() == INFO.coding_history


def test_samples_survive_within_the_dither(tmp_path: Path) -> None:
    samples = tone(440.0, 1.0, 48000, -6.0, channels=2)
    decoded = decode(write(tmp_path / "p.wav", samples), 48000, 2)
    assert decoded.shape == samples.shape
    assert np.abs(decoded - samples).max() <= 1.5 / 32768


def test_loudness_fields_are_patched_in_hundredths(tmp_path: Path) -> None:
    samples = tone(1000.0, 5.0, 48000, -20.0, channels=2)
    path = write(tmp_path / "p.wav", samples)
    assert read_loudness(path) == bwf.BextLoudness(None, None, None, None, None)  # 0x7FFF: not measured
    measured = measure(decode(path, 48000, 2), 48000)
    write_loudness(path, measured)
    fields = read_loudness(path)
    assert fields.loudness_value == pytest.approx(measured.integrated_lufs, abs=0.005)
    assert fields.loudness_value == pytest.approx(-20.0, abs=0.1)  # a 1 kHz stereo tone reads its peak level
    assert fields.max_true_peak_level == pytest.approx(measured.true_peak_dbtp, abs=0.005)
    assert fields.loudness_range == pytest.approx(measured.loudness_range_lu, abs=0.005)
    assert fields.max_momentary_loudness == pytest.approx(measured.max_momentary_lufs, abs=0.005)
    assert fields.max_short_term_loudness == pytest.approx(measured.max_short_term_lufs, abs=0.005)
    raw = path.read_bytes()
    bext = raw.index(b"bext") + 8
    assert struct.unpack("<H", raw[bext + 346 : bext + 348])[0] == 2  # version 2: loudness fields are valid
    assert ffprobe(path)["format"]["tags"]["comment"] == INFO.description  # still a valid file


def test_a_file_past_the_riff_limit_becomes_rf64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """4 GiB of audio is too slow for a test, so the limit is lowered; the layout written is the real one."""
    monkeypatch.setattr(bwf, "_RIFF_LIMIT", 100_000)
    samples = tone(1000.0, 1.0, 48000, -12.0, channels=2)
    path = write(tmp_path / "long.wav", samples)
    raw = path.read_bytes()
    assert raw[:4] == b"RF64" and raw[12:16] == b"ds64"
    assert struct.unpack("<Q", raw[28:36])[0] == len(samples) * 4  # ds64 data size
    assert float(ffprobe(path)["format"]["duration"]) == pytest.approx(1.0, abs=1e-3)
    assert decode(path, 48000, 2).shape == samples.shape
    write_loudness(path, measure(samples, 48000))
    assert read_loudness(path).loudness_value == pytest.approx(-12.0, abs=0.1)
