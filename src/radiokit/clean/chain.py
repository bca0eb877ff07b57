"""The chain itself: high-pass, hum, noise, level and pauses in order, each only as the clip needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiokit.clean.denoise import reduce_noise
from radiokit.clean.highpass import filter_rumble
from radiokit.clean.hum import remove_hum
from radiokit.clean.leveler import level_speech
from radiokit.clean.levels import noise_floor_dbfs, profile_block_loudness, speech_range_lu
from radiokit.clean.pauses import shorten_pauses
from radiokit.clean.report import CleanupReport, StepReport
from radiokit.clean.settings import CleanupSettings
from radiokit.errors import ArgumentError
from radiokit.loudness import energy_profile


@dataclass(frozen=True)
class Cleaned:
    samples: np.ndarray  # float32 (frames, channels), the input's rate and channel count
    report: CleanupReport
    profile: np.ndarray  # the samples' energy profile (loudness.energy_profile), which the chain measures anyway


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
        return Cleaned(samples=np.repeat(once.samples, 2, axis=1), report=once.report, profile=2.0 * once.profile)
    audio = np.array(samples, dtype=np.float64)  # the chain's own copy, which the high-pass and leveler change in place
    floor_before = noise_floor_dbfs(audio, sample_rate)
    # Block loudness, from an energy profile, is the chain's costliest measurement: it is taken again only
    # when a step changed the audio since (`stale`), and the last one is the cleaned clip's profile, which
    # leveling it needs.
    profile = energy_profile(audio, sample_rate)
    loudness = profile_block_loudness(profile, len(audio), sample_rate)
    stale = False
    range_before = speech_range_lu(loudness)
    steps = []
    hum_hz = None
    spans: tuple[tuple[float, float], ...] = ()
    if settings.highpass_hz:
        audio, step = filter_rumble(audio, sample_rate, settings.highpass_hz, out=audio)
    else:
        step = _off("highpass")
    steps.append(step)
    stale |= step.applied
    if settings.hum:
        audio, step, hum_hz = remove_hum(audio, sample_rate)
    else:
        step = _off("hum")
    steps.append(step)
    stale |= step.applied
    if settings.denoise:
        audio, step = reduce_noise(audio, sample_rate)
    else:
        step = _off("denoise")
    steps.append(step)
    stale |= step.applied
    if settings.level:
        if stale:
            profile = energy_profile(audio, sample_rate)
            loudness = profile_block_loudness(profile, len(audio), sample_rate)
            stale = False
        audio, step = level_speech(audio, sample_rate, loudness, out=audio)
    else:
        step = _off("level")
    steps.append(step)
    stale |= step.applied
    if settings.pause_max_s is not None:
        audio, step, spans = shorten_pauses(audio, sample_rate, settings.pause_max_s, settings.pause_to_s)
    else:
        step = _off("pauses")
    steps.append(step)
    stale |= step.applied
    cleaned = audio.astype(np.float32)
    # Zero-phase filters can overshoot full scale by a hair where the input was clipped.
    if stale or np.abs(cleaned).max(initial=0.0) > 1.0:
        np.clip(cleaned, -1.0, 1.0, out=cleaned)
        profile = energy_profile(cleaned, sample_rate)
        loudness = profile_block_loudness(profile, len(cleaned), sample_rate)
    report = CleanupReport(
        steps=tuple(steps),
        noise_floor_before_dbfs=floor_before,
        noise_floor_after_dbfs=noise_floor_dbfs(audio, sample_rate),
        hum_hz=hum_hz,
        speech_range_before_lu=range_before,
        speech_range_after_lu=speech_range_lu(loudness),
        removed_spans=spans,
    )
    return Cleaned(samples=cleaned, report=report, profile=profile)
