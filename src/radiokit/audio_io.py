"""Decode any audio file (or synthesized samples): in process by libsndfile and soxr where they read it,
through the ffmpeg that imageio-ffmpeg bundles otherwise; and probe files with that ffmpeg."""

from __future__ import annotations

import fcntl
import io
import logging
import math
import os
import queue
import re
import shlex
import subprocess
import tempfile
import threading
import warnings
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Iterator, Sequence, TypeVar

import numpy as np
import soundfile
import soxr

from radiokit import children
from radiokit.errors import ArgumentError, AudioInputError

with warnings.catch_warnings():
    # pydub warns at import when no ffmpeg is on PATH; radiokit never lets pydub call ffmpeg itself.
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

# 32-bit inside segments: pydub mixes integers, and 16 bits would add audible noise to a quiet bed
# that the programme gain later raises. The programme gain and measurement work in float.
SAMPLE_WIDTH = 4
_log = logging.getLogger("radiokit.ffmpeg")
PIPE_BYTES = 1 << 20
_FULL_SCALE = 2.0**31
_PIECE_FRAMES = 1 << 18  # frames converted at a time (6 s at 44.1 kHz)
DECODE_BLOCK_FRAMES = 1 << 20  # frames decoded at a time (some 24 s)


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def widen_pipe(descriptor: int) -> None:
    """Let ffmpeg run up to 1 MiB ahead of (or behind) radiokit on a pipe instead of 64 KiB, so that
    decoding and metering, or mastering and encoding, overlap on two cores rather than take turns."""
    try:
        fcntl.fcntl(descriptor, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default still works, only slower


def log_command(command: list[str]) -> None:
    """What `radiokit build --verbose` shows: every ffmpeg run, as a shell would take it."""
    _log.debug("%s", shlex.join(command))


def run_ffmpeg(args: list[str], stdin: bytes | None = None) -> bytes:
    """Run the bundled ffmpeg quietly and return stdout; raises subprocess.CalledProcessError on failure."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin" if stdin is None else "-y", *args]
    log_command(command)
    done = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return done.stdout


def decode(path: Path, sample_rate: int, channels: int, start_s: float = 0.0, end_s: float | None = None,
           shown: str | None = None) -> np.ndarray:
    """Decode `path` (WAV, FLAC, MP3, OGG, ...) to float32 samples (frames, channels) at the delivery rate and
    channel count, whole: decode_blocks, joined.

    pydub's own `from_file` needs ffprobe for anything but WAV, which the ffmpeg wheel does not ship.
    """
    blocks = list(decode_blocks(path, sample_rate, channels, start_s, end_s, shown))
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def decode_blocks(path: Path, sample_rate: int, channels: int, start_s: float = 0.0, end_s: float | None = None,
                  shown: str | None = None, block_frames: int | None = None) -> Iterator[np.ndarray]:
    """The range [start_s, end_s) of `path` as float32 blocks (frames, channels) at the delivery rate and channel
    count, so that memory holds a block however long the range: in this process where libsndfile reads it
    (see _blocks_in_process), by ffmpeg otherwise. AudioInputError, naming the file as `shown`, where there
    is no audio, the file decodes shorter than its header says, or a float file has samples that are not
    numbers (which would be full-scale clicks). Blocks are of about DECODE_BLOCK_FRAMES frames at the delivery
    rate unless given."""
    info = probe(path, shown)
    shown = shown or str(path)
    block_frames = block_frames or DECODE_BLOCK_FRAMES
    blocks = _blocks_in_process(path, sample_rate, channels, start_s, end_s, shown, block_frames)
    if blocks is None:
        blocks = _blocks_by_ffmpeg(path, info, sample_rate, channels, start_s, end_s, shown, block_frames)
    frames = 0
    for block in blocks:
        frames += len(block)
        yield block
    decoded_s = frames / sample_rate
    if info.duration_s is not None:
        expected_s = (min(end_s, info.duration_s) if end_s is not None else info.duration_s) - start_s
        if decoded_s < expected_s - TRUNCATION_TOLERANCE_S:
            raise AudioInputError(f"{shown}: the file is truncated or damaged: it decodes {decoded_s:.1f} s of "
                                  f"the {info.duration_s:.1f} s its header gives; export it again")
    if not frames:
        raise AudioInputError(f"{shown}: no audio in the file (or in the trimmed range): check the file and trim")


def _blocks_in_process(path: Path, sample_rate: int, channels: int, start_s: float, end_s: float | None,
                       shown: str, block_frames: int) -> Iterator[np.ndarray] | None:
    """The trimmed range of a file libsndfile reads (WAV, FLAC, MP3, Ogg ...), resampled by soxr (a stream,
    the same samples as resampling the range whole); None for anything else, and for a downmix, which is
    left to ffmpeg.

    Why not ffmpeg for everything: starting its large static binary and handing each frame between its
    threads costs more than the decode itself (docs/performance.md). The samples agree with ffmpeg's
    decode and resampling frame for frame (its resampler and soxr differ only near the Nyquist
    frequency; tests/test_audio_io.py); seeking is exact."""
    try:
        source = soundfile.SoundFile(os.fsencode(path))  # bytes: whatever the locale's encoding
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None  # ffmpeg decodes it, or says why it cannot
    try:
        if source.channels not in (1, channels):
            source.close()
            return None
        # As ffmpeg trims: from the first frame at or after start_s, up to the first at or after end_s.
        first = _frame_at(start_s, source.samplerate)
        last = source.frames if end_s is None else min(_frame_at(end_s, source.samplerate), source.frames)
        if first < last:
            source.seek(first)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError):
        source.close()
        return None
    return _read_blocks(source, max(0, last - first), sample_rate, channels, shown, block_frames)


def _read_blocks(source: soundfile.SoundFile, frames: int, sample_rate: int, channels: int, shown: str,
                 block_frames: int) -> Iterator[np.ndarray]:
    """`frames` frames of an open, positioned file, resampled, spread and checked a block at a time; closed
    when done or abandoned."""
    resampler = None if source.samplerate == sample_rate else \
        soxr.ResampleStream(source.samplerate, sample_rate, source.channels, dtype="float32", quality="HQ")
    # Read so that a block is about block_frames once resampled: an 8 kHz file read 2**20 frames at a time
    # would make blocks of 46 MB at 44.1 kHz stereo.
    block_frames = max(1, block_frames * source.samplerate // sample_rate)
    with source:
        left = frames
        while left > 0:
            try:
                block = source.read(min(block_frames, left), dtype="float32", always_2d=True)
            except (soundfile.LibsndfileError, RuntimeError):
                block = np.zeros((0, source.channels), dtype=np.float32)  # damaged here: decode_blocks says how far
            left = left - len(block) if len(block) else 0
            broken = _non_finite(block)
            if broken:
                while left > 0 and len(more := source.read(min(block_frames, left), dtype="float32", always_2d=True)):
                    broken, left = broken + _non_finite(more), left - len(more)
                raise _not_numbers(shown, broken)
            if resampler is not None:
                block = resampler.resample_chunk(block, last=left == 0)
            if len(block):
                yield _spread(block, channels)


def _non_finite(block: np.ndarray) -> int:
    """How many samples of a float block are NaN or infinite: one summing pass, and a count only where the sum
    is not finite (which very large finite samples can also make)."""
    with np.errstate(invalid="ignore", over="ignore"):
        if np.isfinite(np.add.reduce(block, axis=None)):
            return 0
    return int(np.count_nonzero(~np.isfinite(block)))


def _not_numbers(shown: str, count: int) -> AudioInputError:
    """Samples no meter can read and that would play as full-scale clicks: only a damaged float file has them."""
    return AudioInputError(f"{shown}: {count} samples are not numbers (NaN or infinity): the file is damaged; "
                           "export it again")


def _spread(block: np.ndarray, channels: int) -> np.ndarray:
    """Mono, centred at full level in each channel."""
    return np.repeat(block, channels, axis=1) if block.shape[1] < channels else block


def _frame_at(seconds: float, rate: int) -> int:
    """The first frame at or after `seconds` (a millionth of a frame's rounding forgiven)."""
    return math.ceil(seconds * rate - 1e-6)


def _blocks_by_ffmpeg(path: Path, info: StreamInfo, sample_rate: int, channels: int, start_s: float,
                      end_s: float | None, shown: str, block_frames: int) -> Iterator[np.ndarray]:
    args: list[str] = []
    if start_s > 0:
        args += ["-ss", f"{start_s:.6f}"]
    if end_s is not None:
        args += ["-to", f"{end_s:.6f}"]
    args += ["-i", str(path), "-map", "0:a:0", "-vn"]
    if channels == 2 and info.channels == 1:
        # ffmpeg's own upmix puts mono 3 dB down in each channel; a mono voice belongs centred at full level.
        args += ["-af", "pan=stereo|c0=c0|c1=c0"]
    # 32-bit integers, not float: for them ffmpeg's downmix keeps a stereo file's peaks where they were
    # (its float downmix adds the channels at 0.707 each, 3 dB up on a centred voice).
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", *args,
               *_pcm_output(sample_rate, channels)]
    log_command(command)
    with tempfile.TemporaryFile() as errors, \
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as process, children.tracked(process):
        assert process.stdout is not None
        for block in _pipe_blocks(process.stdout, channels, block_frames):
            yield _floats(block, channels)
        if process.wait() != 0:
            errors.seek(0)
            reason = _first_line(errors.read())
            raise AudioInputError(f"{shown}: cannot decode the audio ({reason}): re-export it as WAV or FLAC")


def _pipe_blocks(pipe: IO[bytes], channels: int, block_frames: int) -> Iterator[bytes]:
    """Whole frames of 4-byte samples read from an ffmpeg's output, a block at a time."""
    widen_pipe(pipe.fileno())
    frame_bytes = 4 * channels
    while block := pipe.read(block_frames * frame_bytes):
        yield block[: len(block) - len(block) % frame_bytes]


def from_samples(samples: np.ndarray, source_rate: int, sample_rate: int, channels: int) -> AudioSegment:
    """Resample mono int16 samples (e.g. from a speech engine) to the delivery format with ffmpeg's resampler."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(source_rate)
        wav.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    raw = run_ffmpeg(["-f", "wav", "-i", "pipe:0", *_pcm_output(sample_rate, channels)], stdin=buffer.getvalue())
    return AudioSegment(data=raw, sample_width=SAMPLE_WIDTH, frame_rate=sample_rate, channels=channels)


def to_array(segment: AudioSegment) -> np.ndarray:
    """Float32 samples in [-1, 1], shaped (frames, channels)."""
    return _floats(segment.raw_data, segment.channels)


def from_array(samples: np.ndarray, sample_rate: int, gain: float = 1.0) -> AudioSegment:
    """An AudioSegment from float samples shaped (frames, channels) times `gain`; values beyond full scale
    saturate. Converted a piece at a time: a long clip's float64 copy would be the largest thing in memory."""
    integers = np.empty(samples.shape, dtype="<i4")
    for start in range(0, len(samples), _PIECE_FRAMES):
        # In float64, where 2**31 - 1 is exact: in float32 it rounds up to 2**31, which wraps to full negative.
        scaled = np.multiply(samples[start : start + _PIECE_FRAMES], _FULL_SCALE * gain, dtype=np.float64)
        np.round(scaled, out=scaled)
        np.clip(scaled, -_FULL_SCALE, _FULL_SCALE - 1, out=scaled)
        integers[start : start + _PIECE_FRAMES] = scaled
    return AudioSegment(data=integers.tobytes(), sample_width=SAMPLE_WIDTH, frame_rate=sample_rate,
                        channels=samples.shape[1])


def read_wav(path: Path, start_frame: int = 0, frames: int | None = None) -> np.ndarray:
    """A WAV written by `write_wav`, or `frames` of it from `start_frame`, as float32 (frames, channels)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != SAMPLE_WIDTH:
            raise ArgumentError(f"{path.name}: expected {8 * SAMPLE_WIDTH}-bit samples")
        wav.setpos(start_frame)
        raw = wav.readframes(wav.getnframes() - start_frame if frames is None else frames)
        channels = wav.getnchannels()
    return _floats(raw, channels)


def _floats(raw: bytes, channels: int) -> np.ndarray:
    samples = np.frombuffer(raw, dtype="<i4").astype(np.float32)
    samples *= np.float32(1.0 / _FULL_SCALE)  # a power of two: exact, as a division would be
    return samples.reshape(-1, channels)


def write_wav(path: Path, segment: AudioSegment) -> None:
    # The file is opened first: a wave writer whose own open fails complains from its __del__ on stderr.
    with open(path, "wb") as handle, wave.open(handle, "wb") as wav:
        wav.setnchannels(segment.channels)
        wav.setsampwidth(segment.sample_width)
        wav.setframerate(segment.frame_rate)
        wav.writeframes(segment.raw_data)


def stream_float(path: Path, sample_rate: int, channels: int, block_frames: int = 65536) -> Iterator[np.ndarray]:
    """Decode any file with ffmpeg as float32 blocks (frames, channels), so that a long programme is never
    whole in memory; AudioInputError if ffmpeg cannot decode it to its end (a damaged or cut file), or if it has
    samples that are not numbers (a damaged float file: a meter would read figures that mean nothing)."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path), "-map", "0:a:0",
               "-vn", "-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(sample_rate), "-ac", str(channels), "pipe:1"]
    log_command(command)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process, \
            children.tracked(process):
        assert process.stdout is not None
        broken = 0
        for block in _pipe_blocks(process.stdout, channels, block_frames):
            samples = np.frombuffer(block, dtype="<f4").reshape(-1, channels)
            broken += _non_finite(samples)
            if not broken:
                yield samples
        if broken:
            raise _not_numbers(path.name, broken)
        if process.wait() != 0:
            raise AudioInputError(f"{path.name}: the encoded file does not decode to its end")


def stream_encoded(path: Path, sample_rate: int, channels: int, block_frames: int = 65536) -> Iterator[np.ndarray]:
    """A file radiokit has just encoded, decoded in this process by libsndfile (mpg123 for MPEG audio).

    Why not ffmpeg: its threads hand each 26 ms MPEG frame on from one to the next, which costs more
    CPU than the decode (docs/performance.md). The samples agree with ffmpeg's (tests/test_measure.py),
    and both trim the encoder's delay and padding that the LAME header records. A file libsndfile
    cannot read at this rate and channel count goes through ffmpeg."""
    try:
        source = soundfile.SoundFile(os.fsencode(path))
    except (soundfile.LibsndfileError, RuntimeError):
        yield from stream_float(path, sample_rate, channels, block_frames)
        return
    with source:
        if (source.samplerate, source.channels) != (sample_rate, channels):
            yield from stream_float(path, sample_rate, channels, block_frames)
            return
        while len(block := source.read(block_frames, dtype="float32", always_2d=True)):
            yield block


_Item = TypeVar("_Item")


def read_ahead(items: Iterator[_Item], depth: int = 2) -> Iterator[_Item]:
    """`items`, produced on a thread of their own up to `depth` ahead of the consumer: a decoder (libsndfile
    and ffmpeg's pipe release the GIL) then works while the consumer meters the block before. Errors come
    through in order; a consumer that stops early stops the producer."""
    handoff: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def offer(kind: str, item: object) -> bool:
        while not stopped.is_set():
            try:
                handoff.put((kind, item), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer("item", item):
                    return
            offer("end", None)
        except BaseException as exc:  # handed to the consumer, which raises it
            offer("error", exc)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        while True:
            kind, item = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(item, BaseException)
                raise item
            yield item  # type: ignore[misc]
    finally:
        stopped.set()
        producer.join()


@dataclass(frozen=True)
class StreamInfo:
    sample_rate: int
    channels: int
    duration_s: float | None  # from the header; None where ffmpeg can only estimate it


# A file that decodes this much shorter than its header says has lost its end.
TRUNCATION_TOLERANCE_S = 0.5


_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2}


# What probing found, by (path, size, mtime): each probe is an ffmpeg run, never repeated for the same file.
_probed: dict[tuple[Path, int, int], StreamInfo] = {}
_PROBES_KEPT = 4096


def probe(path: Path, shown: str | None = None) -> StreamInfo:
    """Rate, channel count and duration of the first audio stream (remembered while the file is unchanged)."""
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _probed:
        _remember(key, _probe(path, shown))
    return _probed[key]


def _remember(key: tuple[Path, int, int], info: StreamInfo) -> None:
    if len(_probed) >= _PROBES_KEPT:
        _probed.clear()
    _probed[key] = info


def probed() -> dict[tuple[Path, int, int], StreamInfo]:
    """Everything this process has probed, for `remember_probes` in a worker process."""
    return dict(_probed)


def remember_probes(known: dict[tuple[Path, int, int], StreamInfo]) -> None:
    _probed.update(known)


def probe_many(paths: Sequence[Path]) -> None:
    """Probe files by the batch, one ffmpeg run for up to PROBE_BATCH of them (each run costs its start-up
    before it reads a byte, and a programme may have hundreds of clips): what is found is
    remembered for `probe`. A file the batch leaves undescribed (ffmpeg stops at the first it cannot
    open) is left for `probe` to try on its own, and to explain."""
    for first in range(0, len(paths), PROBE_BATCH):
        batch = paths[first : first + PROBE_BATCH]
        stats = [path.stat() for path in batch]
        inputs = [argument for path in batch for argument in ("-i", str(path))]
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *inputs]
        log_command(command)
        text = subprocess.run(command, capture_output=True, check=False).stderr.decode("utf-8", "replace")
        for number, block in _input_blocks(text).items():
            info = _described(block)
            if info is not None and number < len(batch):
                _remember((batch[number], stats[number].st_size, stats[number].st_mtime_ns), info)


PROBE_BATCH = 64


def _input_blocks(text: str) -> dict[int, str]:
    """ffmpeg's description of each input ("Input #3, mp3, from ..." and its indented lines), with the
    warnings printed while that input was opened, which come just before it (inputs open in turn)."""
    blocks: dict[int, str] = {}
    before, current = "", None
    for line in text.splitlines(keepends=True):
        found = re.match(r"Input #(\d+),", line)
        if found:
            current = int(found.group(1))
            blocks[current], before = before + line, ""
        elif line.startswith(" ") and current is not None:
            blocks[current] += line
        else:
            before, current = before + line, None
    return blocks


def _probe(path: Path, shown: str | None) -> StreamInfo:
    """Read from ffmpeg's own description of the input.

    The bundled ffmpeg has no ffprobe beside it; its banner line reads e.g.
    "Stream #0:0: Audio: flac, 22050 Hz, mono, s16" or "... 48000 Hz, 5.1(side), fltp".
    """
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    log_command(command)
    text = subprocess.run(command, capture_output=True, check=False).stderr.decode("utf-8", "replace")
    info = _described(text)
    if info is not None:
        return info
    reason = "no audio stream" if "Stream" in text else _first_line(text.encode())
    raise AudioInputError(f"{shown or path}: cannot decode the audio ({reason}): re-export it as WAV or FLAC")


def _described(text: str) -> StreamInfo | None:
    """The first audio stream in ffmpeg's description of one input, or None if it has none."""
    for line in text.splitlines():
        fields = [field.strip() for field in line.split("Audio:", 1)[1].split(",")] if "Audio:" in line else []
        if len(fields) > 2 and fields[1].endswith(" Hz"):
            layout = fields[2].split("(")[0]
            channels = _LAYOUT_CHANNELS.get(layout) or _count_channels(layout)
            return StreamInfo(int(fields[1].split()[0]), channels, _header_duration(text))
    return None


def _header_duration(banner: str) -> float | None:
    """"Duration: 00:00:10.00" from ffmpeg's banner, unless ffmpeg says it only estimated it from the bitrate."""
    if "Estimating duration from bitrate" in banner:
        return None
    found = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", banner)
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _count_channels(layout: str) -> int:
    """"5.1" -> 6, "7.1" -> 8, "3 channels" -> 3."""
    if layout.split()[0].isdigit():
        return int(layout.split()[0])
    return sum(int(part) for part in layout.split(".") if part.isdigit()) or 2


def _pcm_output(sample_rate: int, channels: int) -> list[str]:
    return ["-f", "s32le", "-acodec", "pcm_s32le", "-ar", str(sample_rate), "-ac", str(channels), "pipe:1"]


def _first_line(stderr: bytes | None) -> str:
    lines = [line for line in (stderr or b"").decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip()[:160] if lines else "ffmpeg failed"
