"""Measurements the cleanup steps share: levels in dBFS, 100 ms block loudness, where speech is, its range."""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from radiokit.clean.tape import Tape
from radiokit.loudness import ProfileMeter, profile_frames

SINE_OFFSET_DB = 10.0 * math.log10(2.0)  # AES17: a full-scale sine reads 0 dBFS
SILENT_MEAN_SQUARE = 1e-20  # -197 dBFS: at or under this a stretch is digital silence
_FLOOR_WINDOW_S = 0.05
_FLOOR_QUANTILE = 0.1
_ABSOLUTE_GATE_LUFS = -70.0
_SILENCE_LUFS = -200.0
_LOUD_QUANTILE = 95.0
_SPEECH_BELOW_LOUD_LU = 35.0  # blocks this far under the loud blocks are not speech, whatever the noise
_SPEECH_ABOVE_FLOOR_LU = 10.0
_SPEECH_ABOVE_FLOOR_CAP_LU = 15.0  # with few pauses the floor is speech itself: never ask more than this
_ENERGY_BLOCKS = 11  # loudness is an energy mean: over 1.1 s of speech blocks first
_SHORT_TERM_BLOCKS = 31  # then a running median over 3.1 s of them, about EBU's short-term length
_MIN_SPEECH_BLOCKS = 10
RANGE_QUANTILES = (10.0, 95.0)


def dbfs(mean_square: float) -> float:
    """A mean square in dBFS (full-scale sine 0 dBFS); -inf for digital silence."""
    return 10.0 * math.log10(mean_square) + SINE_OFFSET_DB if mean_square > SILENT_MEAN_SQUARE else -math.inf


def window_mean_squares(samples: np.ndarray, frames: int) -> np.ndarray:
    """Mean square over channels of each whole window of `frames` frames of (n, channels) samples."""
    count = len(samples) // frames
    windows = samples[: count * frames].reshape(count, frames * samples.shape[1])
    return np.einsum("wf,wf->w", windows, windows) / (frames * samples.shape[1])


def floor_window_frames(sample_rate: int) -> int:
    return max(1, round(_FLOOR_WINDOW_S * sample_rate))


def noise_floor_dbfs(squares: np.ndarray) -> float:
    """The level of the quietest tenth of a clip's window_mean_squares over floor_window_frames: -inf where
    that is digital silence, or the clip is shorter than a window."""
    if squares.size == 0:
        return -math.inf
    quietest = np.sort(squares)[: max(1, math.ceil(_FLOOR_QUANTILE * squares.size))]
    return dbfs(float(quietest.mean()))


def block_frames(sample_rate: int) -> int:
    """Frames in a 100 ms loudness block: ten of radiokit's 10 ms energy-profile steps."""
    return profile_frames(sample_rate) * 10


def tape_profile(tape: Tape, sample_rate: int) -> np.ndarray:
    """The tape's energy profile (loudness.energy_profile), read a piece at a time."""
    meter = ProfileMeter(sample_rate, tape.channels)
    for block in tape.blocks():
        meter.feed(block)
    return meter.result()


def block_loudness(tape: Tape, sample_rate: int) -> np.ndarray:
    """K-weighted loudness (LUFS, channels summed) of each 100 ms block, the last possibly short; -inf for
    digital silence."""
    return profile_block_loudness(tape_profile(tape, sample_rate), tape.frames, sample_rate)


def profile_block_loudness(profile: np.ndarray, frames: int, sample_rate: int) -> np.ndarray:
    """block_loudness from the energy profile (loudness.energy_profile) of `frames` frames: ten of its steps
    make a block."""
    step, per_block = profile_frames(sample_rate), block_frames(sample_rate) // profile_frames(sample_rate)
    energies = np.add.reduceat(profile, np.arange(0, len(profile), per_block)) if len(profile) else profile
    starts = np.arange(len(energies)) * per_block * step
    mean_squares = energies / np.maximum(np.minimum(per_block * step, frames - starts), 1)
    loud = mean_squares > SILENT_MEAN_SQUARE
    loudness = np.full(mean_squares.shape, -math.inf)
    loudness[loud] = -0.691 + 10.0 * np.log10(mean_squares[loud])
    return loudness


def speech_blocks(loudness: np.ndarray) -> np.ndarray:
    """Which blocks hold speech: above the absolute gate, within 35 LU of the loud blocks, and 10 LU above
    the floor (the quietest tenth) or 15 LU under the loud blocks, whichever asks less."""
    audible = loudness > _ABSOLUTE_GATE_LUFS
    if not audible.any():
        return audible
    loud = float(np.percentile(loudness[audible], _LOUD_QUANTILE))
    # Digital silence (-inf) counts as very quiet: percentiles must not interpolate with infinities.
    floor = float(np.percentile(np.maximum(loudness, _SILENCE_LUFS), _FLOOR_QUANTILE * 100.0))
    threshold = max(_ABSOLUTE_GATE_LUFS, loud - _SPEECH_BELOW_LOUD_LU,
                    min(floor + _SPEECH_ABOVE_FLOOR_LU, loud - _SPEECH_ABOVE_FLOOR_CAP_LU))
    return loudness > threshold


def short_term_speech_loudness(loudness: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """For each speech block, the loudness of the voice alone around it: the energy mean of the speech blocks
    within a second of speech, then the median of those over 3.1 s of speech, so that a change of speaker
    stays a step rather than a ramp. Empty when there is under a second of speech."""
    voiced = loudness[speech]
    if voiced.size < _MIN_SPEECH_BLOCKS:
        return np.empty(0)
    energies = uniform_filter1d(10.0 ** (voiced / 10.0), size=min(_ENERGY_BLOCKS, voiced.size), mode="mirror")
    return median_filter(10.0 * np.log10(energies), size=min(_SHORT_TERM_BLOCKS, voiced.size), mode="mirror")


def speech_range_lu(loudness: np.ndarray) -> float:
    """The spread (10th to 95th percentile) of the short-term speech loudness, from block_loudness; 0.0
    without speech."""
    curve = short_term_speech_loudness(loudness, speech_blocks(loudness))
    if curve.size == 0:
        return 0.0
    low, high = np.percentile(curve, RANGE_QUANTILES)
    return float(high - low)
