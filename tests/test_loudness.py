"""radiokit.loudness against EBU Tech 3341/3342, BS.1770's coefficients, pyloudnorm and itself in chunks."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np
import pyloudnorm
import pytest

from radiokit.loudness import (Loudness, LoudnessMeter, energy_profile, k_weighting_sos, measure, profile_frames,
                               profile_loudness)
from radiokit.truepeak import across_channels
from signals import programme, sine, single_period_burst, tones, true_peak_tone

RATE = 48000  # the EBU test set's rate
TOLERANCE_LU = 0.1
TRUE_PEAK_ABOVE_DB, TRUE_PEAK_BELOW_DB = 0.2, 0.4
RANGE_TOLERANCE_LU = 1.0


def assert_true_peak(measured_dbtp: float, expected_dbtp: float) -> None:
    assert expected_dbtp - TRUE_PEAK_BELOW_DB <= measured_dbtp <= expected_dbtp + TRUE_PEAK_ABOVE_DB


def test_k_weighting_reproduces_bs1770_coefficients_at_48_khz() -> None:
    published = [
        [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585],
        [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
    ]
    np.testing.assert_allclose(k_weighting_sos(48000), published, rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    "peak_dbfs",
    [pytest.param(-23.0, id="3341-1"), pytest.param(-33.0, id="3341-2"), pytest.param(-18.0, id="calibration")],
)
def test_steady_tone_reads_its_level(peak_dbfs: float) -> None:
    meter = LoudnessMeter(RATE, 2)
    meter.feed(sine(peak_dbfs, 20.0, RATE))
    result = meter.result()
    assert result.integrated_lufs == pytest.approx(peak_dbfs, abs=TOLERANCE_LU)
    assert result.max_momentary_lufs == pytest.approx(peak_dbfs, abs=TOLERANCE_LU)
    assert result.max_short_term_lufs == pytest.approx(peak_dbfs, abs=TOLERANCE_LU)
    np.testing.assert_allclose(meter.momentary_lufs(), peak_dbfs, atol=TOLERANCE_LU)
    np.testing.assert_allclose(meter.short_term_lufs(), peak_dbfs, atol=TOLERANCE_LU)
    assert result.duration_s == 20.0


@pytest.mark.parametrize(
    "segments",
    [
        pytest.param([(10, -36.0), (60, -23.0), (10, -36.0)], id="3341-3"),
        pytest.param([(10, -72.0), (10, -36.0), (60, -23.0), (10, -36.0), (10, -72.0)], id="3341-4"),
        pytest.param([(20, -26.0), (20.1, -20.0), (20, -26.0)], id="3341-5"),
    ],
)
def test_integrated_loudness_gates_quiet_parts(segments: list[tuple[float, float]]) -> None:
    assert measure(tones(segments, RATE), RATE).integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_3341_9_short_term_is_constant_after_3_s() -> None:
    meter = LoudnessMeter(RATE, 2)
    meter.feed(tones([(1.34, -20.0), (1.66, -30.0)] * 5, RATE))
    np.testing.assert_allclose(meter.short_term_lufs(), -23.0, atol=TOLERANCE_LU)  # first window ends at 3 s
    assert meter.result().max_short_term_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_3341_12_momentary_is_constant_after_1_s() -> None:
    meter = LoudnessMeter(RATE, 2)
    meter.feed(tones([(0.18, -20.0), (0.22, -30.0)] * 25, RATE))
    momentary = meter.momentary_lufs()
    ends_s = (np.arange(len(momentary)) + 4) * 0.1
    np.testing.assert_allclose(momentary[ends_s >= 1.0 - 1e-9], -23.0, atol=TOLERANCE_LU)
    assert meter.result().max_momentary_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


@pytest.mark.parametrize("segment", range(20))
def test_3341_10_max_short_term_whatever_the_offset(segment: int) -> None:
    signal = tones([(segment * 0.15, None), (3.0, -23.0), (1.0, None)], RATE)
    assert measure(signal, RATE).max_short_term_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


@pytest.mark.parametrize("segment", range(20))
def test_3341_13_max_momentary_whatever_the_offset(segment: int) -> None:
    signal = tones([(segment * 0.02, None), (0.4, -23.0), (1.0, None)], RATE)
    assert measure(signal, RATE).max_momentary_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)


def test_3341_11_live_max_short_term_of_successive_tones() -> None:
    """Read as a live meter: the running maximum after each tone gives the successive values."""
    meter = LoudnessMeter(RATE, 2)
    readings = []
    for i in range(20):
        meter.feed(tones([(i * 0.15, None), (3.0, -38.0 + i), (3.0 - i * 0.15, None)], RATE))
        readings.append(meter.result().max_short_term_lufs)
    np.testing.assert_allclose(readings, -38.0 + np.arange(20), atol=TOLERANCE_LU)


def test_3341_14_live_max_momentary_of_successive_tones() -> None:
    meter = LoudnessMeter(RATE, 2)
    readings = []
    for i in range(20):
        meter.feed(tones([(i * 0.02, None), (0.4, -38.0 + i), (0.4 - i * 0.02, None)], RATE))
        readings.append(meter.result().max_momentary_lufs)
    np.testing.assert_allclose(readings, -38.0 + np.arange(20), atol=TOLERANCE_LU)


@pytest.mark.parametrize("rate", [48000, 44100])
@pytest.mark.parametrize(
    ("frequency_ratio", "amplitude_ffs", "phase_deg", "expected_dbtp"),
    [
        pytest.param(4, 0.50, 0.0, -6.0, id="3341-15"),
        pytest.param(4, 0.50, 45.0, -6.0, id="3341-16"),
        pytest.param(6, 0.50, 60.0, -6.0, id="3341-17"),
        pytest.param(8, 0.50, 67.5, -6.0, id="3341-18"),
        pytest.param(4, 1.41, 45.0, 3.0, id="3341-19"),
    ],
)
def test_true_peak_of_tones(
    rate: int, frequency_ratio: int, amplitude_ffs: float, phase_deg: float, expected_dbtp: float
) -> None:
    signal = true_peak_tone(rate, frequency_ratio, amplitude_ffs, phase_deg)
    assert_true_peak(measure(signal, rate).true_peak_dbtp, expected_dbtp)


@pytest.mark.parametrize("rate", [48000, 44100])
@pytest.mark.parametrize("offset", range(4), ids=[f"3341-{20 + offset}" for offset in range(4)])
def test_true_peak_of_single_period_burst(rate: int, offset: int) -> None:
    assert_true_peak(measure(single_period_burst(rate, offset), rate).true_peak_dbtp, 0.0)


@pytest.mark.parametrize(
    ("levels_dbfs", "expected_lu"),
    [
        pytest.param([-20.0, -30.0], 10.0, id="3342-1"),
        pytest.param([-20.0, -15.0], 5.0, id="3342-2"),
        pytest.param([-40.0, -20.0], 20.0, id="3342-3"),
        pytest.param([-50.0, -35.0, -20.0, -35.0, -50.0], 15.0, id="3342-4"),
    ],
)
def test_3342_loudness_range(levels_dbfs: list[float], expected_lu: float) -> None:
    signal = tones([(20.0, level) for level in levels_dbfs], RATE)
    assert measure(signal, RATE).loudness_range_lu == pytest.approx(expected_lu, abs=RANGE_TOLERANCE_LU)


def fed_in_chunks(meter: LoudnessMeter, signal: np.ndarray, sizes: list[int]) -> Iterator[None]:
    """Feed `signal` cycling through chunk `sizes`, yielding after every chunk."""
    start = 0
    while start < len(signal):
        for size in sizes:
            meter.feed(signal[start : start + size])
            start += size
            yield


def assert_same(chunked: Loudness, whole: Loudness) -> None:
    for field in dataclasses.fields(Loudness):
        expected = getattr(whole, field.name)
        assert getattr(chunked, field.name) == pytest.approx(expected, rel=1e-9, abs=1e-9), field.name


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param(programme(44100, 8.0), id="programme"),
        pytest.param(true_peak_tone(44100, 4, 0.5, 45.0), id="3341-16"),
        pytest.param(tones([(0.3, None), (0.4, -23.0), (3.5, None)], 44100), id="3341-13-like"),
    ],
)
def test_odd_chunks_give_the_same_result_as_one_block(signal: np.ndarray) -> None:
    meter = LoudnessMeter(44100, 2)
    for _ in fed_in_chunks(meter, signal, [1, 777, 0, 4410, 3, 100_003]):
        pass
    assert_same(meter.result(), measure(signal, 44100))


def test_reading_mid_stream_does_not_disturb_the_measurement() -> None:
    signal = programme(44100, 8.0, seed=1).astype(np.float32)
    meter = LoudnessMeter(44100, 2)
    for index, _ in enumerate(fed_in_chunks(meter, signal, [4409, 12345])):
        if index % 5 == 0:
            meter.result()
    assert_same(meter.result(), measure(signal, 44100))


@pytest.mark.parametrize("rate", [44100, 48000])
def test_stereo_tone_at_either_rate(rate: int) -> None:
    result = measure(sine(-23.0, 5.0, rate), rate)
    assert result.integrated_lufs == pytest.approx(-23.0, abs=TOLERANCE_LU)
    assert result.true_peak_dbtp == pytest.approx(-23.0, abs=0.01)


def test_mono_reads_one_channel_of_a_stereo_pair() -> None:
    mono = sine(-23.0, 5.0, 44100, channels=1)
    result = measure(mono[:, 0], 44100)
    assert result.integrated_lufs == pytest.approx(-23.0 - 10 * math.log10(2), abs=TOLERANCE_LU)
    assert result == measure(mono, 44100)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_integrated_loudness_agrees_with_pyloudnorm(rate: int) -> None:
    signal = programme(rate, 30.0, seed=2)
    expected = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(signal)
    assert measure(signal, rate).integrated_lufs == pytest.approx(expected, abs=0.1)


def test_silence_reads_minus_infinity() -> None:
    result = measure(np.zeros((5 * RATE, 2)), RATE)
    assert result == Loudness(-math.inf, 0.0, -math.inf, -math.inf, -math.inf, 5.0)


def test_nothing_fed_reads_minus_infinity() -> None:
    assert LoudnessMeter(RATE, 2).result() == Loudness(-math.inf, 0.0, -math.inf, -math.inf, -math.inf, 0.0)


def test_shorter_than_a_window_has_no_loudness_but_a_peak() -> None:
    result = measure(sine(-10.0, 0.3, RATE), RATE)
    assert result.integrated_lufs == result.max_momentary_lufs == result.max_short_term_lufs == -math.inf
    assert result.true_peak_dbtp == pytest.approx(-10.0, abs=0.01)


@pytest.mark.parametrize(
    "block",
    [np.zeros((10, 1)), np.zeros(10), np.zeros((10, 2), dtype=np.int16)],
    ids=["wrong channels", "one-dimensional", "integers"],
)
def test_feed_rejects_malformed_blocks(block: np.ndarray) -> None:
    with pytest.raises(ValueError):
        LoudnessMeter(RATE, 2).feed(block)


@pytest.mark.parametrize(("rate", "channels"), [(44101, 2), (48000, 6), (0, 1)])
def test_meter_rejects_unsupported_formats(rate: int, channels: int) -> None:
    with pytest.raises(ValueError):
        LoudnessMeter(rate, channels)


def test_state_does_not_grow_with_duration() -> None:
    def per_sample_state_bytes(meter: LoudnessMeter) -> int:
        return sum(value.nbytes for value in vars(meter).values() if isinstance(value, np.ndarray))

    short, long = LoudnessMeter(RATE, 2), LoudnessMeter(RATE, 2)
    short.feed(programme(RATE, 5.0))
    for _ in range(4):
        long.feed(programme(RATE, 5.0))
    short.result()
    long.result()
    assert per_sample_state_bytes(long) == per_sample_state_bytes(short)
    assert len(long.momentary_lufs()) == 4 * 50 - 3  # the per-100 ms record is all that grows


def _every_interpolated_value(channel: np.ndarray) -> np.ndarray:
    """Brute force: every 4x in-between value, by filtering every run of samples with every phase."""
    from radiokit.truepeak import PHASES

    padded = np.concatenate((np.zeros(len(PHASES) - 1), channel, np.zeros(len(PHASES) // 2)))
    return np.array([np.correlate(padded, taps, mode="valid") for taps in PHASES.T])


def _test_channel(kind: str) -> np.ndarray:
    rng = np.random.default_rng(11)
    seconds = np.arange(RATE * 3) / RATE
    if kind == "voice":  # smooth, and every crest within a dB of the loudest: what the curvature bound is for
        harmonics = sum(np.sin(2 * np.pi * 110 * h * seconds + h) / h for h in range(1, 9))
        return 0.3 * harmonics * (0.9 + 0.1 * np.sin(2 * np.pi * 0.7 * seconds))
    if kind == "sweep":  # from smooth to a sine near the Nyquist frequency, which only filtering sees the peak of
        from scipy.signal import chirp

        return 0.5 * chirp(seconds, 50.0, seconds[-1], 0.45 * RATE)
    if kind == "noise":
        channel = rng.standard_normal(RATE * 3) * 0.1
    elif kind == "speech":
        envelope = np.clip(np.sin(2 * np.pi * 2.2 * np.arange(RATE * 3) / RATE), 0, None) ** 2
        channel = rng.standard_normal(RATE * 3) * envelope * 0.2
    elif kind == "clicks":
        channel = np.zeros(RATE * 3)
        channel[rng.integers(0, RATE * 3, 40)] = rng.uniform(-0.9, 0.9, 40)
    elif kind == "square":
        channel = np.sign(np.sin(2 * np.pi * 997 * np.arange(RATE * 3) / RATE)) * 0.8
    else:  # a click at 0.8, then a fs/4 sine at 45 degrees: samples at 0.64, true peak 0.9
        channel = sine(20 * math.log10(0.9), 3.0, RATE, frequency_hz=RATE / 4, phase_deg=45.0)[:, 0]
        channel[:RATE] = 0.0
        channel[RATE // 2] = 0.8
    return channel


def _brute_true_peak_dbtp(frames: np.ndarray) -> float:
    channels = np.asarray(frames, dtype=np.float64).T
    return 20 * math.log10(max(max(np.abs(channel).max(), np.abs(_every_interpolated_value(channel)).max())
                               for channel in channels))


@pytest.mark.parametrize("kind", ["noise", "speech", "clicks", "square", "between", "voice", "sweep"])
def test_pruned_true_peak_equals_filtering_everything(kind: str) -> None:
    """The meter filters only where its bounds say a larger peak could be; it must find what filtering
    every sample finds, on dense noise, on peaky speech, on lone clicks, on a clipped square wave, on a
    peak that lies only between samples after a louder sample than any near it, on a smooth voice-like
    wave whose crests all come near the peak, and on a sweep up to 0.45 of the sample rate."""
    channel = _test_channel(kind)
    meter = LoudnessMeter(RATE, 1)
    for start in range(0, len(channel), 7001):  # odd blocks: the running peak rises block by block
        meter.feed(channel[start : start + 7001, np.newaxis])
    assert meter.result().true_peak_dbtp == pytest.approx(_brute_true_peak_dbtp(channel[:, np.newaxis]), abs=1e-9)


def test_true_peak_of_float32_stereo_finds_a_peak_between_samples_of_one_channel() -> None:
    """Decoded files come as float32 stereo: the peak of either channel counts, wherever it falls."""
    frames = np.stack((_test_channel("voice") * 0.5, _test_channel("between")), axis=1).astype(np.float32)
    meter = LoudnessMeter(RATE, 2)
    for start in range(0, len(frames), 4410):
        meter.feed(frames[start : start + 4410])
    assert meter.result().true_peak_dbtp == pytest.approx(_brute_true_peak_dbtp(frames), abs=1e-9)


@pytest.mark.parametrize("left_out", ["true_peak", "maxima"])
def test_a_meter_that_leaves_figures_out_measures_the_rest_the_same(left_out: str) -> None:
    signal = programme(RATE, 8.0)
    full, partial = measure(signal, RATE), measure(signal, RATE, **{left_out: False})
    names = ["true_peak_dbtp"] if left_out == "true_peak" else ["max_momentary_lufs", "max_short_term_lufs"]
    assert all(math.isnan(getattr(partial, name)) for name in names)
    assert dataclasses.replace(partial, **{name: getattr(full, name) for name in names}) == full


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_channels_combine_frame_by_frame_as_numpy_reduces_them(channels: int) -> None:
    frames = np.random.default_rng(channels).standard_normal((1000, channels))
    np.testing.assert_array_equal(across_channels(np.add, frames), frames.sum(axis=1))
    np.testing.assert_array_equal(across_channels(np.maximum, frames), frames.max(axis=1))
    assert across_channels(np.add, frames[:0]).shape == (0,)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_a_profile_gives_the_meters_integrated_loudness(rate: int) -> None:
    """Leveling reads a segment's loudness from its energy profile (kept for the programme's loudness):
    the meter's figure, from the same 100 ms sub-blocks, at any length."""
    samples = programme(rate, 7.3, seed=4)[: int(7.3 * rate) - 123]
    profile = energy_profile(samples, rate)
    assert profile_loudness(profile, len(samples), rate) == pytest.approx(
        measure(samples, rate, true_peak=False).integrated_lufs, abs=1e-9)
    assert profile_loudness(profile[:3], 3 * profile_frames(rate), rate) == -math.inf  # under one gating block


def test_a_profile_whose_steps_do_not_tile_the_sub_blocks_gives_no_loudness() -> None:
    rate = 22050  # 2205-frame sub-blocks, 220-frame steps
    samples = programme(rate, 4.0, seed=1)
    assert profile_loudness(energy_profile(samples, rate), len(samples), rate) is None
