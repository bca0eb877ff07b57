"""Decoding any common format, rate and channel count to the delivery format: in process (libsndfile and soxr)
where it can, through the bundled ffmpeg otherwise, to the same samples."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from media import convert, tone, write_wav
from radiokit import audio_io
from radiokit.audio_io import decode, from_array
from radiokit.errors import AudioInputError


@pytest.mark.parametrize("suffix, rate, channels", [
    (".wav", 22050, 1), (".flac", 48000, 2), (".mp3", 32000, 1), (".ogg", 44100, 2), (".wav", 8000, 2),
])
@pytest.mark.parametrize("target_rate, target_channels", [(44100, 2), (48000, 1)])
def test_any_format_decodes_to_the_delivery_format(tmp_path: Path, suffix: str, rate: int, channels: int,
                                                  target_rate: int, target_channels: int) -> None:
    source = write_wav(tmp_path / "source.wav", tone(1000.0, 2.0, rate, -6.0, channels), rate)
    path = source if suffix == ".wav" else convert(source, tmp_path / f"source{suffix}")
    samples = decode(path, target_rate, target_channels)
    assert samples.dtype == np.float32 and samples.shape[1] == target_channels
    assert abs(len(samples) - 2 * target_rate) <= 0.03 * target_rate  # lossy codecs pad a little
    assert 20 * np.log10(np.abs(samples).max()) == pytest.approx(-6.0, abs=0.6)


def ffmpeg_decodes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ffmpeg runs logged that decoded audio (not those that only probed a file)."""
    return [record.getMessage() for record in caplog.records
            if record.name == "radiokit.ffmpeg" and "pipe:1" in record.getMessage()]


@pytest.mark.parametrize("suffix, rate, channels", [(".mp3", 48000, 2), (".flac", 22050, 1), (".wav", 44100, 2)])
def test_in_process_decoding_gives_ffmpegs_samples(tmp_path: Path, caplog: pytest.LogCaptureFixture, suffix: str,
                                                   rate: int, channels: int) -> None:
    """Trimmed, resampled and (mono) spread to both channels in process, without an ffmpeg run: the same
    frames as ffmpeg's decode of the whole file, within -80 dB of the signal away from the trimmed edges
    (where a resampler starts and stops). Compared with the whole file: ffmpeg's own seek into an MP3
    decodes what follows a little differently (-40 dB), its bit reservoir cut off."""
    rng = np.random.default_rng(4)
    noise = rng.standard_normal((3 * rate, channels)) * np.linspace(0.02, 0.2, 3 * rate)[:, np.newaxis]
    speech_band = sosfilt(butter(8, 6000, fs=rate, output="sos"), noise, axis=0)  # resamplers agree below 20 kHz
    source = write_wav(tmp_path / "source.wav", speech_band, rate)
    path = source if suffix == ".wav" else convert(source, tmp_path / f"source{suffix}")
    caplog.set_level("DEBUG", logger="radiokit.ffmpeg")
    ours = decode(path, 44100, 2, start_s=0.25, end_s=2.5)
    assert ffmpeg_decodes(caplog) == []
    assert abs(len(ours) - round(2.25 * 44100)) <= 2
    by_ffmpeg = audio_io._blocks_by_ffmpeg(path, audio_io.probe(path), 44100, 2, 0.0, None, "source", 1 << 20)
    whole = np.concatenate(list(by_ffmpeg))
    start = round(math.ceil(0.25 * rate) * 44100 / rate)  # the first source frame at or after 0.25 s
    theirs = whole[start : start + len(ours)]
    inside = slice(200, -200)
    difference = np.sqrt(np.mean(np.square(ours[inside] - theirs[inside])))
    assert difference < 1e-4 * np.sqrt(np.mean(np.square(theirs[inside])))  # -80 dB


@pytest.mark.parametrize("suffix, channels, target_channels", [(".m4a", 2, 2), (".wav", 2, 1)])
def test_what_libsndfile_cannot_do_goes_through_ffmpeg(tmp_path: Path, caplog: pytest.LogCaptureFixture, suffix: str,
                                                       channels: int, target_channels: int) -> None:
    """AAC, which libsndfile does not read, and a downmix to mono, which is ffmpeg's to make."""
    source = write_wav(tmp_path / "source.wav", tone(440.0, 1.0, 44100, -6.0, channels), 44100)
    path = source if suffix == ".wav" else convert(source, tmp_path / f"source{suffix}")
    caplog.set_level("DEBUG", logger="radiokit.ffmpeg")
    samples = decode(path, 44100, target_channels)
    assert any(str(path) in run for run in ffmpeg_decodes(caplog))
    assert samples.shape[1] == target_channels and abs(len(samples) - 44100) <= 0.03 * 44100


def test_trim_takes_the_range(tmp_path: Path) -> None:
    rate = 16000
    ramp = np.concatenate([np.full(rate, 0.1), np.full(rate, 0.3), np.full(rate, 0.5)])  # 1 s steps
    path = write_wav(tmp_path / "steps.wav", ramp, rate)
    audio = decode(path, 44100, 1, start_s=1.0, end_s=2.0)
    assert len(audio) == pytest.approx(44100, abs=2)
    assert np.median(audio) == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize("content", [b"", b"RIFF....WAVEfmt garbage", bytes(range(256)) * 40])
def test_undecodable_files_name_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(AudioInputError, match="broken.wav"):
        decode(path, 44100, 2, shown="broken.wav")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_samples_beyond_full_scale_saturate_and_never_wrap(dtype: type) -> None:
    """1.5 must become the largest positive sample: in float32, 2**31 - 1 rounds to 2**31, which wrapped
    to the most negative sample, a full-scale click."""
    samples = np.array([[1.5, -1.5], [1.0, -1.0], [0.5, -0.25]], dtype=dtype)
    raw = np.frombuffer(from_array(samples, 44100).raw_data, dtype="<i4")
    assert raw.tolist() == [2**31 - 1, -(2**31), 2**31 - 1, -(2**31), 2**30, -(2**29)]


def test_probing_by_the_batch_matches_probing_one_by_one(tmp_path: Path) -> None:
    """One ffmpeg run describes a batch: each file's rate, channels and duration as probed alone, and the
    duration of an MP3 with no header to give it left unknown, for that file only. ffmpeg stops at a
    damaged file: it and the files after it are left to `probe`, which names the damaged one."""
    sources = [write_wav(tmp_path / "a.wav", tone(440.0, 1.0, 22050), 22050),
               convert(write_wav(tmp_path / "b.wav", tone(440.0, 2.0, 48000, channels=2), 48000),
                       tmp_path / "b.mp3", "-write_xing", "0"),
               convert(write_wav(tmp_path / "c.wav", tone(440.0, 3.0, 44100), 44100), tmp_path / "c.flac"),
               tmp_path / "damaged.flac",
               tmp_path / "d.wav"]
    sources[3].write_bytes(b"fLaC" + bytes(300))
    write_wav(sources[4], tone(440.0, 0.5, 8000), 8000)
    audio_io.probe_many(sources)
    found = {key[0]: info for key, info in audio_io.probed().items() if key[0] in sources}
    assert found == {path: audio_io._probe(path, None) for path in sources[:3]}
    assert found[sources[0]].duration_s == 1.0 and found[sources[1]].duration_s is None
    assert found[sources[2]].duration_s == 3.0 and (found[sources[2]].sample_rate, found[sources[2]].channels) == (44100, 1)
    with pytest.raises(AudioInputError, match=r"damaged\.flac: cannot decode the audio"):
        audio_io.probe(sources[3], None)
    assert audio_io.probe(sources[4]) == audio_io.StreamInfo(8000, 1, 0.5)


def test_reading_ahead_keeps_order_passes_errors_on_and_stops_with_its_reader() -> None:
    assert list(audio_io.read_ahead(iter(range(50)), depth=3)) == list(range(50))

    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise AudioInputError("clip.mp3: cut short")
    received = []
    with pytest.raises(AudioInputError, match="cut short"):
        for item in audio_io.read_ahead(failing()):
            received.append(item)
    assert received == [1, 2]

    produced = []

    def endless() -> Iterator[int]:
        number = 0
        while True:
            produced.append(number)
            yield number
            number += 1
    reader = audio_io.read_ahead(endless(), depth=2)
    assert [next(reader) for _ in range(5)] == [0, 1, 2, 3, 4]
    reader.close()  # the reader stops: so does the producer, a few items ahead at most
    stopped_at = len(produced)
    time.sleep(0.2)
    assert len(produced) == stopped_at <= 5 + 2 + 2


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_float_source_with_non_finite_samples_is_refused(tmp_path: Path, bad: float) -> None:
    """NaN or infinity would become full-scale clicks: the file is refused with one line, and no numpy warning."""
    import soundfile
    import warnings

    samples = np.zeros((4800, 2), dtype=np.float32)
    samples[100:103] = bad
    soundfile.write(tmp_path / "broken.wav", samples, 48000, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AudioInputError, match=r"^broken\.wav: 6 samples are not numbers \(NaN or infinity\)"):
            decode(tmp_path / "broken.wav", 44100, 2, shown="broken.wav")


def test_a_wav_that_cannot_be_created_is_an_oserror_and_nothing_on_stderr(tmp_path: Path) -> None:
    """What a cluster worker meets when its build has ended and removed the folder it renders into."""
    import subprocess
    import sys

    code = ("from pathlib import Path; from radiokit import audio_io\n"
            "try:\n"
            f"    audio_io.write_wav(Path({str(tmp_path / 'gone' / 'x.wav')!r}), audio_io.AudioSegment.silent(10))\n"
            "except FileNotFoundError:\n"
            "    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.stdout, done.stderr) == ("refused\n", "")


@pytest.mark.parametrize("gain", [1.0, 0.3])
def test_long_samples_convert_a_piece_at_a_time_with_their_gain(gain: float) -> None:
    """Over several pieces (6 s each), the conversion is the one rule applied everywhere: times the gain at
    full scale, rounded, saturated."""
    samples = np.random.default_rng(8).uniform(-1.5, 1.5, (3 * 2**18 + 5, 2)).astype(np.float32)
    expected = np.clip(np.round(samples.astype(np.float64) * (2.0**31 * gain)), -2.0**31, 2.0**31 - 1).astype("<i4")
    converted = from_array(samples, 44100, gain)
    assert (converted.channels, converted.frame_count()) == (2, len(samples))
    np.testing.assert_array_equal(np.frombuffer(converted.raw_data, dtype="<i4").reshape(-1, 2), expected)
