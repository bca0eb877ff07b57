"""How times and figures are written for people: clock times, loudness figures."""

from __future__ import annotations

import math


def clock(seconds: float, decimals: int = 1) -> str:
    """`m:ss.s` below an hour, `h:mm:ss.s` above it."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    width = 3 + decimals if decimals else 2
    secs_text = f"{secs:0{width}.{decimals}f}"
    if secs_text.startswith("60"):  # rounding up to the next minute
        minutes, secs_text = minutes + 1, f"{0:0{width}.{decimals}f}"
    if hours:
        return f"{sign}{int(hours)}:{int(minutes):02d}:{secs_text}"
    return f"{sign}{int(minutes)}:{secs_text}"


def figure(value: float | None, unit: str = "", silence: str = "") -> str:
    """A loudness figure to one decimal, with its unit; `silence` where it is -inf (or None: not measured)."""
    if value is None or not math.isfinite(value):
        return silence
    return f"{value:.1f} {unit}" if unit else f"{value:.1f}"


def json_figure(value: float | None) -> float | None:
    """JSON has no infinities: silence (-inf LUFS, -inf dBTP) is null."""
    return round(value, 2) if value is not None and math.isfinite(value) else None
