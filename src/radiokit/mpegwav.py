"""MPEG-1 Layer II audio in a Broadcast Wave file (EBU Tech 3285 Supplement 1), the "MPEG WAV" that
playout systems import: the MP2 frames unchanged in `data`, described by the chunks before them.

    fmt   WAVE_FORMAT_MPEG (0x0050), MPEG1WAVEFORMAT: WAVEFORMATEX (cbSize 22), then fwHeadLayer (2: layer
          II), dwHeadBitrate (bit/s), fwHeadMode (1 stereo, 2 joint stereo, 4 dual channel, 8 mono),
          fwHeadModeExt (joint stereo: one bit per mode extension the frames use, else 0), wHeadEmphasis
          (header emphasis + 1), fwHeadFlags (1 private, 2 copyright, 4 original, 8 CRC-protected, 0x10
          MPEG-1), dwPTSLow and dwPTSHigh (0)
    fact  samples per channel: frames x 1152
    bext  version 2, loudness unset, for bwf.write_loudness to fill in
    mext  (Supplement 1) sound information: homogeneous (bit 0, always: every frame is checked), padding
          never used (bit 1), 44.1 kHz without padding (bit 2), free format (bit 3, never);
          the frame size without padding; ancillary data length and type 0 (none declared)
    the extra chunks (a cart chunk), then `data`

nBlockAlign is the frame length where every frame has the same one, else the longest (as ffmpeg's WAV
muxer writes it). nAvgBytesPerSec is bitrate / 8 where the padding bit keeps the stream at its bitrate;
where no frame is padded (libtwolame's default, even at 44.1 kHz) it is the frames' own rate, frame length
x sample rate / 1152, as Rivendell computes it: a 44.1 kHz stream without padding runs below its bitrate,
and players that time a file by nAvgBytesPerSec would be 0.2 % out. Implementations differ on
ACM_MPEG_PROTECTIONBIT (some copy the header's protection bit, which is 1 when there is no CRC); radiokit
sets it when the frames carry a CRC, as the flag's name says, and decoders do not read it.

radiokit.mpeg reads MPEG headers for layer III only (its bitrate table and frame length are layer III's), so
the layer II header is read here.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from radiokit.bwf import BextInfo, bext_chunk, check_extra_chunks, riff_chunk
from radiokit.errors import BuildError

_BITRATES_KBPS = (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384)  # MPEG-1 layer II
_SAMPLE_RATES = (44100, 48000, 32000)  # MPEG-1
_SAMPLES_PER_FRAME = 1152
_MODES = ("stereo", "joint-stereo", "dual-mono", "mono")  # as EBU R98 coding history names them
_PADDING_BIT = 0x200
_MODE_EXT_BITS = 0x30
_WAVE_FORMAT_MPEG = 0x0050
_RIFF_LIMIT = 0xFFFFFFFF


@dataclass(frozen=True)
class _Stream:
    """What every frame of a layer II file agreed on, and what they added up to."""

    header: int  # the first frame's header
    frames: int
    data_bytes: int
    padded: bool  # some frame has its padding bit set
    mode_extensions: int  # joint stereo: bit n set where a frame uses mode extension n

    @property
    def bitrate_kbps(self) -> int:
        return _BITRATES_KBPS[(self.header >> 12) & 15]

    @property
    def sample_rate(self) -> int:
        return _SAMPLE_RATES[(self.header >> 10) & 3]

    @property
    def mode(self) -> int:
        return (self.header >> 6) & 3

    @property
    def channels(self) -> int:
        return 1 if self.mode == 3 else 2

    @property
    def samples(self) -> int:
        """Per channel, as the fact chunk holds them: every frame decodes to 1152."""
        return self.frames * _SAMPLES_PER_FRAME

    @property
    def frame_bytes(self) -> int:
        """A frame's length without its padding byte."""
        return 144_000 * self.bitrate_kbps // self.sample_rate


def wrap_mpeg(mpeg: Path, wav: Path, bext: BextInfo, extra_chunks: Sequence[bytes] = ()) -> None:
    """Write the MPEG-1 Layer II file `mpeg` (as libtwolame writes it, raw frames) into the Broadcast Wave
    file `wav`, with `bext` (an empty coding history becomes `A=MPEG1L2,F=..,B=..,M=..`) and `extra_chunks`.
    Every frame header is checked first: BuildError for anything but frames of one layer, rate, bitrate and
    mode. The file is written under a temporary name beside `wav`, then renamed."""
    check_extra_chunks(extra_chunks)
    with mpeg.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise BuildError(f"{mpeg.name} is empty: no MPEG audio to wrap")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            stream = _walk(mpeg, data)
    if not bext.coding_history:
        bext = replace(bext, coding_history=f"A=MPEG1L2,F={stream.sample_rate},B={stream.bitrate_kbps},"
                                            f"M={_MODES[stream.mode]}")
    head = (b"WAVE" + riff_chunk(b"fmt ", _fmt(stream)) + riff_chunk(b"fact", struct.pack("<I", stream.samples))
            + bext_chunk(bext, stream.sample_rate, stream.channels) + riff_chunk(b"mext", _mext(stream))
            + b"".join(extra_chunks) + b"data" + struct.pack("<I", stream.data_bytes))
    riff_size = len(head) + stream.data_bytes + stream.data_bytes % 2
    if riff_size > _RIFF_LIMIT:
        raise BuildError(f"{mpeg.name}: {stream.data_bytes} bytes of MPEG audio do not fit in a RIFF file (4 GiB)")
    partial = wav.with_name(f".{wav.name}.partial")
    try:
        with mpeg.open("rb") as source, partial.open("wb") as target:
            target.write(b"RIFF" + struct.pack("<I", riff_size) + head)
            while block := source.read(1 << 20):
                target.write(block)
            target.write(b"\0" * (stream.data_bytes % 2))
        os.replace(partial, wav)
    finally:
        partial.unlink(missing_ok=True)


def _walk(path: Path, data: mmap.mmap) -> _Stream:
    """Every frame header from the first byte to the last, checked against the first one."""
    first = int.from_bytes(data[:4].ljust(4, b"\0"), "big")
    if _frame_bytes(first) is None:
        raise BuildError(f"{path.name} does not start with an MPEG-1 Layer II frame header "
                         f"({data[:4].hex()}): not an MP2 file, or one with a tag in front")
    same = ~(_PADDING_BIT | _MODE_EXT_BITS)  # these two may change from frame to frame
    at = frames = mode_extensions = 0
    padded = False
    while at < len(data):
        header = int.from_bytes(data[at : at + 4].ljust(4, b"\0"), "big")
        length = _frame_bytes(header)
        where = f"{path.name}: frame {frames + 1} (byte {at})"
        if length is None:
            raise BuildError(f"{where} has no MPEG-1 Layer II header ({data[at : at + 4].hex()}): damaged, or "
                             "something else follows the audio")
        if header & same != first & same:
            raise BuildError(f"{where} is {_describe(header)}, the first frame {_describe(first)}: a WAV holds "
                             "one layer, rate, bitrate and mode")
        if at + length > len(data):
            raise BuildError(f"{where} is cut short: {len(data) - at} of its {length} bytes")
        padded |= bool(header & _PADDING_BIT)
        mode_extensions |= 1 << ((header & _MODE_EXT_BITS) >> 4)
        at += length
        frames += 1
    return _Stream(first, frames, at, padded, mode_extensions)


def _frame_bytes(header: int) -> int | None:
    """The length of the MPEG-1 Layer II frame this header starts, or None where it is not one."""
    version, layer = (header >> 19) & 3, (header >> 17) & 3
    bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
    if header >> 21 != 0x7FF or version != 3 or layer != 2 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    return 144_000 * _BITRATES_KBPS[bitrate_index] // _SAMPLE_RATES[rate_index] + ((header >> 9) & 1)


def _describe(header: int) -> str:
    stream = _Stream(header, 0, 0, False, 0)
    return f"{stream.sample_rate} Hz {stream.bitrate_kbps} kbps {_MODES[stream.mode]} (header {header:08x})"


def _fmt(stream: _Stream) -> bytes:
    header = stream.header
    block_align = stream.frame_bytes + (1 if stream.padded else 0)
    flags = (0x10 | (header >> 8 & 1) | (header >> 3 & 1) << 1 | (header >> 2 & 1) << 2
             | (0 if header >> 16 & 1 else 0x08))
    mode_ext = stream.mode_extensions if stream.mode == 1 else 0
    unpadded = stream.frame_bytes * stream.sample_rate // _SAMPLES_PER_FRAME
    bytes_per_second = stream.bitrate_kbps * 125 if stream.padded else unpadded
    return (struct.pack("<HHIIHHH", _WAVE_FORMAT_MPEG, stream.channels, stream.sample_rate, bytes_per_second,
                        block_align, 0, 22)
            + struct.pack("<HIHHHHII", 2, stream.bitrate_kbps * 1000, 1 << stream.mode, mode_ext,
                          (header & 3) + 1, flags, 0, 0))


def _mext(stream: _Stream) -> bytes:
    hacked = not stream.padded and stream.sample_rate == 44100
    information = 1 | (0 if stream.padded else 2) | (4 if hacked else 0)
    return struct.pack("<HHHH4x", information, stream.frame_bytes, 0, 0)
