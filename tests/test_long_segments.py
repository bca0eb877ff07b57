"""A long plain segment (a take, a music file, a clip played as recorded; faded or not) is rendered a block at a
time: the same WAV, profile and notes as rendering it whole, in memory that does not grow with its length."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from media import PEAK_MB, convert, tone, write_long_tone, write_wav
from radiokit import render
from radiokit.render import SegmentJob, render_to_file
from radiokit.script import load_script

EPISODE = """format: radiokit/1
programme: {series: S, title: T}
languages: [ru]
segments:
  - id: music
    music: music.wav
    level_db: -3
  - id: take
    text: Проверка.
    take: {ru: take.flac}
  - id: clip
    clip: clip.mp3
    clip_language: ru
    trim: {start: 1.5, end: 99}
    cleanup: false
    transcript: {ru: Слова.}
  - id: aac
    text: Запись.
    take: {ru: take.m4a}
  - id: faded
    music: music.wav
    fade_in: 1.5
    fade_out: 2
"""


@pytest.fixture()
def episode(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    speechlike = rng.standard_normal((8 * 48000, 2)) * np.linspace(0.01, 0.3, 8 * 48000)[:, np.newaxis]
    write_wav(tmp_path / "music.wav", 0.5 * speechlike, 48000)
    convert(write_wav(tmp_path / "take.wav", tone(300.0, 7.0, 22050, -20.0), 22050), tmp_path / "take.flac")
    convert(write_wav(tmp_path / "clip.wav", speechlike, 48000), tmp_path / "clip.mp3")
    convert(tmp_path / "clip.wav", tmp_path / "take.m4a")  # AAC: libsndfile cannot read it, ffmpeg decodes it
    (tmp_path / "episode.yaml").write_text(EPISODE, encoding="utf-8")
    return tmp_path / "episode.yaml"


def rendered(script_path: Path, folder: Path, number: int) -> tuple[bytes, np.ndarray, render.SegmentFile]:
    script = load_script(script_path)
    folder.mkdir(exist_ok=True)
    segment = script.segments_for("ru")[number]
    made = render_to_file(script, SegmentJob("ru", number + 1, segment, None, folder / f"{segment.id}.wav"))
    return made.wav.read_bytes(), np.load(made.profile), made


@pytest.mark.parametrize("number", [0, 1, 2, 3, 4])
def test_a_streamed_segment_is_the_segment_rendered_whole(episode: Path, monkeypatch: pytest.MonkeyPatch,
                                                          number: int) -> None:
    whole_wav, whole_profile, whole = rendered(episode, episode.parent / "whole", number)
    monkeypatch.setattr(render, "STREAM_ABOVE_S", 0.0)
    monkeypatch.setattr("radiokit.audio_io.DECODE_BLOCK_FRAMES", 10_000)  # many blocks, none a whole step
    streams: list[str] = []
    stream_to_file = render._stream_to_file
    monkeypatch.setattr(render, "_stream_to_file", lambda *args: streams.append("streamed") or stream_to_file(*args))
    streamed_wav, streamed_profile, streamed = rendered(episode, episode.parent / "streamed", number)
    assert streams == ["streamed"]
    assert streamed_wav == whole_wav
    np.testing.assert_array_equal(streamed_profile, whole_profile)
    assert (streamed.frames, streamed.text, streamed.notes) == (whole.frames, whole.text, whole.notes)
    assert whole.frames > 5 * 44100


def test_the_clips_notes_come_with_it_streamed(episode: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "STREAM_ABOVE_S", 0.0)
    _, _, clip = rendered(episode, episode.parent / "streamed", 2)
    assert clip.text == "Слова."
    assert clip.notes and "trim.end (99 s) is past the end of clip.mp3" in clip.notes[0]


PROGRAM = PEAK_MB + """
import sys
from pathlib import Path
from radiokit.render import SegmentJob, render_to_file
from radiokit.script import load_script
script = load_script(sys.argv[1])
segment = script.segments[0]
made = render_to_file(script, SegmentJob("ru", 1, segment, None, Path(sys.argv[2])))
print(made.frames / 44100, peak_mb())
"""


def test_a_take_of_twenty_minutes_renders_in_memory_that_does_not_follow_its_length(tmp_path: Path) -> None:
    """Rendered whole, 20 minutes at 44.1 kHz stereo are 212 MB in float32 and as much again in each copy
    (about 700 MB at the peak); a block at a time, the process stays near what its libraries take."""
    minutes = 20
    write_long_tone(tmp_path / "take.wav", minutes)
    (tmp_path / "episode.yaml").write_text(
        "format: radiokit/1\nprogramme: {series: S, title: T}\nlanguages: [ru]\nsegments:\n"
        "  - id: talk\n    text: Долгий разговор.\n    take: take.wav\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path / "episode.yaml"), str(tmp_path / "out.wav")],
                          capture_output=True, text=True, timeout=300, check=True)
    seconds, peak_mb = done.stdout.split()
    assert float(seconds) == pytest.approx(minutes * 60, abs=0.01)
    with wave.open(str(tmp_path / "out.wav"), "rb") as out:
        assert out.getnframes() == round(minutes * 60 * 44100) and out.getnchannels() == 2
    assert int(peak_mb) < 350, peak_mb


def test_fades_run_from_silence_and_to_it_the_same_in_any_blocks(episode: Path) -> None:
    faded = load_script(episode).segments_for("ru")[4]
    frames, rate = 10 * 44100, 44100
    whole = render.fade_gains(faded, 0, frames, frames, rate)[:, 0]
    pieces = np.concatenate([render.fade_gains(faded, first, min(7777, frames - first), frames, rate)[:, 0]
                             for first in range(0, frames, 7777)])
    np.testing.assert_array_equal(pieces, whole)
    assert whole[0] == 0.0 and whole[-1] == 0.0
    assert whole[round(0.75 * rate)] == pytest.approx(0.5, abs=1e-4)  # half way through the 1.5 s fade-in
    assert np.all(whole[round(1.5 * rate) : frames - 2 * rate] == 1.0)
    assert np.all(np.diff(whole[: round(1.5 * rate)]) > 0) and np.all(np.diff(whole[frames - 2 * rate :]) < 0)
