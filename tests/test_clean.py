"""The cleanup chain for interview clips, measured on espeak speech with generated noise, hum and rumble.

`pytest tests/test_clean.py -rP` shows the figures each test measured (docs/cleanup.md quotes them).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from cleanup_signals import (SENTENCES, at_snr, hum, line_level_dbfs, pink_noise, sentence_onsets, si_sdr_db, sines,
                             speech, stereo, white_noise)
from radiokit.clean import RANGES, CleanupSettings, clean
from radiokit.clean.highpass import zero_phase
from radiokit.clean.tape import MemoryTape
from radiokit.loudness import energy_profile, profile_frames

RATES_AND_CHANNELS = [(44100, 1), (44100, 2), (48000, 1), (48000, 2)]
ONLY = {"highpass_hz": 0.0, "hum": False, "denoise": False, "level": False}  # every step off: turn one back on
HUM_LINES_HZ = (50.05, 100.1, 150.15)  # cleanup_signals.hum at 50 Hz: the supply 0.1 % fast


def speech_loudness(signal: np.ndarray, reference: np.ndarray, rate: int) -> float:
    """K-weighted loudness of a mono signal over the 10 ms steps where the reference speaks, nowhere else."""
    steps = energy_profile(signal[:, np.newaxis], rate)
    voice = energy_profile(reference[:, np.newaxis], rate)
    speaking = voice > voice.max() * 1e-3
    return -0.691 + 10.0 * math.log10(steps[speaking].sum() / (speaking.sum() * profile_frames(rate)))


def lines_down_db(before: np.ndarray, after: np.ndarray, rate: int, lines_hz: tuple[float, ...]) -> list[float]:
    return [line_level_dbfs(before, rate, hz) - line_level_dbfs(after, rate, hz) for hz in lines_hz]


@pytest.mark.parametrize("rate, channels", RATES_AND_CHANNELS)
def test_noisy_humming_rumbling_clip_is_cleaned(rate: int, channels: int) -> None:
    reference = speech(rate)
    frames = len(reference)
    pink = np.stack([at_snr(reference, pink_noise(frames, rate, seed), 5.0) for seed in range(channels)], axis=1)
    interference = hum(frames, rate, 50.0) + sines(frames, rate, {40.0: -20.0}, seed=3)
    noisy = reference[:, np.newaxis] + pink + interference[:, np.newaxis]

    cleaned = clean(noisy.astype(np.float32), rate)

    assert cleaned.samples.shape == noisy.shape and cleaned.samples.dtype == np.float32
    for channel in range(channels):
        out = cleaned.samples[:, channel].astype(np.float64)
        pink_only = si_sdr_db(reference + pink[:, channel], reference)
        whole_input = si_sdr_db(noisy[:, channel], reference)
        result = si_sdr_db(out, reference)
        hum_down = lines_down_db(noisy[:, channel], out, rate, HUM_LINES_HZ)
        print(f"channel {channel}: SI-SDR {result:.2f} dB; speech+pink {pink_only:.2f} (+{result - pink_only:.2f}); "
              f"whole input {whole_input:.2f} (+{result - whole_input:.2f}); hum lines down "
              + ", ".join(f"{down:.0f}" for down in hum_down) + " dB")
        assert result >= pink_only + 6.0
        assert result >= whole_input + 12.0
        assert min(hum_down) >= 30.0
    report = cleaned.report
    assert [step.applied for step in report.steps] == [True, True, True, False, False]
    assert report.hum_hz == 50.0
    assert report.noise_floor_after_dbfs <= report.noise_floor_before_dbfs - 15.0
    assert "hum at 50 Hz removed" in report.summary()
    json.dumps(report.as_json(), allow_nan=False)


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_hum_lines_are_cancelled_by_30_db(mains_hz: float) -> None:
    rate = 48000
    reference = speech(rate)
    frames = len(reference)
    noisy = reference + at_snr(reference, pink_noise(frames, rate, 7), 30.0) + hum(frames, rate, mains_hz)

    cleaned = clean(noisy[:, np.newaxis].astype(np.float32), rate, CleanupSettings(**{**ONLY, "hum": True}))

    out = cleaned.samples[:, 0].astype(np.float64)
    down = lines_down_db(noisy, out, rate, tuple(k * mains_hz * 1.001 for k in (1, 2, 3)))
    print(f"{mains_hz:.0f} Hz hum lines down " + ", ".join(f"{value:.0f}" for value in down) + " dB; SI-SDR "
          f"{si_sdr_db(noisy, reference):.1f} -> {si_sdr_db(out, reference):.1f} dB; "
          + cleaned.report.step("hum").detail)
    assert min(down) >= 30.0
    assert cleaned.report.hum_hz == mains_hz
    assert si_sdr_db(out, reference) >= 20.0 >= si_sdr_db(noisy, reference) + 20.0


def test_rumble_is_filtered_below_the_voice() -> None:
    rate = 48000
    reference = speech(rate)
    noisy = reference + sines(len(reference), rate, {40.0: -20.0, 25.0: -24.0}, seed=5)

    cleaned = clean(noisy[:, np.newaxis].astype(np.float32), rate, CleanupSettings(**{**ONLY, "highpass_hz": 80.0}))

    out = cleaned.samples[:, 0].astype(np.float64)
    down = lines_down_db(noisy, out, rate, (25.0, 40.0))
    print(f"rumble at 25 and 40 Hz down {down[0]:.0f} and {down[1]:.0f} dB; SI-SDR {si_sdr_db(out, reference):.1f} dB")
    assert min(down) >= 30.0
    assert si_sdr_db(out, reference) >= 20.0


@pytest.mark.parametrize("rate, channels", RATES_AND_CHANNELS)
@pytest.mark.parametrize("room_tone_dbfs", [-80.0, -55.0])
def test_clean_recording_passes_nearly_untouched(rate: int, channels: int, room_tone_dbfs: float) -> None:
    voice = speech(rate)
    room_tone = [10.0 ** (room_tone_dbfs / 20.0) * pink_noise(len(voice), rate, 20 + seed) for seed in range(channels)]
    recording = (voice[:, np.newaxis] + np.stack(room_tone, axis=1)).astype(np.float32)

    cleaned = clean(recording, rate)

    for channel in range(channels):
        untouched = si_sdr_db(cleaned.samples[:, channel].astype(np.float64), recording[:, channel].astype(np.float64))
        print(f"room tone {room_tone_dbfs:.0f} dBFS, channel {channel}: SI-SDR out against in {untouched:.1f} dB; "
              f"{cleaned.report.summary()}")
        assert untouched >= 20.0
    report = cleaned.report
    assert report.hum_hz is None and not report.applied("level") and not report.applied("highpass")
    if room_tone_dbfs < -75.0:
        assert report.summary().startswith("nothing to clean")


def test_dual_mono_is_cleaned_as_mono() -> None:
    rate = 44100
    reference = speech(rate)
    noisy = (reference + at_snr(reference, pink_noise(len(reference), rate, 9), 10.0)).astype(np.float32)

    mono = clean(noisy[:, np.newaxis], rate)
    dual = clean(stereo(noisy), rate)

    assert np.array_equal(dual.samples, stereo(mono.samples[:, 0]))
    assert dual.report == mono.report


def test_two_speakers_12_db_apart_end_within_2_lu() -> None:
    rate = 48000
    first = speech(rate, SENTENCES[:2], "ru")
    second = speech(rate, SENTENCES[1:], "ru+f3")
    second *= 10.0 ** ((speech_loudness(first, first, rate) - 12.0 - speech_loudness(second, second, rate)) / 20.0)
    voices = np.concatenate((first, second))
    recording = voices + 10.0 ** (-60.0 / 20.0) * white_noise(len(voices), 11)

    cleaned = clean(recording[:, np.newaxis].astype(np.float32), rate, CleanupSettings(**{**ONLY, "level": True}))

    out = cleaned.samples[:, 0].astype(np.float64)
    split = len(first)
    before = speech_loudness(recording[:split], first, rate) - speech_loudness(recording[split:], second, rate)
    after = speech_loudness(out[:split], first, rate) - speech_loudness(out[split:], second, rate)
    # No pumping: the room noise in the quieter speaker's pauses rises no more than that speaker's voice.
    voice_gain_db = speech_loudness(out[split:], second, rate) - speech_loudness(recording[split:], second, rate)
    pauses = np.zeros(len(out), dtype=bool)
    pauses[split:] = second == 0.0
    noise_gain_db = 10.0 * math.log10(np.mean(np.square(out[pauses])) / np.mean(np.square(recording[pauses])))
    print(f"speakers {before:.1f} LU apart before, {after:.1f} LU after; the quieter voice raised "
          f"{voice_gain_db:.1f} dB, the noise in its pauses {noise_gain_db:.1f} dB")
    assert before == pytest.approx(12.0, abs=0.2)
    assert abs(after) <= 2.0
    assert voice_gain_db > 3.0
    assert noise_gain_db <= voice_gain_db + 1.0
    assert cleaned.report.speech_range_after_lu < cleaned.report.speech_range_before_lu - 8.0


def test_long_pauses_are_shortened_and_times_mapped() -> None:
    rate = 48000
    voice = speech(rate, pause_s=3.0)
    recording = (voice + 10.0 ** (-60.0 / 20.0) * white_noise(len(voice), 13))[:, np.newaxis].astype(np.float32)
    onsets = sentence_onsets(voice, rate)

    shortened = clean(recording, rate, CleanupSettings(pause_max_s=1.5, pause_to_s=0.5))
    kept = clean(recording, rate)

    report = shortened.report
    print("removed (start s, seconds): " + ", ".join(f"({start:.2f}, {length:.2f})"
                                                      for start, length in report.removed_spans))
    assert len(report.removed_spans) == 2
    assert all(length == pytest.approx(3.0 - 0.5, abs=0.2) for _, length in report.removed_spans)
    removed = sum(length for _, length in report.removed_spans)
    assert len(shortened.samples) == pytest.approx(len(recording) - removed * rate, abs=1)
    assert report.output_time(len(recording) / rate) == pytest.approx(len(shortened.samples) / rate, abs=1 / rate)
    # Each sentence sounds in the output where output_time says its input instant went.
    out, whole = shortened.samples[:, 0], kept.samples[:, 0]
    excerpt = round(0.5 * rate)
    for onset_s in onsets:
        at_in, at_out = round(onset_s * rate), round(report.output_time(onset_s) * rate)
        assert np.corrcoef(out[at_out : at_out + excerpt], whole[at_in : at_in + excerpt])[0, 1] > 0.99
    assert report.output_time(onsets[0]) == onsets[0]
    assert kept.report.removed_spans == () and len(kept.samples) == len(recording)
    assert not kept.report.applied("pauses")


@pytest.mark.parametrize("rate", [16000, 96000])
def test_other_rates_are_cleaned_too(rate: int) -> None:
    reference = speech(rate, SENTENCES[:2])
    noisy = reference + at_snr(reference, pink_noise(len(reference), rate, 17), 5.0) + hum(len(reference), rate, 60.0)

    cleaned = clean(noisy[:, np.newaxis].astype(np.float32), rate)

    out = cleaned.samples[:, 0].astype(np.float64)
    assert len(out) == len(noisy) and cleaned.report.hum_hz == 60.0
    assert si_sdr_db(out, reference) >= si_sdr_db(noisy, reference) + 10.0


@pytest.mark.parametrize("rate, channels", RATES_AND_CHANNELS)
@pytest.mark.parametrize("seconds", [0.0, 0.0002, 0.3, 2.5])
def test_digital_silence_comes_back_silent(rate: int, channels: int, seconds: float) -> None:
    silence = np.zeros((round(seconds * rate), channels), dtype=np.float32)
    with np.errstate(divide="raise", over="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        cleaned = clean(silence, rate, CleanupSettings(pause_max_s=1.0))
    assert cleaned.samples.shape == silence.shape and not np.any(cleaned.samples)
    report = cleaned.report
    assert not any(step.applied for step in report.steps)
    assert report.noise_floor_before_dbfs == -math.inf and report.as_json()["noise_floor_after_dbfs"] is None
    json.dumps(report.as_json(), allow_nan=False)
    assert report.output_time(seconds) == seconds


def test_settings_are_checked_against_their_ranges() -> None:
    assert set(RANGES) <= {field.name for field in dataclasses.fields(CleanupSettings)}
    for name, (low, high) in RANGES.items():
        room = {"pause_max_s": RANGES["pause_max_s"][1]} if name == "pause_to_s" else {}
        CleanupSettings(**{name: high, **room})
        for outside in (low - 1.0, high + 1.0):
            with pytest.raises(ValueError, match=name):
                CleanupSettings(**{name: outside, **room})
    assert CleanupSettings(highpass_hz=0.0).highpass_hz == 0.0
    with pytest.raises(ValueError, match="pause_to_s"):
        CleanupSettings(pause_max_s=1.0, pause_to_s=1.0)
    assert CleanupSettings().pause_max_s is None


@pytest.mark.parametrize("settings, gap_db, acting", [({}, 12.0, [True, True, True, True, False]),
                                                     ({}, 0.0, [True, True, True, False, False]),
                                                     (ONLY, 12.0, [False] * 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_profile_is_of_what_comes_out_and_the_input_is_left_alone(settings: dict, gap_db: float,
                                                                     acting: list[bool], dtype: type) -> None:
    """Whichever steps act (the leveler too, or the steps before it and not the leveler, which measures the
    clip again), the chain's energy profile (what levels the clip and places it in the programme) is the
    profile of the samples it returns (measured before they are rounded to float32: to a millionth); the
    steps that work in place (high-pass, leveler) work on the chain's own copy, never on the caller's
    samples, float64 ones included."""
    rate = 44100
    first = speech(rate, SENTENCES[:2], "ru")
    second = speech(rate, SENTENCES[1:], "ru+f3")
    second *= 10.0 ** ((speech_loudness(first, first, rate) - gap_db - speech_loudness(second, second, rate)) / 20.0)
    voices = np.concatenate((first, second))
    recording = (voices + 10.0 ** (-50.0 / 20.0) * white_noise(len(voices), 11) + hum(len(voices), rate, 50.0)
                 + sines(len(voices), rate, {40.0: -20.0}, seed=5))
    recording = np.stack((recording, 0.9 * recording), axis=1).astype(np.float32).astype(dtype)
    given = recording.copy()

    cleaned = clean(recording, rate, CleanupSettings(**settings))

    assert [step.applied for step in cleaned.report.steps] == acting
    assert np.array_equal(recording, given)
    np.testing.assert_allclose(cleaned.profile, energy_profile(cleaned.samples, rate), rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("channels", [1, 2])
def test_the_high_pass_in_place_is_scipys_zero_phase_filter(channels: int) -> None:
    """In place (as the chain runs it, on its own copy) or not, the high-pass is sosfiltfilt's filter,
    a piece at a time: 2.5 pieces here."""
    sos = butter(4, 80.0, btype="highpass", fs=44100, output="sos")
    samples = np.random.default_rng(5).standard_normal((5 * 2**19, channels))
    expected = sosfiltfilt(sos, samples, axis=0)
    source = MemoryTape(samples.copy())
    apart = source.blank(len(samples), channels)
    zero_phase(sos, source, apart)
    np.testing.assert_array_equal(source.samples, samples)
    in_place = MemoryTape(samples.copy())
    zero_phase(sos, in_place, in_place)
    assert isinstance(apart, MemoryTape)
    np.testing.assert_allclose(apart.samples, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(in_place.samples, apart.samples)
