"""What a playout system is told about one file a station profile delivers: the model that the cart chunk,
the cue tags and the sidecar files (Rivendell, mAirList) are all written from, so that they agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from radiokit.loudness import profile_frames


@dataclass(frozen=True)
class PlayoutItem:
    """One delivered file: the full programme (number 0) or one of its segments (1, 2, ...) in one language.

    Text is as the script gives it (Cyrillic stays Cyrillic; the cart chunk transliterates what it writes);
    times are seconds from the file's first sample, padding included.
    """

    file: str  # its name in the station's folder
    language: str  # ru, tg
    number: int  # 0: the programme; then its segments in order
    segment_id: str  # the script's id ("programme" for the programme)
    cut: int  # the station's cut (cart) number, stable from episode to episode
    title: str
    artist: str  # the presenter
    album: str  # the series
    client: str  # the publisher (the cart's ClientID)
    category: str  # the station's group for it (Rivendell group, cart Category)
    out_cue: str  # the last words heard, for the operator ("" where there are none)
    air_start: dt.datetime  # may be played from
    air_end: dt.datetime  # until
    sample_rate: int
    channels: int
    duration_s: float  # the whole file
    audio_start_s: float  # where sound starts (after any padding): cue in
    audio_end_s: float  # where it ends: cue out
    intro_end_s: float | None  # where the voice starts over music (a bed's preroll), if it does
    segue_s: float  # where the next item may start: a fade-out's start, else the end of sound
    integrated_lufs: float
    true_peak_dbtp: float


# Sound is what stands within this of the programme's target loudness, in 10 ms steps: room tone and a
# reverb's last tail are below it, the softest syllable above.
SOUND_UNDER_TARGET_LU = 40.0


@dataclass(frozen=True)
class Cues:
    """Times in seconds from a file's first sample: what automation needs to start, stop and overlap it."""

    audio_start_s: float  # cue in: the first sound
    audio_end_s: float  # cue out: the last sound
    segue_s: float  # where the next item may start: a fade-out's start, else the end of sound
    intro_end_s: float | None = None  # where the voice starts over music, if it does


def sound_span(profile: np.ndarray, frames: int, sample_rate: int, threshold_lufs: float) -> tuple[float, float]:
    """(first, last) instant of sound in a signal of `frames` frames, from its energy profile
    (loudness.energy_profile): the span of the 10 ms steps louder than `threshold_lufs`; (0, 0) for silence."""
    step = profile_frames(sample_rate)
    lengths = np.minimum(step, frames - np.arange(len(profile)) * step).clip(min=1)
    with np.errstate(divide="ignore"):
        loud = np.flatnonzero(-0.691 + 10 * np.log10(np.asarray(profile) / lengths) > threshold_lufs)
    if not loud.size:
        return 0.0, 0.0
    return loud[0] * step / sample_rate, min(frames, (loud[-1] + 1) * step) / sample_rate
