"""Mixing a block at a time: a signal under a gain envelope with another laid over it (a bed under its voice,
an original under its translation), and a short bed looped to length. Rendering a segment whole runs the
same code over one block, so whole and streamed give the same samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from radiokit.timeline import equal_power_fade_in

# Audio that can be read again from its start: each call gives it anew, block by block (float32 frames).
Blocks = Callable[[], Iterator[np.ndarray]]


def in_memory(samples: np.ndarray) -> Blocks:
    return lambda: iter((samples,))


def scaled(blocks: Blocks, gain: float) -> Blocks:
    factor = np.float32(gain)
    return lambda: (block * factor for block in blocks())


class BlockReader:
    """Frames from blocks in the counts asked for; silence once they run out."""

    def __init__(self, blocks: Iterator[np.ndarray], channels: int) -> None:
        self._blocks = blocks
        self._channels = channels
        self._held = np.zeros((0, channels), dtype=np.float32)

    def take(self, count: int) -> np.ndarray:
        parts = []
        while count > 0:
            if not len(self._held):
                block = next(self._blocks, None)
                if block is None:
                    parts.append(np.zeros((count, self._channels), dtype=np.float32))
                    break
                self._held = block
            parts.append(self._held[:count])
            self._held = self._held[count:]
            count -= len(parts[-1])
        return parts[0] if len(parts) == 1 else np.concatenate(parts or [self._held[:0]])


def pieces(blocks: Iterator[np.ndarray], frames: int, channels: int, size: int = 1 << 20) -> Iterator[np.ndarray]:
    """Exactly `frames` frames of `blocks` (cut short, or made up with silence), `size` at a time."""
    return _drain(BlockReader(blocks, channels), frames, size)


def looped(blocks: Blocks, length: int, channels: int, overlap: int) -> Iterator[np.ndarray]:
    """Audio of `length` frames repeated without end, each repeat crossfaded into the last over `overlap`
    frames with equal power (so a loop point neither dips nor swells)."""
    if length <= 0:
        while True:
            yield np.zeros((1 << 20, channels), dtype=np.float32)
    rising = equal_power_fade_in(overlap)
    reader = BlockReader(blocks(), channels)
    yield reader.take(overlap)
    while True:
        yield from _drain(reader, length - 2 * overlap)
        tail = reader.take(overlap)
        reader = BlockReader(blocks(), channels)
        yield tail * rising[::-1] + reader.take(overlap) * rising


def _drain(reader: BlockReader, count: int, size: int = 1 << 20) -> Iterator[np.ndarray]:
    for start in range(0, count, size):
        yield reader.take(min(size, count - start))


@dataclass(frozen=True)
class Duck:
    """A gain envelope for the signal underneath: (frame, amplitude) points, straight lines between them,
    flat before the first and after the last; then a fade to silence over the last `fade_out` frames of
    the mix's `frames`. The overlay starts at frame `at`."""

    frames: int
    points: tuple[tuple[int, float], ...]
    at: int
    fade_out: int = 0

    def gains(self, first: int, count: int) -> np.ndarray:
        """The envelope for `count` frames from `first`, as a float32 column."""
        position = np.arange(first, first + count, dtype=np.float64)
        at, amplitude = zip(*self.points)
        gains = np.interp(position, at, amplitude)
        if self.fade_out:
            gains *= np.clip((self.frames - 1 - position) / self.fade_out, 0.0, 1.0)
        return gains.astype(np.float32)[:, np.newaxis]


def mixed(under: Iterator[np.ndarray], over: Iterator[np.ndarray], duck: Duck, channels: int,
          block: int = 1 << 20) -> Iterator[np.ndarray]:
    """`duck.frames` frames of `under` under the duck's envelope, `over` added from `duck.at` (silence
    where either has run out), `block` frames at a time."""
    below = BlockReader(under, channels)
    above = BlockReader(over, channels)
    for first in range(0, duck.frames, block):
        count = min(block, duck.frames - first)
        out = below.take(count) * duck.gains(first, count)
        start = max(first, duck.at)
        if start < first + count:
            out[start - first :] += above.take(first + count - start)
        yield out
