"""The true-peak limiter, measured: ceilings held, untouched where there is headroom, no pumping."""

from __future__ import annotations

import numpy as np
import pytest

from radiokit.limiter import TruePeakLimiter
from radiokit.loudness import measure
from tests.signals import amplitude, sine

RATE = 48000


def limit(signal: np.ndarray, ceiling_dbtp: float, block: int = 10_000, rate: int = RATE) -> np.ndarray:
    limiter = TruePeakLimiter(rate, signal.shape[1], ceiling_dbtp)
    parts = [limiter.process(signal[start : start + block]) for start in range(0, len(signal), block)]
    return np.concatenate([*parts, limiter.flush()])


def speech_like(seconds: float, rate: int = RATE, seed: int = 7) -> np.ndarray:
    """Noise shaped into syllables (4 per second) with a low-pass tilt: peaky like speech."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    noise = np.cumsum(rng.standard_normal(n)) * 0.02
    noise -= np.convolve(noise, np.ones(200) / 200, mode="same")  # remove the random walk's drift
    envelope = np.clip(np.sin(2 * np.pi * 2.0 * np.arange(n) / rate), 0.0, None) ** 2
    mono = noise * envelope
    return np.stack([mono, 0.8 * mono], axis=1)


def test_audio_with_headroom_passes_unchanged() -> None:
    signal = sine(-6.0, 3.0, RATE)
    np.testing.assert_array_equal(limit(signal, -1.0), signal)


@pytest.mark.parametrize("block", [1, 777, 48000, 500_000])
def test_output_has_the_input_length_whatever_the_blocks(block: int) -> None:
    signal = speech_like(2.0) * amplitude(12.0)
    whole = limit(signal, -1.0, block=len(signal))
    assert len(whole) == len(signal)
    np.testing.assert_allclose(limit(signal, -1.0, block=block), whole, atol=1e-12)


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("ceiling_dbtp", [-1.0, -2.0])
@pytest.mark.parametrize("kind", ["speech", "noise"])
def test_true_peak_ends_at_or_under_the_ceiling(rate: int, ceiling_dbtp: float, kind: str) -> None:
    if kind == "speech":
        signal = speech_like(6.0, rate) * amplitude(18.0)
    else:  # dense, full-band and far over: the hardest case for a gain that varies from sample to sample
        signal = np.random.default_rng(3).standard_normal((rate * 3, 2))
    assert measure(signal, rate).true_peak_dbtp > ceiling_dbtp + 6.0
    limited = limit(signal, ceiling_dbtp, rate=rate)
    assert measure(limited, rate).true_peak_dbtp <= ceiling_dbtp


def test_intersample_peaks_are_caught() -> None:
    """A fs/4 sine at 45 degrees: samples at 0.707 of the waveform's true peak (Tech 3341 test 16)."""
    signal = sine(0.0, 2.0, RATE, frequency_hz=RATE / 4, phase_deg=45.0)
    assert np.abs(signal).max() < amplitude(-2.9)  # the samples alone look 3 dB under full scale
    limited = limit(signal, -4.0)
    assert measure(limited, RATE).true_peak_dbtp <= -4.0
    assert measure(limited, RATE).true_peak_dbtp > -4.2  # brought to the ceiling, not far under it


def test_a_single_peak_leaves_the_rest_untouched() -> None:
    signal = sine(-12.0, 4.0, RATE, frequency_hz=440.0)
    click = RATE * 2
    signal[click : click + 48] += 0.9  # a 1 ms click
    limited = limit(signal, -1.0)
    gain = np.abs(limited[:, 0]) / np.maximum(np.abs(signal[:, 0]), 1e-9)
    loud = np.abs(signal[:, 0]) > 0.05
    touched = np.nonzero(loud & (np.abs(gain - 1.0) > 1e-9))[0]
    assert measure(limited, RATE).true_peak_dbtp <= -1.0
    # Gain comes down at most a few ms ahead of the click and is back within about half a second.
    assert touched.min() >= click - round(0.005 * RATE)
    assert touched.max() <= click + round(0.6 * RATE)
    np.testing.assert_array_equal(limited[: click - RATE // 10], signal[: click - RATE // 10])
    np.testing.assert_array_equal(limited[click + RATE:], signal[click + RATE:])


def test_steady_tone_over_the_ceiling_gets_a_steady_gain() -> None:
    """No pumping: a sustained tone 3 dB too hot is turned down by a constant 3 dB, not modulated."""
    signal = sine(2.0, 4.0, RATE, frequency_hz=100.0)
    limited = limit(signal, -1.0)
    settled = limited[RATE // 2 :, 0]
    windows = settled[: len(settled) // 2400 * 2400].reshape(-1, 2400)  # 50 ms windows
    levels_db = 20 * np.log10(np.sqrt(np.square(windows).mean(axis=1)))
    assert levels_db.max() - levels_db.min() < 0.05
    assert measure(limited, RATE).true_peak_dbtp == pytest.approx(-1.0, abs=0.1)


def test_speech_loudness_barely_moves_when_only_peaks_are_limited() -> None:
    signal = speech_like(10.0) * amplitude(6.0)
    before = measure(signal, RATE)
    ceiling = before.true_peak_dbtp - 2.0
    after = measure(limit(signal, ceiling), RATE)
    assert after.true_peak_dbtp <= ceiling
    assert before.integrated_lufs - after.integrated_lufs < 1.0
