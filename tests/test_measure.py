"""Measuring what was encoded: segment files decoded joined by one ffmpeg run, then measured apart."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from radiokit import master
from radiokit.encode import Output, encode_array, encode_outputs
from radiokit.loudness import Loudness

RATE = 44100


def reported(figures: Loudness) -> tuple[float, ...]:
    """What the package reports of a file: everything but the two maxima, which only a programme's carry."""
    return figures.integrated_lufs, figures.loudness_range_lu, figures.true_peak_dbtp, figures.duration_s


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[int]]:
    """Three MP3 segment files of odd lengths (not whole MP3 frames), at different levels, with their lengths."""
    folder = tmp_path_factory.mktemp("segments")
    lengths = [RATE * 3 + 17, RATE * 2 - 5, RATE * 4 + 1000]
    paths = []
    for number, (length, level) in enumerate(zip(lengths, [0.3, 0.05, 0.15], strict=True)):
        paths.append(folder / f"{number}.mp3")
        syllables = np.abs(np.sin(2 * np.pi * 2.5 * np.arange(length) / RATE))[:, np.newaxis]
        samples = np.random.default_rng(number).standard_normal((length, 2)) * syllables * level
        encode_array(paths[-1], "mp3", samples.astype(np.float32), RATE, 128)
    return paths, lengths


def test_joined_decoding_measures_each_file_as_decoding_it_alone(segment_files: tuple[list[Path], list[int]]) -> None:
    paths, lengths = segment_files
    joined = master.measure_joined(paths, lengths, RATE, 2)
    assert joined is not None
    for path, length, figures in zip(paths, lengths, joined, strict=True):
        alone = master.measure_file(path, RATE, 2)
        assert round(figures.duration_s * RATE) == length
        assert reported(figures) == pytest.approx(reported(alone), abs=1e-9)
        assert math.isnan(figures.max_momentary_lufs) and math.isnan(figures.max_short_term_lufs)


@pytest.mark.parametrize("change", [1, -1])
def test_lengths_that_do_not_add_up_give_no_figures(segment_files: tuple[list[Path], list[int]], change: int) -> None:
    """A file that decodes longer or shorter than its segment: the caller measures the files one by one."""
    paths, lengths = segment_files
    assert master.measure_joined(paths, [*lengths[:-1], lengths[-1] + change], RATE, 2) is None


def test_a_pass_is_measured_whole_and_by_segment(tmp_path: Path) -> None:
    """measure_outputs gives the programme and every segment file, and agrees with measuring each alone."""
    audio = (np.random.default_rng(9).standard_normal((RATE * 6, 2)) * 0.1).astype(np.float32)
    outputs = [Output(tmp_path / "whole.mp3", "mp3"), Output(tmp_path / "a.mp3", "mp3", 0, RATE * 2),
               Output(tmp_path / "b.mp3", "mp3", RATE * 2, len(audio))]
    encode_outputs([audio], outputs, RATE, 2, 128)
    measured = master.measure_outputs(outputs[0], outputs[1:], RATE, 2)
    assert list(measured) == [output.path for output in outputs]
    for output in outputs:
        alone = master.measure_file(output.path, RATE, 2)
        assert reported(measured[output.path]) == pytest.approx(reported(alone), abs=1e-9)
