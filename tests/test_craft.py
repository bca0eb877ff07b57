"""Radio craft, measured in the delivered programme: beds, voice-over, crossfades, gaps, the slot.

Every source is a tone or band of noise of its own, so each can be followed through the mix.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from media import decode, ffprobe, tone, write_wav
from radiokit.loudness import measure
from test_cli import radiokit

RATE = 44100
VOICE_HZ, VO_HZ, CLIP_HZ, A_HZ, B_HZ = 220.0, 330.0, 7000.0, 880.0, 1200.0
BED_UNDER_DB, VO_UNDER_DB = -18.0, -15.0

SCRIPT = """\
format: radiokit/1
programme:
  series: Craft test
  title: {ru: Ремесло}
languages: [ru]
delivery:
  gap: 0.5
  target_duration: "1:00"
  tolerance: "0:10"
voices:
  host: {ru: {engine: espeak, voice: ru}}
segments:
  - id: bedded
    title: {ru: Под музыку}
    speaker: host
    text: {ru: Голос под музыкой.}
    take: {ru: audio/voice.wav}
    bed: {music: audio/bed.wav, under_db: -18, preroll: 2.0, postroll: 1.5, fade_out: 1.0}
  - id: interview
    title: {ru: Интервью}
    clip: audio/clip.wav
    clip_language: tg
    voiceover:
      ru: {take: audio/vo.wav}
      lead: 1.0
      under_db: -15
    gap: 1.0
  - id: long-voiceover
    title: {ru: Длинный перевод}
    clip: audio/short-clip.wav
    clip_language: tg
    voiceover:
      ru: {take: audio/vo.wav}
      lead: 0.5
  - id: song-a
    title: {ru: Песня А}
    music: audio/a.wav
  - id: song-b
    title: {ru: Песня Б}
    music: audio/b.wav
    crossfade: 1.0
"""


def noise_band(seconds: float, low_hz: float, seed: int) -> np.ndarray:
    """Noise from `low_hz` to 12 kHz: uncorrelated with itself at any loop point, apart from every tone here,
    and under the MP3 encoder's low-pass (about 17 kHz at 128 kbps), which would otherwise take some away."""
    noise = np.random.default_rng(seed).standard_normal(round(seconds * RATE)) * 0.1
    return sosfiltfilt(butter(6, [low_hz, 12000.0], "bandpass", fs=RATE, output="sos"), noise)


@pytest.fixture(scope="module")
def craft(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Built once through the CLI with --force: the programme (about 27 s) misses its 1:00 +- 0:10 slot."""
    folder = tmp_path_factory.mktemp("craft")
    audio = folder / "audio"
    audio.mkdir()
    write_wav(audio / "voice.wav", tone(VOICE_HZ, 3.0, RATE, -20.0), RATE)
    write_wav(audio / "bed.wav", noise_band(1.2, 4000.0, seed=1), RATE)  # far shorter than the 7.5 s it must fill
    write_wav(audio / "clip.wav", tone(CLIP_HZ, 5.0, RATE, -30.0), RATE)
    write_wav(audio / "short-clip.wav", tone(CLIP_HZ, 1.5, RATE, -30.0), RATE)
    write_wav(audio / "vo.wav", tone(VO_HZ, 2.5, RATE, -20.0), RATE)
    write_wav(audio / "a.wav", tone(A_HZ, 3.0, RATE, -20.0), RATE)
    write_wav(audio / "b.wav", tone(B_HZ, 3.0, RATE, -20.0), RATE)
    (folder / "episode.yaml").write_text(SCRIPT, encoding="utf-8")
    done = radiokit("build", "episode.yaml", "--out", "out", "--force", cwd=folder)
    assert done.returncode == 0, done.stderr
    package = folder / "out" / "craft-test"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    segments = {s["id"]: s for s in manifest["languages"]["ru"]["segments"]}
    programme = package / manifest["languages"]["ru"]["file"]
    return {"folder": folder, "done": done, "segments": segments, "programme": programme,
            "audio": decode(programme, RATE, 2)[:, 0]}


def part(craft: dict, segment_id: str, start_s: float, end_s: float) -> np.ndarray:
    """Seconds `start_s` to `end_s` of a segment, in the delivered programme (negative: from its end)."""
    segment = craft["segments"][segment_id]
    origin = segment["start_s"] + (segment["duration_s"] if start_s < 0 else 0)
    return craft["audio"][round((origin + start_s) * RATE) : round((origin + end_s) * RATE)]


def tone_db(samples: np.ndarray, frequency_hz: float) -> float:
    """Level of one sinusoid in `samples` (dBFS peak), by a Hann-windowed DFT at its frequency."""
    window = np.hanning(len(samples))
    phasor = np.exp(-2j * np.pi * frequency_hz * np.arange(len(samples)) / RATE)
    return float(20 * np.log10(2 * abs(np.sum(samples * window * phasor)) / window.sum() + 1e-12))


def band_db(samples: np.ndarray, low_hz: float = 3000.0) -> float:
    """RMS level above `low_hz` (the bed's band), in dBFS."""
    high = sosfiltfilt(butter(6, low_hz, "highpass", fs=RATE, output="sos"), samples)
    return float(10 * np.log10(np.mean(np.square(high)) + 1e-20))


def test_bed_at_full_level_before_the_voice_ducked_under_it_and_back_after(craft: dict) -> None:
    preroll = band_db(part(craft, "bedded", 0.2, 1.4))
    under_voice = band_db(part(craft, "bedded", 2.3, 4.8))
    postroll = band_db(part(craft, "bedded", 5.6, 6.4))
    fading = band_db(part(craft, "bedded", -0.15, -0.02))
    assert preroll - under_voice == pytest.approx(-BED_UNDER_DB, abs=1.0)
    assert postroll == pytest.approx(preroll, abs=1.0)
    assert fading < postroll - 15.0
    # Full level means the programme's loudness: the bed alone reads as loud as the voice does.
    bed_alone = measure(np.repeat(part(craft, "bedded", 0.2, 1.4)[:, None], 2, axis=1), RATE).integrated_lufs
    voice = measure(np.repeat(part(craft, "bedded", 2.3, 4.8)[:, None], 2, axis=1), RATE).integrated_lufs
    assert bed_alone == pytest.approx(voice, abs=1.0)


def test_bed_duck_ramps_in_the_half_second_before_the_voice(craft: dict) -> None:
    before_ramp = band_db(part(craft, "bedded", 1.3, 1.45))
    mid_ramp = band_db(part(craft, "bedded", 1.7, 1.8))
    at_voice = band_db(part(craft, "bedded", 2.0, 2.15))
    assert before_ramp > mid_ramp > at_voice
    assert before_ramp - at_voice == pytest.approx(-BED_UNDER_DB, abs=2.0)
    assert tone_db(part(craft, "bedded", 1.5, 1.95), VOICE_HZ) < tone_db(part(craft, "bedded", 2.3, 4.8), VOICE_HZ) - 40


def test_a_short_bed_loops_without_a_dip(craft: dict) -> None:
    """The 1.2 s bed repeats (joins near 0.7 s and 1.6 s); 100 ms levels of the noise stay even."""
    preroll = part(craft, "bedded", 0.0, 1.45)
    high = sosfiltfilt(butter(6, 3000.0, "highpass", fs=RATE, output="sos"), preroll)
    windows = high[: len(high) // 4410 * 4410].reshape(-1, 4410)
    levels = 10 * np.log10(np.mean(np.square(windows), axis=1))
    assert levels.max() - levels.min() < 1.5


def test_voiceover_lead_ducked_and_tail(craft: dict) -> None:
    lead = tone_db(part(craft, "interview", 0.1, 0.9), CLIP_HZ)
    under = tone_db(part(craft, "interview", 1.5, 3.3), CLIP_HZ)
    tail = tone_db(part(craft, "interview", 4.0, 4.9), CLIP_HZ)
    translation = tone_db(part(craft, "interview", 1.5, 3.3), VO_HZ)
    assert lead - under == pytest.approx(-VO_UNDER_DB, abs=1.0)
    assert tail == pytest.approx(lead, abs=1.0)
    assert tone_db(part(craft, "interview", 0.1, 0.9), VO_HZ) < translation - 40  # no translation in the lead
    assert craft["segments"]["interview"]["duration_s"] == pytest.approx(5.0, abs=0.01)


def test_a_translation_longer_than_the_clip_sets_the_length(craft: dict) -> None:
    segment = craft["segments"]["long-voiceover"]
    assert segment["duration_s"] == pytest.approx(0.5 + 2.5, abs=0.01)  # lead + translation > 1.5 s clip
    assert tone_db(part(craft, "long-voiceover", 2.0, 2.9), CLIP_HZ) < -90  # the clip has ended
    assert tone_db(part(craft, "long-voiceover", 2.0, 2.9), VO_HZ) > -40


def test_gaps_follow_the_segment_or_the_default(craft: dict) -> None:
    s = craft["segments"]
    bedded_end = s["bedded"]["start_s"] + s["bedded"]["duration_s"]
    interview_end = s["interview"]["start_s"] + s["interview"]["duration_s"]
    assert s["interview"]["start_s"] - bedded_end == pytest.approx(0.5, abs=0.001)  # delivery.gap
    assert s["long-voiceover"]["start_s"] - interview_end == pytest.approx(1.0, abs=0.001)  # its own gap
    gap = craft["audio"][round((interview_end + 0.05) * RATE) : round((interview_end + 0.95) * RATE)]
    assert np.abs(gap).max() < 1e-3


def test_crossfade_overlaps_for_its_length_with_equal_power(craft: dict) -> None:
    s = craft["segments"]
    a_end = s["song-a"]["start_s"] + s["song-a"]["duration_s"]
    assert a_end - s["song-b"]["start_s"] == pytest.approx(1.0, abs=0.001)
    start = s["song-b"]["start_s"]
    audio = craft["audio"]

    def levels(frequency_hz: float, from_s: float, to_s: float) -> np.ndarray:
        return np.array([tone_db(audio[round(t * RATE) : round((t + 0.05) * RATE)], frequency_hz)
                         for t in np.arange(from_s, to_s, 0.05)])

    a_full, b_full = levels(A_HZ, start - 1.0, start - 0.5).mean(), levels(B_HZ, start + 1.5, start + 2.0).mean()
    a_fading, b_rising = levels(A_HZ, start, start + 1.0), levels(B_HZ, start, start + 1.0)
    assert np.all(np.diff(a_fading[:-1]) < 0) and np.all(np.diff(b_rising[1:]) > 0)  # one falls as the other rises
    # Halfway through, each is 3 dB down (equal power), not 6 dB (a linear crossfade).
    assert a_fading[9] - a_full == pytest.approx(-3.0, abs=0.7)
    assert b_rising[10] - b_full == pytest.approx(-3.0, abs=0.7)
    assert levels(A_HZ, start + 1.05, start + 1.5).max() < a_full - 60  # A is gone once the overlap ends
    assert levels(B_HZ, start - 0.5, start - 0.05).max() < b_full - 60  # B is silent before it starts


def test_chapters_start_where_segments_become_audible(craft: dict) -> None:
    chapters = ffprobe(craft["programme"])["chapters"]
    s = craft["segments"]
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == pytest.approx([s[i]["start_s"] for i in s], abs=0.002)
    song_a = next(c for c in chapters if c["tags"]["title"] == "Песня А")
    assert float(song_a["end_time"]) == pytest.approx(s["song-b"]["start_s"], abs=0.002)  # no overlapping chapters


def test_forced_build_reports_the_missed_slot(craft: dict) -> None:
    done = craft["done"]
    duration = craft["segments"]["song-b"]["start_s"] + craft["segments"]["song-b"]["duration_s"]
    assert "under the 1:00.0 slot (tolerance 0:10.0); delivered anyway (--force)" in done.stderr
    header = done.stdout.splitlines()[0]
    line = next(line for line in done.stdout.splitlines() if line.startswith("ru "))
    minutes, seconds = divmod(60.0 - duration, 60)
    assert "slot 1:00.0" in header and line.split()[2] == f"-{int(minutes)}:{seconds:04.1f}"


def test_a_missed_slot_fails_the_build_before_mastering(craft: dict, tmp_path: Path) -> None:
    folder = craft["folder"]
    out = tmp_path / "out"
    done = radiokit("build", "episode.yaml", "--out", str(out), cwd=folder)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: ru: runs 0:2")
    assert "under the 1:00.0 slot (tolerance 0:10.0): cut or add material" in errors[0]
    assert "mastering" not in done.stderr  # stopped before the long work
    assert not out.exists()
