"""What the cleanup chain may do, and the allowed ranges: light (no numpy), for the script parser and schema."""

from __future__ import annotations

from dataclasses import dataclass, fields

from radiokit.errors import ArgumentError

# Allowed values of the numeric settings, for the script parser and the JSON schema (highpass_hz 0 is off).
RANGES: dict[str, tuple[float, float]] = {
    "highpass_hz": (0.0, 200.0),
    "pause_max_s": (0.5, 10.0),
    "pause_to_s": (0.1, 5.0),
}


@dataclass(frozen=True)
class CleanupSettings:
    """What the chain may do; each step still measures the clip and acts only where it needs to.
    A script's `cleanup:` keys map one to one onto these fields."""

    highpass_hz: float = 80.0  # 0 turns the high-pass off
    hum: bool = True
    denoise: bool = True
    level: bool = True
    pause_max_s: float | None = None  # None: pauses kept as recorded
    pause_to_s: float = 0.7  # what a pause longer than pause_max_s is cut to; under pause_max_s

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in RANGES and value is not None and not (field.name == "highpass_hz" and value == 0):
                low, high = RANGES[field.name]
                if not low <= value <= high:
                    raise ArgumentError(f"cleanup {field.name} must be from {low:g} to {high:g}, not {value:g}")
        if self.pause_max_s is not None and self.pause_to_s >= self.pause_max_s:
            raise ArgumentError(f"cleanup pause_to_s ({self.pause_to_s:g}) must be under "
                             f"pause_max_s ({self.pause_max_s:g})")
