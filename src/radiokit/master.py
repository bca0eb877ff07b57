"""Lay segments and gaps on a timeline, measure the programme as a stream, and apply one programme gain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from radiokit.audio_io import read_wav
from radiokit.loudness import Loudness, LoudnessMeter


@dataclass(frozen=True)
class Placed:
    """One rendered segment on the programme's timeline (all positions in frames)."""

    wav: Path
    start_frame: int
    frames: int
    gap_frames: int  # silence after it, before the next segment


def place(wavs: Sequence[Path], frame_counts: Sequence[int], gaps_s: Sequence[float], sample_rate: int) -> list[Placed]:
    """Positions of each segment; the last segment's gap is dropped so the programme ends on its audio."""
    placed: list[Placed] = []
    position = 0
    for number, (wav, frames, gap_s) in enumerate(zip(wavs, frame_counts, gaps_s, strict=True)):
        gap = 0 if number == len(wavs) - 1 else round(gap_s * sample_rate)
        placed.append(Placed(wav, position, frames, gap))
        position += frames + gap
    return placed


def stream(placed: Sequence[Placed], channels: int, gain: float = 1.0) -> Iterator[np.ndarray]:
    """The programme as blocks of float32 frames, one segment (then its gap) at a time."""
    for item in placed:
        yield read_wav(item.wav) * np.float32(gain)
        if item.gap_frames:
            yield np.zeros((item.gap_frames, channels), dtype=np.float32)


def measure_stream(blocks: Iterator[np.ndarray], sample_rate: int, channels: int) -> Loudness:
    meter = LoudnessMeter(sample_rate, channels)
    for block in blocks:
        meter.feed(block)
    return meter.result()


def programme_gain_db(measured: Loudness, target_lufs: float) -> float:
    """The one gain that brings the programme to its target integrated loudness (0 for silence)."""
    if not np.isfinite(measured.integrated_lufs):
        return 0.0
    return target_lufs - measured.integrated_lufs
