"""Many episodes in one run: each built into its own package as a build of it alone would be; an episode that
fails is reported and the others go on. On a cluster, one connection serves the whole batch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from radiokit.errors import ClusterError, InputError, RadiokitError
from radiokit.pipeline import build, connected
from radiokit.progress import Progress
from radiokit.report import BuildReport
from radiokit.script import load_script
from radiokit.settings import BuildOptions

SCRIPT_NAME = "episode.yaml"


@dataclass(frozen=True)
class Outcome:
    """One episode of a batch: its report, or the error that stopped it."""

    script: Path
    report: BuildReport | None = None
    error: RadiokitError | None = None


def scripts_in(paths: Sequence[Path]) -> list[Path]:
    """The scripts the arguments name: a file is itself; a folder is its episode.yaml if it has one, else every
    .yaml file in it and every episode.yaml one folder down, in name order."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
        elif (path / SCRIPT_NAME).is_file():
            found.append(path / SCRIPT_NAME)
        else:
            inside = [*path.glob("*.yaml"), *path.glob("*.yml"), *path.glob(f"*/{SCRIPT_NAME}")]
            if not inside:
                raise InputError(f"{path}: no episode scripts in this folder (*.yaml, or */{SCRIPT_NAME}): "
                                 "name the scripts, or the folders that hold them")
            found += sorted(script for script in inside if script.is_file())
    return list(dict.fromkeys(found))


def build_all(scripts: Sequence[Path], options: BuildOptions,
              progress: Callable[[int, Path], Progress | None] | None = None) -> list[Outcome]:
    """Build every script in turn with the same options; `progress(number, script)` gives each its display.
    A cluster that is lost ends the batch (ClusterError): the packages built before it stay."""
    outcomes: list[Outcome] = []
    slugs: dict[str, Path] = {}
    with connected(options) as cluster:
        for number, path in enumerate(scripts, start=1):
            try:
                script = load_script(path, options.allow_outside)
                slug = script.programme.slug
                if slug in slugs:
                    raise InputError(f"{path}: its slug {slug!r} is also {slugs[slug]}'s in this batch, and one "
                                     "package would replace the other: give each episode its own slug")
                slugs[slug] = path
                report = build(script, options, progress=progress(number, path) if progress else None,
                               on=cluster)
            except ClusterError as exc:
                built = sum(1 for outcome in outcomes if outcome.report)
                raise ClusterError(f"{path}: {exc} ({built} episode(s) of this batch built before)") from None
            except RadiokitError as exc:
                outcomes.append(Outcome(path, error=exc))
            else:
                outcomes.append(Outcome(path, report=report))
    return outcomes
