"""Where the cleanup chain keeps a clip: in memory, or, for a long clip, in a file on disk that the steps read
and write a piece at a time, so that memory does not grow with the clip."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

PIECE_FRAMES = 2**20  # frames a step works on at a time (some 22 s at 48 kHz)


class Tape:
    """Float samples (frames, channels). `read` may return a view: a step that writes what it read back to
    the same tape does so with `write`, never by changing what `read` gave it."""

    frames: int
    channels: int
    piece_frames: int = PIECE_FRAMES  # what the steps read and write at a time

    def piece_of(self, unit: int) -> int:
        """A piece size in whole `unit`s of frames, near piece_frames."""
        return unit * max(1, self.piece_frames // unit)

    def read(self, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    def write(self, start: int, block: np.ndarray) -> None:
        raise NotImplementedError

    def blank(self, frames: int, channels: int, dtype: type = np.float64) -> Tape:
        """A new tape of the same kind (memory, in `dtype`, or disk), of zeros until written."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the tape holds (a file on disk is removed)."""

    def pieces(self, frames: int | None = None) -> Iterator[tuple[int, int]]:
        """(start, stop) of consecutive pieces of `frames` (piece_frames) frames, the last possibly short."""
        frames = frames or self.piece_frames
        return ((start, min(start + frames, self.frames)) for start in range(0, self.frames, frames))

    def blocks(self, frames: int | None = None) -> Iterator[np.ndarray]:
        return (self.read(start, stop) for start, stop in self.pieces(frames))


class MemoryTape(Tape):
    """A tape over an array, which it changes in place."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples
        self.frames, self.channels = samples.shape

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.samples[start:stop]

    def write(self, start: int, block: np.ndarray) -> None:
        self.samples[start : start + len(block)] = block

    def blank(self, frames: int, channels: int, dtype: type = np.float64) -> Tape:
        return MemoryTape(np.zeros((frames, channels), dtype=dtype))


class FileTape(Tape):
    """A tape in an unnamed-to-the-user file in `folder`, float32 (half the disk of float64; its rounding,
    150 dB down, is far under anything the chain measures), removed by `close`."""

    DTYPE = np.dtype(np.float32)

    def __init__(self, folder: Path, frames: int, channels: int, piece_frames: int | None = None) -> None:
        self.folder, self.frames, self.channels = folder, frames, channels
        self.piece_frames = piece_frames or PIECE_FRAMES
        handle, name = tempfile.mkstemp(prefix=".cleanup-", suffix=".f32", dir=folder)
        self.path = Path(name)
        self._descriptor = handle
        os.ftruncate(handle, frames * channels * self.DTYPE.itemsize)

    def read(self, start: int, stop: int) -> np.ndarray:
        start, stop = max(0, start), min(stop, self.frames)
        block = np.empty((max(0, stop - start), self.channels), dtype=self.DTYPE)
        view, offset = memoryview(block).cast("B"), start * self.channels * self.DTYPE.itemsize
        while view:
            done = os.preadv(self._descriptor, [view], offset)
            if done == 0:
                raise OSError(f"{self.path}: ends early")
            view, offset = view[done:], offset + done
        return block

    def write(self, start: int, block: np.ndarray) -> None:
        data = memoryview(np.ascontiguousarray(block, dtype=self.DTYPE)).cast("B")
        offset = start * self.channels * self.DTYPE.itemsize
        while data:
            done = os.pwrite(self._descriptor, data, offset)
            data, offset = data[done:], offset + done

    def append(self, block: np.ndarray) -> None:
        """Write `block` after the last frame, making the tape longer."""
        self.write(self.frames, block)
        self.frames += len(block)

    def blank(self, frames: int, channels: int, dtype: type = np.float64) -> Tape:
        return FileTape(self.folder, frames, channels, self.piece_frames)

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1
            self.path.unlink(missing_ok=True)
