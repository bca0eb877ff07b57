"""`radiokit clean`: the cleanup chain (radiokit.clean) on one file, decoded at its own rate, written as WAV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import soundfile

from radiokit import audio_io
from radiokit.clean import CleanupReport, CleanupSettings, clean_tape
from radiokit.clean.tape import FileTape
from radiokit.errors import ArgumentError, AudioInputError, InputError, OutputError


def clean_file(source: str | os.PathLike[str], out: str | os.PathLike[str], **settings: Any) -> CleanupReport:
    """Clean `source` into the WAV `out` (32-bit float, the source's rate; mono or stereo) and say what was done.
    Settings are CleanupSettings fields. The file goes through the chain on disk, beside `out`, a piece at a
    time: memory does not follow its length."""
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
    partial = out.with_name(f".{out.name}.partial")
    try:
        tape = FileTape(out.parent, 0, info.channels)
    except OSError as exc:
        raise _unwritable(out, exc) from None
    try:
        for block in audio_io.decode_blocks(source, info.sample_rate, info.channels, shown=str(source)):
            tape.append(block)
    except BaseException:
        tape.close()
        raise
    cleaned = clean_tape(tape, info.sample_rate, chosen)
    try:
        with soundfile.SoundFile(os.fsencode(partial), "w", info.sample_rate, info.channels, subtype="FLOAT",
                                 format="WAV") as written:
            for block in cleaned.tape.blocks():
                written.write(block)
        os.replace(partial, out)
    except (OSError, soundfile.LibsndfileError) as exc:
        partial.unlink(missing_ok=True)
        raise _unwritable(out, exc) from None
    finally:
        cleaned.tape.close()
    return cleaned.report


def _unwritable(out: Path, exc: Exception) -> OutputError:
    return OutputError(f"{out}: cannot be written ({getattr(exc, 'strerror', None) or exc}): choose another --out")
