"""The cleanup chain for interview clips: high-pass, hum, noise, level and pauses, each only as the clip needs.

The settings and the report import light; the chain (numpy and scipy's filters, a second to import) loads
when `clean` or `Cleaned` is first used, so that a build whose clips all come from the cache never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from radiokit.clean.report import CleanupReport, StepReport
from radiokit.clean.settings import RANGES, CleanupSettings

if TYPE_CHECKING:
    from radiokit.clean.chain import Cleaned, CleanedTape, clean, clean_tape

__all__ = ["RANGES", "Cleaned", "CleanedTape", "CleanupReport", "CleanupSettings", "StepReport", "clean", "clean_tape"]


def __getattr__(name: str) -> Any:
    if name in ("clean", "Cleaned", "clean_tape", "CleanedTape"):
        from radiokit.clean import chain

        return getattr(chain, name)
    raise AttributeError(f"module 'radiokit.clean' has no attribute {name!r}")
