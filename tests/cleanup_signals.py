"""Interview-like material for the cleanup tests: espeak speech, pink noise, mains hum, rumble, and SI-SDR."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import soxr

from radiokit.tts.espeak import synthesize

SENTENCES = (
    "Я уехал в Москву в две тысячи восьмом году и работал там на стройке.",
    "Потом я стал водителем, а деньги каждый месяц отправлял семье в Душанбе.",
    "Сейчас я вернулся домой, но многие мои друзья всё ещё работают в России.",
)
SPEECH_PEAK = 0.5


@lru_cache(maxsize=None)
def _spoken(text: str, voice: str, rate: int) -> np.ndarray:
    speech = synthesize(text, voice)
    return soxr.resample(speech.samples.astype(np.float64) / 32768.0, speech.sample_rate, rate)


def speech(rate: int, sentences: tuple[str, ...] = SENTENCES, voice: str = "ru", pause_s: float = 0.7,
           edge_s: float = 0.5) -> np.ndarray:
    """Mono espeak speech peaking at SPEECH_PEAK: sentences apart by `pause_s` of digital silence, `edge_s`
    of it before and after."""
    gap = np.zeros(round(pause_s * rate))
    parts = [np.zeros(round(edge_s * rate))]
    for index, text in enumerate(sentences):
        parts += [gap] if index else []
        parts.append(_spoken(text, voice, rate))
    parts.append(np.zeros(round(edge_s * rate)))
    joined = np.concatenate(parts)
    return SPEECH_PEAK * joined / np.abs(joined).max()


def pink_noise(frames: int, rate: int, seed: int) -> np.ndarray:
    """Unit-RMS noise with a 1/f power spectrum from 20 Hz up (nothing below)."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(frames))
    hz = np.fft.rfftfreq(frames, 1.0 / rate)
    shaped = np.fft.irfft(np.where(hz >= 20.0, spectrum / np.sqrt(np.maximum(hz, 20.0)), 0.0), frames)
    return shaped / np.sqrt(np.mean(np.square(shaped)))


def at_snr(reference: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`noise` scaled so that the whole reference's power over the noise's is `snr_db`."""
    return noise * np.sqrt(np.mean(np.square(reference)) / np.mean(np.square(noise)) / 10.0 ** (snr_db / 10.0))


def sines(frames: int, rate: int, lines: dict[float, float], seed: int = 0) -> np.ndarray:
    """A sum of sines {hz: peak dBFS} at random phases."""
    t = np.arange(frames) / rate
    phases = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, len(lines))
    return sum(10.0 ** (dbfs / 20.0) * np.sin(2.0 * np.pi * hz * t + phase)
               for (hz, dbfs), phase in zip(lines.items(), phases))


def hum(frames: int, rate: int, mains_hz: float, dbfs: float = -25.0) -> np.ndarray:
    """Mains hum: the fundamental and two harmonics, each at `dbfs`, the supply 0.1 % off nominal."""
    return sines(frames, rate, {mains_hz * 1.001 * k: dbfs for k in (1, 2, 3)}, seed=int(mains_hz))


def line_level_dbfs(signal: np.ndarray, rate: int, hz: float) -> float:
    """Peak level of the sine at exactly `hz` in a mono signal, by least squares over the whole signal."""
    t = np.arange(len(signal)) / rate
    basis = np.stack((np.sin(2.0 * np.pi * hz * t), np.cos(2.0 * np.pi * hz * t)), axis=1)
    coefficients, *_ = np.linalg.lstsq(basis, signal, rcond=None)
    return float(20.0 * np.log10(np.hypot(*coefficients)))


def si_sdr_db(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio of a mono estimate against its reference (inf if exact)."""
    scale = np.dot(estimate, reference) / np.dot(reference, reference)
    target = scale * reference
    error = float(np.dot(estimate - target, estimate - target))
    return float(10.0 * np.log10(np.dot(target, target) / error)) if error > 0.0 else math.inf


def stereo(mono: np.ndarray) -> np.ndarray:
    return np.repeat(mono[:, np.newaxis], 2, axis=1)


def white_noise(frames: int, seed: int) -> np.ndarray:
    """Unit-RMS white noise."""
    return np.random.default_rng(seed).standard_normal(frames)


def sentence_onsets(voice: np.ndarray, rate: int) -> list[float]:
    """Where each sentence starts: the first sample after over a second of digital silence (or the first)."""
    sounding = np.flatnonzero(voice)
    starts = [sounding[0]] + [later for earlier, later in zip(sounding[:-1], sounding[1:]) if later - earlier > rate]
    return [float(start) / rate for start in starts]
