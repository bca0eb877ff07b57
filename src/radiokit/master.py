"""The programme streamed from its timeline, measured, given one gain and limited; then encoded and
measured again until every delivered file meets the loudness target."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence

import numpy as np

from radiokit.audio_io import probe, read_ahead, read_wav, stream_encoded, stream_float
from radiokit.encode import Output, encode_outputs, open_encoder
from radiokit.errors import AudioInputError, BuildError, InputError
from radiokit.limiter import TruePeakLimiter
from radiokit.loudness import BlockLoudness, Loudness, LoudnessMeter, RangeEnergies, energy_profile, profile_frames, sub_block_frames
from radiokit.script import LoudnessTarget
from radiokit.timeline import Placed, duration_frames, equal_power_fade_in, excerpt_spans, read_span, stream

# Every delivered programme must measure within this of the target after encoding. Stations allow
# 0.2 LU; 0.15 leaves room for another meter's reading (ffmpeg rounds to 0.1) to agree.
LOUDNESS_TOLERANCE_LU = 0.15
MAX_ATTEMPTS = 4  # encodes of the programme, per format
# The limiter aims this far under the true-peak ceiling at first, for what MP3 encoding adds to peaks;
# if a file still overshoots, the next attempt lowers it by the overshoot plus a step.
CODEC_MARGIN_DB = 0.5
CODEC_MARGIN_STEP_DB = 0.1
# Before the first encode, a trial encode of excerpts predicts how far the codec moves the loudness
# (its low-pass removes what K-weighting counts above it: 0.4 LU on bright speech, 1.8 on white noise), so
# that the programme is usually encoded once: 2 s every 30 s, but at least 8 excerpts (on a short
# programme, closer together) and at most 100 (on a long one, further apart).
TRIAL_EXCERPT_S = 2.0
TRIAL_SPACING_S = 30.0
TRIAL_MIN_EXCERPTS = 8
TRIAL_MAX_EXCERPTS = 100
# An earlier build's gain is kept when it still brings the programme this close to the target: the
# segment files it made are then the same to the bit, and an edit re-encodes only what it changed.
HOLD_LU = 0.02
_TRIAL_FADE_S = 0.01  # the reel's joins are faded, so that the codec spends nothing on clicks
_TRIAL_PAUSE_S = 0.1


def measure_stream(blocks: Iterable[np.ndarray], sample_rate: int, channels: int) -> Loudness:
    meter = LoudnessMeter(sample_rate, channels)
    for block in blocks:
        meter.feed(block)
    return meter.result()


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
            yield limited.astype(np.float32)
    tail = limiter.flush()
    if len(tail):
        yield tail.astype(np.float32)


def measure_file(path: Path, sample_rate: int, channels: int) -> Loudness:
    """Decode any file with ffmpeg, to its end (AudioInputError if it cannot), and measure it."""
    return measure_stream(read_ahead(stream_float(path, sample_rate, channels)), sample_rate, channels)


def measure_encoded(path: Path, sample_rate: int, channels: int, *, maxima: bool = True) -> Loudness:
    """Decode a file this build has just encoded, in this process, and measure it."""
    meter = LoudnessMeter(sample_rate, channels, maxima=maxima)
    for block in read_ahead(stream_encoded(path, sample_rate, channels)):
        meter.feed(block)
    return meter.result()


def codec_shift_lu(placed: Sequence[Placed], rendered: BlockLoudness, fmt: str, gain_db: float, sample_rate: int,
                   channels: int, bitrate_kbps: int, scratch: Path) -> float:
    """How far encoding to `fmt` will move the programme's integrated loudness, in LU, predicted before
    the programme is encoded: reels of excerpts (see TRIAL_*) with the programme gain are encoded next to
    `scratch` and decoded; each excerpt's change in K-weighted energy is applied to the 100 ms blocks
    of the `rendered` measurement nearest to it, which are then gated afresh (a codec that takes more
    from a bright jingle than from quiet speech also moves the gate). 0 for Broadcast Wave and silence."""
    total = duration_frames(placed)
    if fmt == "wav" or total == 0:
        return 0.0
    fade_frames = round(_TRIAL_FADE_S * sample_rate)
    spacing = max(-(-total // TRIAL_MAX_EXCERPTS), min(round(TRIAL_SPACING_S * sample_rate),
                                                     total // TRIAL_MIN_EXCERPTS), 1)
    spans = [(start, frames) for start, frames in excerpt_spans(placed, round(TRIAL_EXCERPT_S * sample_rate), spacing)
             if frames > 4 * fade_frames]
    if not spans:
        return 0.0
    # Two reels, each encoded and measured on a thread of its own (ffmpeg and the filters release the GIL).
    reels = [spans[: (len(spans) + 1) // 2], spans[(len(spans) + 1) // 2 :]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        ratios = np.concatenate(list(pool.map(
            lambda numbered: _excerpt_ratios(placed, numbered[1], fmt, gain_db, sample_rate, channels, bitrate_kbps,
                                             scratch.with_name(f".{numbered[0]}{scratch.name}")),
            enumerate(reel for reel in reels if reel))))
    # Each 100 ms block of the programme takes the ratio of the excerpt nearest to it.
    centres = np.array([start + frames // 2 for start, frames in spans])
    nearest = np.searchsorted((centres[1:] + centres[:-1]) / 2, rendered.sub_block_centres())
    before, after = rendered.integrated_lufs, rendered.integrated_lufs_scaled(ratios[nearest])
    return after - before if np.isfinite(before) and np.isfinite(after) else 0.0


def _excerpt_ratios(placed: Sequence[Placed], spans: Sequence[tuple[int, int]], fmt: str, gain_db: float,
                    sample_rate: int, channels: int, bitrate_kbps: int, scratch: Path) -> np.ndarray:
    """Each excerpt's K-weighted energy after encoding a reel of them to `scratch` (then deleted) and
    decoding it, over its energy before; 1 for an excerpt with none."""
    fade = equal_power_fade_in(round(_TRIAL_FADE_S * sample_rate))
    pause = np.zeros((round(_TRIAL_PAUSE_S * sample_rate), channels), dtype=np.float32)
    offsets = np.cumsum([0] + [frames + len(pause) for _, frames in spans])
    # Compared away from the faded edges, where the codec meets a click the programme never has.
    inside = [(offset + 2 * len(fade), offset + frames - 2 * len(fade)) for offset, (_, frames) in zip(offsets, spans)]
    original = RangeEnergies(sample_rate, channels, inside)
    gain = np.float32(10 ** (gain_db / 20))
    try:
        with open_encoder(scratch, fmt, sample_rate, channels, bitrate_kbps) as encoder:
            for start, frames in spans:
                excerpt = read_span(placed, start, frames) * gain
                excerpt[: len(fade)] *= fade
                excerpt[-len(fade) :] *= fade[::-1]
                for block in (excerpt, pause):
                    original.feed(block)
                    encoder.write(block)
        encoded = RangeEnergies(sample_rate, channels, inside)
        for block in stream_encoded(scratch, sample_rate, channels):
            encoded.feed(block)
    finally:
        scratch.unlink(missing_ok=True)
    heard = original.energies > 0.0
    return np.where(heard, encoded.energies / np.where(heard, original.energies, 1.0), 1.0)


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
class Held:
    """What an earlier build of the same programme settled on, for the next build to keep if it can."""

    gain_db: float
    ceiling_dbtp: float
    codec_shift_lu: float  # what its encoded programme measured, less its rendered loudness and gain


class Encodes(Protocol):
    """Encoded files kept by the PCM they encode (its sha256, see encode.encode_outputs)."""

    def take(self, output: Output, fingerprint: str) -> Loudness | None:
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
    held: Held  # for the next build
    reused: int = 0  # segment files taken from an earlier build


def deliver(placed: Sequence[Placed], rendered: BlockLoudness, programme: Output, segments: Sequence[Output],
            target: LoudnessTarget, sample_rate: int, channels: int, bitrate_kbps: int, *,
            held: Held | None = None, encodes: Encodes | None = None, workers: Executor | None = None) -> Delivered:
    """Master and encode one format; measure what was encoded; correct and encode again until it meets the target.

    Codecs move both figures: an MP3's low-pass takes away what K-weighting counts above it (0.4 LU
    on bright speech, 1.8 LU on white noise), and its reconstruction filter can raise true peaks. So the gain
    from the `rendered` measurement is corrected by a trial encode (`codec_shift_lu`), the limiter
    starts with a margin under the ceiling, and only the figures of the decoded files count. The
    programme and its segment files are encoded in one pass (each encoder on its own core), and
    measured side by side (in `workers`, if given).

    An earlier build's `held` gain is kept, without a trial, where its codec shift puts the programme within
    HOLD_LU of the target; the segment files whose PCM is then the same to the bit are taken from
    `encodes` rather than encoded, and those encoded are kept there.
    """
    if held is not None and abs(rendered.integrated_lufs + held.gain_db + held.codec_shift_lu
                                - target.integrated_lufs) <= HOLD_LU:
        gain_db, ceiling, holding = held.gain_db, held.ceiling_dbtp, True
    else:
        holding = False
        ceiling = target.true_peak_dbtp - CODEC_MARGIN_DB
        gain_db = programme_gain_db(rendered.integrated_lufs, target.integrated_lufs)
        scratch = programme.path.with_name(f".trial-{programme.path.name}")
        gain_db -= codec_shift_lu(placed, rendered, programme.fmt, gain_db, sample_rate, channels, bitrate_kbps,
                                  scratch)
    marked = [dataclasses.replace(output, fingerprint=encodes is not None and output.fmt != "wav")
              for output in segments]
    taken: dict[Path, Loudness] = {}  # segment files put in place from `encodes`, by the first pass only

    def take(output: Output, fingerprint: str) -> bool:
        found = encodes.take(output, fingerprint) if encodes else None
        if found is not None:
            taken[output.path] = found
        return found is not None
    tried: list[tuple[float, float]] = []  # (gain_db, measured LUFS) of each programme encode
    for attempt in range(1, MAX_ATTEMPTS + 1):
        taken.clear()
        limiter = TruePeakLimiter(sample_rate, channels, ceiling)
        prints = encode_outputs(mastered(placed, channels, gain_db, limiter), [programme, *marked], sample_rate,
                                channels, bitrate_kbps, take if encodes and holding and attempt == 1 else None)
        fresh = [output for output in marked if output.path not in taken]
        measured = {**measure_outputs(programme, fresh, sample_rate, channels, workers), **taken}
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
                             limiter.max_attenuation_db, measured, Held(gain_db, ceiling, shift), len(taken))
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
