"""The trial encode: how far the codec will move the programme's loudness, predicted from excerpts before the
programme is encoded, so that it is usually encoded once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

from radiokit.audio_io import stream_encoded
from radiokit.encode import open_encoder
from radiokit.loudness import BlockLoudness, RangeEnergies
from radiokit.timeline import Placed, duration_frames, equal_power_fade_in, excerpt_spans, read_span

# The codec's low-pass removes what K-weighting counts above it, more from bright material than from speech:
# 2 s every 30 s of the programme, but at least 8 excerpts (on a short programme, closer together) and at
# most 100 (on a long one, further apart).
TRIAL_EXCERPT_S = 2.0
TRIAL_SPACING_S = 30.0
TRIAL_MIN_EXCERPTS = 8
TRIAL_MAX_EXCERPTS = 100
_TRIAL_FADE_S = 0.01  # the reel's joins are faded, so that the codec spends nothing on clicks
_TRIAL_PAUSE_S = 0.1


def codec_shift_lu(placed: Sequence[Placed], rendered: BlockLoudness, fmt: str, gain_db: float, sample_rate: int,
                   channels: int, bitrate_kbps: int, scratch: Path) -> float:
    """How far encoding to `fmt` will move the programme's integrated loudness, in LU, predicted before
    the programme is encoded: reels of excerpts (see TRIAL_*) with the programme gain are encoded next to
    `scratch` and decoded; each excerpt's change in K-weighted energy is applied to the 100 ms blocks
    of the `rendered` measurement nearest to it, which are then gated afresh (a codec that takes more
    from a bright jingle than from quiet speech also moves the gate). 0 for Broadcast Wave and silence."""
    total = duration_frames(placed)
    if fmt == "wav" or total == 0:
        return 0.0
    fade_frames = round(_TRIAL_FADE_S * sample_rate)
    spacing = max(-(-total // TRIAL_MAX_EXCERPTS), min(round(TRIAL_SPACING_S * sample_rate),
                                                     total // TRIAL_MIN_EXCERPTS), 1)
    spans = [(start, frames) for start, frames in excerpt_spans(placed, round(TRIAL_EXCERPT_S * sample_rate), spacing)
             if frames > 4 * fade_frames]
    if not spans:
        return 0.0
    # Two reels, each encoded and measured on a thread of its own (ffmpeg and the filters release the GIL).
    reels = [spans[: (len(spans) + 1) // 2], spans[(len(spans) + 1) // 2 :]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        ratios = np.concatenate(list(pool.map(
            lambda numbered: _excerpt_ratios(placed, numbered[1], fmt, gain_db, sample_rate, channels, bitrate_kbps,
                                             scratch.with_name(f".{numbered[0]}{scratch.name}")),
            enumerate(reel for reel in reels if reel))))
    # Each 100 ms block of the programme takes the ratio of the excerpt nearest to it.
    centres = np.array([start + frames // 2 for start, frames in spans])
    nearest = np.searchsorted((centres[1:] + centres[:-1]) / 2, rendered.sub_block_centres())
    before, after = rendered.integrated_lufs, rendered.integrated_lufs_scaled(ratios[nearest])
    return after - before if np.isfinite(before) and np.isfinite(after) else 0.0


def _excerpt_ratios(placed: Sequence[Placed], spans: Sequence[tuple[int, int]], fmt: str, gain_db: float,
                    sample_rate: int, channels: int, bitrate_kbps: int, scratch: Path) -> np.ndarray:
    """Each excerpt's K-weighted energy after encoding a reel of them to `scratch` (then deleted) and
    decoding it, over its energy before; 1 for an excerpt with none."""
    fade = equal_power_fade_in(round(_TRIAL_FADE_S * sample_rate))
    pause = np.zeros((round(_TRIAL_PAUSE_S * sample_rate), channels), dtype=np.float32)
    offsets = np.cumsum([0] + [frames + len(pause) for _, frames in spans])
    # Compared away from the faded edges, where the codec meets a click the programme never has.
    inside = [(offset + 2 * len(fade), offset + frames - 2 * len(fade)) for offset, (_, frames) in zip(offsets, spans)]
    original = RangeEnergies(sample_rate, channels, inside)
    gain = np.float32(10 ** (gain_db / 20))
    try:
        with open_encoder(scratch, fmt, sample_rate, channels, bitrate_kbps) as encoder:
            for start, frames in spans:
                excerpt = read_span(placed, start, frames) * gain
                excerpt[: len(fade)] *= fade
                excerpt[-len(fade) :] *= fade[::-1]
                for block in (excerpt, pause):
                    original.feed(block)
                    encoder.write(block)
        encoded = RangeEnergies(sample_rate, channels, inside)
        for block in stream_encoded(scratch, sample_rate, channels):
            encoded.feed(block)
    finally:
        scratch.unlink(missing_ok=True)
    heard = original.energies > 0.0
    return np.where(heard, encoded.energies / np.where(heard, original.energies, 1.0), 1.0)
