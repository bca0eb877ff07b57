"""Pause shortening: pauses between speech longer than a limit are cut to a set length from their middle."""

from __future__ import annotations

import numpy as np

from radiokit.clean.levels import block_frames, block_loudness, speech_blocks
from radiokit.clean.report import StepReport
from radiokit.clean.tape import Tape

_CROSSFADE_S = 0.02  # equal-power: the room tone on either side of a cut is uncorrelated


def _pauses(speech: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) blocks of each run of non-speech that has speech on both sides."""
    edges = np.flatnonzero(np.diff(speech.astype(np.int8)))
    # A falling edge (speech ends after it) followed by a rising edge (speech starts after it).
    return [(int(fall) + 1, int(rise) + 1) for fall, rise in zip(edges[:-1], edges[1:]) if speech[fall]]


def shorten_pauses(tape: Tape, sample_rate: int, longer_than_s: float,
                   to_s: float) -> tuple[Tape, StepReport, tuple[tuple[float, float], ...]]:
    """Cut each pause between speech longer than `longer_than_s` to `to_s` (at least twice the crossfade, and
    shorter than `longer_than_s`), keeping its two ends, into a new tape of the same kind (the one given
    where nothing is cut); returns the tape, the step's line and the (start_s, seconds removed) spans in
    input time."""
    speech = speech_blocks(block_loudness(tape, sample_rate))
    frames = block_frames(sample_rate)
    fade = max(1, round(_CROSSFADE_S * sample_rate))
    keep = round(to_s * sample_rate)
    cuts = []
    for first, stop in _pauses(speech):
        start, end = first * frames, min(stop * frames, tape.frames)
        if end - start > longer_than_s * sample_rate:
            # Cut in the middle: the pause's ends, where word tails and breaths sit that 100 ms blocks miss, stay.
            cut = start + keep // 2
            cuts.append((cut, end - start - keep))
    if not cuts:
        return tape, StepReport("pauses", False, f"no pause longer than {longer_than_s:g} s"), ()
    ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade)[:, np.newaxis]
    shortened = tape.blank(tape.frames - sum(removed for _, removed in cuts), tape.channels)
    written = position = 0

    def copy(start: int, stop: int) -> None:
        nonlocal written
        for first in range(start, stop, tape.piece_frames):
            block = tape.read(first, min(first + tape.piece_frames, stop))
            shortened.write(written, block)
            written += len(block)
    for cut, removed in cuts:
        # Before the cut, then the fade from the cut into the point `removed` frames later.
        copy(position, cut)
        joined = tape.read(cut, cut + fade) * ramp[::-1] + tape.read(cut + removed, cut + removed + fade) * ramp
        shortened.write(written, joined)
        written += len(joined)
        position = cut + removed + fade
    copy(position, tape.frames)
    spans = tuple((cut / sample_rate, removed / sample_rate) for cut, removed in cuts)
    total = sum(seconds for _, seconds in spans)
    detail = (f"{len(spans)} pause{'s' if len(spans) > 1 else ''} over {longer_than_s:g} s cut to {to_s:g} s, "
              f"{total:.1f} s removed")
    return shortened, StepReport("pauses", True, detail), spans
