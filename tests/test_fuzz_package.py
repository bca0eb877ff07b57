"""Property-based tests for what radiokit reads back that it did not just write: a package's manifest (as
verify and fetch read it), the cache's entries (as a build reads them), and float audio with non-finite
samples. Whatever they hold: a value, a miss, or one clean line; never another exception.

RADIOKIT_FUZZ_EXAMPLES raises the number of examples for a longer local run."""

from __future__ import annotations

import json
import math
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radiokit import cache, reuse
from radiokit.audio_io import decode
from radiokit.cache import Cache
from radiokit.errors import AudioInputError, InputError
from radiokit.manifest import Manifest
from radiokit.manifest import parse as parse_manifest
from radiokit.render import _kept_segment
from radiokit.report import BuildReport

EXAMPLES = int(os.environ.get("RADIOKIT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def mutate(data: st.DataObject, tree: Any) -> Any:
    """The tree with one node, chosen by walking down from the root, replaced by any JSON value (or removed)."""
    if not isinstance(tree, (dict, list)) or not tree or data.draw(st.integers(0, 4)) == 0:
        return data.draw(JSON_VALUES)
    if isinstance(tree, dict):
        key = data.draw(st.sampled_from(sorted(tree)))
        copy = dict(tree)
        if data.draw(st.integers(0, 5)) == 0:
            del copy[key]
        else:
            copy[key] = mutate(data, tree[key])
        return copy
    index = data.draw(st.integers(0, len(tree) - 1))
    return [mutate(data, item) if number == index else item for number, item in enumerate(tree)]


@pytest.fixture(scope="module")
def manifest_tree(built: BuildReport) -> dict[str, Any]:
    return json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))


@FUZZ
@given(data=st.data())
def test_any_mutated_manifest_is_read_or_refused_in_one_line(manifest_tree: dict[str, Any], data: st.DataObject) -> None:
    mutated = mutate(data, manifest_tree)
    try:
        found = parse_manifest(json.dumps(mutated, ensure_ascii=False).encode(), "pkg.zip")
    except InputError as exc:
        assert str(exc).startswith("pkg.zip: manifest.json: ") and "\n" not in str(exc), str(exc)
        return
    assert isinstance(found, Manifest)
    for number in (*(e.duration_s for e in found.languages), *(f.size for f in found.files)):
        assert math.isfinite(number)


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_as_a_manifest_are_refused_in_one_line(raw: bytes) -> None:
    with pytest.raises(InputError) as refused:
        parse_manifest(raw, "pkg.zip")
    assert str(refused.value).startswith("pkg.zip: manifest.json: ") and "\n" not in str(refused.value)


def _entry(folder: Path, kind: str, files: dict[str, bytes], data: Any) -> str:
    """An entry as Cache.store writes one, with `data` checksummed as given: what a build would read."""
    key = "k" * 64
    entry = folder / kind / key
    shutil.rmtree(entry, ignore_errors=True)
    entry.mkdir(parents=True)
    for name, content in files.items():
        (entry / name).write_bytes(content)
    digests = {name: cache.file_digest(entry / name) for name in files}
    (entry / "entry.json").write_text(json.dumps({"files": digests, "data": data,
                                                  "sha256": cache._data_digest(digests, data)}), encoding="utf-8")
    return key


NAMES = st.sampled_from(["audio.wav", "profile.npy", "audio", "a.mp3", "segments__01.mp3"])
FIGURES = st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-100, 100), min_size=5, max_size=6)
# Entries of the right shape but for one thing (a name the file list lacks, a NaN, a short list): the readers'
# own checks, not only json's and the checksum's, are what catch them.
SHAPED = st.fixed_dictionaries({
    "frames": st.integers(-1, 10**6) | JSON_SCALARS, "text": st.text(max_size=5) | JSON_SCALARS,
    "notes": st.lists(st.text(max_size=5), max_size=2) | JSON_VALUES, "engine": st.none() | st.text(max_size=5),
    "cleanup": st.none() | st.fixed_dictionaries({"summary": st.text(max_size=5)}),
    "measured": st.dictionaries(NAMES, FIGURES, max_size=3) | FIGURES, "gain_db": FIGURES.map(lambda f: f[0]),
    "ceiling_dbtp": st.floats(allow_nan=True, allow_infinity=True), "codec_shift_lu": st.floats(-3, 3)})
FILES = st.dictionaries(st.sampled_from(["audio.wav", "profile.npy", "audio", "a.mp3", "segments__01.mp3"]),
                        st.binary(max_size=8), max_size=3)


@FUZZ
@given(files=FILES, data=st.dictionaries(st.sampled_from(["frames", "text", "notes", "engine", "cleanup", "measured",
                                                          "gain_db", "ceiling_dbtp", "codec_shift_lu"]) |
                                         st.text(max_size=6), JSON_VALUES, max_size=6) | SHAPED)
def test_any_cache_entry_is_used_or_a_miss(tmp_path_factory: pytest.TempPathFactory, files: dict[str, bytes],
                                           data: dict[str, Any]) -> None:
    folder = tmp_path_factory.mktemp("cache")
    store = Cache(folder)
    out = tmp_path_factory.mktemp("out")
    key = _entry(folder, "segments", files, data)
    kept = store.load("segments", key, _kept_segment)
    assert kept is None or (kept.wav.is_file() and kept.profile.is_file() and isinstance(kept.frames, int))
    key = _entry(folder, "versions", files, data)
    restored = reuse.restore_version(store, key, out)
    assert restored is None or all(path.is_file() for path in restored[0])
    key = _entry(folder, "gains", files, data)
    gain = reuse.load_gain(store, key)
    assert gain is None or all(math.isfinite(value) for value in (gain.gain_db, gain.ceiling_dbtp, gain.codec_shift_lu))


@FUZZ
@given(channels=st.sampled_from([1, 2]), subtype=st.sampled_from(["FLOAT", "DOUBLE"]),
       bad=st.lists(st.tuples(st.integers(0, 4799), st.sampled_from([math.nan, math.inf, -math.inf])), min_size=1,
                    max_size=6))
def test_non_finite_samples_anywhere_are_refused_in_one_line(tmp_path_factory: pytest.TempPathFactory, channels: int,
                                                             subtype: str, bad: list[tuple[int, float]]) -> None:
    path = tmp_path_factory.mktemp("nan") / "broken.wav"
    samples = np.full((4800, channels), 0.1)
    for frame, value in bad:
        samples[frame, frame % channels] = value
    soundfile.write(path, samples, 48000, subtype=subtype)
    expected = len({(frame, frame % channels) for frame, _ in bad})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AudioInputError) as refused:
            decode(path, 44100, 2, shown="broken.wav")
    assert str(refused.value).startswith(f"broken.wav: {expected} samples are not numbers")
