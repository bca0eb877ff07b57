"""Measuring what was encoded: decoded in this process (libsndfile), as ffmpeg would decode it."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from radiokit import audio_io, loudness, master
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


def test_in_process_decoding_measures_as_ffmpeg_does(segment_files: tuple[list[Path], list[int]]) -> None:
    """Each file decodes to exactly the frames encoded (the encoder's delay and padding trimmed) and
    measures as ffmpeg's decode of it does."""
    paths, lengths = segment_files
    for path, length in zip(paths, lengths, strict=True):
        decoded = np.concatenate(list(audio_io.stream_encoded(path, RATE, 2)))
        by_ffmpeg = np.concatenate(list(audio_io.stream_float(path, RATE, 2)))
        assert decoded.shape == by_ffmpeg.shape == (length, 2)
        assert np.abs(decoded - by_ffmpeg).max() < 1e-4
        figures = loudness.measure_encoded(path, RATE, 2, maxima=False)
        assert reported(figures) == pytest.approx(reported(loudness.measure_file(path, RATE, 2)), abs=1e-3)
        assert math.isnan(figures.max_momentary_lufs) and math.isnan(figures.max_short_term_lufs)


def test_what_libsndfile_cannot_read_as_asked_goes_through_ffmpeg(segment_files: tuple[list[Path], list[int]],
                                                                  tmp_path: Path) -> None:
    """Another rate than the file's is resampled, and a codec libsndfile lacks (AAC) is decoded, by ffmpeg."""
    path, length = segment_files[0][0], segment_files[1][0]
    resampled = np.concatenate(list(audio_io.stream_encoded(path, 48000, 2)))
    assert abs(len(resampled) - length * 48000 / RATE) < 50
    aac = tmp_path / "clip.m4a"
    audio_io.run_ffmpeg(["-i", str(path), "-c:a", "aac", "-b:a", "128k", str(aac)])
    decoded = np.concatenate(list(audio_io.stream_encoded(aac, RATE, 2)))
    assert abs(len(decoded) - length) < 2048  # AAC frames of 1024 at the edges
    assert reported(loudness.measure_encoded(aac, RATE, 2)) == reported(loudness.measure_file(aac, RATE, 2))


def test_a_pass_is_measured_whole_and_by_segment(tmp_path: Path) -> None:
    """measure_outputs gives the programme and every segment file, and agrees with measuring each alone."""
    audio = (np.random.default_rng(9).standard_normal((RATE * 6, 2)) * 0.1).astype(np.float32)
    outputs = [Output(tmp_path / "whole.mp3", "mp3"), Output(tmp_path / "a.mp3", "mp3", 0, RATE * 2),
               Output(tmp_path / "b.mp3", "mp3", RATE * 2, len(audio))]
    encode_outputs([audio], outputs, RATE, 2, 128)
    measured = master.measure_outputs(outputs[0], outputs[1:], RATE, 2)
    assert list(measured) == [output.path for output in outputs]
    for output in outputs:
        alone = loudness.measure_file(output.path, RATE, 2)  # ffmpeg's decode
        assert reported(measured[output.path]) == pytest.approx(reported(alone), abs=1e-3)
    # In worker processes, as a build measures: the same figures.
    with ProcessPoolExecutor(max_workers=2) as workers:
        in_workers = master.measure_outputs(outputs[0], outputs[1:], RATE, 2, workers)
    assert list(in_workers) == list(measured)
    for path, figures in measured.items():
        np.testing.assert_equal(dataclasses.astuple(in_workers[path]), dataclasses.astuple(figures))


def test_samples_past_full_scale_saturate_on_their_way_to_the_encoder(tmp_path: Path) -> None:
    """The encoders take 16-bit PCM: a square wave 1.6 dB over full scale must come back as itself, clipped,
    not with its halves wrapped around to the opposite sign."""
    half_cycles = np.sign(np.sin(2 * np.pi * 100 * (np.arange(RATE) + 0.5) / RATE))
    square = (1.2 * half_cycles)[:, np.newaxis].repeat(2, axis=1).astype(np.float32)
    path = tmp_path / "over.mp3"
    encode_array(path, "mp3", square, RATE, 128)
    decoded = np.concatenate(list(audio_io.stream_encoded(path, RATE, 2)))
    settled = slice(RATE // 10, -RATE // 10)
    assert np.mean(np.sign(decoded[settled, 0]) == half_cycles[settled]) > 0.95
    assert np.abs(decoded[settled]).max() < 1.3
