"""radiokit's MP3s: LAME in process, and the LAME Info frame radiokit writes in front of LAME's frames, read
by independent decoders (ffmpeg, libsndfile, ffprobe) and checked against a reference CRC-16."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from media import convert, decode, ffprobe, write_wav
from radiokit import mpeg
from radiokit.encode import LameEncoder, encode_array, open_encoder


def reference_crc16(data: bytes) -> int:
    """CRC-16/ARC, bit by bit, as LAME's documentation gives it: the reflected polynomial 0xA001 from 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def music(rate: int, channels: int, frames: int) -> np.ndarray:
    t = np.arange(frames) / rate
    left = 0.3 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 1.3 * t) + 0.02 * np.sin(2 * np.pi * 5100 * t)
    return np.stack([left, 0.8 * left][:channels], axis=1).astype(np.float32)


@pytest.mark.parametrize("rate, channels, kbps, frames", [(44100, 2, 128, 44100 * 3 + 123), (48000, 1, 64, 48000),
                                                           (48000, 2, 192, 1152 * 10 - 576)])
def test_an_mp3_decodes_to_exactly_the_samples_encoded(tmp_path: Path, rate: int, channels: int, kbps: int,
                                                       frames: int) -> None:
    source = music(rate, channels, frames)
    path = tmp_path / "ours.mp3"
    encode_array(path, "mp3", source, rate, kbps)
    by_ffmpeg = decode(path, rate, channels)
    by_libsndfile, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert len(by_ffmpeg) == len(by_libsndfile) == frames
    # ffprobe describes it as it describes ffmpeg's own encode of the same samples (the same LAME), which
    # it is as close to, and in time with.
    theirs = tmp_path / "theirs.mp3"
    convert(write_wav(tmp_path / "source.wav", source.astype(np.float64), rate), theirs, "-c:a", "libmp3lame",
            "-b:a", f"{kbps}k")
    fields = ("codec_name", "sample_rate", "channels", "bit_rate", "duration", "start_time")
    probed = ffprobe(path)["streams"][0]
    assert [probed[field] for field in fields] == [ffprobe(theirs)["streams"][0][field] for field in fields]
    assert (int(probed["sample_rate"]), int(probed["channels"]), int(probed["bit_rate"])) == (rate, channels,
                                                                                              kbps * 1000)
    ours_error = np.sqrt(np.mean(np.square(by_ffmpeg - source)))
    theirs_error = np.sqrt(np.mean(np.square(decode(theirs, rate, channels) - source)))
    assert ours_error < 1.2 * theirs_error + 1e-4


def test_the_info_frame_records_the_stream_as_lame_and_ffmpeg_lay_it_out(tmp_path: Path) -> None:
    rate, channels, kbps, frames = 44100, 2, 128, 100000
    path = tmp_path / "ours.mp3"
    encode_array(path, "mp3", music(rate, channels, frames), rate, kbps)
    data = path.read_bytes()
    size = mpeg.info_frame_bytes(rate, kbps)
    assert size == 417
    info = data[:size]
    at = 4 + 32  # stereo MPEG-1: 32 bytes of side information
    assert info[at : at + 8] == b"Info\0\0\0\x0f"
    audio = data[size:]
    count = int.from_bytes(info[at + 8 : at + 12], "big")
    assert int.from_bytes(info[at + 12 : at + 16], "big") == len(data)
    lame = info[at + 120 : at + 156]
    assert lame[:9] == b"LAME3.100"
    delay_padding = int.from_bytes(lame[21:24], "big")
    assert delay_padding >> 12 == 576 and count * 1152 == 576 + frames + (delay_padding & 0xFFF)
    assert int.from_bytes(lame[28:32], "big") == len(data)
    assert int.from_bytes(lame[32:34], "big") == reference_crc16(audio)
    assert int.from_bytes(lame[34:36], "big") == reference_crc16(info[: at + 154])
    # Every byte after the Info frame is an MPEG frame of the stream's format: `count` of them.
    position, seen = 0, 0
    while position < len(audio):
        header = int.from_bytes(audio[position : position + 4], "big")
        assert header >> 21 == 0x7FF and (header >> 12) & 15 == 9  # 128 kbps
        position += 417 + ((header >> 9) & 1)
        seen += 1
    assert position == len(audio) and seen == count


def test_what_is_not_mpeg_1_goes_to_ffmpeg(tmp_path: Path) -> None:
    with open_encoder(tmp_path / "a.mp3", "mp3", 44100, 2, 128) as lame:
        assert isinstance(lame, LameEncoder)
    with open_encoder(tmp_path / "b.mp3", "mp3", 22050, 1, 64) as other:  # MPEG-2: ffmpeg's
        assert not isinstance(other, LameEncoder)
        other.write(music(22050, 1, 22050))
    assert len(decode(tmp_path / "b.mp3", 22050, 1)) == 22050
