"""High-pass filter against rumble and handling noise, applied only where the band below the cutoff needs it."""

from __future__ import annotations

import math

import numpy as np
import soxr
from scipy.signal import butter, sosfilt, sosfilt_zi, welch

from radiokit.clean.report import StepReport
from radiokit.clean.tape import Tape

_ORDER = 4  # per pass; run forward and back: zero phase, 48 dB per octave, the voice's timing untouched
# A voice puts under a hundredth of its energy below 80 Hz (a low male voice at the ends of phrases); rumble,
# wind and handling noise put more.
ACT_ABOVE_SHARE_DB = -20.0
# The band under the cutoff is measured in the clip resampled to this rate (a twelfth of the work at 48 kHz),
# in Welch segments of 3.9 Hz bins, fine enough for an 80 Hz cutoff; the whole band's power is the
# full-rate signal's mean square.
_ANALYSIS_RATE = 4000
_ANALYSIS_SEGMENT = 1024


def _edge(sos: np.ndarray) -> int:
    return 3 * (2 * len(sos) + 1)


def zero_phase(sos: np.ndarray, source: Tape, out: Tape) -> Tape:
    """`source` (more than 3 * (2 * sections + 1) frames) filtered forwards and then backwards into `out`
    (which may be `source` itself), each pass started in the filter's steady state on an odd extension of
    the edges, as scipy's sosfiltfilt: the same figures, a piece at a time."""
    edge = _edge(sos)
    first = source.read(0, edge + 1)
    head = 2.0 * first[0] - first[edge:0:-1]
    last = source.read(source.frames - edge - 1, source.frames)
    tail = 2.0 * last[-1] - last[-2::-1]
    steady = sosfilt_zi(sos)[:, :, np.newaxis]  # per unit input, (sections, 2, 1): broadcast over channels
    _, state = sosfilt(sos, head, axis=0, zi=steady * head[0])
    for start, stop in source.pieces():
        filtered, state = sosfilt(sos, source.read(start, stop), axis=0, zi=state)
        out.write(start, filtered)
    after, state = sosfilt(sos, tail, axis=0, zi=state)
    _, state = sosfilt(sos, after[::-1], axis=0, zi=steady * after[-1])
    for start, stop in reversed(list(out.pieces())):
        backwards, state = sosfilt(sos, out.read(start, stop)[::-1], axis=0, zi=state)
        out.write(start, backwards[::-1])
    return out


def _band_mean_square(tape: Tape, sample_rate: int, cutoff_hz: float) -> tuple[float, float]:
    """The mean square (channels summed) of what the tape carries under `cutoff_hz`, from Welch spectra of
    it resampled to _ANALYSIS_RATE (a stream), each of piece_frames resampled frames; and its mean square
    in all."""
    rate = min(sample_rate, _ANALYSIS_RATE)
    resampler = soxr.ResampleStream(sample_rate, rate, tape.channels, dtype="float32") \
        if sample_rate > rate else None
    below = total = 0.0
    held: list[np.ndarray] = []
    analysed = 0
    for start, stop in tape.pieces():
        block = tape.read(start, stop)
        total += float(np.einsum("fc,fc->", block, block))
        held.append(resampler.resample_chunk(block.astype(np.float32), last=stop == tape.frames)
                    if resampler else block)
        if sum(map(len, held)) < tape.piece_frames and stop < tape.frames:
            continue
        low = np.concatenate(held)
        held = []
        segment = min(len(low), _ANALYSIS_SEGMENT)
        if segment >= 2:
            hz, density = welch(low, fs=rate, nperseg=segment, detrend=False, axis=0)
            below += float(density[hz < cutoff_hz].sum()) * (hz[1] - hz[0]) * len(low)
            analysed += len(low)
    return below / max(analysed, 1), total / tape.frames


def filter_rumble(tape: Tape, sample_rate: int, cutoff_hz: float) -> StepReport:
    """Filter the tape, in place, above `cutoff_hz` when the band below holds more than a hundredth of its
    energy; otherwise leave it as it is."""
    sos = butter(_ORDER, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    if tape.frames <= _edge(sos):  # the edges' extension needs this much signal
        return StepReport("highpass", False, "clip too short to filter")
    below, total = _band_mean_square(tape, sample_rate, cutoff_hz)
    if below <= 0.0:
        return StepReport("highpass", False, f"nothing below {cutoff_hz:.0f} Hz")
    share_db = 10.0 * math.log10(below / total)
    if share_db < ACT_ABOVE_SHARE_DB:
        return StepReport("highpass", False, f"under {cutoff_hz:.0f} Hz {share_db:.0f} dB of the clip: nothing to filter")
    zero_phase(sos, tape, tape)
    return StepReport("highpass", True, f"high-pass at {cutoff_hz:.0f} Hz: rumble {share_db:.0f} dB of the clip")
