"""What the cleanup chain did to one clip: a line per step, the figures before and after, and the time map."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StepReport:
    """One step: whether it changed the audio, and what it measured or did (one line)."""

    name: str
    applied: bool
    detail: str


def _json_number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 2)


def _dbfs(value: float) -> str:
    return f"{value:.0f} dBFS" if math.isfinite(value) else "digital silence"


@dataclass(frozen=True)
class CleanupReport:
    """Levels in dBFS with a full-scale sine at 0 (AES17), -inf for digital silence; ranges in LU."""

    steps: tuple[StepReport, ...]
    noise_floor_before_dbfs: float
    noise_floor_after_dbfs: float
    hum_hz: float | None
    speech_range_before_lu: float
    speech_range_after_lu: float
    removed_spans: tuple[tuple[float, float], ...]  # (start_s in the input, seconds removed), in time order

    def step(self, name: str) -> StepReport:
        """The line of the step called `name` (highpass, hum, denoise, level, pauses)."""
        return next(step for step in self.steps if step.name == name)

    def applied(self, name: str) -> bool:
        return self.step(name).applied

    def summary(self) -> str:
        """One line for a build report: what changed, or that nothing needed doing."""
        parts = []
        if self.applied("highpass"):
            parts.append("rumble filtered")
        if self.applied("hum") and self.hum_hz is not None:
            parts.append(f"hum at {self.hum_hz:.0f} Hz removed")
        if self.applied("denoise"):
            parts.append(f"noise floor {self.noise_floor_before_dbfs:.0f} to {_dbfs(self.noise_floor_after_dbfs)}")
        if self.applied("level"):
            parts.append(f"speech range {self.speech_range_before_lu:.1f} to {self.speech_range_after_lu:.1f} LU")
        if self.removed_spans:
            removed = sum(seconds for _, seconds in self.removed_spans)
            count = len(self.removed_spans)
            parts.append(f"{count} pause{'s' if count > 1 else ''} shortened by {removed:.1f} s")
        return ", ".join(parts) if parts else f"nothing to clean (noise floor {_dbfs(self.noise_floor_before_dbfs)})"

    def lines(self) -> list[str]:
        """The before/after report: one line per step, then the measurements."""
        removed = sum(seconds for _, seconds in self.removed_spans)
        return [f"{step.name:<9} {'applied' if step.applied else 'skipped'}: {step.detail}" for step in self.steps] + [
            f"noise floor   {_dbfs(self.noise_floor_before_dbfs)} -> {_dbfs(self.noise_floor_after_dbfs)}",
            f"speech range  {self.speech_range_before_lu:.1f} LU -> {self.speech_range_after_lu:.1f} LU",
            f"hum           {'none found' if self.hum_hz is None else f'{self.hum_hz:.0f} Hz'}",
            f"pauses        {len(self.removed_spans)} shortened, {removed:.2f} s removed",
        ]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: infinities (digital silence) become None."""
        return {
            "steps": [{"name": step.name, "applied": step.applied, "detail": step.detail} for step in self.steps],
            "noise_floor_before_dbfs": _json_number(self.noise_floor_before_dbfs),
            "noise_floor_after_dbfs": _json_number(self.noise_floor_after_dbfs),
            "hum_hz": _json_number(self.hum_hz),
            "speech_range_before_lu": _json_number(self.speech_range_before_lu),
            "speech_range_after_lu": _json_number(self.speech_range_after_lu),
            "removed_spans": [[round(start, 4), round(seconds, 4)] for start, seconds in self.removed_spans],
        }

    def output_time(self, input_s: float) -> float:
        """Where an instant of the input lands in the output; one inside a removed span lands at the cut."""
        shift = 0.0
        for start, seconds in self.removed_spans:
            if input_s <= start:
                break
            shift += min(seconds, input_s - start)
        return input_s - shift
