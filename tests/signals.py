"""Test signals built from the EBU Tech 3341/3342 definitions, shaped (n, channels) in [-1, 1]."""

from __future__ import annotations

import numpy as np
from scipy.signal import firwin

TONE_HZ = 1000.0


def amplitude(peak_dbfs: float) -> float:
    return 10.0 ** (peak_dbfs / 20.0)


def frames(duration_s: float, rate: int) -> int:
    return round(duration_s * rate)


def in_phase(mono: np.ndarray, channels: int) -> np.ndarray:
    """The same signal on every channel."""
    return np.repeat(mono[:, np.newaxis], channels, axis=1)


def sine(
    peak_dbfs: float,
    duration_s: float,
    rate: int,
    *,
    frequency_hz: float = TONE_HZ,
    phase_deg: float = 0.0,
    channels: int = 2,
) -> np.ndarray:
    """A sine at `peak_dbfs` per channel, in phase on all channels."""
    t = np.arange(frames(duration_s, rate)) / rate
    return in_phase(amplitude(peak_dbfs) * np.sin(2 * np.pi * frequency_hz * t + np.radians(phase_deg)), channels)


def tones(segments: list[tuple[float, float | None]], rate: int, *, channels: int = 2) -> np.ndarray:
    """Consecutive 1 kHz segments of (duration_s, peak_dbfs), None meaning digital silence.

    The tone's phase runs on across segments, as in a generator whose level is switched.
    """
    levels = [
        np.full(frames(duration_s, rate), 0.0 if peak_dbfs is None else amplitude(peak_dbfs))
        for duration_s, peak_dbfs in segments
    ]
    gain = np.concatenate(levels)
    return in_phase(gain * np.sin(2 * np.pi * TONE_HZ * np.arange(len(gain)) / rate), channels)


def faded(signal: np.ndarray, fade_s: float, rate: int) -> np.ndarray:
    """`signal` with linear fade-in and fade-out."""
    n = frames(fade_s, rate)
    ramp = np.linspace(0.0, 1.0, n, endpoint=False)
    gain = np.ones(len(signal))
    gain[:n] = ramp
    gain[-n:] = ramp[::-1]
    return signal * gain[:, np.newaxis]


def true_peak_tone(
    rate: int, frequency_ratio: float, amplitude_ffs: float, phase_deg: float, duration_s: float = 0.5
) -> np.ndarray:
    """Tech 3341 tests 15-19: a stereo sine at rate/frequency_ratio tapered by 10 ms fades."""
    t = np.arange(frames(duration_s, rate))
    tone = amplitude_ffs * np.sin(2 * np.pi * t / frequency_ratio + np.radians(phase_deg))
    return faded(in_phase(tone, 2), 0.01, rate)


def single_period_burst(rate: int, offset: int) -> np.ndarray:
    """Tech 3341 tests 20-23, synthesised at 4x rate then low-passed and decimated from `offset`.

    A 0.5 FFS sine at rate/6 carries one period of a 1.0 FFS sine at rate/4 after about 1.51 s;
    both switch at zero crossings, so the phase is continuous on both sides.
    """
    before = np.tile(0.5 * np.sin(2 * np.pi * np.arange(24) / 24), round(1.51 * rate / 6))
    burst = np.sin(2 * np.pi * np.arange(16) / 16)
    after = np.tile(0.5 * np.sin(2 * np.pi * np.arange(24) / 24), round(1.69 * rate / 6))
    oversampled = np.concatenate((before, burst, after))
    # A linear-phase anti-alias filter, applied centred so that nothing shifts in time.
    lowpass = firwin(511, 0.45 * rate, fs=4 * rate, window=("kaiser", 9.0))
    filtered = np.convolve(oversampled, lowpass, mode="same")
    return faded(in_phase(filtered[offset::4], 2), 0.01, rate)


def programme(rate: int, duration_s: float, *, channels: int = 2, seed: int = 0) -> np.ndarray:
    """Speech-like programme: pink-ish noise in syllable-rate bursts of varying level, with pauses."""
    rng = np.random.default_rng(seed)
    n = frames(duration_s, rate)
    spectrum = np.fft.rfft(rng.standard_normal((channels, n)), axis=1)
    frequency_hz = np.fft.rfftfreq(n, 1 / rate)
    pink = np.fft.irfft(spectrum / np.sqrt(np.maximum(frequency_hz, 50.0)), n, axis=1).T
    t = np.arange(n) / rate
    syllables = np.abs(np.sin(2 * np.pi * 2.5 * t)) ** 2  # about five syllables per second
    phrase_s = 2.0
    phrase_gain_db = rng.uniform(-12.0, 0.0, int(np.ceil(duration_s / phrase_s)))
    phrase_gain_db[rng.random(len(phrase_gain_db)) < 0.25] = -np.inf  # pauses
    phrases = 10.0 ** (phrase_gain_db[(t // phrase_s).astype(int)] / 20.0)
    shaped = pink * (syllables * phrases)[:, np.newaxis]
    return 0.5 * shaped / np.abs(shaped).max()
