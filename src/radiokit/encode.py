"""Encode float PCM, streamed on ffmpeg's stdin, to MP3 (CBR) and MP2, or written as Broadcast Wave."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import queue
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable, Iterable, Protocol, Sequence

import lameenc
import numpy as np

from radiokit import mpeg
from radiokit.audio_io import ffmpeg_exe, log_command, widen_pipe
from radiokit.bwf import BextInfo, BroadcastWaveWriter
from radiokit.errors import BuildError

SUFFIXES = {"mp3": ".mp3", "mp2": ".mp2", "wav": ".wav"}
_QUEUED_BLOCKS = 8  # pieces of up to _PIECE_FRAMES (some 12 s of audio) waiting per encoder at most
_PIECE_FRAMES = 65536
_LAME_QUALITY = 3  # LAME's default, which ffmpeg's libmp3lame also leaves in place
_lame_log = logging.getLogger("radiokit.lame")  # what `radiokit build --verbose` shows of each MP3 encode


def _codec_args(fmt: str, bitrate_kbps: int, channels: int) -> list[str]:
    if fmt == "mp3":
        # CBR with a LAME "Info" header: decoders trim the encoder delay, so chapter times stay exact.
        return ["-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-f", "mp3", "-id3v2_version", "0",
                "-write_id3v1", "0"]
    if fmt == "mp2":
        # MP2 is for playout systems, which expect broadcast rates rather than the MP3 bitrate.
        return ["-c:a", "libtwolame", "-b:a", "256k" if channels == 2 else "128k", "-f", "mp2"]
    raise ValueError(f"ffmpeg does not encode {fmt} for radiokit")


class Encoder:
    """A running ffmpeg that takes float32 frames through `write` and finishes the file on exit.

    A thread of its own feeds ffmpeg's stdin from a short queue: a pipe holds only 64 KiB, so writing
    directly would make the caller wait for each encoder in turn, and encoders fed from one stream
    (a programme and its segment files) would take turns instead of running side by side.
    """

    def __init__(self, path: Path, fmt: str, sample_rate: int, channels: int, bitrate_kbps: int,
                 fingerprint: bool = False) -> None:
        self.path = path
        # The sha256 of the PCM it encodes, taken on the feeding thread (hashlib releases the GIL).
        self.fingerprint = hashlib.sha256() if fingerprint else None
        self._log = tempfile.TemporaryFile()
        command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(sample_rate),
                   "-ac", str(channels), "-i", "pipe:0", "-map_metadata", "-1",
                   *_codec_args(fmt, bitrate_kbps, channels), str(path)]
        log_command(command)
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        assert self._process.stdin is not None
        widen_pipe(self._process.stdin.fileno())
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUED_BLOCKS)
        self._broken = False
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def write(self, frames: np.ndarray) -> None:
        for start in range(0, len(frames), _PIECE_FRAMES):  # queued in pieces: the queue's bound is in audio
            if self._broken:
                self._fail()
            self._queue.put(np.ascontiguousarray(frames[start : start + _PIECE_FRAMES], dtype="<f4").tobytes())

    def _feed(self) -> None:
        assert self._process.stdin is not None
        while (data := self._queue.get()) is not None:
            if self._broken:
                continue  # drain, so that `write` never blocks on a dead encoder
            if self.fingerprint:
                self.fingerprint.update(data)
            try:
                self._process.stdin.write(data)
            except (BrokenPipeError, ValueError):
                self._broken = True
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass

    def __enter__(self) -> "Encoder":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            self._process.kill()
        self._queue.put(None)
        self._feeder.join()
        status = self._process.wait()
        if kind is None and (status != 0 or self._broken):
            self._fail()
        self._log.close()

    def _fail(self) -> None:
        self._process.kill()
        self._process.wait()
        self._log.seek(0)
        reason = self._log.read().decode("utf-8", "replace").strip().splitlines()
        raise BuildError(f"encoding {self.path.name} failed: {reason[-1] if reason else 'ffmpeg stopped'}")


class LameEncoder:
    """MP3 (CBR) encoded in this process by LAME (the lameenc wheel) on a thread of its own, which LAME's
    encoding leaves free to run beside others (it releases the GIL), with the same `write` and exit as Encoder.

    ffmpeg's libmp3lame is the same LAME 3.100 at the same settings, but ffmpeg's threads hand every
    26 ms frame on from one to the next: 5.9 s of CPU for 10 minutes of stereo, against 4.8 s here. LAME
    takes 16-bit samples here (lameenc's interface), rounded from float: their noise lies some 98 dB
    under full scale, far under what the codec itself adds. The file begins with a LAME Info frame,
    written last (mpeg.info_frame), from which decoders trim the encoder's delay and padding, so that the
    file decodes to exactly the samples given, as ffmpeg's MP3s do.
    """

    def __init__(self, path: Path, sample_rate: int, channels: int, bitrate_kbps: int, fingerprint: bool = False) -> None:
        self.path = path
        self.fingerprint = hashlib.sha256() if fingerprint else None
        self._format = (sample_rate, channels, bitrate_kbps)
        self._lame = lameenc.Encoder()
        self._lame.set_bit_rate(bitrate_kbps)
        self._lame.set_in_sample_rate(sample_rate)
        self._lame.set_channels(channels)
        self._lame.set_quality(_LAME_QUALITY)
        _lame_log.debug("%d kbps, %d Hz, %d channels: %s", bitrate_kbps, sample_rate, channels, path)
        self._file = path.open("wb")
        self._file.write(bytes(mpeg.info_frame_bytes(sample_rate, bitrate_kbps)))  # its place, filled in last
        self._samples = 0
        self._failure: Exception | None = None
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=_QUEUED_BLOCKS)
        self._encoder = threading.Thread(target=self._encode, daemon=True)
        self._encoder.start()

    def write(self, frames: np.ndarray) -> None:
        for start in range(0, len(frames), _PIECE_FRAMES):
            if self._failure:
                self._fail()
            self._queue.put(np.array(frames[start : start + _PIECE_FRAMES], dtype="<f4"))  # a copy: buffers are reused

    def _encode(self) -> None:
        while (block := self._queue.get()) is not None:
            if self._failure:
                continue  # drain, so that `write` never blocks
            try:
                if self.fingerprint:
                    self.fingerprint.update(block.tobytes())  # the bytes an ffmpeg Encoder would hash
                self._file.write(self._lame.encode(np.clip(np.rint(block * 32768.0), -32768, 32767)
                                                   .astype("<i2").tobytes()))
                self._samples += len(block)
            except (OSError, RuntimeError) as exc:
                self._failure = exc

    def __enter__(self) -> "LameEncoder":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._queue.put(None)
        self._encoder.join()
        try:
            if kind is None and self._failure is None:
                self._finish()
        except (OSError, RuntimeError, ValueError) as failure:
            self._failure = failure
        finally:
            self._file.close()
        if kind is None and self._failure:
            self._fail()

    def _finish(self) -> None:
        if self._samples:  # (LAME has nothing to flush, and says so, before its first samples)
            self._file.write(self._lame.flush())
        self._file.flush()
        sample_rate, channels, bitrate_kbps = self._format
        reserved = mpeg.info_frame_bytes(sample_rate, bitrate_kbps)
        total = self._file.tell()
        with self.path.open("rb") as audio:
            audio.seek(reserved)
            frames = mpeg.count_frames(audio, total - reserved)
            audio.seek(reserved)
            crc = mpeg.crc16_stream(audio, total - reserved)
        self._file.seek(0)
        self._file.write(mpeg.info_frame(sample_rate, channels, bitrate_kbps, frames, total, self._samples, crc))

    def _fail(self) -> None:
        raise BuildError(f"encoding {self.path.name} failed: {self._failure}")


def open_encoder(path: Path, fmt: str, sample_rate: int, channels: int, bitrate_kbps: int,
                 bext: BextInfo | None = None,
                 fingerprint: bool = False) -> Encoder | LameEncoder | BroadcastWaveWriter:
    """A writer of float32 frames for `fmt`: LAME in this process for MP3 at MPEG-1 rates, ffmpeg for other MP3
    and for MP2, radiokit's own for Broadcast Wave. With `fingerprint`, an encoder also takes the sha256 of
    the PCM it is given."""
    if fmt == "wav":
        info = bext or BextInfo(path.stem, "radiokit", "", dt.datetime.now(), "")
        return BroadcastWaveWriter(path, sample_rate, channels, info)
    if fmt == "mp3" and sample_rate in mpeg.MPEG1_SAMPLE_RATES:
        return LameEncoder(path, sample_rate, channels, bitrate_kbps, fingerprint)
    return Encoder(path, fmt, sample_rate, channels, bitrate_kbps, fingerprint)


def encode_array(path: Path, fmt: str, frames: np.ndarray, sample_rate: int, bitrate_kbps: int,
                 bext: BextInfo | None = None) -> None:
    """Encode one in-memory block of frames (a segment) to a file."""
    with open_encoder(path, fmt, sample_rate, frames.shape[1], bitrate_kbps, bext) as encoder:
        encoder.write(frames)



@dataclass(frozen=True)
class Output:
    """One file cut from a stream: frames [start_frame, end_frame), or to the end when end_frame is None.
    A `fingerprint`ed output's PCM is hashed as it is encoded (MP3 and MP2 only): see encode_outputs."""

    path: Path
    fmt: str
    start_frame: int = 0
    end_frame: int | None = None
    bext: BextInfo | None = None
    fingerprint: bool = False


class _Sink(Protocol):
    def write(self, frames: np.ndarray) -> None: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def encode_outputs(blocks: Iterable[np.ndarray], outputs: Sequence[Output], sample_rate: int, channels: int,
                   bitrate_kbps: int) -> dict[Path, str]:
    """Stream the programme once into every output, each taking its own range of frames; returns the
    sha256 of the PCM each fingerprinted output encoded.

    An output's encoder runs only while the stream passes its range, so a programme and all its
    segment files are written in one pass, with ffmpeg encoding beside the caller on other cores.
    """
    encoders: dict[Path, Encoder | LameEncoder | BroadcastWaveWriter] = {}

    def start(output: Output) -> Encoder | LameEncoder | BroadcastWaveWriter:
        encoders[output.path] = open_encoder(output.path, output.fmt, sample_rate, channels, bitrate_kbps,
                                             output.bext, output.fingerprint)
        return encoders[output.path]

    _route(blocks, outputs, start)
    return {path: encoder.fingerprint.hexdigest() for path, encoder in encoders.items()
            if not isinstance(encoder, BroadcastWaveWriter) and encoder.fingerprint}


def fingerprint_outputs(blocks: Iterable[np.ndarray], outputs: Sequence[Output]) -> dict[Path, str]:
    """The sha256 of the PCM each output would encode, as encode_outputs gives it, without encoding:
    which encodes of an earlier build can be used again."""
    hashers = {output.path: _Hasher() for output in outputs}
    _route(blocks, outputs, lambda output: hashers[output.path])
    return {path: hasher.digest.hexdigest() for path, hasher in hashers.items()}


class _Hasher:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, frames: np.ndarray) -> None:
        self.digest.update(np.ascontiguousarray(frames, dtype="<f4").tobytes())

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        pass


def _route(blocks: Iterable[np.ndarray], outputs: Sequence[Output], start: Callable[[Output], _Sink]) -> None:
    """Hand each output its range of the stream, opening its sink (`start`) as the stream reaches it and
    closing it as the stream passes its end."""
    waiting = sorted(outputs, key=lambda output: output.start_frame)
    running: list[tuple[Output, _Sink]] = []
    position = 0
    try:
        for block in blocks:
            end = position + len(block)
            while waiting and waiting[0].start_frame < end:
                output = waiting.pop(0)
                running.append((output, start(output)))
            for output, sink in running:
                first = max(output.start_frame, position)
                last = end if output.end_frame is None else min(output.end_frame, end)
                if first < last:
                    sink.write(block[first - position : last - position])
            for item in [r for r in running if r[0].end_frame is not None and r[0].end_frame <= end]:
                running.remove(item)
                item[1].__exit__(None, None, None)
            position = end
        while running:
            running.pop()[1].__exit__(None, None, None)
    except BaseException as exc:
        for _, sink in running:
            sink.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if waiting:
        raise BuildError(f"{waiting[0].path.name}: starts at frame {waiting[0].start_frame}, after the programme ends")
