"""The trial encode that predicts what a codec does to the programme's loudness, and how the timeline is read:
excerpts for the trial, short blocks for mastering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from radiokit import audio_io, loudness, master, timeline, trial
from conftest import make_episode
from radiokit.encode import Output, encode_outputs
from radiokit.render import render
from radiokit.script import LoudnessTarget, load_script
from radiokit.timeline import Placed
from signals import programme

RATE = 44100


def segment_wav(path: Path, samples: np.ndarray) -> Path:
    audio_io.write_wav(path, audio_io.from_array(samples, RATE))
    return path


@pytest.fixture(scope="module")
def bright(tmp_path_factory: pytest.TempPathFactory) -> list[Placed]:
    """40 s: white noise (a good part of its K-weighted energy above an MP3's low-pass), then speech-like
    material, each at about the level segments are rendered to."""
    folder = tmp_path_factory.mktemp("bright")
    noise = np.random.default_rng(5).standard_normal((20 * RATE, 2)) * 0.015
    speech = programme(RATE, 20.0, seed=3) * 0.1
    wavs = [segment_wav(folder / "noise.wav", noise), segment_wav(folder / "speech.wav", speech)]
    return timeline.place(wavs, [len(noise), len(speech)], [0.4, 0.4], [0.0, 0.0], RATE)


def test_the_trial_predicts_what_encoding_the_whole_programme_does(bright: list[Placed], tmp_path: Path) -> None:
    gain_db = 10.0
    rendered = master.measure_rendered(bright, RATE)
    predicted = trial.codec_shift_lu(bright, rendered, "mp3", gain_db, RATE, 2, 128, tmp_path / "trial.mp3")
    gain = 10 ** (gain_db / 20)
    before = loudness.measure_stream(timeline.stream(bright, 2, gain), RATE, 2).integrated_lufs
    encode_outputs(timeline.stream(bright, 2, gain), [Output(tmp_path / "whole.mp3", "mp3")], RATE, 2, 128)
    actual = loudness.measure_file(tmp_path / "whole.mp3", RATE, 2).integrated_lufs - before
    assert actual < -0.3  # the codec moves this material well beyond the tolerance
    assert predicted == pytest.approx(actual, abs=0.1)
    assert list(tmp_path.iterdir()) == [tmp_path / "whole.mp3"]  # the trial's file is gone


def test_broadcast_wave_needs_no_trial(bright: list[Placed], tmp_path: Path) -> None:
    rendered = master.measure_rendered(bright, RATE)
    assert trial.codec_shift_lu(bright, rendered, "wav", 10.0, RATE, 2, 128, tmp_path / "trial.wav") == 0.0
    assert not list(tmp_path.iterdir())


def test_bright_material_is_encoded_once_and_meets_the_target(bright: list[Placed], tmp_path: Path) -> None:
    target = LoudnessTarget("ebu-r128", -23.0, -1.0)
    path = tmp_path / "programme.mp3"
    done = master.deliver(bright, master.measure_rendered(bright, RATE), Output(path, "mp3"), [], target, RATE, 2,
                          128)
    assert done.programme_encodes == 1
    assert abs(done.measured[path].integrated_lufs - target.integrated_lufs) <= master.LOUDNESS_TOLERANCE_LU
    assert done.measured[path].true_peak_dbtp <= target.true_peak_dbtp


def test_excerpts_come_from_segments_never_from_gaps_or_crossfades(tmp_path: Path) -> None:
    """Three 10 s segments of constant level: a, a 2 s gap, b, then c crossfading 1 s over b's end.
    Excerpts of 0.5 s every 1 s: each lies wholly inside one segment, clear of the gap and the overlap."""
    levels = [0.1, 0.2, 0.3]
    wavs = [segment_wav(tmp_path / f"{n}.wav", np.full((10 * RATE, 2), level)) for n, level in enumerate(levels)]
    placed = timeline.place(wavs, [10 * RATE] * 3, [2.0, 0.4, 0.4], [0.0, 0.0, 1.0], RATE)
    spans = timeline.excerpt_spans(placed, RATE // 2, RATE)
    found = [timeline.read_span(placed, start, frames) for start, frames in spans]
    values = [float(excerpt[0, 0]) for excerpt in found]
    # Centres at 0.5, 1.5, ... s: a holds 10 of them, and the two in the gap (10-12 s) take a's last half
    # second, once; b 9 (12-21 s: its last second is the crossfade); c 9 (22-31 s), and the one in the
    # crossfade (21.5 s) takes c's first half second after it.
    assert [round(v, 3) for v in values] == [0.1] * 11 + [0.2] * 9 + [0.3] * 10
    assert spans[10] == (round(9.5 * RATE), RATE // 2)
    assert all(excerpt.shape == (RATE // 2, 2) and np.ptp(excerpt) == 0 for excerpt in found)


def test_a_programme_of_equal_clips_and_gaps_is_still_sampled(tmp_path: Path) -> None:
    """Clips and gaps repeating exactly as often as the excerpts: every middle lands in a gap, and the
    trial must still hear the clips (it once heard nothing, and the programme was encoded twice)."""
    wav = segment_wav(tmp_path / "clip.wav", np.full((RATE, 2), 0.1))
    placed = timeline.place([wav] * 10, [RATE] * 10, [1.0] * 10, [0.0] * 10, RATE)  # a clip every 2 s
    spans = timeline.excerpt_spans(placed, RATE // 2, 2 * RATE)  # middles at 1, 3, 5 ... s: all in gaps
    assert len(spans) == 9 and all(frames == RATE // 2 for _, frames in spans)


def test_the_programme_streams_in_short_blocks_with_its_crossfades_and_gaps(tmp_path: Path) -> None:
    """Segments longer than a block come out in blocks of at most BLOCK_FRAMES, and put together they are
    the programme: a, a 0.5 s gap, b, and c crossfading (equal power) over b's last second."""
    rng = np.random.default_rng(2)
    audio = [rng.uniform(-0.5, 0.5, (frames, 2)).astype(np.float32) for frames in (3 * RATE, 4 * RATE, 2 * RATE)]
    wavs = [segment_wav(tmp_path / f"{n}.wav", samples) for n, samples in enumerate(audio)]
    placed = timeline.place(wavs, [len(a) for a in audio], [0.5, 0.0, 0.0], [0.0, 0.0, 1.0], RATE)
    blocks = list(timeline.stream(placed, 2, 0.5))
    assert max(len(block) for block in blocks) <= timeline.BLOCK_FRAMES
    a, b, c = (audio_io.read_wav(wav) * np.float32(0.5) for wav in wavs)
    fade = timeline.equal_power_fade_in(RATE)
    expected = np.concatenate((a, np.zeros((RATE // 2, 2)), b[:-RATE], b[-RATE:] * fade[::-1] + c[:RATE] * fade,
                               c[RATE:]))
    np.testing.assert_allclose(np.concatenate(blocks), expected, atol=1e-6)


@pytest.mark.parametrize("rate", [44100, 48000, 22050])
def test_the_rendered_programme_is_measured_from_segment_profiles(tmp_path: Path, rate: int) -> None:
    """The programme's loudness from each segment's energy profile, placed on the timeline (as the build
    does, without reading the mixed programme), agrees with metering the mixed programme: speech at
    three levels, a gap, a 2 s crossfade into a loud segment, a bed-like quiet one, and segments that
    start anywhere in a 100 ms block."""
    levels = [0.05, 0.2, 0.03, 0.4, 0.1]
    lengths = [round(seconds * rate) for seconds in (7.33, 11.1, 4.07, 9.5, 6.01)]
    audio = [programme(rate, frames / rate, seed=n) * level for n, (frames, level) in enumerate(zip(lengths, levels))]
    wavs = [tmp_path / f"{n}.wav" for n in range(len(audio))]
    profiles = []
    for wav, samples in zip(wavs, audio, strict=True):
        audio_io.write_wav(wav, audio_io.from_array(samples, rate))
        profiles.append(wav.with_suffix(".npy"))
        np.save(profiles[-1], loudness.energy_profile(audio_io.read_wav(wav), rate))
    gaps, crossfades = [0.4, 1.3, 0.0, 0.25, 0.4], [0.0, 0.0, 0.0, 2.0, 0.5]
    placed = timeline.place(wavs, lengths, gaps, crossfades, rate, profiles)
    exact = loudness.measure_stream(timeline.stream(placed, 2), rate, 2).integrated_lufs
    from_profiles = master.measure_rendered(placed, rate)
    assert from_profiles.integrated_lufs == pytest.approx(exact, abs=0.005)
    # Without profiles the segments are read here, to the same figure.
    unprofiled = timeline.place(wavs, lengths, gaps, crossfades, rate)
    assert master.measure_rendered(unprofiled, rate).integrated_lufs == pytest.approx(from_profiles.integrated_lufs,
                                                                                        abs=1e-9)
    assert len(from_profiles.sub_blocks) == timeline.duration_frames(placed) // round(rate / 10)


def test_a_leveled_segment_brings_its_own_profile(tmp_path: Path) -> None:
    """A segment that leveling leaves as it is carries the profile leveling measured (scaled by the gain),
    which is its own profile; one that is faded, mixed or ducked afterwards carries none."""
    script = load_script(make_episode(tmp_path))
    carried = []
    for segment in script.segments_for("ru"):
        rendered = render(script, segment, "ru")
        if rendered.profile is None:
            continue
        carried.append(segment.id)
        own = loudness.energy_profile(audio_io.to_array(rendered.audio), RATE)
        np.testing.assert_allclose(rendered.profile, own, rtol=1e-6, atol=1e-12)
    faded = [segment.id for segment in script.segments_for("ru") if segment.fade_in_s or segment.fade_out_s]
    assert carried and faded and not set(carried) & set(faded)
