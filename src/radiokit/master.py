"""The programme streamed from its timeline, measured, given one gain and limited; then encoded and
measured again until every delivered file meets the loudness target."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from radiokit.audio_io import probe, stream_float
from radiokit.encode import Output, encode_outputs
from radiokit.errors import AudioInputError, BuildError, InputError
from radiokit.limiter import TruePeakLimiter
from radiokit.loudness import Loudness, LoudnessMeter
from radiokit.script import LoudnessTarget
from radiokit.timeline import Placed, stream

# Every delivered programme must measure within this of the target after encoding. Stations allow
# 0.2 LU; 0.15 leaves room for another meter's reading (ffmpeg rounds to 0.1) to agree.
LOUDNESS_TOLERANCE_LU = 0.15
MAX_ATTEMPTS = 4  # encodes of the programme, per format
# The limiter aims this far under the true-peak ceiling at first, for what MP3 encoding adds to peaks;
# if a file still overshoots, the next attempt lowers it by the overshoot plus a step.
CODEC_MARGIN_DB = 0.5
CODEC_MARGIN_STEP_DB = 0.1


def measure_stream(blocks: Iterator[np.ndarray], sample_rate: int, channels: int, *,
                   true_peak: bool = True) -> Loudness:
    meter = LoudnessMeter(sample_rate, channels, true_peak=true_peak)
    for block in blocks:
        meter.feed(block)
    return meter.result()


def programme_gain_db(measured: Loudness, target_lufs: float) -> float:
    """The one gain that brings the programme to its target integrated loudness (0 for silence)."""
    if not np.isfinite(measured.integrated_lufs):
        return 0.0
    return target_lufs - measured.integrated_lufs


def mastered(placed: Sequence[Placed], channels: int, gain_db: float,
             limiter: TruePeakLimiter) -> Iterator[np.ndarray]:
    """The programme with its gain applied and its true peaks limited, as float32 blocks."""
    for block in stream(placed, channels, 10 ** (gain_db / 20)):
        limited = limiter.process(block)
        if len(limited):
            yield limited.astype(np.float32)
    tail = limiter.flush()
    if len(tail):
        yield tail.astype(np.float32)


def measure_file(path: Path, sample_rate: int, channels: int) -> Loudness:
    """Decode an encoded file to its end and measure it."""
    return measure_stream(stream_float(path, sample_rate, channels), sample_rate, channels)


def measure_audio(path: Path) -> Loudness:
    """Any audio file, measured at its own rate and channel count (mono or stereo)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    info = probe(path, str(path))
    if info.channels > 2:
        raise AudioInputError(f"{path}: {info.channels} channels: radiokit measures mono and stereo files; "
                              "downmix it first")
    # The meter needs 100 ms to be a whole number of samples; other rates are measured resampled.
    rate = info.sample_rate if info.sample_rate >= 8000 and info.sample_rate % 10 == 0 else 48000
    return measure_file(path, rate, info.channels)


@dataclass(frozen=True)
class Delivered:
    """One format's programme and segment files as measured after encoding, and the settings used."""

    gain_db: float
    ceiling_dbtp: float
    programme_encodes: int
    limited_s: float  # how long the limiter was turning the programme down
    max_limiting_db: float
    measured: dict[Path, Loudness]


def deliver(placed: Sequence[Placed], programme: Output, segments: Sequence[Output], target: LoudnessTarget,
            gain_db: float, sample_rate: int, channels: int, bitrate_kbps: int) -> Delivered:
    """Master and encode one format; measure what was encoded; correct and encode again until it meets the target.

    Codecs move both figures: an MP3's low-pass takes away what K-weighting counts above it (a few
    tenths of a LU on bright music), and its reconstruction filter can raise true peaks, so each
    format gets its own gain, the limiter starts with a margin under the ceiling, and only the
    figures of the decoded files count. The programme and its segment files are encoded in one pass
    (each encoder on its own core); the segment files are measured once the programme passes.
    """
    ceiling = target.true_peak_dbtp - CODEC_MARGIN_DB
    tried: list[tuple[float, float]] = []  # (gain_db, measured LUFS) of each programme encode
    for attempt in range(1, MAX_ATTEMPTS + 1):
        limiter = TruePeakLimiter(sample_rate, channels, ceiling)
        encode_outputs(mastered(placed, channels, gain_db, limiter), [programme, *segments], sample_rate, channels,
                       bitrate_kbps)
        measured = {programme.path: measure_file(programme.path, sample_rate, channels)}
        lufs = measured[programme.path].integrated_lufs
        if not np.isfinite(lufs):
            raise BuildError(f"{programme.path.name} is silent after encoding: check that the segments have audio")
        overshoot = measured[programme.path].true_peak_dbtp - target.true_peak_dbtp
        if abs(target.integrated_lufs - lufs) <= LOUDNESS_TOLERANCE_LU and overshoot <= 0.0:
            measured.update(measure_files([output.path for output in segments], sample_rate, channels))
            overshoot = max(m.true_peak_dbtp for m in measured.values()) - target.true_peak_dbtp
            if overshoot <= 0.0:
                return Delivered(gain_db, ceiling, attempt, limiter.attenuated_frames / sample_rate,
                                 limiter.max_attenuation_db, measured)
        else:
            tried.append((gain_db, lufs))
            gain_db = _next_gain(tried, target.integrated_lufs)
        if overshoot > 0.0:
            ceiling -= overshoot + CODEC_MARGIN_STEP_DB
    raise BuildError(_failure(programme.path, measured, target))


def measure_files(paths: Sequence[Path], sample_rate: int, channels: int) -> dict[Path, Loudness]:
    """Decode and measure files side by side: ffmpeg decodes in its own process and the meter's
    filters release the GIL, so threads use every core."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(paths, pool.map(lambda path: measure_file(path, sample_rate, channels), paths)))


def _next_gain(tried: list[tuple[float, float]], target_lufs: float) -> float:
    """The next gain to try: the measured slope of loudness against gain (a secant), which the limiter
    makes shallower than 1 dB per dB; 1 until two tries give a slope."""
    gain_db, lufs = tried[-1]
    slope = 1.0
    if len(tried) > 1 and tried[-2][0] != gain_db:
        slope = float(np.clip((lufs - tried[-2][1]) / (gain_db - tried[-2][0]), 0.25, 1.5))
    return gain_db + (target_lufs - lufs) / slope


def _failure(programme: Path, measured: dict[Path, Loudness], target: LoudnessTarget) -> str:
    problems = [f"{path.name} measures {m.integrated_lufs:.1f} LUFS and {m.true_peak_dbtp:.1f} dBTP"
                for path, m in measured.items() if path == programme or m.true_peak_dbtp > target.true_peak_dbtp]
    return (f"after {MAX_ATTEMPTS} encodes, {'; '.join(problems)}; the target is {target.integrated_lufs:.1f} LUFS "
            f"(+-{LOUDNESS_TOLERANCE_LU} LU) at or under {target.true_peak_dbtp:.1f} dBTP: the programme may be too "
            "dense for this codec; try a higher bitrate_kbps or a quieter profile")
