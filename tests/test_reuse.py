"""An edit re-encodes only what it changed: a build keeps an earlier build's gain where that still lands
on the target, and takes the segment files whose PCM is then the same to the bit from the cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from radiokit import audio_io, encode, loudness, master, timeline
from radiokit.cache import Cache
from radiokit.reuse import KeptEncodes, keep_gain, load_gain
from radiokit.encode import Output, encode_outputs
from radiokit.loudness import Loudness
from radiokit.master import KeptGain
from radiokit.script import LoudnessTarget
from radiokit.timeline import Placed
from signals import programme

RATE = 44100
TARGET = LoudnessTarget("ebu-r128", -23.0, -1.0)


def recordings(folder: Path, seeds: list[int]) -> list[Placed]:
    """Four seconds of speech-like material per seed, leveled to -35 LUFS as segments are rendered, 0.4 s apart."""
    folder.mkdir(exist_ok=True)
    wavs, lengths = [], []
    for seed in seeds:
        samples = programme(RATE, 4.0, seed=seed)
        samples *= 10 ** ((-35.0 - loudness.measure(samples, RATE).integrated_lufs) / 20)
        assert np.isfinite(samples).all()  # (a seed whose phrases are all pauses has no level to scale)
        wavs.append(folder / f"{seed}.wav")
        audio_io.write_wav(wavs[-1], audio_io.from_array(samples, RATE))
        lengths.append(len(samples))
    return timeline.place(wavs, lengths, [0.4] * len(seeds), [0.0] * len(seeds), RATE)


def outputs(folder: Path, placed: list[Placed]) -> tuple[Output, list[Output]]:
    folder.mkdir()
    segments = [Output(folder / f"{number}.mp3", "mp3", item.start_frame, item.start_frame + item.frames)
                for number, item in enumerate(placed)]
    return Output(folder / "programme.mp3", "mp3"), segments


def same_figures(found: Loudness, expected: Loudness) -> None:
    np.testing.assert_equal(dataclasses.astuple(found), dataclasses.astuple(expected))  # (nan: not measured)


def test_an_output_held_for_an_earlier_encode_is_fingerprinted_as_one_encoded(tmp_path: Path) -> None:
    """A segment's PCM is fingerprinted while it is encoded, or while it is held for an earlier build's
    encode (see encode._Buffered): the same fingerprint either way, and only missed segments are encoded."""
    placed = recordings(tmp_path / "wav", [1, 2, 3])
    programme_file, segments = outputs(tmp_path / "encoded", placed)
    marked = [dataclasses.replace(segment, fingerprint=True) for segment in segments]
    while_encoding = encode_outputs(timeline.stream(placed, 2, 2.0), [programme_file, *marked], RATE, 2, 128)
    assert set(while_encoding) == {s.path for s in segments}  # the programme was not asked for one
    assert len(set(while_encoding.values())) == 3

    held_folder = tmp_path / "held"
    held_folder.mkdir()
    offered = []

    def take(output: Output, fingerprint: str) -> bool:
        offered.append((output.path.name, fingerprint))
        return output.path.name != "1.mp3"  # as if the other two were kept from an earlier build
    held = [dataclasses.replace(segment, path=held_folder / segment.path.name) for segment in marked]
    while_holding = encode_outputs(timeline.stream(placed, 2, 2.0), held, RATE, 2, 128, take)
    assert offered == [(path.name, print_) for path, print_ in while_encoding.items()]
    assert [path.name for path in while_holding] == [path.name for path in while_encoding]
    assert list(while_holding.values()) == list(while_encoding.values())
    assert sorted(p.name for p in held_folder.iterdir()) == ["1.mp3"]  # the only one encoded
    assert (held_folder / "1.mp3").read_bytes() == segments[1].path.read_bytes()

    louder = encode_outputs(timeline.stream(placed, 2, 2.0 * 1.0001), held, RATE, 2, 128, lambda *_: True)
    assert not set(louder.values()) & set(while_encoding.values())  # any change of the PCM is a new fingerprint


def test_a_kept_gain_reencodes_only_the_changed_segment(tmp_path: Path) -> None:
    encodes = KeptEncodes(Cache(tmp_path / "cache"), RATE, 2, 128)
    before = recordings(tmp_path / "wav", [1, 2, 3, 4])
    rendered_before = master.measure_rendered(before, RATE)
    first = master.deliver(before, rendered_before, *outputs(tmp_path / "first", before), TARGET, RATE, 2, 128,
                           encodes=encodes)
    assert first.reused == 0
    # A build that landed on the target to the hundredth: the first's gain, corrected by what it measured.
    # Its codec shift puts that gain right on the target, so the gain is kept, and nothing is the same PCM.
    programme_file, segments_before = outputs(tmp_path / "settled", before)
    missed_by = TARGET.integrated_lufs - first.measured[tmp_path / "first" / "programme.mp3"].integrated_lufs
    settled = master.deliver(before, rendered_before, programme_file, segments_before, TARGET, RATE, 2, 128,
                             kept_gain=KeptGain(first.gain_db + missed_by, first.ceiling_dbtp, first.kept_gain.codec_shift_lu),
                             encodes=encodes)
    assert settled.gain_db == first.gain_db + missed_by and settled.reused == 0

    # The second recording is replaced by another as loud (seed 8); the other three are the same audio, moved.
    after = recordings(tmp_path / "wav", [1, 8, 3, 4])
    rendered = master.measure_rendered(after, RATE)
    assert abs(rendered.integrated_lufs - rendered_before.integrated_lufs) < master.KEEP_GAIN_LU / 2
    programme_after, segments_after = outputs(tmp_path / "after", after)
    second = master.deliver(after, rendered, programme_after, segments_after, TARGET, RATE, 2, 128,
                            kept_gain=settled.kept_gain, encodes=encodes)

    assert second.gain_db == settled.gain_db and second.ceiling_dbtp == settled.ceiling_dbtp
    assert second.reused == 3
    for number in (0, 2, 3):
        assert segments_after[number].path.read_bytes() == segments_before[number].path.read_bytes()
        same_figures(second.measured[segments_after[number].path], settled.measured[segments_before[number].path])
    assert segments_after[1].path.read_bytes() != segments_before[1].path.read_bytes()
    changed = loudness.measure_encoded(segments_after[1].path, RATE, 2, maxima=False)
    same_figures(second.measured[segments_after[1].path], changed)  # measured afresh, not taken
    programme = loudness.measure_encoded(programme_after.path, RATE, 2)
    assert second.measured[programme_after.path] == programme
    assert abs(programme.integrated_lufs - TARGET.integrated_lufs) <= master.KEEP_GAIN_LU + 0.01
    assert max(m.true_peak_dbtp for m in second.measured.values()) <= TARGET.true_peak_dbtp
    # What this build settled on, for the next: the same gain, and the shift its programme measured.
    assert second.kept_gain.codec_shift_lu == pytest.approx(
        programme.integrated_lufs - rendered.integrated_lufs - second.gain_db)


def test_a_gain_that_would_miss_the_target_is_not_kept(tmp_path: Path) -> None:
    encodes = KeptEncodes(Cache(tmp_path / "cache"), RATE, 2, 128)
    placed = recordings(tmp_path / "wav", [1, 2])
    rendered = master.measure_rendered(placed, RATE)
    first = master.deliver(placed, rendered, *outputs(tmp_path / "first", placed), TARGET, RATE, 2, 128,
                           encodes=encodes)
    # Its own gain, with a shift that puts it 0.1 LU off the target: too far to keep.
    held = KeptGain(first.gain_db, first.ceiling_dbtp, first.kept_gain.codec_shift_lu + master.KEEP_GAIN_LU + 0.1)
    programme_second, segments_second = outputs(tmp_path / "second", placed)
    second = master.deliver(placed, rendered, programme_second, segments_second, TARGET, RATE, 2, 128, kept_gain=held,
                            encodes=encodes)
    assert second.reused == 0
    assert second.gain_db == pytest.approx(first.gain_db)  # found afresh by the trial, as the first build did
    lufs = second.measured[programme_second.path].integrated_lufs
    assert abs(lufs - TARGET.integrated_lufs) <= master.LOUDNESS_TOLERANCE_LU


def test_the_cache_keeps_a_gain_and_an_encode(tmp_path: Path) -> None:
    store = Cache(tmp_path / "cache")
    assert load_gain(store, "programme") is None
    keep_gain(store, "programme", KeptGain(12.5, -1.5, -0.4))
    assert load_gain(store, "programme") == KeptGain(12.5, -1.5, -0.4)

    encodes = KeptEncodes(store, RATE, 2, 128)
    kept = tmp_path / "kept.mp3"
    kept.write_bytes(b"\xff\xfb" + bytes(range(200)))
    figures = Loudness(-23.0, 4.0, -2.0, -20.0, -21.0, 3.0)
    encodes.keep(Output(kept, "mp3"), "ab" * 32, figures)
    wanted = tmp_path / "wanted.mp3"
    assert encodes.restore(Output(wanted, "mp2"), "ab" * 32) is None  # another format is another encode
    assert not wanted.exists()
    assert encodes.restore(Output(wanted, "mp3"), "ab" * 32) == figures
    assert wanted.read_bytes() == kept.read_bytes()
    assert KeptEncodes(store, RATE, 2, 192).restore(Output(wanted, "mp3"), "ab" * 32) is None  # another bitrate


def test_buffering_gives_way_to_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An output longer than the hold is encoded as it streams; after two misses in a row the rest are not
    held at all (the audio has moved, and their encodes one after another would hold up the stream)."""
    placed = recordings(tmp_path / "wav", [1, 2, 3, 4])
    programme_file, segments = outputs(tmp_path / "encoded", placed)
    marked = [dataclasses.replace(segment, fingerprint=True) for segment in segments]
    expected = encode_outputs(timeline.stream(placed, 2, 2.0), marked, RATE, 2, 128)

    offered = []

    def miss(output: Output, fingerprint: str) -> bool:
        offered.append(output.path.name)
        return False
    held_folder = tmp_path / "held"
    held_folder.mkdir()
    held = [dataclasses.replace(segment, path=held_folder / segment.path.name) for segment in marked]
    found = encode_outputs(timeline.stream(placed, 2, 2.0), held, RATE, 2, 128, miss)
    assert offered == ["0.mp3", "1.mp3"]
    assert [p.name for p in found] == [p.name for p in expected] and list(found.values()) == list(expected.values())
    for segment in segments:
        assert (held_folder / segment.path.name).read_bytes() == segment.path.read_bytes()

    monkeypatch.setattr(encode, "_BUFFERED_BYTES", 4 * 2 * RATE)  # a second of stereo: less than any segment
    offered.clear()
    found = encode_outputs(timeline.stream(placed, 2, 2.0), held, RATE, 2, 128, miss)
    assert offered == [] and list(found.values()) == list(expected.values())
    assert (held_folder / "3.mp3").read_bytes() == segments[3].path.read_bytes()
