"""The programme's timeline: segments in order with their gaps, or overlapped by equal-power crossfades.

Streamed one segment at a time, so that a long programme is never whole in memory.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from radiokit.audio_io import read_wav

BLOCK_FRAMES = 65536  # about 1.5 s: what the programme is streamed in


@dataclass(frozen=True)
class Placed:
    """One rendered segment on the programme's timeline (all positions in frames)."""

    wav: Path
    start_frame: int  # where it becomes audible
    frames: int
    gap_frames: int  # silence after it, before the next segment
    crossfade_frames: int = 0  # overlap with the previous segment, at this segment's start
    profile: Path | None = None  # its energy profile (loudness.energy_profile) saved by numpy, if made

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames


def place(wavs: Sequence[Path], frame_counts: Sequence[int], gaps_s: Sequence[float], crossfades_s: Sequence[float],
          sample_rate: int, profiles: Sequence[Path | None] | None = None) -> list[Placed]:
    """Positions of each segment. A crossfade replaces the gap before the segment and overlaps the previous
    one; it is shortened to fit both segments (and what is left of the previous one after its own crossfade).
    The last segment's gap is dropped so the programme ends on its audio."""
    placed: list[Placed] = []
    profiles = profiles if profiles is not None else [None] * len(wavs)
    for number, (wav, frames, gap_s, crossfade_s, profile) in enumerate(zip(wavs, frame_counts, gaps_s, crossfades_s,
                                                                           profiles, strict=True)):
        overlap = 0
        position = 0
        if placed:
            before = placed[-1]
            overlap = min(round(crossfade_s * sample_rate), frames, before.frames - before.crossfade_frames)
            if overlap:
                placed[-1] = before = dataclasses.replace(before, gap_frames=0)
            position = before.end_frame + before.gap_frames - overlap
        gap = 0 if number == len(wavs) - 1 else round(gap_s * sample_rate)
        placed.append(Placed(wav, position, frames, gap, overlap, profile))
    return placed


def duration_frames(placed: Sequence[Placed]) -> int:
    return placed[-1].end_frame if placed else 0


def equal_power_fade_in(frames: int) -> np.ndarray:
    """Equal-power: sin rising as the other side's cos falls, so the summed power stays constant."""
    return np.sin(0.5 * np.pi * (np.arange(frames) + 0.5) / frames).astype(np.float32)[:, np.newaxis]


def stream(placed: Sequence[Placed], channels: int, gain: float = 1.0) -> Iterator[np.ndarray]:
    """The programme as blocks of float32 frames in order: each segment (mixed with the tail of the one
    before where they crossfade), then its gap. Segments are read a block at a time, so memory holds a
    few seconds of audio however long a segment or the programme is."""
    scale = np.float32(gain)
    tail = np.zeros((0, channels), dtype=np.float32)  # the previous segment's faded end, to mix in
    for number, item in enumerate(placed):
        following = placed[number + 1].crossfade_frames if number + 1 < len(placed) else 0
        body_end = item.frames - following
        if item.crossfade_frames:
            head = item.crossfade_frames
            yield read_wav(item.wav, 0, head) * scale * equal_power_fade_in(head) + tail
        for start in range(item.crossfade_frames, body_end, BLOCK_FRAMES):
            yield read_wav(item.wav, start, min(BLOCK_FRAMES, body_end - start)) * scale
        if following:
            tail = read_wav(item.wav, body_end, following) * scale * equal_power_fade_in(following)[::-1]
        for start in range(0, item.gap_frames, BLOCK_FRAMES):
            yield np.zeros((min(BLOCK_FRAMES, item.gap_frames - start), channels), dtype=np.float32)


def excerpt_spans(placed: Sequence[Placed], length_frames: int, spacing_frames: int) -> list[tuple[int, int]]:
    """(start frame, frames) of stretches of up to `length_frames`, one near the middle of every
    `spacing_frames` of the timeline, for trials: each inside the segment playing there (or, from a
    gap, the one that played last), clear of crossfades. A programme of equal clips and gaps must
    not put every middle in a gap, so none is skipped for landing in one."""
    spans: list[tuple[int, int]] = []
    for centre in range(spacing_frames // 2, duration_frames(placed), spacing_frames):
        number = _playing(placed, centre)
        item = placed[number]
        following = placed[number + 1].crossfade_frames if number + 1 < len(placed) else 0
        first, last = item.start_frame + item.crossfade_frames, item.end_frame - following
        start = max(first, min(centre - length_frames // 2, last - length_frames))
        span = (start, min(length_frames, last - start))
        if span[1] > 0 and (not spans or spans[-1] != span):
            spans.append(span)
    return spans


def read_span(placed: Sequence[Placed], start_frame: int, frames: int) -> np.ndarray:
    """Frames of the one segment playing from `start_frame` (a span from `excerpt_spans`), read from its file."""
    item = placed[_playing(placed, start_frame)]
    return read_wav(item.wav, start_frame - item.start_frame, frames)


def _playing(placed: Sequence[Placed], frame: int) -> int:
    """The last segment to start at or before `frame`."""
    return bisect.bisect_right([item.start_frame for item in placed], frame) - 1
