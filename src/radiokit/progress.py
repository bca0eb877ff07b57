"""How the library tells its caller what it is doing: stages with a known number of steps.

The pipeline only calls these methods; the CLI decides whether they become a progress bar.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, label: str, total: int) -> None:
        """A stage begins, with `total` steps (segments, formats)."""

    def advance(self) -> None:
        """One step of the current stage is done."""


class Silent:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass
