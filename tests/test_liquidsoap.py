"""Liquidsoap for real: a station's playout engine plays a tagged MP3 and honours its cue points.

Liquidsoap is a system package (apt-get install liquidsoap): without it these tests skip, unless
RADIOKIT_REQUIRE_LIQUIDSOAP=1 (CI) makes its absence a failure.
"""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, TXXX, Encoding
from scipy.signal import fftconvolve

from media import convert, decode, write_wav
from playout import liquidsoap_exe, play_with_liquidsoap

RATE = 44100
MPEG_FRAME = 1152  # samples in one MPEG-1 Layer III frame
CUE_IN, CUE_OUT = 2.0, 7.5


@pytest.fixture(autouse=True)
def liquidsoap_here() -> None:
    if liquidsoap_exe() is not None:
        return
    reason = "Liquidsoap is not installed (apt-get install liquidsoap)"
    if os.environ.get("RADIOKIT_REQUIRE_LIQUIDSOAP") == "1":
        pytest.fail(f"{reason}, and RADIOKIT_REQUIRE_LIQUIDSOAP=1 requires it")
    pytest.skip(reason)


def stepped_noise(seconds: float = 10.0) -> np.ndarray:
    """Stereo noise, seeded, 2 dB louder each second (-30 to -12 dBFS): every position is unlike any other."""
    n = int(seconds * RATE)
    level_db = -30.0 + 2.0 * (np.arange(n) // RATE)
    mono = 0.5 * 10 ** (level_db / 20) * np.random.default_rng(2012).standard_normal(n)
    return np.stack([mono, mono], axis=1)


def tag_cue_points(mp3: Path, cue_in: float, cue_out: float) -> None:
    """The cue points as Liquidsoap reads them: ID3v2.3 TXXX frames liq_cue_in / liq_cue_out, in seconds."""
    id3 = ID3()
    id3.add(TXXX(encoding=Encoding.UTF16, desc="liq_cue_in", text=f"{cue_in:.3f}"))
    id3.add(TXXX(encoding=Encoding.UTF16, desc="liq_cue_out", text=f"{cue_out:.3f}"))
    id3.save(str(mp3), v1=0, v2_version=3)


def where_played(played: np.ndarray, source: np.ndarray) -> tuple[int, float]:
    """The sample of `source` at which `played` starts (by cross-correlation), and how alike they are there."""
    a, b = source.mean(axis=1).astype(np.float64), played.mean(axis=1).astype(np.float64)
    lag = int(np.argmax(fftconvolve(a, b[::-1], mode="valid")))
    part = a[lag : lag + len(b)]
    return lag, float(np.dot(part, b) / np.sqrt(np.dot(part, part) * np.dot(b, b)))


def test_liquidsoap_plays_only_the_cued_part(tmp_path: Path) -> None:
    """2.0-7.5 s of a 10 s MP3 goes on air, no more: ignored cue tags would play all 10 s from 0 s."""
    mp3 = convert(write_wav(tmp_path / "source.wav", stepped_noise(), RATE), tmp_path / "source.mp3",
                  "-c:a", "libmp3lame", "-b:a", "128k", "-ar", str(RATE), "-ac", "2")
    source = decode(mp3)  # the MP3's own audio, gapless, as the reference for what was played
    cued = tmp_path / "cued.mp3"
    shutil.copy(mp3, cued)
    tag_cue_points(cued, CUE_IN, CUE_OUT)

    out = tmp_path / "played.wav"
    play_with_liquidsoap(cued, out)

    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, RATE)
    played = decode(out)
    length, expected = len(played), round((CUE_OUT - CUE_IN) * RATE)
    assert abs(length - expected) <= MPEG_FRAME, f"played {length / RATE:.4f} s, the cues ask for {expected / RATE:.4f} s"
    start, likeness = where_played(played, source)
    assert abs(start - CUE_IN * RATE) <= MPEG_FRAME, f"playback started at {start / RATE:.4f} s, not {CUE_IN} s"
    assert likeness > 0.99, f"what was played is not the source's audio there (correlation {likeness:.3f})"


def test_liquidsoap_plays_a_built_segment_from_cue_in_to_cue_out(tmp_path: Path) -> None:
    """A segment built by radiokit, with a second of silence before and after its sound: Liquidsoap reads the
    cue tags radiokit wrote and plays the sound alone."""
    from radiokit import BuildOptions, build

    silence = np.zeros((RATE, 2))
    write_wav(tmp_path / "sting.wav", np.concatenate([silence, stepped_noise(3.0), silence]), RATE)
    (tmp_path / "episode.yaml").write_text(
        "format: radiokit/1\nprogramme: {series: Cue Test, title: Sting}\nlanguages: [ru]\n"
        "segments:\n  - id: sting\n    music: sting.wav\n", encoding="utf-8")
    report = build(tmp_path / "episode.yaml", BuildOptions(out=tmp_path / "build", cache=None, jobs=1))
    [segment] = report.languages[0].segments
    assert segment.cues is not None
    mp3 = report.folder / segment.file
    tags = {frame.desc: float(frame.text[0]) for frame in ID3(mp3).getall("TXXX") if frame.desc.startswith("liq_cue")}
    print(f"cue in {tags['liq_cue_in']:.3f} s, cue out {tags['liq_cue_out']:.3f} s of {segment.duration_s:.3f} s")
    assert tags["liq_cue_in"] == pytest.approx(1.0, abs=0.02) and tags["liq_cue_out"] == pytest.approx(4.0, abs=0.05)

    out = tmp_path / "played.wav"
    play_with_liquidsoap(mp3, out)
    played, source = decode(out), decode(mp3)
    expected = round((tags["liq_cue_out"] - tags["liq_cue_in"]) * RATE)
    assert abs(len(played) - expected) <= MPEG_FRAME, f"played {len(played) / RATE:.4f} s, cues ask {expected / RATE:.4f} s"
    start, likeness = where_played(played, source)
    assert abs(start - tags["liq_cue_in"] * RATE) <= MPEG_FRAME and likeness > 0.99
