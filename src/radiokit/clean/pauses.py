"""Pause shortening: pauses between speech longer than a limit are cut to a set length from their middle."""

from __future__ import annotations

import numpy as np

from radiokit.clean.levels import block_frames, block_loudness, speech_blocks
from radiokit.clean.report import StepReport

_CROSSFADE_S = 0.02  # equal-power: the room tone on either side of a cut is uncorrelated


def _pauses(speech: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) blocks of each run of non-speech that has speech on both sides."""
    edges = np.flatnonzero(np.diff(speech.astype(np.int8)))
    # A falling edge (speech ends after it) followed by a rising edge (speech starts after it).
    return [(int(fall) + 1, int(rise) + 1) for fall, rise in zip(edges[:-1], edges[1:]) if speech[fall]]


def shorten_pauses(samples: np.ndarray, sample_rate: int, longer_than_s: float,
                   to_s: float) -> tuple[np.ndarray, StepReport, tuple[tuple[float, float], ...]]:
    """Cut each pause between speech longer than `longer_than_s` to `to_s` (at least twice the crossfade, and
    shorter than `longer_than_s`), keeping its two ends; returns the samples, the step's line and the
    (start_s, seconds removed) spans in input time."""
    speech = speech_blocks(block_loudness(samples, sample_rate))
    frames = block_frames(sample_rate)
    fade = max(1, round(_CROSSFADE_S * sample_rate))
    keep = round(to_s * sample_rate)
    cuts = []
    for first, stop in _pauses(speech):
        start, end = first * frames, min(stop * frames, len(samples))
        if end - start > longer_than_s * sample_rate:
            # Cut in the middle: the pause's ends, where word tails and breaths sit that 100 ms blocks miss, stay.
            cut = start + keep // 2
            cuts.append((cut, end - start - keep))
    if not cuts:
        return samples, StepReport("pauses", False, f"no pause longer than {longer_than_s:g} s"), ()
    ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade)[:, np.newaxis]
    pieces, position = [], 0
    for cut, removed in cuts:
        # Before the cut, then the fade from the cut into the point `removed` frames later.
        pieces.append(samples[position:cut])
        pieces.append(samples[cut : cut + fade] * ramp[::-1] + samples[cut + removed : cut + removed + fade] * ramp)
        position = cut + removed + fade
    pieces.append(samples[position:])
    spans = tuple((cut / sample_rate, removed / sample_rate) for cut, removed in cuts)
    total = sum(seconds for _, seconds in spans)
    detail = (f"{len(spans)} pause{'s' if len(spans) > 1 else ''} over {longer_than_s:g} s cut to {to_s:g} s, "
              f"{total:.1f} s removed")
    return np.concatenate(pieces), StepReport("pauses", True, detail), spans
