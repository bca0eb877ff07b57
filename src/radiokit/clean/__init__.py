"""The cleanup chain for interview clips: high-pass, hum, noise, level and pauses, each only as the clip needs."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from radiokit.clean.denoise import reduce_noise
from radiokit.errors import ArgumentError
from radiokit.clean.highpass import filter_rumble
from radiokit.clean.hum import remove_hum
from radiokit.clean.leveler import level_speech
from radiokit.clean.levels import noise_floor_dbfs, speech_range_lu
from radiokit.clean.pauses import shorten_pauses
from radiokit.clean.report import CleanupReport, StepReport

__all__ = ["RANGES", "Cleaned", "CleanupReport", "CleanupSettings", "StepReport", "clean"]

# Allowed values of the numeric settings, for the script parser and the JSON schema (highpass_hz 0 is off).
RANGES: dict[str, tuple[float, float]] = {
    "highpass_hz": (0.0, 200.0),
    "pause_max_s": (0.5, 10.0),
    "pause_to_s": (0.1, 5.0),
}


@dataclass(frozen=True)
class CleanupSettings:
    """What the chain may do; each step still measures the clip and acts only where it needs to.
    A script's `cleanup:` keys map one to one onto these fields."""

    highpass_hz: float = 80.0  # 0 turns the high-pass off
    hum: bool = True
    denoise: bool = True
    level: bool = True
    pause_max_s: float | None = None  # None: pauses kept as recorded
    pause_to_s: float = 0.7  # what a pause longer than pause_max_s is cut to; under pause_max_s

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in RANGES and value is not None and not (field.name == "highpass_hz" and value == 0):
                low, high = RANGES[field.name]
                if not low <= value <= high:
                    raise ArgumentError(f"cleanup {field.name} must be from {low:g} to {high:g}, not {value:g}")
        if self.pause_max_s is not None and self.pause_to_s >= self.pause_max_s:
            raise ArgumentError(f"cleanup pause_to_s ({self.pause_to_s:g}) must be under "
                             f"pause_max_s ({self.pause_max_s:g})")


@dataclass(frozen=True)
class Cleaned:
    samples: np.ndarray  # float32 (frames, channels), the input's rate and channel count
    report: CleanupReport


def _off(name: str) -> StepReport:
    return StepReport(name, False, "off in the settings")


def clean(samples: np.ndarray, sample_rate: int, settings: CleanupSettings = CleanupSettings()) -> Cleaned:
    """Clean an interview clip: float (frames, channels) samples in [-1, 1], 1 or 2 channels, at any rate.

    Returns float32 samples at the same rate and channel count, time-aligned with the input except where
    pauses were shortened (see CleanupReport.output_time). Every step is zero-phase or sample-aligned.
    """
    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        raise ArgumentError(f"expected samples shaped (frames, 1 or 2 channels), got {samples.shape}")
    if samples.shape[1] == 2 and np.array_equal(samples[:, 0], samples[:, 1]):
        # Dual mono (one signal on both channels) is cleaned once: half the work, the same result.
        once = clean(samples[:, :1], sample_rate, settings)
        return Cleaned(samples=np.repeat(once.samples, 2, axis=1), report=once.report)
    audio = np.asarray(samples, dtype=np.float64)
    floor_before = noise_floor_dbfs(audio, sample_rate)
    range_before = speech_range_lu(audio, sample_rate)
    steps = []
    hum_hz = None
    spans: tuple[tuple[float, float], ...] = ()
    if settings.highpass_hz:
        audio, step = filter_rumble(audio, sample_rate, settings.highpass_hz)
    else:
        step = _off("highpass")
    steps.append(step)
    if settings.hum:
        audio, step, hum_hz = remove_hum(audio, sample_rate)
    else:
        step = _off("hum")
    steps.append(step)
    if settings.denoise:
        audio, step = reduce_noise(audio, sample_rate)
    else:
        step = _off("denoise")
    steps.append(step)
    if settings.level:
        audio, step = level_speech(audio, sample_rate)
    else:
        step = _off("level")
    steps.append(step)
    if settings.pause_max_s is not None:
        audio, step, spans = shorten_pauses(audio, sample_rate, settings.pause_max_s, settings.pause_to_s)
    else:
        step = _off("pauses")
    steps.append(step)
    report = CleanupReport(
        steps=tuple(steps),
        noise_floor_before_dbfs=floor_before,
        noise_floor_after_dbfs=noise_floor_dbfs(audio, sample_rate),
        hum_hz=hum_hz,
        speech_range_before_lu=range_before,
        speech_range_after_lu=speech_range_lu(audio, sample_rate),
        removed_spans=spans,
    )
    cleaned = audio.astype(np.float32)
    # Zero-phase filters can overshoot full scale by a hair where the input was clipped.
    return Cleaned(samples=np.clip(cleaned, -1.0, 1.0, out=cleaned), report=report)
