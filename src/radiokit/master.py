"""The programme streamed from its timeline, measured, given one gain and limited; then encoded and
measured again until every delivered file meets the loudness target."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from radiokit.audio_io import read_wav
from radiokit.encode import Output, encode_outputs
from radiokit.errors import BuildError
from radiokit.limiter import TruePeakLimiter
from radiokit.loudness import BlockLoudness, Loudness, energy_profile, measure_encoded, profile_frames, sub_block_frames
from radiokit.script import LoudnessTarget
from radiokit.timeline import Placed, duration_frames, stream
from radiokit.trial import codec_shift_lu

# Every delivered programme must measure within this of the target after encoding. Stations allow
# 0.2 LU; 0.15 leaves room for another meter's reading (ffmpeg rounds to 0.1) to agree.
LOUDNESS_TOLERANCE_LU = 0.15
MAX_ATTEMPTS = 4  # encodes of the programme, per format
# The limiter aims this far under the true-peak ceiling at first, for what MP3 encoding adds to peaks;
# if a file still overshoots, the next attempt lowers it by the overshoot plus a step.
CODEC_MARGIN_DB = 0.5
CODEC_MARGIN_STEP_DB = 0.1
# An earlier build's gain is kept when it still brings the programme this close to the target: the
# segment files it made are then the same to the bit, and an edit re-encodes only what it changed.
KEEP_GAIN_LU = 0.02


def measure_rendered(placed: Sequence[Placed], sample_rate: int) -> BlockLoudness:
    """The programme as rendered, before its gain: its loudness sets the gain, and its 100 ms blocks let
    the trial encode predict the codec's effect. Built from each segment's energy profile (made by the
    worker that rendered it, or here from its WAV), placed on the timeline: where segments crossfade,
    their energies add, each weighted by its fade. So it is not the meter's exact reading of the mixed
    programme (a build measures what it encoded anyway), but within a few thousandths of an LU of it
    (tests/test_trial.py), without reading an hour of audio again on one core."""
    step = profile_frames(sample_rate)
    block = sub_block_frames(sample_rate)
    sub_blocks = np.zeros(duration_frames(placed) // block + 1)
    for number, item in enumerate(placed):
        profile = np.load(item.profile) if item.profile else energy_profile(read_wav(item.wav), sample_rate)
        starts = np.arange(len(profile)) * step
        centres = starts + np.minimum(step, item.frames - starts) / 2
        weights = np.ones(len(profile))
        if item.crossfade_frames:  # fading in: equal power, sin squared
            weights *= np.where(centres < item.crossfade_frames,
                                np.sin(0.5 * np.pi * np.minimum(centres / item.crossfade_frames, 1.0)) ** 2, 1.0)
        following = placed[number + 1].crossfade_frames if number + 1 < len(placed) else 0
        if following:  # fading out under the next segment
            left = item.frames - centres
            weights *= np.where(left < following, np.sin(0.5 * np.pi * np.minimum(left / following, 1.0)) ** 2, 1.0)
        np.add.at(sub_blocks, ((item.start_frame + centres) // block).astype(np.int64), profile * weights)
    return BlockLoudness(sub_blocks[: duration_frames(placed) // block], sample_rate)


def programme_gain_db(integrated_lufs: float, target_lufs: float) -> float:
    """The one gain that brings the programme to its target integrated loudness (0 for silence)."""
    if not np.isfinite(integrated_lufs):
        return 0.0
    return target_lufs - integrated_lufs


def mastered(placed: Sequence[Placed], channels: int, gain_db: float,
             limiter: TruePeakLimiter) -> Iterator[np.ndarray]:
    """The programme with its gain applied and its true peaks limited, as float32 blocks."""
    for block in stream(placed, channels, 10 ** (gain_db / 20)):
        limited = limiter.process(block)
        if len(limited):
            yield limited.astype(np.float32, copy=False)
    tail = limiter.flush()
    if len(tail):
        yield tail.astype(np.float32, copy=False)


@dataclass(frozen=True)
class KeptGain:
    """What an earlier build of the same programme settled on, for the next build to keep if it can."""

    gain_db: float
    ceiling_dbtp: float
    codec_shift_lu: float  # what its encoded programme measured, less its rendered loudness and gain


class EncodeStore(Protocol):
    """Encoded files kept by the PCM they encode (its sha256, see encode.encode_outputs): what `deliver`
    needs of a cache, stated here and provided by reuse.KeptEncodes."""

    def restore(self, output: Output, fingerprint: str) -> Loudness | None:
        """Put a kept encode of this PCM at `output.path` and return its figures; None if none is kept."""

    def keep(self, output: Output, fingerprint: str, measured: Loudness) -> None:
        """Keep the file at `output.path`, untagged, with its figures."""


@dataclass(frozen=True)
class Delivered:
    """One format's programme and segment files as measured after encoding, and the settings used."""

    gain_db: float
    ceiling_dbtp: float
    programme_encodes: int
    limited_s: float  # how long the limiter was turning the programme down
    max_limiting_db: float
    measured: dict[Path, Loudness]
    kept_gain: KeptGain  # for the next build
    reused: int = 0  # segment files restored from an earlier build's encodes


def deliver(placed: Sequence[Placed], rendered: BlockLoudness, programme: Output, segments: Sequence[Output],
            target: LoudnessTarget, sample_rate: int, channels: int, bitrate_kbps: int, *,
            kept_gain: KeptGain | None = None, encodes: EncodeStore | None = None,
            workers: Executor | None = None) -> Delivered:
    """Master and encode one format; measure what was encoded; correct and encode again until it meets the target.

    Codecs move both figures: an MP3's low-pass takes away what K-weighting counts above it (more from bright
    material than from speech; docs/mastering.md), and its reconstruction filter can raise true peaks. So the gain
    from the `rendered` measurement is corrected by a trial encode (`codec_shift_lu`), the limiter
    starts with a margin under the ceiling, and only the figures of the decoded files count. The
    programme and its segment files are encoded in one pass (each encoder on its own core), and
    measured side by side (in `workers`, if given).

    An earlier build's `kept_gain` is kept, without a trial, where its codec shift puts the programme within
    KEEP_GAIN_LU of the target; the segment files whose PCM is then the same to the bit are restored from
    `encodes` rather than encoded, and those encoded are kept there.
    """
    if kept_gain is not None and abs(rendered.integrated_lufs + kept_gain.gain_db + kept_gain.codec_shift_lu
                                     - target.integrated_lufs) <= KEEP_GAIN_LU:
        gain_db, ceiling, keeping_gain = kept_gain.gain_db, kept_gain.ceiling_dbtp, True
    else:
        keeping_gain = False
        ceiling = target.true_peak_dbtp - CODEC_MARGIN_DB
        gain_db = programme_gain_db(rendered.integrated_lufs, target.integrated_lufs)
        scratch = programme.path.with_name(f".trial-{programme.path.name}")
        gain_db -= codec_shift_lu(placed, rendered, programme.fmt, gain_db, sample_rate, channels, bitrate_kbps,
                                  scratch)
    marked = [dataclasses.replace(output, fingerprint=encodes is not None and output.fmt != "wav")
              for output in segments]
    restored: dict[Path, Loudness] = {}  # segment files put in place from `encodes`, by the first pass only

    def restore(output: Output, fingerprint: str) -> bool:
        found = encodes.restore(output, fingerprint) if encodes else None
        if found is not None:
            restored[output.path] = found
        return found is not None
    tried: list[tuple[float, float]] = []  # (gain_db, measured LUFS) of each programme encode
    for attempt in range(1, MAX_ATTEMPTS + 1):
        restored.clear()
        limiter = TruePeakLimiter(sample_rate, channels, ceiling)
        prints = encode_outputs(mastered(placed, channels, gain_db, limiter), [programme, *marked], sample_rate,
                                channels, bitrate_kbps, restore if encodes and keeping_gain and attempt == 1 else None)
        fresh = [output for output in marked if output.path not in restored]
        measured = {**measure_outputs(programme, fresh, sample_rate, channels, workers), **restored}
        lufs = measured[programme.path].integrated_lufs
        if not np.isfinite(lufs):
            raise BuildError(f"{programme.path.name} is silent after encoding: check that the segments have audio")
        overshoot = max(m.true_peak_dbtp for m in measured.values()) - target.true_peak_dbtp
        if abs(target.integrated_lufs - lufs) <= LOUDNESS_TOLERANCE_LU and overshoot <= 0.0:
            if encodes:
                for output in fresh:
                    if output.path in prints:
                        encodes.keep(output, prints[output.path], measured[output.path])
            shift = lufs - rendered.integrated_lufs - gain_db
            return Delivered(gain_db, ceiling, attempt, limiter.attenuated_frames / sample_rate,
                             limiter.max_attenuation_db, measured, KeptGain(gain_db, ceiling, shift), len(restored))
        if abs(target.integrated_lufs - lufs) > LOUDNESS_TOLERANCE_LU:
            tried.append((gain_db, lufs))
            gain_db = _next_gain(tried, target.integrated_lufs)
        if overshoot > 0.0:
            ceiling -= overshoot + CODEC_MARGIN_STEP_DB
    raise BuildError(_failure(programme.path, measured, target))


def measure_outputs(programme: Output, segments: Sequence[Output], sample_rate: int, channels: int,
                    workers: Executor | None = None) -> dict[Path, Loudness]:
    """Decode and measure what one pass encoded, side by side: in `workers` (processes, which the meter's
    Python share does not hold back), else the programme on a thread and its segment files one after
    another on this one. One segment meter at a time: a meter keeps 3 s of running sums, and a programme
    may have hundreds of segments. Segment files leave out the maximum momentary and short-term loudness,
    which nothing reports for them."""
    with ThreadPoolExecutor(max_workers=1) if workers is None else nullcontext(workers) as pool:
        whole = pool.submit(measure_encoded, programme.path, sample_rate, channels)
        if workers is None:
            apart = {output.path: measure_encoded(output.path, sample_rate, channels, maxima=False)
                     for output in segments}
        else:
            pending = {output.path: workers.submit(measure_encoded, output.path, sample_rate, channels, maxima=False)
                       for output in segments}
            apart = {path: future.result() for path, future in pending.items()}
        return {programme.path: whole.result(), **apart}


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
