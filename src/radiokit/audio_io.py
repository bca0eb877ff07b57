"""Decode any audio file (or synthesized samples) through the ffmpeg that imageio-ffmpeg bundles."""

from __future__ import annotations

import io
import subprocess
import warnings
import wave
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from radiokit.errors import AudioInputError

with warnings.catch_warnings():
    # pydub warns at import when no ffmpeg is on PATH; radiokit never lets pydub call ffmpeg itself.
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

SAMPLE_WIDTH = 2  # 16-bit inside segments; the programme gain and measurement work in float


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], stdin: bytes | None = None) -> bytes:
    """Run the bundled ffmpeg quietly and return stdout; raises subprocess.CalledProcessError on failure."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin" if stdin is None else "-y", *args]
    done = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return done.stdout


def decode(path: Path, sample_rate: int, channels: int, start_s: float = 0.0, end_s: float | None = None,
           shown: str | None = None) -> AudioSegment:
    """Decode `path` (WAV, FLAC, MP3, OGG, ...) to 16-bit PCM at the delivery rate and channel count.

    pydub's own `from_file` needs ffprobe for anything but WAV, which the ffmpeg wheel does not ship.
    """
    args: list[str] = []
    if start_s > 0:
        args += ["-ss", f"{start_s:.6f}"]
    if end_s is not None:
        args += ["-to", f"{end_s:.6f}"]
    args += ["-i", str(path), "-map", "0:a:0", "-vn"]
    try:
        if channels == 2 and is_mono(path, shown):
            # ffmpeg's own upmix puts mono 3 dB down in each channel; a mono voice belongs centred at full level.
            args += ["-af", "pan=stereo|c0=c0|c1=c0"]
        raw = run_ffmpeg([*args, *_pcm_output(sample_rate, channels)])
    except subprocess.CalledProcessError as exc:
        reason = _first_line(exc.stderr)
        raise AudioInputError(f"{shown or path}: cannot decode the audio ({reason}): re-export it as WAV or FLAC") from None
    if not raw:
        raise AudioInputError(f"{shown or path}: no audio in the file (or in the trimmed range): check the file and trim")
    return AudioSegment(data=raw, sample_width=SAMPLE_WIDTH, frame_rate=sample_rate, channels=channels)


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
    data = np.frombuffer(segment.raw_data, dtype="<i2").astype(np.float32) / 32768.0
    return data.reshape(-1, segment.channels)


def from_array(samples: np.ndarray, sample_rate: int) -> AudioSegment:
    """An AudioSegment from float samples shaped (frames, channels); values beyond full scale saturate."""
    clipped = np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")
    return AudioSegment(data=clipped.tobytes(), sample_width=SAMPLE_WIDTH, frame_rate=sample_rate,
                        channels=samples.shape[1])


def read_wav(path: Path) -> np.ndarray:
    """A 16-bit WAV written by radiokit, as float32 (frames, channels)."""
    with wave.open(str(path), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        channels = wav.getnchannels()
    return (np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0).reshape(-1, channels)


def write_wav(path: Path, segment: AudioSegment) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(segment.channels)
        wav.setsampwidth(segment.sample_width)
        wav.setframerate(segment.frame_rate)
        wav.writeframes(segment.raw_data)


def stream_float(path: Path, sample_rate: int, channels: int, block_frames: int = 65536) -> Iterator[np.ndarray]:
    """Decode a file as float32 blocks (frames, channels), so that a long programme is never whole in memory."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path), "-map", "0:a:0",
               "-vn", "-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(sample_rate), "-ac", str(channels), "pipe:1"]
    frame_bytes = 4 * channels
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        while block := process.stdout.read(block_frames * frame_bytes):
            usable = len(block) - len(block) % frame_bytes
            yield np.frombuffer(block[:usable], dtype="<f4").reshape(-1, channels)
        if process.wait() != 0:
            raise AudioInputError(f"{path.name}: the encoded file does not decode to its end")


def is_mono(path: Path, shown: str | None = None) -> bool:
    """Whether the first audio stream is mono, read from ffmpeg's own description of the input."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    text = subprocess.run(command, capture_output=True, check=False).stderr.decode("utf-8", "replace")
    for line in text.splitlines():
        if "Audio:" in line:
            # "Stream #0:0: Audio: flac, 22050 Hz, mono, s16": the layout is the third field
            fields = [field.strip() for field in line.split("Audio:", 1)[1].split(",")]
            return len(fields) > 2 and fields[2].startswith("mono")
    reason = "no audio stream" if "Stream" in text else _first_line(text.encode())
    raise AudioInputError(f"{shown or path}: cannot decode the audio ({reason}): re-export it as WAV or FLAC")


def _pcm_output(sample_rate: int, channels: int) -> list[str]:
    return ["-f", "s16le", "-acodec", "pcm_s16le", "-ar", str(sample_rate), "-ac", str(channels), "pipe:1"]


def _first_line(stderr: bytes | None) -> str:
    lines = [line for line in (stderr or b"").decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip()[:160] if lines else "ffmpeg failed"
