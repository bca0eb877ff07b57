"""Streaming loudness, loudness range and true-peak meter per ITU-R BS.1770-5 and EBU Tech 3341/3342, and the
measurement of whole files with it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from radiokit.errors import ArgumentError, AudioInputError, InputError
from radiokit.truepeak import PHASE_TAPS, true_peak

# Analogue prototypes of the K-weighting curve (BS.1770-5 Tables 1 and 2): B. De Man's fit, whose
# bilinear transform gives the Recommendation's 48 kHz coefficients to 1e-15, so any rate can use it.
_SHELF_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_BAND_EXPONENT = 0.4996667741545416
_HIGHPASS_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773

_LOUDNESS_OFFSET_DB = -0.691
_ABSOLUTE_GATE_LUFS = -70.0
_INTEGRATED_RELATIVE_GATE_LU = -10.0
_RANGE_RELATIVE_GATE_LU = -20.0
_RANGE_PERCENTILES = (10.0, 95.0)

_SUBNORMAL_GUARD = 1e-20 * (-1.0) ** np.arange(96000)
_SILENCE = 1e-30  # mean square (-300 LUFS) at or under which a window is digital silence (and the guard)
_SUB_BLOCK_S = 0.1  # gating blocks and LRA windows step by 100 ms (75 % overlap of 400 ms blocks)
_MOMENTARY_SUB_BLOCKS = 4
_SHORT_TERM_SUB_BLOCKS = 30
_CHUNK_S = 1.0  # work unit: long enough to amortise numpy's per-call cost, short to bound memory

@dataclass(frozen=True)
class Loudness:
    """One programme's measurement.

    Loudness values are `-inf` when nothing passes the gates or no complete window exists
    (silence, or a signal shorter than 400 ms / 3 s); `true_peak_dbtp` is `-inf` for digital
    silence; it and the two maxima are nan from a meter told to leave them out; `loudness_range_lu`
    is 0.0 when no short-term window passes its gates. The true peak covers the samples themselves
    and 4x interpolation between them, silence assumed before the first sample and after the last.
    """

    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    max_momentary_lufs: float
    max_short_term_lufs: float
    duration_s: float


def _k_filter(sos: np.ndarray, rows: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filter (channels, n) rows along n from `state` (sections, channels, 2). scipy.signal is imported on
    first use: it takes a second, which a command that measures nothing (a rebuild from the cache, `check`)
    need not pay."""
    from scipy.signal import sosfilt

    return sosfilt(sos, rows, axis=-1, zi=state)


def k_filter_state(sos: np.ndarray, channels: int) -> np.ndarray:
    """The K-weighting filter at rest, for _weighted_energy."""
    return np.zeros((len(sos), channels, 2))


def _weighted_energy(sos: np.ndarray, rows: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's K-weighted energy summed over channels, and the filter's new state, for channel-major
    float64 rows (channels, n) continuing from `state`. The rows are the caller's own copy: the guard
    below is added to them in place. Channel-major, because sosfilt filters along the last axis of a
    C-ordered array: frame-major (n, channels) blocks cost it two more copies, a third of its time.

    In digital silence the filter state decays into subnormal numbers, on which the CPU is some ten
    times slower (a programme with gaps would be metered at a fraction of the speed). A Nyquist-rate
    signal at -400 dBFS keeps the state normal and adds nothing measurable."""
    energies = []
    for start in range(0, rows.shape[1], len(_SUBNORMAL_GUARD)):
        piece = rows[:, start : start + len(_SUBNORMAL_GUARD)]
        piece += _SUBNORMAL_GUARD[: piece.shape[1]]
        weighted, state = _k_filter(sos, piece, state)
        np.square(weighted, out=weighted)
        energy = weighted[0]
        for channel in weighted[1:]:
            energy += channel
        energies.append(energy)
    return (np.concatenate(energies) if energies else np.empty(0)), state


def channel_rows(frames: np.ndarray) -> np.ndarray:
    """(n, channels) frames as a new channel-major float64 array (channels, n), for _weighted_energy."""
    return np.array(np.asarray(frames).T, dtype=np.float64, order="C")


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """The K-weighting pre-filter (high shelf, then RLB high-pass) as two second-order sections."""
    k = math.tan(math.pi * _SHELF_HZ / sample_rate)
    shelf_gain = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    band_gain = shelf_gain**_SHELF_BAND_EXPONENT
    norm = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (shelf_gain + band_gain * k / _SHELF_Q + k * k) / norm,
        2.0 * (k * k - shelf_gain) / norm,
        (shelf_gain - band_gain * k / _SHELF_Q + k * k) / norm,
        1.0,
        2.0 * (k * k - 1.0) / norm,
        (1.0 - k / _SHELF_Q + k * k) / norm,
    ]
    k = math.tan(math.pi * _HIGHPASS_HZ / sample_rate)
    norm = 1.0 + k / _HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / norm, (1.0 - k / _HIGHPASS_Q + k * k) / norm]
    return np.array([shelf, highpass])


def _lufs(mean_square: float) -> float:
    """Loudness of a channel-summed mean square; digital silence is -inf rather than a log error."""
    return _LOUDNESS_OFFSET_DB + 10.0 * math.log10(mean_square) if mean_square > _SILENCE else -math.inf


def _mean_square(lufs: float) -> float:
    return 10.0 ** ((lufs - _LOUDNESS_OFFSET_DB) / 10.0)


def _lufs_array(mean_squares: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return _LOUDNESS_OFFSET_DB + 10.0 * np.log10(np.where(mean_squares > _SILENCE, mean_squares, 0.0))


def _gated(mean_squares: np.ndarray, relative_gate_lu: float) -> np.ndarray:
    """BS.1770 two-stage gating: drop blocks under -70 LUFS, then under the survivors' mean + gate."""
    loud = mean_squares[mean_squares > _mean_square(_ABSOLUTE_GATE_LUFS)]
    if loud.size == 0:
        return loud
    threshold = loud.mean() * 10.0 ** (relative_gate_lu / 10.0)
    return loud[loud > threshold]


def _integrated_lufs(block_mean_squares: np.ndarray) -> float:
    gated = _gated(block_mean_squares, _INTEGRATED_RELATIVE_GATE_LU)
    return _lufs(float(gated.mean())) if gated.size else -math.inf


def _loudness_range_lu(short_term_mean_squares: np.ndarray) -> float:
    gated = _gated(short_term_mean_squares, _RANGE_RELATIVE_GATE_LU)
    if gated.size == 0:
        return 0.0
    low, high = np.percentile(_lufs_array(gated), _RANGE_PERCENTILES)
    return float(high - low)


def _dbtp(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0.0 else -math.inf


class _SlidingMaxima:
    """The largest energy over any run of `frames` consecutive samples, for each of a few lengths: exact per
    sample, not on a grid. Running energy sums go into a buffer of room for the longest run and `room` more
    samples, which is compacted (and rebased, so that rounding does not grow with duration) only when full:
    the sums of a block are written once, not copied with the whole last run at every block."""

    def __init__(self, lengths: Sequence[int], room: int) -> None:
        self.lengths = tuple(lengths)
        self.largest = [0.0] * len(self.lengths)
        self._keep = max(self.lengths)
        self._sums = np.zeros(self._keep + room)  # _sums[:_end] hold running sums; _sums[0] is 0 at the start
        self._end = 1

    def update(self, energy: np.ndarray) -> None:
        if self._end + len(energy) > len(self._sums):
            self._compact(len(energy))
        start, self._end = self._end, self._end + len(energy)
        new = self._sums[start : self._end]
        np.cumsum(energy, out=new)
        new += self._sums[start - 1]
        for number, frames in enumerate(self.lengths):
            first = max(start, frames)  # windows complete, and within the buffer (it keeps the longest run)
            if first < self._end:
                sums = self._sums[first : self._end] - self._sums[first - frames : self._end - frames]
                self.largest[number] = max(self.largest[number], float(sums.max()))

    def _compact(self, incoming: int) -> None:
        kept = self._sums[max(0, self._end - self._keep) : self._end] - self._sums[max(0, self._end - self._keep)]
        if len(kept) + incoming > len(self._sums):
            self._sums = np.zeros(len(kept) + incoming)
        self._sums[: len(kept)] = kept
        self._end = len(kept)


class LoudnessMeter:
    """Feed blocks of samples shaped (n, channels) in [-1, 1]; read `result()` at any time.

    Memory stays bounded: the meter keeps filter state, running energy sums over the last 3 s
    and one number per 100 ms. Supports mono and stereo (BS.1770 weights L, R and mono by 1.0);
    the sample rate must be a multiple of 10 Hz so that 100 ms is a whole number of samples.
    """

    def __init__(self, sample_rate: int, channels: int, *, true_peak: bool = True, maxima: bool = True) -> None:
        if channels not in (1, 2):
            raise ArgumentError(f"the loudness meter measures mono or stereo, not {channels} channels")
        if sample_rate < 8000 or sample_rate % 10:
            raise ArgumentError(f"unsupported sample rate {sample_rate} Hz: use a multiple of 10 Hz from 8000 up")
        self.sample_rate = sample_rate
        self.channels = channels
        # What a meter that only levels, or only checks a file's loudness and peak, can leave out (it reads nan):
        # the true peak, and the maximum momentary and short-term loudness (a third of the work each).
        self._true_peak = true_peak
        self._sub_block_frames = sub_block_frames(sample_rate)
        # Blocks fed in whole multiples of this are processed as they come, never copied and joined.
        self.chunk_frames = round(sample_rate * _CHUNK_S)
        self._sos = k_weighting_sos(sample_rate)
        self._filter_state = k_filter_state(self._sos, channels)
        self._window_frames = (_MOMENTARY_SUB_BLOCKS * self._sub_block_frames,
                               _SHORT_TERM_SUB_BLOCKS * self._sub_block_frames)
        self._windows = _SlidingMaxima(self._window_frames, 8 * self.chunk_frames) if maxima else None
        self._sub_blocks: list[np.ndarray] = []  # energy of each complete 100 ms sub-block
        self._open_sub_block = 0.0
        self._peak_tail = np.zeros((PHASE_TAPS - 1, channels))  # silence before the signal
        self._peak = 0.0
        self._frames = 0  # processed, excluding pending
        self._pending: list[np.ndarray] = []
        self._pending_frames = 0

    def feed(self, block: np.ndarray) -> None:
        """Add the next samples; any length, including 0."""
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[1] != self.channels or not np.issubdtype(block.dtype, np.floating):
            raise ArgumentError(
                f"expected floating-point samples shaped (n, {self.channels}), got {block.dtype} {block.shape}"
            )
        start = 0
        if self._pending_frames:
            start = min(len(block), self.chunk_frames - self._pending_frames)
            self._hold(block[:start])
            if self._pending_frames == self.chunk_frames:
                self._flush()
        while len(block) - start >= self.chunk_frames:
            self._process(block[start : start + self.chunk_frames])
            start += self.chunk_frames
        self._hold(block[start:])

    def result(self) -> Loudness:
        """The measurement of everything fed so far."""
        self._flush()
        sub_blocks = self._closed_sub_blocks()
        return Loudness(
            integrated_lufs=_integrated_lufs(self._window_mean_squares(sub_blocks, _MOMENTARY_SUB_BLOCKS)),
            loudness_range_lu=_loudness_range_lu(self._window_mean_squares(sub_blocks, _SHORT_TERM_SUB_BLOCKS)),
            true_peak_dbtp=_dbtp(true_peak(self._peak_tail_with_silence(), self._peak))
            if self._true_peak else math.nan,
            max_momentary_lufs=self._max_lufs(0),
            max_short_term_lufs=self._max_lufs(1),
            duration_s=self._frames / self.sample_rate,
        )

    def momentary_lufs(self) -> np.ndarray:
        """Momentary loudness of each 400 ms window ending on a 100 ms boundary."""
        self._flush()
        return _lufs_array(self._window_mean_squares(self._closed_sub_blocks(), _MOMENTARY_SUB_BLOCKS))

    def short_term_lufs(self) -> np.ndarray:
        """Short-term loudness of each 3 s window ending on a 100 ms boundary."""
        self._flush()
        return _lufs_array(self._window_mean_squares(self._closed_sub_blocks(), _SHORT_TERM_SUB_BLOCKS))

    def _hold(self, block: np.ndarray) -> None:
        if len(block):
            self._pending.append(np.array(block))  # a copy: callers may reuse their buffers
            self._pending_frames += len(block)

    def _flush(self) -> None:
        if self._pending:
            self._process(np.concatenate(self._pending))
            self._pending.clear()
            self._pending_frames = 0

    def _process(self, block: np.ndarray) -> None:
        if self._true_peak:
            self._track_peak(block)
        # Channel-major rows: what sosfilt runs fastest on.
        energy, self._filter_state = _weighted_energy(self._sos, channel_rows(block), self._filter_state)
        if self._windows is not None:
            self._windows.update(energy)
        self._add_sub_blocks(energy)
        self._frames += len(energy)

    def _track_peak(self, block: np.ndarray) -> None:
        """The peak so far, with the runs of samples that cross from the last block into this one, then those
        within it; the block's last samples are kept for the next."""
        across = np.concatenate((self._peak_tail, block[: PHASE_TAPS - 1]))
        self._peak = true_peak(block, true_peak(across, self._peak))
        self._peak_tail = np.concatenate((self._peak_tail, block[-(PHASE_TAPS - 1) :]))[-(PHASE_TAPS - 1) :]

    def _peak_tail_with_silence(self) -> np.ndarray:
        """The last samples followed by silence, to interpolate up to and past the final sample."""
        return np.concatenate((self._peak_tail, np.zeros((PHASE_TAPS // 2, self.channels))))

    def _max_lufs(self, window: int) -> float:
        """The largest loudness over the window's length (0 momentary, 1 short-term); nan where left out."""
        if self._windows is None:
            return math.nan
        return _lufs(self._windows.largest[window] / self._window_frames[window])

    def _add_sub_blocks(self, energy: np.ndarray) -> None:
        frames = self._sub_block_frames
        offset = self._frames % frames
        starts = np.arange(frames - offset, len(energy), frames)
        sums = np.add.reduceat(energy, np.concatenate(([0], starts)))
        sums[0] += self._open_sub_block
        closed = (offset + len(energy)) // frames
        self._sub_blocks.append(sums[:closed])
        self._open_sub_block = float(sums[closed]) if closed < len(sums) else 0.0

    def _closed_sub_blocks(self) -> np.ndarray:
        self._sub_blocks = [np.concatenate(self._sub_blocks)] if self._sub_blocks else []
        return self._sub_blocks[0] if self._sub_blocks else np.empty(0)

    def _window_mean_squares(self, sub_blocks: np.ndarray, count: int) -> np.ndarray:
        """Mean squares of every window of `count` consecutive sub-blocks."""
        if len(sub_blocks) < count:
            return np.empty(0)
        return sliding_window_view(sub_blocks, count).sum(axis=1) / (count * self._sub_block_frames)


class BlockLoudness:
    """A programme's K-weighted energy in each 100 ms gating sub-block, from which its integrated
    loudness follows, also as it would be were each sub-block's energy scaled (by a codec, say)."""

    def __init__(self, sub_blocks: np.ndarray, sample_rate: int) -> None:
        self.sub_blocks = np.asarray(sub_blocks, dtype=np.float64)
        self.sub_block_frames = sub_block_frames(sample_rate)

    @property
    def integrated_lufs(self) -> float:
        return self.integrated_lufs_scaled(np.ones(len(self.sub_blocks)))

    def sub_block_centres(self) -> np.ndarray:
        """The frame in the middle of each sub-block."""
        return (np.arange(len(self.sub_blocks)) + 0.5) * self.sub_block_frames

    def integrated_lufs_scaled(self, factors: np.ndarray) -> float:
        """The integrated loudness had each sub-block's energy been multiplied by its factor, gated afresh:
        what a change that differs along the programme would make of it."""
        scaled = self.sub_blocks * np.asarray(factors, dtype=np.float64)
        if len(scaled) < _MOMENTARY_SUB_BLOCKS:
            return -math.inf
        windows = sliding_window_view(scaled, _MOMENTARY_SUB_BLOCKS).sum(axis=1)
        return _integrated_lufs(windows / (_MOMENTARY_SUB_BLOCKS * self.sub_block_frames))


def sub_block_frames(sample_rate: int) -> int:
    """The frames in a 100 ms gating sub-block (a whole number at any rate the meter takes)."""
    return round(sample_rate * _SUB_BLOCK_S)


def profile_frames(sample_rate: int) -> int:
    """The step of an energy profile: 10 ms, a tenth of a gating sub-block (to the frame)."""
    return sub_block_frames(sample_rate) // 10


_PROFILE_PIECE_STEPS = 2400  # 24 s


def energy_profile(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """K-weighted energy, summed over channels, of each step (see profile_frames) of a signal (n, channels),
    filtered from rest, the last step possibly short. A segment's profile, made where it is rendered,
    places it on any programme's 100 ms sub-blocks to within half a step: the programme's loudness
    without reading the programme again."""
    meter = ProfileMeter(sample_rate, np.shape(samples)[1])
    meter.feed(samples)
    return meter.result()


class ProfileMeter:
    """energy_profile of a signal fed block by block (of any lengths): the same figures, to the bit."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._sos = k_weighting_sos(sample_rate)
        self._state = k_filter_state(self._sos, channels)
        self._step = profile_frames(sample_rate)
        self._held = np.zeros((0, channels), dtype=np.float32)
        self._steps: list[np.ndarray] = []
        self.frames = 0

    def feed(self, block: np.ndarray) -> None:
        self.frames += len(block)
        if len(self._held):
            block = np.concatenate((self._held, block))
        # Whole steps, and an even number of frames, which keeps the guard's alternation as in one piece.
        usable = len(block) - len(block) % (2 * self._step)
        self._measure(block[:usable])
        self._held = np.array(block[usable:])

    def result(self) -> np.ndarray:
        """The profile of everything fed; the meter is done."""
        self._measure(self._held)
        self._held = self._held[:0]
        return np.concatenate(self._steps) if self._steps else np.empty(0)

    def _measure(self, frames: np.ndarray) -> None:
        # A piece at a time, so that a long block is never copied whole.
        piece = self._step * _PROFILE_PIECE_STEPS
        for start in range(0, len(frames), piece):
            energy, self._state = _weighted_energy(self._sos, channel_rows(frames[start : start + piece]),
                                                   self._state)
            self._steps.append(np.add.reduceat(energy, np.arange(0, len(energy), self._step)))


def profile_loudness(profile: np.ndarray, frames: int, sample_rate: int) -> float | None:
    """The integrated loudness of a signal of `frames` frames from its energy profile: the meter's reading,
    from the same 100 ms sub-blocks, where the profile's steps tile them (None where they do not)."""
    per_sub_block, remainder = divmod(sub_block_frames(sample_rate), profile_frames(sample_rate))
    if remainder:
        return None
    complete = frames // sub_block_frames(sample_rate)
    sub_blocks = np.asarray(profile[: complete * per_sub_block]).reshape(complete, per_sub_block).sum(axis=1)
    return BlockLoudness(sub_blocks, sample_rate).integrated_lufs


class RangeEnergies:
    """The K-weighted energy (summed over channels) of each range [start, end) of frames of a stream
    fed block by block: for comparing the same stretches of two streams."""

    def __init__(self, sample_rate: int, channels: int, ranges: Sequence[tuple[int, int]]) -> None:
        self._sos = k_weighting_sos(sample_rate)
        self._state = k_filter_state(self._sos, channels)
        self._starts = np.array([start for start, _ in ranges], dtype=np.int64)
        self._ends = np.array([end for _, end in ranges], dtype=np.int64)
        self.energies = np.zeros(len(ranges))
        self._position = 0

    def feed(self, block: np.ndarray) -> None:
        energy, self._state = _weighted_energy(self._sos, channel_rows(block), self._state)
        running = np.concatenate(([0.0], np.cumsum(energy)))
        first = np.clip(self._starts - self._position, 0, len(energy))
        last = np.clip(self._ends - self._position, 0, len(energy))
        self.energies += running[last] - running[first]
        self._position += len(energy)


def measure(samples: np.ndarray, sample_rate: int, *, true_peak: bool = True, maxima: bool = True) -> Loudness:
    """Measure a whole signal: 1-D mono or shaped (n, channels), processed in chunks."""
    samples = np.asarray(samples)
    if samples.ndim == 1:
        samples = samples[:, np.newaxis]
    if samples.ndim != 2:
        raise ArgumentError(f"expected samples shaped (n,) or (n, channels), got {samples.shape}")
    meter = LoudnessMeter(sample_rate, samples.shape[1], true_peak=true_peak, maxima=maxima)
    meter.feed(samples)
    return meter.result()


def measure_stream(blocks: Iterable[np.ndarray], sample_rate: int, channels: int) -> Loudness:
    """Measure a signal given as blocks shaped (n, channels), never whole in memory."""
    meter = LoudnessMeter(sample_rate, channels)
    for block in blocks:
        meter.feed(block)
    return meter.result()


def measure_file(path: Path, sample_rate: int | None = None, channels: int | None = None) -> Loudness:
    """Any audio file ffmpeg decodes, decoded to its end (AudioInputError if it cannot) and measured: at
    `sample_rate` and `channels` where given, else at its own (mono or stereo; a rate the meter cannot
    take, one whose 100 ms is not a whole number of samples, is measured resampled to 48 kHz)."""
    from radiokit.audio_io import probe, read_ahead, stream_float

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if sample_rate is None or channels is None:
        info = probe(path, str(path))
        if info.channels > 2:
            raise AudioInputError(f"{path}: {info.channels} channels: radiokit measures mono and stereo files; "
                                  "downmix it first")
        sample_rate = sample_rate or (info.sample_rate if info.sample_rate >= 8000 and info.sample_rate % 10 == 0
                                      else 48000)
        channels = channels or info.channels
    return measure_stream(read_ahead(stream_float(path, sample_rate, channels)), sample_rate, channels)


def measure_encoded(path: Path, sample_rate: int, channels: int, *, maxima: bool = True) -> Loudness:
    """A file this build has just encoded, decoded in this process (audio_io.stream_encoded) and measured."""
    from radiokit.audio_io import read_ahead, stream_encoded

    meter = LoudnessMeter(sample_rate, channels, maxima=maxima)
    for block in read_ahead(stream_encoded(path, sample_rate, channels, 2 * meter.chunk_frames)):
        meter.feed(block)
    return meter.result()
