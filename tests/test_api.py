"""The public Python API (docs/api.md): what `import radiokit` offers, with str paths, a Script changed in
Python, the command line's cache default, and errors that carry their exit status."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path

import pytest

import radiokit
from media import tone, write_wav

SCRIPT = """\
format: radiokit/1
programme: {series: API, title: {ru: Первый выпуск}, slug: api-test}
languages: [ru]
segments:
  - id: tone
    music: tone.wav
  - id: pause
    silence: 0.5
"""


@pytest.fixture
def script_path(tmp_path: Path) -> str:
    write_wav(tmp_path / "tone.wav", tone(440.0, 3.0, 44100, -20.0, channels=2), 44100)
    (tmp_path / "episode.yaml").write_text(SCRIPT, encoding="utf-8")
    return str(tmp_path / "episode.yaml")  # a str, as a Python user would give it


def test_a_script_changed_in_python_is_built_as_changed(script_path: str, tmp_path: Path) -> None:
    script = radiokit.load_script(script_path)
    retitled = dataclasses.replace(script, programme=dataclasses.replace(script.programme, title={"ru": "Другой"}))
    report = radiokit.build(retitled, out=str(tmp_path / "out"), cache=None)
    assert isinstance(report, radiokit.BuildReport)
    manifest = json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["programme"]["title"] == {"ru": "Другой"}
    [entry] = report.languages
    assert entry.duration_s == pytest.approx(3.0 + 0.4 + 0.5, abs=0.05)  # the tone, the default gap, the silence
    assert abs(entry.integrated_lufs - (-23.0)) <= 0.2
    verdict = radiokit.verify(str(report.zip_path))
    assert verdict.fit_to_air, verdict.problems
    measured = radiokit.measure_file(str(report.folder / entry.file))
    assert measured.integrated_lufs == pytest.approx(entry.integrated_lufs, abs=0.1)


def test_the_library_caches_where_the_command_line_does(script_path: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADIOKIT_CACHE", str(tmp_path / "shared-cache"))
    assert radiokit.BuildOptions().cache == tmp_path / "shared-cache"
    radiokit.build(script_path, out=tmp_path / "out")
    assert any((tmp_path / "shared-cache" / "segments").iterdir())


def test_options_are_checked_by_name() -> None:
    with pytest.raises(radiokit.ArgumentError, match="no build option outt"):
        radiokit.BuildOptions().updated(outt="build")
    with pytest.raises(ValueError):  # an ArgumentError is a ValueError too, for Python callers
        radiokit.BuildOptions(jobs=0)


def test_errors_carry_their_exit_status(tmp_path: Path) -> None:
    with pytest.raises(radiokit.ScriptError) as failure:
        radiokit.load_script(tmp_path / "missing.yaml")
    assert isinstance(failure.value, radiokit.InputError) and failure.value.exit_status == 2
    assert radiokit.EngineError.exit_status == 1 and radiokit.BuildError.exit_status == 1
    assert issubclass(radiokit.EngineError, radiokit.RadiokitError)


def test_help_says_where_to_start() -> None:
    text = radiokit.__doc__ or ""
    for name in ("load_script", "build", "verify", "measure_file", "docs/api.md"):
        assert name in text
    assert set(radiokit.__all__) <= set(dir(radiokit))
    with pytest.raises(AttributeError):
        radiokit.no_such_thing  # noqa: B018


def test_the_api_names_are_not_shadowed_by_modules() -> None:
    """Importing every module (as a test session or a big program does) leaves the API's names what they are."""
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(radiokit.__path__, "radiokit."):
        if module.name != "radiokit.__main__":
            importlib.import_module(module.name)
    for name in radiokit.__all__:
        assert not inspect.ismodule(getattr(radiokit, name)), name


def test_a_script_error_pickles_whole() -> None:
    """As it travels back from a worker process or a Dask worker: the problems, not one per character."""
    import pickle

    problems = ["episode.yaml:3: programme: missing 'title'", "episode.yaml:9: segments[1]: no text"]
    again = pickle.loads(pickle.dumps(radiokit.ScriptError(problems)))
    assert (again.problems, str(again), again.exit_status) == (problems, "\n".join(problems), 2)
