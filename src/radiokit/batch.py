"""Many episodes in one run: each built into its own package as a build of it alone would be; an episode that
fails is reported and the others go on. On a cluster, one connection serves the whole batch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from radiokit.errors import ClusterError, InputError, RadiokitError
from radiokit.pipeline import build, connected
from radiokit.progress import Progress
from radiokit.report import BuildReport
from radiokit.script import Script, load_script
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


def at_once(options: BuildOptions) -> int:
    """Episodes of a batch built at the same time: one here (each build uses every core already); on a
    cluster `options.jobs`, so that one episode's own steps (probing, laying out, tags, the zip) and its
    languages' mastering overlap the next episode's rendering."""
    return options.jobs if options.scheduler else 1


def build_all(scripts: Sequence[Path], options: BuildOptions,
              progress: Callable[[int, Path], Progress | None] | None = None,
              finished: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Build every script with the same options, `at_once(options)` at a time, and give their outcomes in the
    scripts' order; `progress(number, script)` gives each build its display, `finished(outcome)` hears of
    each as it ends. A cluster that is lost ends the batch (ClusterError): the packages built before stay."""
    outcomes: dict[int, Outcome] = {}
    loaded: list[tuple[int, Path, Script]] = []
    slugs: dict[str, Path] = {}
    for number, path in enumerate(scripts, start=1):
        try:
            script = load_script(path, options.allow_outside)
            slug = script.programme.slug
            if slug in slugs:
                raise InputError(f"{path}: its slug {slug!r} is also {slugs[slug]}'s in this batch, and one "
                                 "package would replace the other: give each episode its own slug")
        except RadiokitError as exc:
            outcomes[number] = _ended(Outcome(path, error=exc), finished)
        else:
            slugs[slug] = path
            loaded.append((number, path, script))
    with connected(options) as cluster:

        def one(number: int, path: Path, script: Script) -> Outcome:
            try:
                report = build(script, options, progress=progress(number, path) if progress else None, on=cluster)
            except ClusterError as exc:
                built = sum(1 for outcome in outcomes.values() if outcome.report)
                raise ClusterError(f"{path}: {exc} ({built} episode(s) of this batch built before)") from None
            except RadiokitError as exc:
                return _ended(Outcome(path, error=exc), finished)
            return _ended(Outcome(path, report=report), finished)

        if at_once(options) <= 1 or len(loaded) <= 1 or cluster is None:
            for number, path, script in loaded:
                outcomes[number] = one(number, path, script)
        else:
            with ThreadPoolExecutor(max_workers=at_once(options)) as pool:
                running = {pool.submit(one, *episode): episode[0] for episode in loaded}
                try:
                    for future in as_completed(running):
                        outcomes[running[future]] = future.result()
                except BaseException:
                    cluster.stop()  # the other builds' tasks end: each unwinds and removes its staging folder
                    raise
    return [outcomes[number] for number in sorted(outcomes)]


def _ended(outcome: Outcome, finished: Callable[[Outcome], None] | None) -> Outcome:
    if finished:
        finished(outcome)
    return outcome
