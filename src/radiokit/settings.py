"""How a build runs: one frozen set of options, with the same defaults for the library and the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from radiokit.cache import DEFAULT_MAX_BYTES, default_folder
from radiokit.errors import ArgumentError


@dataclass(frozen=True)
class BuildOptions:
    """`out` receives `<slug>/` and `<slug>.zip`. `cache` keeps rendered segments and delivered versions for
    the next build ($RADIOKIT_CACHE, else ~/.cache/radiokit); None keeps nothing. Paths may be str or Path."""

    out: Path = Path("build")
    allow_outside: tuple[Path, ...] = ()  # folders outside the script's own that it may take files from
    offline: bool = False  # speak online (gtts) voices with espeak-ng instead
    force: bool = False  # deliver even when a version misses its slot
    jobs: int = os.cpu_count() or 1  # processes that render segments, languages mastered; a cluster's episodes
    cache: Path | None = field(default_factory=default_folder)
    cache_max_bytes: int = DEFAULT_MAX_BYTES
    stations: tuple[str, ...] = ()  # station profiles of the script to deliver too ("all": every one)
    scheduler: str | None = None  # a Dask scheduler's address: render and master there (docs/cluster.md)

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "stations", (self.stations,) if isinstance(self.stations, str) else tuple(self.stations))
        object.__setattr__(self, "allow_outside", tuple(Path(p) for p in self.allow_outside))
        if self.cache is not None:
            object.__setattr__(self, "cache", Path(self.cache))
        if self.jobs < 1:
            raise ArgumentError(f"jobs must be 1 or more, not {self.jobs}")

    def updated(self, **changes: Any) -> BuildOptions:
        """These options with some changed; a name that is no option is refused."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ArgumentError(f"no build option {', '.join(sorted(unknown))}: use {', '.join(f.name for f in fields(self))}")
        return replace(self, **changes)
