"""Online Russian speech through gTTS (Google Translate's TTS endpoint); fails clearly when offline."""

from __future__ import annotations

import io
import subprocess

import numpy as np

from radiokit.audio_io import run_ffmpeg
from radiokit.errors import EngineError
from radiokit.tts.espeak import Speech

_RATE = 24000  # gTTS returns 24 kHz mono MP3


def synthesize(text: str, language: str, timeout_s: float = 20.0) -> Speech:
    """Fetch speech for `text` and decode it; any network or protocol failure is an EngineError."""
    from gtts import gTTS, gTTSError

    buffer = io.BytesIO()
    try:
        gTTS(text=text, lang=language, timeout=timeout_s).write_to_fp(buffer)
    except (gTTSError, OSError) as exc:
        raise EngineError(f"gtts could not synthesize ({exc}): build with --offline to use espeak, "
                          "or record a take") from None
    try:
        raw = run_ffmpeg(["-f", "mp3", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(_RATE), "pipe:1"],
                         stdin=buffer.getvalue())
    except subprocess.CalledProcessError:
        raise EngineError("gtts returned audio that does not decode: try again later or use a take") from None
    return Speech(samples=np.frombuffer(raw, dtype="<i2").copy(), sample_rate=_RATE)
