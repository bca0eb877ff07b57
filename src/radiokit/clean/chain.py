"""The chain itself: high-pass, hum, noise, level and pauses in order, each only as the clip needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiokit.clean.denoise import reduce_noise
from radiokit.clean.highpass import filter_rumble
from radiokit.clean.hum import remove_hum
from radiokit.clean.leveler import level_speech
from radiokit.clean.levels import (floor_window_frames, noise_floor_dbfs, profile_block_loudness, speech_range_lu,
                                   tape_profile, window_mean_squares)
from radiokit.clean.pauses import shorten_pauses
from radiokit.clean.report import CleanupReport, StepReport
from radiokit.clean.settings import CleanupSettings
from radiokit.clean.tape import MemoryTape, Tape
from radiokit.errors import ArgumentError
from radiokit.loudness import ProfileMeter


@dataclass(frozen=True)
class Cleaned:
    samples: np.ndarray  # float32 (frames, channels), the input's rate and channel count
    report: CleanupReport
    profile: np.ndarray  # the samples' energy profile (loudness.energy_profile), which the chain measures anyway


@dataclass(frozen=True)
class CleanedTape:
    tape: Tape  # float32, the input's rate and channel count; the caller closes it
    report: CleanupReport
    profile: np.ndarray


def _off(name: str) -> StepReport:
    return StepReport(name, False, "off in the settings")


def clean(samples: np.ndarray, sample_rate: int, settings: CleanupSettings = CleanupSettings()) -> Cleaned:
    """Clean an interview clip: float (frames, channels) samples in [-1, 1], 1 or 2 channels, at any rate.

    Returns float32 samples at the same rate and channel count, time-aligned with the input except where
    pauses were shortened (see CleanupReport.output_time). Every step is zero-phase or sample-aligned.
    """
    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        raise ArgumentError(f"expected samples shaped (frames, 1 or 2 channels), got {samples.shape}")
    # The chain's own copy, which its steps change in place.
    cleaned = clean_tape(MemoryTape(np.array(samples, dtype=np.float64)), sample_rate, settings)
    assert isinstance(cleaned.tape, MemoryTape)
    return Cleaned(cleaned.tape.samples, cleaned.report, cleaned.profile)


def clean_tape(tape: Tape, sample_rate: int, settings: CleanupSettings = CleanupSettings()) -> CleanedTape:
    """`clean` on a tape, which the chain takes over: it writes into it and closes it. A clip on a FileTape
    is cleaned a piece at a time, in memory that does not grow with it; the figures are those of cleaning
    it whole, to within float32's rounding."""
    try:
        if tape.channels == 2 and _dual_mono(tape):
            # Dual mono (one signal on both channels) is cleaned once: half the work, the same result.
            mono = tape.blank(tape.frames, 1)
            for start, stop in tape.pieces():
                mono.write(start, tape.read(start, stop)[:, :1])
            tape.close()
            once = _clean(mono, sample_rate, settings)
            both = once.tape.blank(once.tape.frames, 2, np.float32)
            for start, stop in once.tape.pieces():
                both.write(start, np.repeat(once.tape.read(start, stop), 2, axis=1))
            once.tape.close()
            return CleanedTape(both, once.report, 2.0 * once.profile)
        return _clean(tape, sample_rate, settings)
    except BaseException:
        tape.close()
        raise


_DUAL_MONO_BLOCK = 1 << 16  # frames compared at a time: true stereo differs within the first


def _dual_mono(tape: Tape) -> bool:
    return all(np.array_equal(block[:, 0], block[:, 1]) for block in tape.blocks(_DUAL_MONO_BLOCK))


def _clean(audio: Tape, sample_rate: int, settings: CleanupSettings) -> CleanedTape:
    """The chain on `audio`, which it closes."""
    floor_before, profile = _measure(audio, sample_rate)
    # Block loudness, from an energy profile, is the chain's costliest measurement: it is taken again only
    # when a step changed the audio since (`stale`), and the last one is the cleaned clip's profile, which
    # leveling it needs.
    loudness = profile_block_loudness(profile, audio.frames, sample_rate)
    stale = False
    range_before = speech_range_lu(loudness)
    steps = []
    hum_hz = None
    spans: tuple[tuple[float, float], ...] = ()

    def replace(new: Tape) -> None:
        nonlocal audio
        if new is not audio:
            audio.close()
            audio = new
    step = filter_rumble(audio, sample_rate, settings.highpass_hz) if settings.highpass_hz else _off("highpass")
    steps.append(step)
    stale |= step.applied
    if settings.hum:
        new, step, hum_hz = remove_hum(audio, sample_rate)
        replace(new)
    else:
        step = _off("hum")
    steps.append(step)
    stale |= step.applied
    if settings.denoise:
        new, step = reduce_noise(audio, sample_rate)
        replace(new)
    else:
        step = _off("denoise")
    steps.append(step)
    stale |= step.applied
    if settings.level:
        if stale:
            profile = tape_profile(audio, sample_rate)
            loudness = profile_block_loudness(profile, audio.frames, sample_rate)
            stale = False
        step = level_speech(audio, sample_rate, loudness)
    else:
        step = _off("level")
    steps.append(step)
    stale |= step.applied
    if settings.pause_max_s is not None:
        new, step, spans = shorten_pauses(audio, sample_rate, settings.pause_max_s, settings.pause_to_s)
        replace(new)
    else:
        step = _off("pauses")
    steps.append(step)
    stale |= step.applied
    cleaned, floor_after, clipped, measured = _finish(audio, sample_rate, stale)
    audio.close()
    # Zero-phase filters can overshoot full scale by a hair where the input was clipped.
    if stale or clipped:
        profile = measured if measured is not None and not clipped else tape_profile(cleaned, sample_rate)
        loudness = profile_block_loudness(profile, cleaned.frames, sample_rate)
    report = CleanupReport(
        steps=tuple(steps),
        noise_floor_before_dbfs=floor_before,
        noise_floor_after_dbfs=noise_floor_dbfs(floor_after),
        hum_hz=hum_hz,
        speech_range_before_lu=range_before,
        speech_range_after_lu=speech_range_lu(loudness),
        removed_spans=spans,
    )
    return CleanedTape(cleaned, report, profile)


def _measure(tape: Tape, sample_rate: int) -> tuple[float, np.ndarray]:
    """The tape's noise floor and energy profile, in one reading."""
    window = floor_window_frames(sample_rate)
    meter = ProfileMeter(sample_rate, tape.channels)
    squares = []
    for block in tape.blocks(tape.piece_of(window)):
        meter.feed(block)
        squares.append(window_mean_squares(block, window))
    return noise_floor_dbfs(np.concatenate(squares or [np.empty(0)])), meter.result()


def _finish(audio: Tape, sample_rate: int, measure: bool) -> tuple[Tape, np.ndarray, bool, np.ndarray | None]:
    """The cleaned clip in float32 within full scale; the working audio's floor windows
    (levels.window_mean_squares), whether any sample had to be brought back to full scale, and (if asked)
    the float32 clip's energy profile, which holds unless a sample was brought back."""
    window = floor_window_frames(sample_rate)
    cleaned = audio.blank(audio.frames, audio.channels, np.float32)
    meter = ProfileMeter(sample_rate, audio.channels) if measure else None
    squares, clipped = [], False
    for start, stop in audio.pieces(audio.piece_of(window)):
        block = audio.read(start, stop)
        squares.append(window_mean_squares(block, window))
        block = block.astype(np.float32)
        if np.abs(block).max(initial=0.0) > 1.0:
            np.clip(block, -1.0, 1.0, out=block)
            clipped = True
        if meter is not None:
            meter.feed(block)
        cleaned.write(start, block)
    return cleaned, np.concatenate(squares or [np.empty(0)]), clipped, None if meter is None else meter.result()
