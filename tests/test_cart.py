"""AES46 cart chunks and MPEG-in-WAV files, written by radiokit and read back by other readers: the bytes at
the standard's offsets, libsndfile (soundfile), ffprobe and ffmpeg, and radiokit's own `read_cart`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile
from soundfile import _ffi, _snd  # soundfile has no call for libsndfile's cart chunk: its cffi handle does

from radiokit import bwf
from radiokit.bwf import BextInfo, BroadcastWaveWriter, read_loudness, riff_chunk, write_loudness
from radiokit.cart import CartInfo, CartTimer, cart_chunk, read_cart
from radiokit.errors import ArgumentError, BuildError, InputError
from radiokit.loudness import measure
from radiokit.mpegwav import wrap_mpeg
from tests.media import convert, decode, ffprobe, tone, write_wav

BEXT = BextInfo("Global Voices 12 (ru)", "radiokit", "gv12-ru", dt.datetime(2012, 10, 26, 18, 30, 5), "")
INFO = CartInfo(
    title="Таджикистан ищет прагматичных экономических связей с Россией", artist="Шаходат Саибназарова",
    cut_id="004711", client_id="Institute for War and Peace Reporting", category="NEWS",
    classification="Тоҷикистон", out_cue="…и до новых встреч в эфире!", start=dt.datetime(2012, 10, 26, 6, 0, 0),
    end=dt.datetime(2012, 11, 2, 23, 59, 59), producer_app_id="radiokit", producer_app_version="0.9",
    user_def="ru headline", level_reference=32768,
    timers=(CartTimer("AUDs", 4800), CartTimer("INTe", 24000), CartTimer("SEGs", 60000), CartTimer("AUDe", 91200)),
    url="https://iwpr.net/global-voices", tag_text="Глобальные голоса 12")
# What the file holds: ASCII, cut to the field (the title's 69 letters to 64), non-Cyrillic non-ASCII as "?".
WRITTEN = dataclasses.replace(
    INFO, title="Tadzhikistan ischet pragmatichnykh ehkonomicheskikh svyazey s Ro", artist="Shakhodat Saibnazarova",
    classification="Tojikiston", out_cue="?i do novykh vstrech v ehfire!", tag_text="Global'nye golosa 12")
SF_GET_CART_INFO = 0x1401  # libsndfile's sf_command: fills an SF_CART_INFO from the file's cart chunk


def chunks(raw: bytes) -> list[tuple[bytes, bytes]]:
    """The top-level chunks of a RIFF file's bytes, walked here by the RIFF rules (pad byte after odd sizes)."""
    found, at = [], 12
    while at + 8 <= len(raw):
        name, size = raw[at : at + 4], struct.unpack("<I", raw[at + 4 : at + 8])[0]
        found.append((name, raw[at + 8 : at + 8 + size]))
        at += 8 + size + size % 2
    return found


def chunk(raw: bytes, name: bytes) -> bytes:
    return dict(chunks(raw))[name]


def write_pcm(path: Path, samples: np.ndarray, extra: tuple[bytes, ...] = (cart_chunk(INFO),)) -> Path:
    with BroadcastWaveWriter(path, 48000, samples.shape[1], BEXT, extra_chunks=extra) as writer:
        for start in range(0, len(samples), 7000):
            writer.write(samples[start : start + 7000])
    return path


def libsndfile_cart(path: Path) -> bytes:
    """libsndfile's own reading of the cart chunk: its SF_CART_INFO (the file's layout, then a 4-byte tag
    text size before the tag text)."""
    with soundfile.SoundFile(str(path)) as handle:
        buffer = _ffi.new("char[]", 2052 + 256)
        assert _snd.sf_command(handle._file, SF_GET_CART_INFO, buffer, len(buffer)) == 1
        return bytes(_ffi.buffer(buffer))


@pytest.fixture(scope="module")
def pcm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    samples = tone(1000.0, 2.0, 48000, -20.0, channels=2)
    return write_pcm(tmp_path_factory.mktemp("pcm") / "cart.wav", samples), samples


def test_every_cart_field_reads_back_transliterated(pcm: tuple[Path, np.ndarray]) -> None:
    path, _ = pcm
    assert read_cart(path) == WRITTEN


def test_the_fields_sit_at_the_offsets_of_aes46(pcm: tuple[Path, np.ndarray]) -> None:
    raw = pcm[0].read_bytes()
    assert [name for name, _ in chunks(raw)] == [b"JUNK", b"bext", b"fmt ", b"cart", b"data"]
    data = chunk(raw, b"cart")
    assert len(data) == 2048 + len("Global'nye golosa 12")

    def text(offset: int, size: int, value: str) -> None:
        assert data[offset : offset + size] == value.encode("ascii").ljust(size, b"\0"), (offset, value)

    text(0, 4, "0101")
    text(4, 64, WRITTEN.title)
    text(68, 64, "Shakhodat Saibnazarova")
    text(132, 64, "004711")
    text(196, 64, "Institute for War and Peace Reporting")
    text(260, 64, "NEWS")
    text(324, 64, "Tojikiston")
    text(388, 64, "?i do novykh vstrech v ehfire!")
    text(452, 10, "2012-10-26")
    text(462, 8, "06:00:00")
    text(470, 10, "2012-11-02")
    text(480, 8, "23:59:59")
    text(488, 64, "radiokit")
    text(552, 64, "0.9")
    text(616, 64, "ru headline")
    assert struct.unpack("<I", data[680:684])[0] == 32768  # LevelReference
    timers = [(data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]) for at in range(684, 748, 8)]
    assert timers == [(b"AUDs", 4800), (b"INTe", 24000), (b"SEGs", 60000), (b"AUDe", 91200)] + [(bytes(4), 0)] * 4
    assert data[748:1024] == bytes(276)  # Reserved
    text(1024, 1024, "https://iwpr.net/global-voices")
    assert data[2048:] == b"Global'nye golosa 12"  # TagText


def test_libsndfile_reads_the_cart_chunk_and_the_same_audio(pcm: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path, samples = pcm
    plain = write_pcm(tmp_path / "plain.wav", samples, extra=())  # the same dither seed: the same samples
    with_cart, rate = soundfile.read(str(path), dtype="int16")
    without, _ = soundfile.read(str(plain), dtype="int16")
    assert rate == 48000 and with_cart.shape == (96000, 2)
    assert np.array_equal(with_cart, without)
    info = libsndfile_cart(path)
    assert info[4:68].rstrip(b"\0") == WRITTEN.title.encode()
    assert struct.unpack("<i", info[680:684])[0] == 32768
    assert (info[684:688], struct.unpack("<i", info[688:692])[0]) == (b"AUDs", 4800)
    assert info[1024:2048].rstrip(b"\0") == b"https://iwpr.net/global-voices"
    size = struct.unpack("<I", info[2048:2052])[0]
    assert info[2052 : 2052 + size] == b"Global'nye golosa 12"


def test_ffprobe_and_ffmpeg_read_the_file(pcm: tuple[Path, np.ndarray]) -> None:
    path, samples = pcm
    probe = ffprobe(path)
    stream = probe["streams"][0]
    assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == ("pcm_s16le", 48000, 2)
    assert float(probe["format"]["duration"]) == pytest.approx(2.0, abs=1e-3)
    assert probe["format"]["tags"]["comment"] == BEXT.description
    assert np.abs(decode(path, 48000, 2) - samples).max() <= 1.5 / 32768  # the dither, nothing else


def test_bext_loudness_is_patched_beside_the_cart(tmp_path: Path) -> None:
    path = write_pcm(tmp_path / "p.wav", tone(1000.0, 3.0, 48000, -20.0, channels=2))
    measured = measure(decode(path, 48000, 2), 48000)
    write_loudness(path, measured)
    assert read_loudness(path).loudness_value == pytest.approx(measured.integrated_lufs, abs=0.005)
    assert read_loudness(path).loudness_value == pytest.approx(-20.0, abs=0.1)
    assert read_cart(path) == WRITTEN


def test_an_rf64_file_keeps_its_cart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The RIFF limit lowered, as in test_bwf: the ds64 chunk takes the JUNK's place; the cart stays put."""
    monkeypatch.setattr(bwf, "_RIFF_LIMIT", 100_000)
    samples = tone(1000.0, 1.0, 48000, -12.0, channels=2)
    raw = write_pcm(tmp_path / "long.wav", samples).read_bytes()
    assert raw[:4] == b"RF64" and [name for name, _ in chunks(raw)][:2] == [b"ds64", b"bext"]
    path = tmp_path / "long.wav"
    assert float(ffprobe(path)["format"]["duration"]) == pytest.approx(1.0, abs=1e-3)
    assert decode(path, 48000, 2).shape == samples.shape
    write_loudness(path, measure(samples, 48000))
    assert read_loudness(path).loudness_value == pytest.approx(-12.0, abs=0.1)
    assert read_cart(path) == WRITTEN


def test_an_odd_tag_text_keeps_the_chunk_even() -> None:
    """Rivendell walks chunks by their sizes and skips no pad byte: the data is kept even with a NUL."""
    data = cart_chunk(dataclasses.replace(INFO, tag_text="abc"))
    assert struct.unpack("<I", data[4:8])[0] == 2052 and data[8 + 2048 :] == b"abc\0"


def test_no_cart_or_a_damaged_one_is_an_input_error(pcm: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    samples = pcm[1][:4800]
    with pytest.raises(InputError, match=r"plain\.wav has no cart chunk"):
        read_cart(write_pcm(tmp_path / "plain.wav", samples, extra=()))
    with pytest.raises(InputError, match=r"short\.wav: its cart chunk is 100 bytes"):
        read_cart(write_pcm(tmp_path / "short.wav", samples, extra=(riff_chunk(b"cart", bytes(100)),)))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(pcm[0].read_bytes()[:1500])  # ends inside the cart chunk
    with pytest.raises(InputError, match=r"cut\.wav ends inside its 'cart' chunk"):
        read_cart(cut)
    whole = cart_chunk(INFO)
    nodate = whole[: 8 + 452] + b"not a date" + whole[8 + 462 :]
    with pytest.raises(InputError, match=r"nodate\.wav: its cart chunk's date"):
        read_cart(write_pcm(tmp_path / "nodate.wav", samples, extra=(nodate,)))
    text = tmp_path / "text.wav"
    text.write_text("not a wave file")
    with pytest.raises(InputError, match=r"text\.wav is not a RIFF"):
        read_cart(text)


def test_what_a_cart_cannot_hold_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="8 timers"):
        dataclasses.replace(INFO, timers=(CartTimer("MRK ", 1),) * 9)
    with pytest.raises(ArgumentError, match="FOURCC"):
        CartTimer("SEG", 1)
    with pytest.raises(ArgumentError, match="0 to"):
        CartTimer("SEGs", -1)
    never = tmp_path / "never.wav"
    with pytest.raises(ArgumentError, match="bext"):
        BroadcastWaveWriter(never, 48000, 2, BEXT, extra_chunks=(riff_chunk(b"bext", bytes(602)),))
    with pytest.raises(ArgumentError, match="whole RIFF chunk"):
        BroadcastWaveWriter(never, 48000, 2, BEXT, extra_chunks=(cart_chunk(INFO)[:-1],))
    assert not never.exists()


# MPEG-1 Layer II in Broadcast Wave (EBU Tech 3285 Supplement 1)

def mp2(folder: Path, rate: int, channels: int, kbps: int, seconds: float = 1.3,
        encoder: str = "libtwolame") -> tuple[Path, int]:
    """A tone encoded as radiokit encodes MP2 (libtwolame, raw frames; or ffmpeg's own encoder, which pads
    frames at 44.1 kHz where libtwolame does not), and the tone's length in samples."""
    samples = tone(440.0, seconds, rate, -12.0, channels=channels)
    source = write_wav(folder / f"tone-{rate}-{channels}-{kbps}.wav", samples, rate)
    encoded = convert(source, source.with_suffix(".mp2"), "-c:a", encoder, "-b:a", f"{kbps}k", "-f", "mp2")
    return encoded, len(samples)


@pytest.mark.parametrize(("rate", "channels", "kbps"), [(48000, 2, 256), (44100, 1, 128)])
def test_mpeg_wav_plays_as_the_mp2_it_came_from(tmp_path: Path, rate: int, channels: int, kbps: int) -> None:
    source, length = mp2(tmp_path, rate, channels, kbps)
    wav = tmp_path / "out.wav"
    wrap_mpeg(source, wav, BEXT, (cart_chunk(INFO),))
    probe = ffprobe(wav)
    stream = probe["streams"][0]
    assert probe["format"]["format_name"] == "wav"
    assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == ("mp2", rate, channels)
    # ffprobe takes a WAV's bitrate from nAvgBytesPerSec: the nominal one, except at 44.1 kHz, where
    # libtwolame does not pad its frames and the stream runs at 417 bytes a frame, 127704 bit/s for 128k.
    assert int(stream["bit_rate"]) == (kbps * 1000 if rate == 48000 else 127704)
    decoded, original = decode(wav, rate, channels), decode(source, rate, channels)
    assert np.array_equal(decoded, original)
    raw = wav.read_bytes()
    fact = struct.unpack("<I", chunk(raw, b"fact"))[0]
    # ffmpeg's MP2 decoder trims nothing: every frame gives 1152 samples, so the decoded length is the fact
    # exactly. The encoder's filterbank delay (481 samples, twolame) and the last frame's fill make it longer
    # than the tone it encoded, by less than a frame plus that delay.
    lag = int(np.argmax(np.abs(original[:, 0]) > 0.01))
    print(f"\n{rate} Hz: tone {length}, fact {fact}, decoded {len(decoded)}, first sound at sample {lag}")
    assert fact == len(decoded) and fact % 1152 == 0
    assert float(probe["format"]["duration"]) == pytest.approx(fact / rate, abs=1e-3)
    assert length <= fact < length + 1152 + lag
    assert chunk(raw, b"data") == source.read_bytes()
    assert read_cart(wav) == WRITTEN
    assert probe["format"]["tags"]["comment"] == BEXT.description
    mode = "stereo" if channels == 2 else "mono"
    assert probe["format"]["tags"]["coding_history"].strip() == f"A=MPEG1L2,F={rate},B={kbps},M={mode}"
    measured = measure(decoded, rate)
    write_loudness(wav, measured)
    assert read_loudness(wav).loudness_value == pytest.approx(measured.integrated_lufs, abs=0.005)
    assert np.array_equal(decode(wav, rate, channels), original)  # patching the bext left the audio alone


@pytest.mark.parametrize(("rate", "channels", "kbps", "encoder", "frame", "padded", "flags"), [
    (48000, 2, 256, "libtwolame", 768, False, 0x10),  # 768 bytes exactly: no padding needed
    (44100, 1, 128, "libtwolame", 417, False, 0x10),  # 417.96 bytes, but libtwolame never pads
    (44100, 2, 192, "mp2", 626, True, 0x14),  # ffmpeg's encoder pads (627 bytes) and sets the original bit
])
def test_mpeg_wav_chunks_follow_supplement_1(tmp_path: Path, rate: int, channels: int, kbps: int, encoder: str,
                                             frame: int, padded: bool, flags: int) -> None:
    source, _ = mp2(tmp_path, rate, channels, kbps, encoder=encoder)
    wav = tmp_path / "out.wav"
    wrap_mpeg(source, wav, BEXT, (cart_chunk(INFO),))
    raw = wav.read_bytes()
    assert raw[:4] == b"RIFF" and struct.unpack("<I", raw[4:8])[0] == len(raw) - 8 and raw[8:12] == b"WAVE"
    assert [name for name, _ in chunks(raw)] == [b"fmt ", b"fact", b"bext", b"mext", b"cart", b"data"]
    audio = source.read_bytes()
    assert chunk(raw, b"data") == audio
    mode = audio[3] >> 6
    assert mode == (0 if channels == 2 else 3)
    fmt = chunk(raw, b"fmt ")
    assert len(fmt) == 40
    block_align = frame + 1 if padded else frame  # the longest frame, as ffmpeg's WAV muxer has it
    per_second = kbps * 125 if padded else frame * rate // 1152  # unpadded frames at 44.1 kHz: below the bitrate
    assert struct.unpack("<HHIIHHH", fmt[:18]) == (0x0050, channels, rate, per_second, block_align, 0, 22)
    assert struct.unpack("<H", fmt[18:20])[0] == 2  # fwHeadLayer: ACM_MPEG_LAYER2
    assert struct.unpack("<I", fmt[20:24])[0] == kbps * 1000  # dwHeadBitrate
    assert struct.unpack("<H", fmt[24:26])[0] == 1 << mode  # fwHeadMode: 1 stereo ... 8 mono
    assert struct.unpack("<H", fmt[26:28])[0] == 0  # fwHeadModeExt: not joint stereo
    assert struct.unpack("<H", fmt[28:30])[0] == 1  # wHeadEmphasis: none
    assert struct.unpack("<H", fmt[30:32])[0] == flags  # fwHeadFlags: 0x10 MPEG-1, 0x04 original; no CRC
    assert fmt[32:40] == bytes(8)  # dwPTSLow, dwPTSHigh
    mext = chunk(raw, b"mext")
    assert len(mext) == 12
    information, frame_size, ancillary, ancillary_type = struct.unpack("<HHHH", mext[:8])
    # bit 0 homogeneous; bit 1 padding never used; bit 2 44.1 kHz without padding
    assert information == (1 if padded else 3 if rate == 48000 else 7)
    assert (frame_size, ancillary, ancillary_type, mext[8:]) == (frame, 0, 0, bytes(4))
    frames, at = 0, 0
    while at < len(audio):  # each frame is `frame` bytes, one more where its padding bit (byte 2, bit 1) is set
        at += frame + (audio[at + 2] >> 1 & 1)
        frames += 1
    assert at == len(audio) and struct.unpack("<I", chunk(raw, b"fact"))[0] == frames * 1152


def test_a_stream_that_changes_or_breaks_is_a_build_error(tmp_path: Path) -> None:
    at_256, _ = mp2(tmp_path, 48000, 2, 256, seconds=0.3)
    at_192, _ = mp2(tmp_path, 48000, 2, 192, seconds=0.3)
    frames_256 = len(at_256.read_bytes()) // 768
    mixed = tmp_path / "mixed.mp2"
    mixed.write_bytes(at_256.read_bytes() + at_192.read_bytes())
    wav = tmp_path / "out.wav"
    with pytest.raises(BuildError, match=rf"mixed\.mp2: frame {frames_256 + 1} .* 192 kbps .* first frame .* 256"):
        wrap_mpeg(mixed, wav, BEXT)
    cut = tmp_path / "cut.mp2"
    cut.write_bytes(at_256.read_bytes()[:-100])
    with pytest.raises(BuildError, match=rf"cut\.mp2: frame {frames_256} .* is cut short: 668 of its 768 bytes"):
        wrap_mpeg(cut, wav, BEXT)
    tagged = tmp_path / "tagged.mp2"
    tagged.write_bytes(at_256.read_bytes() + b"TAG" + bytes(125))
    with pytest.raises(BuildError, match=r"tagged\.mp2: frame .* has no MPEG-1 Layer II header"):
        wrap_mpeg(tagged, wav, BEXT)
    mp3 = convert(tmp_path / "tone-48000-2-256.wav", tmp_path / "tone.mp3", "-c:a", "libmp3lame", "-b:a", "128k",
                  "-write_xing", "0", "-id3v2_version", "0")
    with pytest.raises(BuildError, match=r"tone\.mp3 does not start with an MPEG-1 Layer II frame header"):
        wrap_mpeg(mp3, wav, BEXT)
    assert sorted(p.name for p in tmp_path.iterdir() if "out" in p.name) == []  # nothing left half-written
