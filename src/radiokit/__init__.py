"""radiokit: one bilingual script in, mastered and tagged radio programmes and a station package out.

Where to start (docs/api.md has the whole tour):

    import radiokit

    script = radiokit.load_script("episode.yaml")        # parsed and checked; ScriptError lists every problem
    report = radiokit.build(script, out="build")          # the package: report.folder, report.zip_path
    for entry in report.languages:
        print(entry.language, entry.duration_s, entry.integrated_lufs)
    verdict = radiokit.verify(report.zip_path)            # what a station runs: verdict.fit_to_air
    print(radiokit.measure_file("programme.mp3"))         # any file, as a broadcast meter reads it

Every error radiokit raises on purpose is a `RadiokitError` with a one-line message and the exit status
the command line would give it: `InputError` (2, the script or its files), `BuildError` (1),
`EngineError` (1, a speech engine), `OutputError` (3, a read-only or full disk). Options are `BuildOptions` fields, also accepted by name in `build`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The names below are imported on first use, so that `import radiokit` stays quick for the command line.
_PUBLIC = {
    "load_script": "radiokit.script", "Script": "radiokit.script",
    "build": "radiokit.pipeline", "build_all": "radiokit.batch", "BuildOptions": "radiokit.settings",
    "BuildReport": "radiokit.report",
    "verify": "radiokit.verification", "Verdict": "radiokit.verification",
    "measure": "radiokit.loudness", "measure_file": "radiokit.loudness", "LoudnessMeter": "radiokit.loudness",
    "Loudness": "radiokit.loudness",
    "RadiokitError": "radiokit.errors", "InputError": "radiokit.errors", "ScriptError": "radiokit.errors",
    "AudioInputError": "radiokit.errors", "BuildError": "radiokit.errors", "EngineError": "radiokit.errors",
    "ArgumentError": "radiokit.errors", "OutputError": "radiokit.errors", "ClusterError": "radiokit.errors",
}
__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:
    from radiokit.batch import build_all
    from radiokit.errors import (ArgumentError, AudioInputError, BuildError, ClusterError, EngineError, InputError,
                                 OutputError, RadiokitError, ScriptError)
    from radiokit.loudness import Loudness, LoudnessMeter, measure, measure_file
    from radiokit.pipeline import build
    from radiokit.report import BuildReport
    from radiokit.script import Script, load_script
    from radiokit.settings import BuildOptions
    from radiokit.verification import Verdict, verify


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'radiokit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
