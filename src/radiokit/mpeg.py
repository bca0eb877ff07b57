"""MPEG audio as radiokit writes it: a layer III stream's format from its first frame, and its audio checked
against the length and CRC-16 that LAME records in its "Info" header."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

_BITRATES_KBPS = {True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 layer III
                  False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}  # MPEG-2 and 2.5
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits
_LAME_BYTES = 36  # the LAME extension after the Xing/Info fields, up to and including its own CRC


@dataclass(frozen=True)
class Mp3Stream:
    """An MP3's format, from its first frame, and what is wrong with its audio."""

    sample_rate: int
    channels: int
    bitrate_kbps: int
    problem: str | None


def mp3_stream(path: Path) -> Mp3Stream | str:
    """The first frame after the ID3 tag (or why there is none), and the audio checked against the length
    and CRC-16 that the encoder wrote into that frame, the LAME "Info" header: ffmpeg decodes a damaged
    frame without a word, and skips a frame with a damaged header, a gap no duration check notices."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(10)
        start = 0
        if len(head) == 10 and head[:3] == b"ID3":
            start = 10 + _syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)  # a v2.4 footer adds 10
        handle.seek(start)
        layout = _frame_layout(int.from_bytes(handle.read(4).ljust(4, b"\0"), "big"))
        if layout is None:
            return "no MP3 audio frame where the ID3 tag ends (not an MP3, or damaged at its start)"
        stream, frame_bytes, info_at = layout
        handle.seek(max(start, size - 128))
        audio_bytes = size - start - (128 if size - start >= 128 and handle.read(3) == b"TAG" else 0)  # ID3v1
        handle.seek(start)
        problem = _audio_problem(handle, handle.read(frame_bytes), info_at, audio_bytes)
    return dataclasses.replace(stream, problem=problem)


def _frame_layout(header: int) -> tuple[Mp3Stream, int, int] | None:
    """An MPEG layer III frame header's format, the frame's length and where its Xing/Info header would be."""
    version, layer = (header >> 19) & 3, (header >> 17) & 3
    bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
    if header >> 21 != 0x7FF or layer != 1 or version == 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1, mono = version == 3, (header >> 6) & 3 == 3
    bitrate_kbps, sample_rate = _BITRATES_KBPS[mpeg1][bitrate_index], _SAMPLE_RATES[version][rate_index]
    frame_bytes = (144 if mpeg1 else 72) * bitrate_kbps * 1000 // sample_rate + ((header >> 9) & 1)
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return Mp3Stream(sample_rate, 1 if mono else 2, bitrate_kbps, None), frame_bytes, 4 + side_info


def _audio_problem(handle: BinaryIO, frame: bytes, info_at: int, audio_bytes: int) -> str | None:
    """The audio after the Info frame (where `handle` stands) against the Info frame's record of it."""
    if frame[info_at : info_at + 4] not in (b"Info", b"Xing"):
        return "no LAME Info header, so its audio cannot be checked for damage (it was not encoded by radiokit)"
    flags = int.from_bytes(frame[info_at + 4 : info_at + 8], "big")
    lame = info_at + 8 + sum(width for bit, width in ((1, 4), (2, 4), (4, 100), (8, 4)) if flags & bit)
    extension = frame[lame : lame + _LAME_BYTES]
    if len(extension) < _LAME_BYTES or int.from_bytes(extension[34:36], "big") not in _header_crcs(frame, lame + 34):
        return "its LAME Info header is damaged (CRC mismatch)"
    music_bytes, music_crc = int.from_bytes(extension[28:32], "big"), int.from_bytes(extension[32:34], "big")
    if audio_bytes != music_bytes:
        change = "truncated" if audio_bytes < music_bytes else "has bytes added"
        return f"{change}: {audio_bytes} bytes of audio, its encoder wrote {music_bytes}"
    if _crc16_stream(handle, music_bytes - len(frame)) != music_crc:
        return "its audio is damaged: the frames' CRC differs from the one its encoder wrote"
    return None


def _header_crcs(frame: bytes, field: int) -> tuple[int, int]:
    """The Info header's own CRC as LAME computes it (the bytes before the field) and as ffmpeg does (the
    frame's first 190 bytes, the field zeroed): the same bytes in stereo MPEG-1, not in mono."""
    zeroed = frame[:field] + b"\0\0" + frame[field + 2 :]
    return _crc16(frame[:field]), _crc16(zeroed[:190])


def _syncsafe(data: bytes) -> int:
    return (data[0] & 0x7F) << 21 | (data[1] & 0x7F) << 14 | (data[2] & 0x7F) << 7 | (data[3] & 0x7F)


# CRC-16 as LAME computes it (CRC-16/ARC: reflected polynomial 0xA001, starting from 0). A byte loop in
# Python would take seconds per programme, so the data is cut into CRC_CHUNK-byte rows, the rows run
# side by side through the table with numpy, and their CRCs are joined: with a zero start the CRC is
# linear, so crc(a + b) is crc(a) carried through len(b) zero bytes, xor crc(b).
CRC_CHUNK = 4096
_CRC_ROWS = 1024  # rows per block read: 4 MiB


@lru_cache(maxsize=1)
def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1)
    return table


@lru_cache(maxsize=1)
def _carry_tables() -> tuple[list[int], list[int]]:
    """A CRC register carried through CRC_CHUNK zero bytes, as a linear map by the register's low and high byte."""
    table = _crc_table()
    bits = (1 << np.arange(16)).astype(np.uint32)
    for _ in range(CRC_CHUNK):
        bits = (bits >> 8) ^ table[bits & 0xFF]
    images = [int(b) for b in bits]

    def by_byte(offset: int) -> list[int]:
        mapped = []
        for value in range(256):
            result = 0
            for bit in range(8):
                if value >> bit & 1:
                    result ^= images[offset + bit]
            mapped.append(result)
        return mapped
    return by_byte(0), by_byte(8)


def _crc16(data: bytes) -> int:
    table, crc = _crc_table(), 0
    for byte in data:
        crc = (crc >> 8) ^ int(table[(crc ^ byte) & 0xFF])
    return crc


def _crc16_stream(handle: BinaryIO, length: int) -> int:
    """The CRC of the next `length` bytes of `handle` (fewer if it ends first: the CRC then will not match)."""
    table, (low, high) = _crc_table(), _carry_tables()
    # Zeros in front do not change a CRC that starts from zero; they make every row whole.
    pending = b"\0" * (-length % CRC_CHUNK)
    crc, left = 0, length
    while left > 0 or pending:
        data = pending + handle.read(min(left, CRC_CHUNK * _CRC_ROWS - len(pending)))
        left -= len(data) - len(pending)
        pending = b""
        if not data:
            break
        data += b"\0" * (-len(data) % CRC_CHUNK)  # only when the file ended early
        rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, CRC_CHUNK).T.copy()
        registers = np.zeros(rows.shape[1], dtype=np.uint32)
        for column in rows:
            registers = (registers >> 8) ^ table[(registers ^ column) & 0xFF]
        for register in registers.tolist():
            crc = low[crc & 0xFF] ^ high[crc >> 8] ^ register
    return crc
