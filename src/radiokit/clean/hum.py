"""Mains hum: find 50 or 60 Hz and the harmonics the audio actually carries, and cancel only those."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import soxr
from scipy.ndimage import uniform_filter1d
from scipy.signal import spectrogram

from radiokit.clean.levels import SILENT_MEAN_SQUARE, SINE_OFFSET_DB, window_mean_squares
from radiokit.clean.report import StepReport
from radiokit.clean.tape import Tape

MAINS_HZ = (50.0, 60.0)
_HIGHEST_HZ = 1000.0  # harmonics above this sink under speech and noise
_SEGMENT_S = 1.0  # 1 Hz bins; a line must stand out in most one-second segments, as a voice's pitch does not
_PROMINENCE_DB = 10.0  # peak over the median of its neighbourhood
_PERSISTENCE = 0.7  # share of segments in which a line must stand out
_NEIGHBOURHOOD_HZ = (4.0, 20.0)  # median taken this far from the line, on both sides
# The line's envelope is averaged under a triangular window this long: what is cancelled lies within about
# 1/_TRACKING_S Hz of the line, and a supply drifting 0.1 Hz off the measured frequency still loses 40 dB.
_TRACKING_S = 1.0
_BLOCK_S = 0.01  # the envelope's grid
_CHUNK_FRAMES = 2**20  # samples per piece of work: bounds memory on long clips
_SEGMENTS_AT_ONCE = 1000  # spectra per piece of work, likewise
_ANALYSIS_RATE = 4000  # lines are looked for in the clip resampled to this rate
_HANN_BANDWIDTH_BINS = 1.5  # a line's power spreads over this many bins of a Hann-windowed spectrum
# Lines this far under the clip's loud passages stay under -75 dBFS once the clip is leveled to speech
# loudness: inaudible, and often not hum at all (a tone's quantization error repeats 50 times a second).
_INAUDIBLE_UNDER_LOUD_DB = 55.0
_LOUD_WINDOW_S = 0.1
_LOUD_QUANTILE = 0.95


@dataclass(frozen=True)
class HumLine:
    hz: float
    power: float


def _search_half_width_hz(hz: float) -> float:
    return 1.0 + 0.005 * hz  # mains runs up to half a percent off nominal, and every harmonic with it


def _prominent(power: np.ndarray, hz: float) -> np.ndarray:
    """For each segment (columns of power, rows 1 Hz apart), whether a line near `hz` stands out."""
    centre = round(hz)
    half = math.ceil(_search_half_width_hz(hz))
    inner, outer = (round(edge) for edge in _NEIGHBOURHOOD_HZ)
    if centre + outer >= power.shape[0]:
        return np.zeros(power.shape[1], dtype=bool)
    peak = power[centre - half : centre + half + 1].max(axis=0)
    around = np.concatenate((power[centre - outer : centre - inner], power[centre + inner + 1 : centre + outer + 1]))
    reference = np.median(around, axis=0)
    return peak > reference * 10.0 ** (_PROMINENCE_DB / 10.0)


def _line(mean_power: np.ndarray, hz: float) -> HumLine:
    """The line near `hz` in the averaged spectrum: its frequency (parabolic fit on log power) and power."""
    half = math.ceil(_search_half_width_hz(hz))
    low = round(hz) - half
    window = mean_power[low : round(hz) + half + 1]
    peak = low + int(np.argmax(window))
    left, middle, right = np.log(np.maximum(mean_power[peak - 1 : peak + 2], SILENT_MEAN_SQUARE))
    curvature = left - 2.0 * middle + right
    offset = 0.5 * (left - right) / curvature if curvature < 0.0 else 0.0
    return HumLine(hz=peak + offset, power=float(mean_power[peak - 2 : peak + 3].sum()) / _HANN_BANDWIDTH_BINS)


def _segment_power(monos: Iterable[np.ndarray], sample_rate: int) -> Iterator[np.ndarray]:
    """Power spectra (1 Hz bins up to just past the highest line searched x one-second segments, half
    overlapping) of a mono signal given in pieces: resampled to _ANALYSIS_RATE first (the lines sit far
    under its Nyquist frequency), then _SEGMENTS_AT_ONCE segments at a time."""
    resampler = soxr.ResampleStream(sample_rate, _ANALYSIS_RATE, 1, dtype="float32") \
        if sample_rate > _ANALYSIS_RATE else None
    rate = min(sample_rate, _ANALYSIS_RATE)
    nperseg = round(_SEGMENT_S * rate)
    hop = nperseg // 2
    bins = int(_HIGHEST_HZ * 1.01 + _NEIGHBOURHOOD_HZ[1]) + 4
    group = (_SEGMENTS_AT_ONCE - 1) * hop + nperseg
    pending = np.empty(0, dtype=np.float32)
    emitted = False

    def spectra(piece: np.ndarray) -> np.ndarray:
        _, _, power = spectrogram(piece, fs=rate, window="hann", nperseg=nperseg, noverlap=nperseg - hop,
                                  detrend=False, scaling="spectrum", mode="psd")
        return power[:bins].copy()  # a copy: the slice would keep every bin alive

    for mono, last in _with_last(monos):
        low = resampler.resample_chunk(mono, last=last) if resampler else mono
        pending = np.concatenate((pending, low))
        while len(pending) >= group:
            yield spectra(pending[:group])
            emitted = True
            pending = pending[_SEGMENTS_AT_ONCE * hop :]
    if len(pending) >= nperseg or not emitted and len(pending):
        count = max(1, (len(pending) - nperseg) // hop + 1)
        yield spectra(pending[: (count - 1) * hop + nperseg])


def _with_last(items: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """Each item, and whether it is the last."""
    previous = None
    for item in items:
        if previous is not None:
            yield previous, False
        previous = item
    if previous is not None:
        yield previous, True


def find_hum(spectra: Iterable[np.ndarray]) -> tuple[float | None, list[HumLine]]:
    """The mains frequency (50 or 60 Hz) whose lines stand out most in segment spectra (_segment_power), and
    those lines; (None, []) if none do."""
    candidates = {mains: [harmonic * mains for harmonic in range(1, int(_HIGHEST_HZ // mains) + 1)]
                  for mains in MAINS_HZ}
    standing = {hz: 0 for lines in candidates.values() for hz in lines}
    total, segments = None, 0
    for power in spectra:
        total = power.sum(axis=1) if total is None else total + power.sum(axis=1)
        segments += power.shape[1]
        for hz in standing:
            standing[hz] += int(_prominent(power, hz).sum())
    if total is None:
        return None, []
    mean_power = total / segments
    best: tuple[float, float | None, list[HumLine]] = (0.0, None, [])
    for mains, harmonics in candidates.items():
        lines = [_line(mean_power, hz) for hz in harmonics if standing[hz] / segments >= _PERSISTENCE]
        strength = sum(line.power for line in lines)
        if strength > best[0]:
            best = (strength, mains, lines)
    return best[1], best[2]


def _mean_power(spectra: Iterable[np.ndarray]) -> np.ndarray:
    total, segments = 0.0, 0
    for power in spectra:
        total, segments = total + power.sum(axis=1), segments + power.shape[1]
    return np.asarray(total) / max(segments, 1)


def _dbfs(power: float) -> float:
    return 10.0 * math.log10(power) + SINE_OFFSET_DB if power > SILENT_MEAN_SQUARE else -math.inf


def _triangular_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Mean along axis 0 under a triangular window 2 * size long, taken over the values that exist: the
    clip's edges average fewer values rather than invented ones."""
    def smooth(part: np.ndarray) -> np.ndarray:
        once = uniform_filter1d(part, size, axis=0, mode="constant")
        return uniform_filter1d(once, size, axis=0, mode="constant")

    return smooth(values) / smooth(np.ones((len(values), 1)))


def _cancel_line(audio: np.ndarray, sample_rate: int, hz: float) -> None:
    """Subtract from (n, channels) `audio`, in place, the sine at `hz`, whose amplitude and phase are followed
    through the clip: the complex envelope at `hz`, averaged over _TRACKING_S, is the line. A notch filter
    would ring at the clip's edges.

    The envelope is summed over blocks of _BLOCK_S (matrix products), smoothed on that coarse grid and
    interpolated back: it moves far slower than the blocks."""
    block = max(1, round(_BLOCK_S * sample_rate))
    whole, tail = divmod(len(audio), block)
    count = whole + (tail > 0)
    omega = 2.0 * np.pi * hz / sample_rate
    within = np.exp(-1j * omega * np.arange(block))  # the conjugate phasor inside a block...
    across = np.exp(-1j * omega * block * np.arange(count))  # ...turned by where the block starts
    sums = np.zeros((count, audio.shape[1]), dtype=complex)
    blocks = audio[: whole * block].reshape(whole, block, audio.shape[1])
    sums[:whole] = np.einsum("bkc,k->bc", blocks, within.real) + 1j * np.einsum("bkc,k->bc", blocks, within.imag)
    if tail:
        sums[whole] = within[:tail] @ audio[whole * block :]
    lengths = np.minimum(block, len(audio) - np.arange(count) * block)
    envelope = across[:, np.newaxis] * sums / lengths[:, np.newaxis]
    size = max(1, round(_TRACKING_S / _BLOCK_S / 2))
    envelope = _triangular_mean(envelope.real, size) + 1j * _triangular_mean(envelope.imag, size)
    centres = np.arange(count) * block + (lengths - 1) / 2.0
    blocks_per_chunk = max(1, _CHUNK_FRAMES // block)
    for first in range(0, count, blocks_per_chunk):
        stop = min(first + blocks_per_chunk, count)
        span = slice(first * block, min(stop * block, len(audio)))
        phasor = (across[first:stop, np.newaxis] * within).reshape(-1)[: span.stop - span.start].conj()
        index = np.arange(span.start, span.stop, dtype=np.float64)
        for channel in range(audio.shape[1]):
            real = np.interp(index, centres, envelope[:, channel].real)
            imag = np.interp(index, centres, envelope[:, channel].imag)
            audio[span, channel] -= 2.0 * (real * phasor.real - imag * phasor.imag)


def _mono(samples: np.ndarray) -> np.ndarray:
    """The channels' mean, in float32: hum is looked for at _ANALYSIS_RATE in it."""
    if samples.shape[1] == 1:
        return samples[:, 0].astype(np.float32)
    return np.multiply(np.add(samples[:, 0], samples[:, 1], dtype=np.float32), np.float32(0.5))


def remove_hum(tape: Tape, sample_rate: int) -> tuple[Tape, StepReport, float | None]:
    """Cancel the mains lines found in the tape, into a new tape of the same kind; returns the tape (the one
    given where there is no hum), the step's line and the mains frequency (None where there is no hum)."""
    if tape.frames < round(_SEGMENT_S * sample_rate):
        return tape, StepReport("hum", False, "clip too short to measure hum"), None
    window = round(_LOUD_WINDOW_S * sample_rate)
    squares: list[np.ndarray] = []

    def monos() -> Iterator[np.ndarray]:
        for block in tape.blocks(tape.piece_of(window)):
            mono = _mono(block)
            squares.append(window_mean_squares(mono[:, np.newaxis], window))
            yield mono
    mains, lines = find_hum(_segment_power(monos(), sample_rate))
    if mains is None:
        return tape, StepReport("hum", False, "no mains hum found"), None
    found = _dbfs(sum(line.power for line in lines))
    every = np.concatenate(squares)
    loud = _dbfs(float(np.quantile(every, _LOUD_QUANTILE))) if every.size else -math.inf
    if found < loud - _INAUDIBLE_UNDER_LOUD_DB:
        return tape, StepReport("hum", False, f"{mains:.0f} Hz lines at {found:.0f} dBFS, "
                                              f"{loud - found:.0f} dB under the clip: inaudible, left alone"), None
    cleaned = _cancel_lines(tape, sample_rate, [line.hz for line in lines])
    left = _mean_power(_segment_power((_mono(block) for block in cleaned.blocks()), sample_rate))
    before = _dbfs(sum(line.power for line in lines))
    after = _dbfs(sum(_line(left, line.hz).power for line in lines))
    listed = ", ".join(f"{line.hz:.1f}" for line in lines)
    return cleaned, StepReport("hum", True, f"{mains:.0f} Hz hum, {len(lines)} lines cancelled ({listed} Hz), "
                                            f"{before:.0f} to {after:.0f} dBFS"), mains


def _cancel_lines(tape: Tape, sample_rate: int, lines_hz: list[float]) -> Tape:
    """The tape with every line cancelled (_cancel_line, one after another), a new tape written a piece at a
    time: each piece is read with a margin either side that covers the envelope's smoothing, so the piece
    comes out as it would from the whole clip (to within what one line's cancelling changes in the next
    one's envelope at the margin's far edge, far under the lines themselves)."""
    block = max(1, round(_BLOCK_S * sample_rate))
    margin = (2 * round(_TRACKING_S / _BLOCK_S / 2) + 4) * block  # the triangular window's reach, and more
    piece = tape.piece_of(block) * 2  # pieces on the envelope's grid, twice the usual: fewer margins to read
    cleaned = tape.blank(tape.frames, tape.channels)
    for start in range(0, tape.frames, piece):
        stop = min(start + piece, tape.frames)
        lead = max(0, start - margin)
        audio = np.array(tape.read(lead, min(tape.frames, stop + margin)), dtype=np.float64)
        for hz in lines_hz:
            _cancel_line(audio, sample_rate, hz)
        cleaned.write(start, audio[start - lead : stop - lead])
    return cleaned
