"""Adaptive speech leveler: brings each stretch of speech to the clip's speech level, holding the gain in pauses."""

from __future__ import annotations

import numpy as np

from radiokit.clean.levels import RANGE_QUANTILES, block_frames, short_term_speech_loudness, speech_blocks
from radiokit.clean.report import StepReport
from radiokit.clean.tape import Tape

ACT_ABOVE_RANGE_LU = 4.0  # speech whose short-term loudness already spreads less than this is left alone
MAX_GAIN_DB = 15.0  # neither boost nor cut beyond this: a whisper stays quieter than a shout
_SMOOTHING_BLOCKS = 3  # gain changes spread over 300 ms: no clicks, and a new speaker is reached at once
_PEAK_CEILING = 10.0 ** (-1.0 / 20.0)  # a boost that would peak above -1 dBFS lowers the whole clip instead


def _block_gains_db(loudness: np.ndarray, speech: np.ndarray, short_term: np.ndarray) -> np.ndarray:
    """Gain (dB) per block: the speech blocks' own, brought to the mean short-term speech loudness; pauses
    and breaths take the gains of the speech on either side (joined by a straight line), never their own."""
    target = float(short_term.mean())
    speech_gains = np.clip(target - short_term, -MAX_GAIN_DB, MAX_GAIN_DB)
    positions = np.flatnonzero(speech)
    gains = np.interp(np.arange(len(loudness)), positions, speech_gains)
    kernel = np.ones(_SMOOTHING_BLOCKS) / _SMOOTHING_BLOCKS
    return np.convolve(np.pad(gains, _SMOOTHING_BLOCKS // 2, mode="edge"), kernel, mode="valid")


def level_speech(tape: Tape, sample_rate: int, loudness: np.ndarray) -> StepReport:
    """Even out the short-term loudness of speech on the tape, in place, one gain for all channels; speech
    already even within ACT_ABOVE_RANGE_LU is left as it is. `loudness` is the tape's block_loudness."""
    speech = speech_blocks(loudness)
    short_term = short_term_speech_loudness(loudness, speech)
    if short_term.size == 0:
        return StepReport("level", False, "under a second of speech")
    low, high = np.percentile(short_term, RANGE_QUANTILES)
    if high - low < ACT_ABOVE_RANGE_LU:
        return StepReport("level", False, f"speech already even ({high - low:.1f} LU)")
    gains_db = _block_gains_db(loudness, speech, short_term)
    centres = (np.arange(len(gains_db)) + 0.5) * block_frames(sample_rate)
    peak = 0.0
    for start, stop in tape.pieces():
        gain = 10.0 ** (np.interp(np.arange(start, stop), centres, gains_db) / 20.0)
        leveled = tape.read(start, stop) * gain[:, np.newaxis]
        peak = max(peak, float(np.abs(leveled).max()))
        tape.write(start, leveled)
    detail = f"speech range {high - low:.1f} LU, gains {gains_db.min():+.1f} to {gains_db.max():+.1f} dB"
    if peak > _PEAK_CEILING:
        for start, stop in tape.pieces():
            tape.write(start, tape.read(start, stop) * (_PEAK_CEILING / peak))
        detail += f", whole clip lowered {20.0 * np.log10(peak / _PEAK_CEILING):.1f} dB to keep its peaks"
    return StepReport("level", True, detail)
