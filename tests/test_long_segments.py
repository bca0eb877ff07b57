"""A segment with one long source (a take, under a bed or not; a music file; a clip, cleaned or not, under a
voice-over or not; silence; faded or not) is rendered a block at a time: the same WAV, profile and notes as
rendering it whole, in memory that does not grow with its length."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from media import PEAK_MB, convert, tone, write_long_field_recording, write_long_tone, write_wav
from radiokit import render
from radiokit.loudness import measure
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
  - id: quiet
    silence: 7.00001
  - id: bedded
    text: Под музыку.
    take: {ru: take.flac}
    bed: {music: music.wav, under_db: -15, preroll: 2, postroll: 1.5, fade_out: 1}
    fade_in: 0.5
  - id: voiced
    clip: clip.mp3
    clip_language: tg
    cleanup: false
    voiceover:
      ru: {take: take.flac}
      lead: 1.5
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


def streamed_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets an entry each time a segment takes the block-at-a-time path."""
    streams: list[str] = []
    stream_to_file = render._stream_to_file
    monkeypatch.setattr(render, "_stream_to_file", lambda *args: streams.append("streamed") or stream_to_file(*args))
    return streams


def pieces_spoken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts over 100 characters spoken in pieces of up to 120; the list of what each call to a voice speaks."""
    monkeypatch.setattr(render, "LONG_TEXT_CHARS", 100)
    monkeypatch.setattr(render, "TEXT_PIECE_CHARS", 120)
    spoken: list[str] = []
    voice = render._Renderer.voice
    monkeypatch.setattr(render._Renderer, "voice", lambda self, speaker, piece: spoken.append(piece) or
                        voice(self, speaker, piece))
    return spoken


def rendered(script_path: Path, folder: Path, number: int) -> tuple[bytes, np.ndarray, render.SegmentFile]:
    script = load_script(script_path)
    folder.mkdir(exist_ok=True)
    segment = script.segments_for("ru")[number]
    made = render_to_file(script, SegmentJob("ru", number + 1, segment, None, folder / f"{segment.id}.wav"))
    return made.wav.read_bytes(), np.load(made.profile), made


@pytest.mark.parametrize("number", [0, 1, 2, 3, 4, 5, 6, 7])
def test_a_streamed_segment_is_the_segment_rendered_whole(episode: Path, monkeypatch: pytest.MonkeyPatch,
                                                          number: int) -> None:
    whole_wav, whole_profile, whole = rendered(episode, episode.parent / "whole", number)
    monkeypatch.setattr(render, "STREAM_ABOVE_S", 0.0)
    monkeypatch.setattr("radiokit.audio_io.DECODE_BLOCK_FRAMES", 10_000)  # many blocks, none a whole step
    streams = streamed_renders(monkeypatch)
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


CLEANED = """format: radiokit/1
programme: {series: S, title: T}
languages: [ru]
segments:
  - id: field
    clip: field.wav
    clip_language: ru
    trim: {start: 0.5}
    cleanup: {pause_max: 2}
    fade_out: 1
    transcript: {ru: Слова.}
"""


def test_a_cleaned_clip_streamed_is_the_clip_cleaned_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamed, a cleaned clip goes through the chain on a file on disk, a piece at a time (pieces of 0.37 s
    here, so that hum, noise and pauses all cross them), in float32: the same frames, report and notes as
    cleaning it whole in memory, the samples within float32's rounding; the chain's files are gone after."""
    write_long_field_recording(tmp_path / "mono.wav", 1, rate=16000)
    mono = load_wav(tmp_path / "mono.wav")[: 40 * 16000]
    write_wav(tmp_path / "field.wav", np.stack((mono, 0.8 * np.roll(mono, 160)), axis=1), 16000)  # not dual mono
    (tmp_path / "episode.yaml").write_text(CLEANED, encoding="utf-8")
    _, whole_profile, whole = rendered(tmp_path / "episode.yaml", tmp_path / "whole", 0)
    monkeypatch.setattr(render, "CLEANED_STREAM_ABOVE_S", 0.0)
    monkeypatch.setattr("radiokit.clean.tape.PIECE_FRAMES", 2**14)
    streams = streamed_renders(monkeypatch)
    _, streamed_profile, streamed = rendered(tmp_path / "episode.yaml", tmp_path / "streamed", 0)
    assert streams == ["streamed"]
    assert whole.cleanup is not None and [step["applied"] for step in whole.cleanup["steps"]] == [True] * 5
    assert streamed.cleanup == whole.cleanup
    assert (streamed.frames, streamed.text, streamed.notes) == (whole.frames, whole.text, whole.notes)
    assert whole.frames < 39 * 44100  # pauses were cut
    difference = np.abs(load_wav(streamed.wav) - load_wav(whole.wav)).max()
    assert difference < 1e-5, difference  # float32's rounding is 6e-8; a misplaced piece would be far more
    np.testing.assert_allclose(streamed_profile, whole_profile, rtol=1e-4, atol=1e-12)
    assert sorted(path.name for path in (tmp_path / "streamed").iterdir()) == ["field.npy", "field.wav"]


def load_wav(path: Path) -> np.ndarray:
    """A 16- or 32-bit PCM WAV as float samples (frames, channels), or (frames,) for mono."""
    with wave.open(str(path), "rb") as wav:
        width, channels, raw = wav.getsampwidth(), wav.getnchannels(), wav.readframes(wav.getnframes())
    samples = np.frombuffer(raw, dtype=f"<i{width}") / float(2 ** (8 * width - 1))
    return samples if channels == 1 else samples.reshape(-1, channels)


PROGRAM = PEAK_MB + """
import sys
from pathlib import Path
from radiokit.render import SegmentJob, render_to_file
from radiokit.script import load_script
script = load_script(sys.argv[1])
segment = script.segments[0]
made = render_to_file(script, SegmentJob("ru", 1, segment, None, Path(sys.argv[2])))
print(made.frames / 44100, peak_mb(), (made.cleanup or {}).get("summary"))
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
    seconds, peak_mb, _ = done.stdout.split(maxsplit=2)
    assert float(seconds) == pytest.approx(minutes * 60, abs=0.01)
    with wave.open(str(tmp_path / "out.wav"), "rb") as out:
        assert out.getnframes() == round(minutes * 60 * 44100) and out.getnchannels() == 2
    assert int(peak_mb) < 350, peak_mb



def test_a_cleaned_clip_of_twelve_minutes_renders_in_memory_that_does_not_follow_its_length(tmp_path: Path) -> None:
    """Cleaned whole, 12 minutes at 44.1 kHz are 254 MB in float64 per channel and copy (1785 MB at the
    peak); on disk a piece at a time, every step acting, the process stays under 350 MB (275 MB here)."""
    minutes = 12
    write_long_field_recording(tmp_path / "field.wav", minutes)
    (tmp_path / "episode.yaml").write_text(CLEANED.replace("trim: {start: 0.5}", "trim: {start: 0}"),
                                           encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path / "episode.yaml"), str(tmp_path / "out.wav")],
                          capture_output=True, text=True, timeout=300, check=True)
    seconds, peak_mb, summary = done.stdout.split(maxsplit=2)
    assert "rumble filtered, hum at 50 Hz removed" in summary and "pauses shortened" in summary
    assert float(seconds) < minutes * 60 - 60  # 3 s of every 12 are pause, cut to 2
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


def test_a_very_long_text_is_spoken_a_piece_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LONG_TEXT_CHARS, a text is spoken a piece at a time, cut between sentences, onto a file on disk and
    leveled from there: the same words, engine and loudness as speaking it whole, about as long (the pieces'
    joins fall in the pauses between sentences), and nothing left behind."""
    text = " ".join(f"Предложение номер {number}, и ещё несколько слов." for number in range(1, 9))
    (tmp_path / "episode.yaml").write_text(
        "format: radiokit/1\nprogramme: {series: S, title: T}\nlanguages: [ru]\n"
        "voices:\n  host: {ru: {engine: espeak, voice: ru}}\n"
        f"segments:\n  - id: long-text\n    speaker: host\n    text: {{ru: \"{text}\"}}\n", encoding="utf-8")
    whole_wav, _, whole = rendered(tmp_path / "episode.yaml", tmp_path / "whole", 0)
    spoken = pieces_spoken(monkeypatch)
    streamed_wav, _, streamed = rendered(tmp_path / "episode.yaml", tmp_path / "streamed", 0)
    assert len(spoken) == 4 and " ".join(spoken) == text and all(piece.endswith(".") for piece in spoken)
    assert (streamed.text, streamed.engine, streamed.notes) == (whole.text, whole.engine, whole.notes) == \
        (text, "espeak", ())
    assert streamed.frames == pytest.approx(whole.frames, rel=0.05)
    target = -23.0 - render.HEADROOM_DB
    for wav in (tmp_path / "whole" / "long-text.wav", tmp_path / "streamed" / "long-text.wav"):
        samples = load_wav(wav)
        assert measure(samples, 44100).integrated_lufs == pytest.approx(target, abs=0.1)
    assert streamed_wav != whole_wav
    assert sorted(path.name for path in (tmp_path / "streamed").iterdir()) == ["long-text.npy", "long-text.wav"]


def test_a_very_long_voice_over_text_is_spoken_a_piece_at_a_time(episode: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A voice-over text past LONG_TEXT_CHARS is spoken in pieces onto disk too, over a clip however short:
    the same words and engine as speaking it whole, about as long, and nothing left behind."""
    text = " ".join(f"Перевод номер {number}, и ещё несколько слов." for number in range(1, 9))
    script_text = episode.read_text(encoding="utf-8").replace(
        "      ru: {take: take.flac}\n",
        f"      ru: {{speaker: host, text: \"{text}\"}}\n") + "voices:\n  host: {ru: {engine: espeak, voice: ru}}\n"
    episode.write_text(script_text, encoding="utf-8")
    _, _, whole = rendered(episode, episode.parent / "whole", 7)
    spoken = pieces_spoken(monkeypatch)
    _, _, streamed = rendered(episode, episode.parent / "streamed", 7)
    assert len(spoken) == 3 and " ".join(spoken) == text  # eight sentences of 39 characters, three to a piece
    assert (streamed.text, streamed.engine, streamed.notes) == (whole.text, whole.engine, whole.notes) == \
        (text, "espeak", ())
    assert streamed.frames == pytest.approx(whole.frames, rel=0.05)
    assert whole.frames > 8 * 44100 + 1.5 * 44100  # the translation runs on past the 8 s clip
    assert sorted(path.name for path in (episode.parent / "streamed").iterdir()) == ["voiced.npy", "voiced.wav"]
