"""Encode float PCM, streamed on ffmpeg's stdin, to MP3 (CBR) and MP2, or written as Broadcast Wave."""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from radiokit import children
from radiokit.audio_io import ffmpeg_exe, log_command, widen_pipe
from radiokit.bwf import BextInfo, BroadcastWaveWriter
from radiokit.errors import ArgumentError, BuildError

SUFFIXES = {"mp3": ".mp3", "mp2": ".mp2", "wav": ".wav"}
_QUEUED_BLOCKS = 8  # pieces of up to _PIECE_FRAMES (some 12 s of audio) waiting per encoder at most
_PIECE_FRAMES = 65536


def _codec_args(fmt: str, bitrate_kbps: int, channels: int) -> list[str]:
    if fmt == "mp3":
        # CBR with a LAME "Info" header: decoders trim the encoder delay, so chapter times stay exact.
        return ["-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-f", "mp3", "-id3v2_version", "0",
                "-write_id3v1", "0"]
    if fmt == "mp2":
        return ["-c:a", "libtwolame", "-b:a", f"{bitrate_kbps}k", "-f", "mp2"]
    raise ArgumentError(f"ffmpeg does not encode {fmt} for radiokit")


class Encoder:
    """A running ffmpeg that takes frames through `write` as 16-bit PCM (see pcm16) and finishes the file on exit.

    A thread of its own feeds ffmpeg's stdin from a short queue: a pipe holds only 64 KiB, so writing
    directly would make the caller wait for each encoder in turn, and encoders fed from one stream
    (a programme and its segment files) would take turns instead of running side by side.
    """

    def __init__(self, path: Path, fmt: str, sample_rate: int, channels: int, bitrate_kbps: int,
                 fingerprint: bool = False) -> None:
        self.path = path
        # The sha256 of the 16-bit PCM it encodes, taken on the feeding thread (hashlib releases the GIL).
        self.fingerprint = hashlib.sha256() if fingerprint else None
        self._log = tempfile.TemporaryFile()
        command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "s16le",
                   "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0", "-map_metadata", "-1",
                   *_codec_args(fmt, bitrate_kbps, channels), str(path)]
        log_command(command)
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        self._tracking = children.tracked(self._process)
        self._tracking.__enter__()
        assert self._process.stdin is not None
        widen_pipe(self._process.stdin.fileno())
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=_QUEUED_BLOCKS)
        self._broken = False
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def write(self, frames: np.ndarray) -> None:
        """Float frames, or frames already made 16-bit by pcm16 (kept, not copied: the caller leaves them be)."""
        pcm = as_pcm16(frames)
        for start in range(0, len(pcm), _PIECE_FRAMES):  # queued in pieces: the queue's bound is in audio
            if self._broken:
                self._fail()
            self._queue.put(pcm[start : start + _PIECE_FRAMES])

    def _feed(self) -> None:
        assert self._process.stdin is not None
        while (piece := self._queue.get()) is not None:
            if self._broken:
                continue  # drain, so that `write` never blocks on a dead encoder
            if self.fingerprint:
                self.fingerprint.update(piece)
            try:
                self._process.stdin.write(piece)
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
        self._tracking.__exit__(None, None, None)
        if kind is None and (status != 0 or self._broken):
            self._fail()
        self._log.close()

    def _fail(self) -> None:
        self._process.kill()
        self._process.wait()
        self._log.seek(0)
        reason = self._log.read().decode("utf-8", "replace").strip().splitlines()
        raise BuildError(f"encoding {self.path.name} failed: {reason[-1] if reason else 'ffmpeg stopped'}")


_PCM16 = np.dtype("<i2")


def pcm16(frames: np.ndarray) -> np.ndarray:
    """Float frames as 16-bit PCM, saturating, for the encoders' stdin: half the bytes of float through the pipe
    and ffmpeg, and LAME's cheaper input (some 8 % less CPU an encode). Rounded without dither: the codec's
    noise lies far above it."""
    scaled = np.multiply(frames, 32768.0, dtype=np.float32)
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(_PCM16)


def as_pcm16(frames: np.ndarray) -> np.ndarray:
    """`frames` as pcm16 makes them, unless they already are."""
    return frames if frames.dtype == _PCM16 else pcm16(frames)


def mp2_bitrate_kbps(channels: int) -> int:
    """MP2 is for playout systems, which expect broadcast rates rather than the MP3 bitrate."""
    return 256 if channels == 2 else 128


def open_encoder(path: Path, fmt: str, sample_rate: int, channels: int, bitrate_kbps: int,
                 bext: BextInfo | None = None, fingerprint: bool = False,
                 chunks: Sequence[bytes] = ()) -> Encoder | BroadcastWaveWriter:
    """A writer of float32 frames for `fmt`: ffmpeg for MP3 and MP2, radiokit's own for Broadcast Wave (with
    `chunks`, e.g. a cart chunk, beside its bext). With `fingerprint`, an ffmpeg encoder also takes the sha256
    of the PCM it is given."""
    if fmt == "wav":
        info = bext or BextInfo(path.stem, "radiokit", "", dt.datetime.now(), "")
        return BroadcastWaveWriter(path, sample_rate, channels, info, extra_chunks=chunks)
    return Encoder(path, fmt, sample_rate, channels, bitrate_kbps, fingerprint)


def encode_array(path: Path, fmt: str, frames: np.ndarray, sample_rate: int, bitrate_kbps: int,
                 bext: BextInfo | None = None) -> None:
    """Encode one in-memory block of frames (a segment) to a file."""
    with open_encoder(path, fmt, sample_rate, frames.shape[1], bitrate_kbps, bext) as encoder:
        encoder.write(frames)


@dataclass(frozen=True)
class Output:
    """One file cut from a stream: frames [start_frame, end_frame), or to the end when end_frame is None,
    with `pad_frames` of silence before and after. A `fingerprint`ed output's PCM is hashed as it is encoded
    (MP3 and MP2 only): see encode_outputs. `chunks` go into a Broadcast Wave beside its bext."""

    path: Path
    fmt: str
    start_frame: int = 0
    end_frame: int | None = None
    bext: BextInfo | None = None
    fingerprint: bool = False
    pad_frames: int = 0
    chunks: tuple[bytes, ...] = ()


class _Sink(Protocol):
    def write(self, frames: np.ndarray) -> None: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def encode_outputs(blocks: Iterable[np.ndarray], outputs: Sequence[Output], sample_rate: int, channels: int,
                   bitrate_kbps: int, restore: Callable[[Output, str], bool] | None = None) -> dict[Path, str]:
    """Stream the programme once into every output, each taking its own range of frames; returns the
    sha256 of the 16-bit PCM each fingerprinted output was given.

    An output's encoder runs only while the stream passes its range, so a programme and all its
    segment files are written in one pass, with the encoders beside the caller on other cores.

    With `restore`, a fingerprinted output's PCM is buffered until its range ends, and encoded only if
    `restore(output, fingerprint)` does not put an earlier encode of the same PCM in its place (see _Buffered).
    """
    fingerprints: dict[Path, str] = {}
    encoders: dict[Path, Encoder | BroadcastWaveWriter] = {}
    buffered = _BufferedOutputs(fingerprints, channels)

    def start(output: Output) -> _Sink:
        if restore and output.fingerprint and buffered.worth_buffering():
            return _Buffered(output, lambda: start_encoder(output), restore, buffered)
        return start_encoder(output)

    def start_encoder(output: Output) -> Encoder | BroadcastWaveWriter:
        encoders[output.path] = open_encoder(output.path, output.fmt, sample_rate, channels, bitrate_kbps,
                                             output.bext, output.fingerprint and output.path not in buffered.hashing,
                                             output.chunks)
        return encoders[output.path]

    try:
        _route(blocks, outputs, start)
    finally:
        buffered.finish()
    fingerprints.update({path: encoder.fingerprint.hexdigest() for path, encoder in encoders.items()
                         if not isinstance(encoder, BroadcastWaveWriter) and encoder.fingerprint})
    return fingerprints


# A buffered output's PCM is kept in memory up to this much (16-bit), after which it is encoded as it streams.
_BUFFERED_BYTES = 64 << 20
_MISSES_BEFORE_STREAMING = 2  # buffered outputs in a row that had to be encoded after all: stop buffering
_BUFFERED_ENCODES_AT_ONCE = 2  # encodes of buffered PCM running beside the stream


class _BufferedOutputs:
    """What the buffered outputs of one pass share: their fingerprints, and the encodes of those that missed."""

    def __init__(self, fingerprints: dict[Path, str], channels: int) -> None:
        self.fingerprints = fingerprints
        self.limit_frames = _BUFFERED_BYTES // (_PCM16.itemsize * channels)
        self.hashing: set[Path] = set()  # buffered outputs, whose fingerprint they take themselves
        self.misses_in_a_row = 0
        self.encoding: list[threading.Thread] = []
        self.failures: list[BaseException] = []

    def worth_buffering(self) -> bool:
        """After a few misses in a row the earlier build's encodes are not coming back (the audio has moved):
        the rest are encoded as they stream, side by side, rather than one by one after each ends."""
        return self.misses_in_a_row < _MISSES_BEFORE_STREAMING

    def encode_later(self, encode: Callable[[], None]) -> None:
        """Encode buffered PCM on a thread beside the stream, a few at a time."""
        while len(self.encoding) >= _BUFFERED_ENCODES_AT_ONCE:
            self.encoding.pop(0).join()

        def run() -> None:
            try:
                encode()
            except BaseException as exc:  # raised by `finish`
                self.failures.append(exc)
        self.encoding.append(threading.Thread(target=run))
        self.encoding[-1].start()

    def finish(self) -> None:
        while self.encoding:
            self.encoding.pop(0).join()
        if self.failures:
            raise self.failures[0]


class _Buffered:
    """An output whose PCM is hashed and buffered until its range ends: then `restore` may put an earlier
    build's encode of the very same PCM in its place (the audio is the same to the bit: so is the encode), or it
    is encoded from the buffer. Past the limit, it is encoded as it streams, as any output is."""

    def __init__(self, output: Output, start_encoder: Callable[[], Encoder | BroadcastWaveWriter],
                 restore: Callable[[Output, str], bool], shared: _BufferedOutputs) -> None:
        self.output, self.start_encoder, self.restore, self.shared = output, start_encoder, restore, shared
        shared.hashing.add(output.path)
        self.digest = hashlib.sha256()
        self.blocks: list[np.ndarray] = []
        self.frames = 0
        self.encoder: Encoder | BroadcastWaveWriter | None = None

    def write(self, frames: np.ndarray) -> None:
        block = as_pcm16(frames)
        self.digest.update(block)
        if self.encoder is not None:
            self.encoder.write(block)
            return
        self.blocks.append(block)
        self.frames += len(block)
        if self.frames > self.shared.limit_frames:
            self.encoder = self.start_encoder()
            self._write_buffered(self.encoder)

    def _write_buffered(self, encoder: Encoder | BroadcastWaveWriter) -> None:
        for block in self.blocks:
            encoder.write(block)
        self.blocks.clear()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shared.fingerprints[self.output.path] = self.digest.hexdigest()
        if self.encoder is not None:
            self.encoder.__exit__(kind, exc, tb)
            return
        if kind is not None:
            return
        if self.restore(self.output, self.digest.hexdigest()):
            self.shared.misses_in_a_row = 0
            return
        self.shared.misses_in_a_row += 1

        def encode() -> None:
            with self.start_encoder() as encoder:
                self._write_buffered(encoder)
        self.shared.encode_later(encode)


def _route(blocks: Iterable[np.ndarray], outputs: Sequence[Output], start: Callable[[Output], _Sink]) -> None:
    """Hand each output its range of the stream, opening its sink (`start`) as the stream reaches it and
    closing it as the stream passes its end; padded outputs get their silence on either side. Broadcast Wave
    takes the float frames (it dithers them itself), the other formats 16-bit PCM."""
    waiting = sorted(outputs, key=lambda output: output.start_frame)
    running: list[tuple[Output, _Sink]] = []
    position = 0

    def pad(output: Output, sink: _Sink, channels: int) -> None:
        if output.pad_frames:
            sink.write(np.zeros((output.pad_frames, channels), dtype=np.float32))

    def finish(output: Output, sink: _Sink, channels: int) -> None:
        pad(output, sink, channels)
        sink.__exit__(None, None, None)
    channels = 1
    try:
        for block in blocks:
            end, channels = position + len(block), block.shape[1]
            while waiting and waiting[0].start_frame < end:
                output = waiting.pop(0)
                running.append((output, start(output)))
                pad(output, running[-1][1], channels)
            pcm: np.ndarray | None = None  # the block as 16-bit PCM, made once for every encoder that takes it
            for output, sink in running:
                first = max(output.start_frame, position)
                last = end if output.end_frame is None else min(output.end_frame, end)
                if first < last:
                    source = block
                    if output.fmt != "wav":
                        pcm = source = pcm16(block) if pcm is None else pcm
                    sink.write(source[first - position : last - position])
            for item in [r for r in running if r[0].end_frame is not None and r[0].end_frame <= end]:
                running.remove(item)
                finish(*item, channels)
            position = end
        while running:
            finish(*running.pop(), channels)
    except BaseException as exc:
        for _, sink in running:
            sink.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if waiting:
        raise BuildError(f"{waiting[0].path.name}: starts at frame {waiting[0].start_frame}, after the programme ends")
