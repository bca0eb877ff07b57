"""The build, stage by stage: script -> render -> lay out -> master -> tag -> package -> into place."""

from __future__ import annotations

import dataclasses
import os
import time
from contextlib import contextmanager
from typing import Any, Iterator

from radiokit import package, tag, workers
from radiokit.cache import Cache, unusable
from radiokit.cluster import Cluster
from radiokit.progress import Progress, Silent
from radiokit.render import render_segments
from radiokit.report import BuildReport
from radiokit.script import Script, load_script
from radiokit.settings import BuildOptions
from radiokit.staging import Staging
from radiokit.tts import engines as tts_engines
from radiokit.versions import check_slot, cleanup_notes, lay_out, master_versions


def build(script: Script | str | os.PathLike[str], options: BuildOptions | None = None, *,
          progress: Progress | None = None, on: Cluster | None = None, **changes: Any) -> BuildReport:
    """Build every language version of `script` (a loaded Script, or the path of its episode.yaml) into a
    package under `options.out`. Options may also be given by name: `build(script, out="build", force=True)`.
    Rendering and mastering run on the cluster `on` if given, else on `options.scheduler`'s if named, else here."""
    started = time.monotonic()
    options = (options or BuildOptions()).updated(**changes) if changes else options or BuildOptions()
    progress = progress or Silent()
    if not isinstance(script, Script):
        script = load_script(script, options.allow_outside)
    if options.offline:
        script = _spoken_offline(script)
    if options.stations:  # its formats' writers load only for a build that delivers to stations
        from radiokit import stations
        chosen = stations.chosen(script, options.stations)
    store, notes = _open_cache(options)
    with connected(options, on) as cluster, Staging(options.out, script.programme.slug) as stage:
        rendered = render_segments(script, stage.work, store, options.jobs, progress, cluster)
        versions = [lay_out(script, language, rendered, store) for language in script.languages]
        notes += cleanup_notes(versions)
        notes += [note for version in versions for note in version.notes]
        notes += check_slot(script, versions, options.force)
        entries, mastering_notes = master_versions(script, versions, stage.folder, store, options.jobs, progress,
                                                    cluster)
        notes += mastering_notes
        delivered = []
        if options.stations:
            with workers.measuring_pool(options.jobs) as measuring:
                delivered = stations.deliver_stations(script, chosen, versions, entries, stage.folder, stage.work,
                                                      measuring, progress)
        if store:
            store.evict()
        for entry in entries:
            tag.tag_language(script, entry.language, stage.folder, entry)
        package.write_package(stage.folder, stage.zip_path, script, entries, delivered)
        stage.commit()
        folder, zip_path = stage.final()
    return BuildReport(script.programme.slug, folder, zip_path, tuple(entries), tuple(notes),
                       time.monotonic() - started, script.delivery.target_duration_s, tuple(delivered))


@contextmanager
def connected(options: BuildOptions, on: Cluster | None = None) -> Iterator[Cluster | None]:
    """The cluster a build runs on: `on` as given, else a connection to `options.scheduler` for this block,
    else None (local processes)."""
    if on is not None or options.scheduler is None:
        yield on
        return
    with Cluster(options.scheduler) as cluster:
        yield cluster


def _open_cache(options: BuildOptions) -> tuple[Cache | None, list[str]]:
    """The cache, if one was asked for and can be used; one that cannot is a note, never the build's end."""
    if options.cache is None:
        return None, []
    problem = unusable(options.cache)
    if problem:
        return None, [f"the cache {options.cache} cannot be used ({problem}): built without it"]
    return Cache(options.cache, options.cache_max_bytes), []


def _spoken_offline(script: Script) -> Script:
    """Online engines (gtts) left out of every voice: what remains speaks, espeak-ng where nothing does."""
    voices = {name: {lang: tts_engines.offline(voice, lang) for lang, voice in per_language.items()}
              for name, per_language in script.voices.items()}
    return dataclasses.replace(script, voices=voices)
