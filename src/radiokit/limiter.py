"""A look-ahead true-peak limiter: gain comes down only around peaks that would exceed the ceiling.

The attenuation each sample needs is read from 4x-oversampled peaks (as the meter reads true peak).
It is held, spread ahead of the peak by a triangular look-ahead ramp (so the gain is already down
when the peak arrives) and released linearly in dB. Where nothing exceeds the ceiling, the audio
passes unchanged: on programme material with headroom the limiter is a plain wire.
"""

from __future__ import annotations

import numpy as np

from radiokit.truepeak import across_channels, could_exceed, intersample_magnitudes

_INTERPOLATION_REACH = 8  # samples either side that an interpolated peak depends on
# The gain changes slowly, but it still reshapes the waveform between samples by a few thousandths
# of a dB; aiming this far under the ceiling keeps the result's true peak at or under it.
_SAFETY_DB = 0.05


class TruePeakLimiter:
    """Feed float blocks shaped (n, channels) to `process`; it returns limited frames, delayed.

    Every frame fed comes out once, in order: `process` returns what is ready and `flush` the rest,
    so the output has exactly the input's length. State is bounded: one chunk plus its context. Frames
    are kept in the precision they come in (float32 from a programme's stream: half the copying); where
    the gain comes down it is worked out in float64, and the frames it lowers come out in float64.
    """

    def __init__(self, sample_rate: int, channels: int, ceiling_dbtp: float, *, lookahead_ms: float = 2.0,
                 hold_ms: float = 20.0, release_db_per_s: float = 30.0, chunk_s: float = 1.0) -> None:
        self._ceiling = 10 ** ((ceiling_dbtp - _SAFETY_DB) / 20)
        # An even look-ahead makes both halves of the triangular ramp odd-sized, hence centred.
        self._lookahead = 2 * max(1, round(lookahead_ms * sample_rate / 2000))
        self._hold = max(self._lookahead, round(hold_ms * sample_rate / 1000))
        self._release_db_per_frame = release_db_per_s / sample_rate
        self._chunk = max(1, round(chunk_s * sample_rate))
        # Context each chunk needs: the hold and ramp behind it, the ramp ahead of it, plus interpolation.
        self._before = self._hold + self._lookahead + _INTERPOLATION_REACH
        self._after = 2 * self._lookahead + _INTERPOLATION_REACH
        self._buffer = np.zeros((self._before, channels), dtype=np.float32)  # silence before the programme
        self._released_db = 0.0  # attenuation on the last frame put out, for the release
        self.channels = channels
        self.attenuated_frames = 0
        self.max_attenuation_db = 0.0

    def process(self, block: np.ndarray) -> np.ndarray:
        self._buffer = np.concatenate((self._buffer, block))
        out = []
        while len(self._buffer) >= self._before + self._chunk + self._after:
            out.append(self._limit(self._chunk))
        if len(out) == 1:
            return out[0]
        return np.concatenate(out) if out else np.zeros((0, self.channels), dtype=self._buffer.dtype)

    def flush(self) -> np.ndarray:
        pending = len(self._buffer) - self._before
        if pending <= 0:
            return np.zeros((0, self.channels), dtype=self._buffer.dtype)
        self._buffer = np.concatenate((self._buffer, np.zeros((self._after, self.channels), self._buffer.dtype)))
        return self._limit(pending)

    def _limit(self, frames: int) -> np.ndarray:
        span = self._buffer[: self._before + frames + self._after]
        attenuation = self._attenuation_db(span)[self._before : self._before + frames]
        chunk = span[self._before : self._before + frames]
        self._buffer = self._buffer[frames:]
        if not attenuation.any() and self._released_db <= 0.0:
            return chunk
        steps = np.arange(frames) * self._release_db_per_frame
        released = np.maximum.accumulate(attenuation + steps) - steps
        released = np.maximum(released, self._released_db - steps - self._release_db_per_frame)
        released = np.maximum(released, 0.0)
        self._released_db = float(released[-1])
        self.attenuated_frames += int(np.count_nonzero(released > 0.0))
        self.max_attenuation_db = max(self.max_attenuation_db, float(released.max()))
        return chunk * (10.0 ** (-released / 20.0))[:, np.newaxis]

    def _attenuation_db(self, span: np.ndarray) -> np.ndarray:
        """Smoothed attenuation that is at least what every sample (and its neighbourhood) needs."""
        if not could_exceed(span, self._ceiling):
            return np.zeros(len(span))  # the usual case, with headroom: no per-sample peaks needed
        need = self._peaks(np.asarray(span, dtype=np.float64)) / self._ceiling
        if not (need > 1.0).any():
            return np.zeros(len(span))
        from scipy.ndimage import maximum_filter1d, uniform_filter1d  # on first use: see loudness._k_filter

        needed_db = 20.0 * np.log10(np.maximum(need, 1.0))
        size = self._hold + self._lookahead + 1
        # Window [n - hold, n + lookahead]: a peak is covered from one look-ahead before it to a hold after.
        held = maximum_filter1d(needed_db, size=size, origin=self._hold - size // 2)
        # Two centred boxes make a triangle spanning +-lookahead: ramps down ahead of the peak, and the
        # average of values that all cover the peak cannot fall below what the peak needs.
        ramp = self._lookahead // 2 + 1
        return uniform_filter1d(uniform_filter1d(held, size=ramp), size=ramp)

    def _peaks(self, span: np.ndarray) -> np.ndarray:
        """Each frame's largest magnitude, at the sample and halfway to either neighbour, over channels."""
        peaks = across_channels(np.maximum, np.abs(span))
        reach = _INTERPOLATION_REACH
        for channel in span.T:
            between = intersample_magnitudes(np.ascontiguousarray(channel), self._ceiling)
            peaks[reach - 1 : reach - 1 + len(between)] = np.maximum(peaks[reach - 1 : reach - 1 + len(between)],
                                                                      between)
            peaks[reach : reach + len(between)] = np.maximum(peaks[reach : reach + len(between)], between)
        return peaks
