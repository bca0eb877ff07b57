"""High-pass filter against rumble and handling noise, applied only where the band below the cutoff needs it."""

from __future__ import annotations

import math

import numpy as np
import soxr
from scipy.signal import butter, sosfilt, sosfilt_zi, welch

from radiokit.clean.report import StepReport

_ORDER = 4  # per pass; run forward and back: zero phase, 48 dB per octave, the voice's timing untouched
# A voice puts under a hundredth of its energy below 80 Hz (a low male voice at the ends of phrases); rumble,
# wind and handling noise put more.
ACT_ABOVE_SHARE_DB = -20.0
# The band under the cutoff is measured in the clip resampled to this rate (a twelfth of the work at 48 kHz),
# in Welch segments of 3.9 Hz bins, fine enough for an 80 Hz cutoff; the whole band's power is the
# full-rate signal's mean square.
_ANALYSIS_RATE = 4000
_ANALYSIS_SEGMENT = 1024
_CHUNK_FRAMES = 2**20  # samples filtered at a time


def _edge(sos: np.ndarray) -> int:
    return 3 * (2 * len(sos) + 1)


def zero_phase(sos: np.ndarray, samples: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`samples` (n, channels, n > 3 * (2 * sections + 1)) filtered forwards and then backwards, each pass
    started in the filter's steady state on an odd extension of the edges (as scipy's sosfiltfilt), a piece
    at a time so that memory holds one copy of the clip rather than three; into `out` if given (which may
    be `samples` itself: a long clip then needs no second copy at all)."""
    edge = _edge(sos)
    head = 2.0 * samples[0] - samples[edge:0:-1]
    tail = 2.0 * samples[-1] - samples[-2 : -edge - 2 : -1]
    steady = sosfilt_zi(sos)[:, :, np.newaxis]  # per unit input, (sections, 2, 1): broadcast over channels
    if out is None:
        out = np.empty(samples.shape)
    _, state = sosfilt(sos, head, axis=0, zi=steady * head[0])
    for start in range(0, len(samples), _CHUNK_FRAMES):
        piece = slice(start, start + _CHUNK_FRAMES)
        out[piece], state = sosfilt(sos, samples[piece], axis=0, zi=state)
    after, state = sosfilt(sos, tail, axis=0, zi=state)
    _, state = sosfilt(sos, after[::-1], axis=0, zi=steady * after[-1])
    for stop in range(len(samples), 0, -_CHUNK_FRAMES):
        start = max(0, stop - _CHUNK_FRAMES)
        backwards, state = sosfilt(sos, out[start:stop][::-1], axis=0, zi=state)
        out[start:stop] = backwards[::-1]
    return out


def _band_mean_square(samples: np.ndarray, sample_rate: int, cutoff_hz: float) -> float:
    """The mean square (channels summed) of what (n, channels) samples carry under `cutoff_hz`, from Welch
    spectra of the samples resampled to _ANALYSIS_RATE, a piece of the clip at a time (bounded memory)."""
    total = 0.0
    rate = min(sample_rate, _ANALYSIS_RATE)
    piece_frames = _CHUNK_FRAMES * max(1, sample_rate // _ANALYSIS_RATE)
    for start in range(0, len(samples), piece_frames):
        piece = samples[start : start + piece_frames]
        low = soxr.resample(piece, sample_rate, rate) if sample_rate > rate else piece
        segment = min(len(low), _ANALYSIS_SEGMENT)
        if segment < 2:
            continue
        hz, density = welch(low, fs=rate, nperseg=segment, detrend=False, axis=0)
        total += float(density[hz < cutoff_hz].sum()) * (hz[1] - hz[0]) * len(piece)
    return total / len(samples)


def filter_rumble(samples: np.ndarray, sample_rate: int, cutoff_hz: float,
                  out: np.ndarray | None = None) -> tuple[np.ndarray, StepReport]:
    """Filter (n, channels) samples above `cutoff_hz` (into `out`, see zero_phase) when the band below holds
    more than a hundredth of their energy; otherwise return them as they are."""
    sos = butter(_ORDER, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    if len(samples) <= _edge(sos):  # the edges' extension needs this much signal
        return samples, StepReport("highpass", False, "clip too short to filter")
    below = _band_mean_square(samples, sample_rate, cutoff_hz)
    if below <= 0.0:
        return samples, StepReport("highpass", False, f"nothing below {cutoff_hz:.0f} Hz")
    share_db = 10.0 * math.log10(below / (float(np.einsum("fc,fc->", samples, samples)) / len(samples)))
    if share_db < ACT_ABOVE_SHARE_DB:
        return samples, StepReport("highpass", False,
                                   f"under {cutoff_hz:.0f} Hz {share_db:.0f} dB of the clip: nothing to filter")
    return zero_phase(sos, samples, out), StepReport(
        "highpass", True, f"high-pass at {cutoff_hz:.0f} Hz: rumble {share_db:.0f} dB of the clip")
