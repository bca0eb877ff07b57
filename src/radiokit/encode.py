"""Encode float PCM, streamed on ffmpeg's stdin, to MP3 (CBR), MP2 or Broadcast Wave."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from radiokit.audio_io import ffmpeg_exe
from radiokit.errors import BuildError

SUFFIXES = {"mp3": ".mp3", "mp2": ".mp2", "wav": ".wav"}


def _codec_args(fmt: str, bitrate_kbps: int, channels: int) -> list[str]:
    if fmt == "mp3":
        # CBR with a LAME "Info" header: decoders trim the encoder delay, so chapter times stay exact.
        return ["-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-f", "mp3", "-id3v2_version", "0",
                "-write_id3v1", "0"]
    if fmt == "mp2":
        # MP2 is for playout systems, which expect broadcast rates rather than the MP3 bitrate.
        return ["-c:a", "libtwolame", "-b:a", "256k" if channels == 2 else "128k", "-f", "mp2"]
    return ["-c:a", "pcm_s16le", "-f", "wav", "-write_bext", "1", "-rf64", "auto"]


class Encoder:
    """A running ffmpeg that takes float32 frames through `write` and finishes the file on exit."""

    def __init__(self, path: Path, fmt: str, sample_rate: int, channels: int, bitrate_kbps: int,
                 metadata: dict[str, str] | None = None) -> None:
        self.path = path
        meta: list[str] = []
        for key, value in (metadata or {}).items():
            meta += ["-metadata", f"{key}={value}"]
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(sample_rate),
             "-ac", str(channels), "-i", "pipe:0", "-map_metadata", "-1", *meta,
             *_codec_args(fmt, bitrate_kbps, channels), str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)

    def write(self, frames: np.ndarray) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(np.ascontiguousarray(frames, dtype="<f4").tobytes())
        except BrokenPipeError:
            self._fail()

    def __enter__(self) -> "Encoder":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        status = self._process.wait()
        if kind is None and status != 0:
            self._fail()
        self._log.close()

    def _fail(self) -> None:
        self._process.kill()
        self._process.wait()
        self._log.seek(0)
        reason = self._log.read().decode("utf-8", "replace").strip().splitlines()
        raise BuildError(f"encoding {self.path.name} failed: {reason[-1] if reason else 'ffmpeg stopped'}")


def encode_array(path: Path, fmt: str, frames: np.ndarray, sample_rate: int, bitrate_kbps: int,
                 metadata: dict[str, str] | None = None) -> None:
    """Encode one in-memory block of frames (a segment) to a file."""
    with Encoder(path, fmt, sample_rate, frames.shape[1], bitrate_kbps, metadata) as encoder:
        encoder.write(frames)
