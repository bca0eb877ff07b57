"""How the library tells its caller what it is doing: stages with a known number of steps, and a log.

The pipeline only calls these; the CLI decides whether they become a progress bar and a log on stderr.
"""

from __future__ import annotations

import logging
import sys
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


LOG_FORMAT = "%(name)s: %(message)s"


def show_log(level: int) -> None:
    """Send radiokit's log (engine calls, ffmpeg commands) to stderr at `level`; also run in worker processes."""
    logger = logging.getLogger("radiokit")
    if level < logging.WARNING and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
