"""`radiokit clean`: the cleanup chain (radiokit.clean) on one file, decoded at its own rate, written as WAV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import soundfile

from radiokit import audio_io
from radiokit.clean import CleanupReport, CleanupSettings, clean
from radiokit.errors import ArgumentError, AudioInputError, InputError, OutputError


def clean_file(source: str | os.PathLike[str], out: str | os.PathLike[str], **settings: Any) -> CleanupReport:
    """Clean `source` into the WAV `out` (32-bit float, the source's rate; mono or stereo) and say what was done.
    Settings are CleanupSettings fields."""
    source, out = Path(source), Path(out)
    if not source.is_file():
        raise InputError(f"{source}: no such file: check the path")
    try:
        chosen = CleanupSettings(**settings)
    except (ArgumentError, TypeError) as exc:
        raise ArgumentError(str(exc)) from None
    info = audio_io.probe(source, str(source))
    if info.channels > 2:
        raise AudioInputError(f"{source}: {info.channels} channels: radiokit cleans mono and stereo recordings; "
                              "downmix it first")
    samples = audio_io.decode(source, info.sample_rate, info.channels, shown=str(source))
    cleaned = clean(samples, info.sample_rate, chosen)
    partial = out.with_name(f".{out.name}.partial")
    try:
        soundfile.write(os.fsencode(partial), cleaned.samples, info.sample_rate, subtype="FLOAT", format="WAV")
        os.replace(partial, out)
    except (OSError, soundfile.LibsndfileError) as exc:
        partial.unlink(missing_ok=True)
        raise OutputError(f"{out}: cannot be written ({getattr(exc, 'strerror', None) or exc}): choose another "
                          "--out") from None
    return cleaned.report
