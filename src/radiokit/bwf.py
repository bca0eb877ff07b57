"""Broadcast Wave (EBU Tech 3285 v2): 16-bit PCM with a `bext` chunk that carries the loudness figures.

ffmpeg writes a version 1 `bext` with no loudness fields, so radiokit writes the file itself. The
loudness is measured after the file is written, then patched into the chunk in place. A JUNK chunk
reserves room for the RF64 `ds64` chunk (EBU Tech 3306), used when the data outgrows 4 GiB. Other chunks
(a cart chunk, radiokit.cart) go between `fmt ` and `data`, so that the file is written in one pass. The
RIFF chunk helpers here (`riff_chunk`, `read_chunk`) are the ones every radiokit WAV writer and reader uses.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from radiokit.errors import ArgumentError, InputError
from radiokit.loudness import Loudness

_BEXT_FIXED = 602  # bytes before the coding history
_LOUDNESS_OFFSET = 256 + 32 + 32 + 10 + 8 + 4 + 4 + 2 + 64  # within the bext data
_UNSET = 0x7FFF  # Tech 3285: a loudness field that was not measured
_DS64_DATA = 28  # riff size, data size, sample count (8 bytes each) and an empty table length
_RIFF_LIMIT = 0xFFFFFFFF  # the largest size a RIFF header holds
_RF64_MARKER = 0xFFFFFFFF  # RF64: "the size is in ds64"
_OWN_CHUNKS = (b"RIFF", b"RF64", b"JUNK", b"ds64", b"fmt ", b"fact", b"bext", b"mext", b"data")  # radiokit writes these


@dataclass(frozen=True)
class BextInfo:
    description: str  # ASCII, up to 256 characters
    originator: str  # up to 32
    originator_reference: str  # up to 32
    origination: dt.datetime
    coding_history: str


@dataclass(frozen=True)
class BextLoudness:
    """The five loudness fields, in LUFS, LU and dBTP; None where a field is unset."""

    loudness_value: float | None
    loudness_range: float | None
    max_true_peak_level: float | None
    max_momentary_loudness: float | None
    max_short_term_loudness: float | None


def _ascii(text: str, size: int) -> bytes:
    return text.encode("ascii", "replace")[:size].ljust(size, b"\0")


def riff_chunk(chunk_id: bytes, data: bytes) -> bytes:
    """A whole RIFF chunk: id, little-endian size, data and the pad byte RIFF wants after odd-sized data."""
    return chunk_id + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2)


def check_extra_chunks(chunks: Sequence[bytes]) -> None:
    """ArgumentError unless each of `chunks` is one whole RIFF chunk (as `riff_chunk` makes) and none that
    radiokit's WAV writers write themselves: a second bext would take the loudness `write_loudness` patches."""
    for chunk in chunks:
        name = chunk[:4]
        size = int.from_bytes(chunk[4:8], "little") if len(chunk) >= 8 else -1
        if size < 0 or len(chunk) != 8 + size + size % 2 or not (name.isascii() and len(name) == 4):
            raise ArgumentError(f"an extra chunk must be one whole RIFF chunk: {bytes(chunk[:8])!r}... is not")
        if name in _OWN_CHUNKS:
            raise ArgumentError(f"the writer writes the {name.decode()!r} chunk itself: it cannot be an extra chunk")


def bext_chunk(info: BextInfo, sample_rate: int, channels: int) -> bytes:
    """The whole version 2 `bext` chunk, loudness unset (0x7FFF) for `write_loudness` to fill in."""
    return riff_chunk(b"bext", _bext_data(info, sample_rate, channels))


def _bext_data(info: BextInfo, sample_rate: int, channels: int) -> bytes:
    history = info.coding_history or f"A=PCM,F={sample_rate},W=16,M={'mono' if channels == 1 else 'stereo'}"
    data = b"".join([
        _ascii(info.description, 256), _ascii(info.originator, 32), _ascii(info.originator_reference, 32),
        _ascii(info.origination.strftime("%Y-%m-%d"), 10), _ascii(info.origination.strftime("%H:%M:%S"), 8),
        struct.pack("<IIH", 0, 0, 2), bytes(64),
        struct.pack("<5h", *[_UNSET] * 5), bytes(180),
        history.encode("ascii", "replace") + b"\r\n",
    ])
    return data + b"\0" * (len(data) % 2)


class BroadcastWaveWriter:
    """Takes float32 frames through `write` (TPDF-dithered to 16 bits) and finishes the file on exit.
    `extra_chunks` (whole chunks, e.g. `radiokit.cart.cart_chunk`) are written after `fmt `, before `data`."""

    def __init__(self, path: Path, sample_rate: int, channels: int, info: BextInfo,
                 extra_chunks: Sequence[bytes] = ()) -> None:
        check_extra_chunks(extra_chunks)
        self.path = path
        self._channels = channels
        self._rng = np.random.default_rng(0)  # dither, but the same bytes on every build
        self._data_bytes = 0
        self._handle: BinaryIO = path.open("wb")
        fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * channels * 2, channels * 2, 16)
        self._handle.write(b"RIFF\0\0\0\0WAVE" + riff_chunk(b"JUNK", bytes(_DS64_DATA)))
        self._handle.write(bext_chunk(info, sample_rate, channels) + riff_chunk(b"fmt ", fmt))
        self._handle.write(b"".join(extra_chunks) + b"data\0\0\0\0")
        self._data_start = self._handle.tell()

    def write(self, frames: np.ndarray) -> None:
        dither = self._rng.random(frames.shape) - self._rng.random(frames.shape)  # +-1 LSB, triangular
        pcm = np.clip(np.rint(np.asarray(frames, dtype=np.float64) * 32768.0 + dither), -32768, 32767)
        data = pcm.astype("<i2").tobytes()
        self._handle.write(data)
        self._data_bytes += len(data)

    def __enter__(self) -> "BroadcastWaveWriter":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is None:
                self._finish()
        finally:
            self._handle.close()

    def _finish(self) -> None:
        handle = self._handle
        if self._data_bytes % 2:
            handle.write(b"\0")
        riff_size = handle.tell() - 8
        if riff_size <= _RIFF_LIMIT:
            handle.seek(4)
            handle.write(struct.pack("<I", riff_size))
            handle.seek(self._data_start - 4)
            handle.write(struct.pack("<I", self._data_bytes))
            return
        frames = self._data_bytes // (2 * self._channels)
        handle.seek(0)
        handle.write(b"RF64" + struct.pack("<I", _RF64_MARKER) + b"WAVE" + b"ds64" + struct.pack("<I", _DS64_DATA)
                     + struct.pack("<QQQI", riff_size, self._data_bytes, frames, 0))
        handle.seek(self._data_start - 4)
        handle.write(struct.pack("<I", _RF64_MARKER))


def _chunks(handle: BinaryIO) -> dict[bytes, tuple[int, int]]:
    """Offsets and sizes of the top-level chunks before the audio data."""
    handle.seek(12)
    found: dict[bytes, tuple[int, int]] = {}
    while header := handle.read(8):
        if len(header) < 8:
            break
        name, size = header[:4], struct.unpack("<I", header[4:])[0]
        found[name] = (handle.tell(), size)
        if name == b"data":
            break
        handle.seek(size + size % 2, 1)
    return found


def _wave_chunks(handle: BinaryIO, path: Path) -> dict[bytes, tuple[int, int]]:
    handle.seek(0)
    if handle.read(4) not in (b"RIFF", b"RF64"):
        raise InputError(f"{path.name} is not a RIFF/RF64 wave file")
    return _chunks(handle)


def read_chunk(path: Path, chunk_id: bytes) -> bytes | None:
    """The data of the top-level chunk `chunk_id` before the audio data (where radiokit writes its chunks),
    or None where there is none; InputError for a file that is not RIFF/RF64 or ends inside the chunk."""
    with path.open("rb") as handle:
        found = _wave_chunks(handle, path).get(chunk_id)
        if found is None:
            return None
        offset, size = found
        handle.seek(offset)
        data = handle.read(size)
    if len(data) < size:
        raise InputError(f"{path.name} ends inside its {chunk_id.decode('ascii', 'replace')!r} chunk "
                         f"({len(data)} of {size} bytes): the file is cut short")
    return data


def _bext_offset(handle: BinaryIO, path: Path) -> int:
    chunks = _wave_chunks(handle, path)
    if b"bext" not in chunks or chunks[b"bext"][1] < _BEXT_FIXED:
        raise InputError(f"{path.name} has no version 2 bext chunk")
    return chunks[b"bext"][0]


def write_loudness(path: Path, loudness: Loudness) -> None:
    """Patch the measured figures into the file's bext chunk (hundredths, as Tech 3285 v2 stores them)."""
    values = (loudness.integrated_lufs, loudness.loudness_range_lu, loudness.true_peak_dbtp,
              loudness.max_momentary_lufs, loudness.max_short_term_lufs)
    fields = [round(v * 100) if np.isfinite(v) and abs(v) < 327 else _UNSET for v in values]
    with path.open("r+b") as handle:
        handle.seek(_bext_offset(handle, path) + _LOUDNESS_OFFSET)
        handle.write(struct.pack("<5h", *fields))


def read_loudness(path: Path) -> BextLoudness:
    with path.open("rb") as handle:
        handle.seek(_bext_offset(handle, path) + _LOUDNESS_OFFSET)
        fields = struct.unpack("<5h", handle.read(10))
    return BextLoudness(*[None if f == _UNSET else f / 100 for f in fields])
