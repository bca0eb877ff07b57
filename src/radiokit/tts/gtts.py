"""Online Russian speech through gTTS (Google Translate's speech endpoint): throttled, retried within bounds, clear failures."""

from __future__ import annotations

import io
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from importlib import metadata, util

import numpy as np

from radiokit.audio_io import run_ffmpeg
from radiokit.errors import EngineError
from radiokit.tts.engines import Engine, Prosody, Speech
from radiokit.tts.stress import unmarked

_RATE = 24000  # gTTS returns 24 kHz mono MP3
_CHUNK_CHARS = 100  # what one request carries (gTTS's own limit); sentences are packed up to it
_ADVICE = "build with --offline to speak it with espeak-ng, or record a take"


@dataclass(frozen=True)
class Policy:
    """How politely radiokit talks to the service."""

    timeout_s: float = 20.0  # per request, connecting and reading
    tries: int = 3  # per request, for a 429, a 5xx or a timeout
    backoff_s: float = 2.0  # before the second try; doubled for each further one
    max_wait_s: float = 30.0  # the longest radiokit waits before a retry, whatever Retry-After asks
    min_interval_s: float = 1.0  # between the starts of two requests from this process


_last_request = 0.0
_turn = threading.Lock()


def synthesize(text: str, language: str, policy: Policy = Policy()) -> Speech:
    """Fetch speech for `text` and decode it; any network or protocol failure is an EngineError."""
    from gtts.lang import tts_langs

    if language not in tts_langs():
        raise EngineError(f"gtts cannot speak {language!r}: use engine: espeak")
    mp3 = b"".join(_fetch(chunk, language, policy) for chunk in _chunks(text))
    if not mp3:
        return Speech(samples=np.zeros(0, dtype=np.int16), sample_rate=_RATE)
    try:
        raw = run_ffmpeg(["-f", "mp3", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(_RATE), "pipe:1"],
                         stdin=mp3)
    except subprocess.CalledProcessError:
        raise EngineError(f"gtts returned audio that does not decode: try again later, or {_ADVICE}") from None
    return Speech(samples=np.frombuffer(raw, dtype="<i2").copy(), sample_rate=_RATE)


def _chunks(text: str) -> list[str]:
    """Sentences packed into requests of at most _CHUNK_CHARS (gTTS splits a longer sentence itself).

    Each chunk is fetched and retried on its own, so a failure late in a long text does not repeat
    the requests that already succeeded.
    """
    chunks: list[str] = []
    for sentence in re.split(r"(?<=[.!?…])\s+", text.strip()):
        if chunks and len(chunks[-1]) + 1 + len(sentence) <= _CHUNK_CHARS:
            chunks[-1] += " " + sentence
        elif re.search(r"\w", sentence):  # gTTS refuses a chunk of punctuation alone
            chunks.append(sentence)
    return chunks


def _fetch(text: str, language: str, policy: Policy) -> bytes:
    """The MP3 for one chunk, with retries after a 429, a 5xx or a timeout."""
    from gtts import gTTS, gTTSError

    wait_s = policy.backoff_s
    attempt = 0
    while True:
        attempt += 1
        buffer = io.BytesIO()
        try:
            stream = gTTS(text=text, lang=language, timeout=policy.timeout_s).stream()
            while True:
                _wait_turn(policy.min_interval_s)  # gTTS sends its next request inside next()
                piece = next(stream, None)
                if piece is None:
                    break
                buffer.write(piece)
            return buffer.getvalue()
        except gTTSError as exc:
            reason, retry, asked_s = _reason(exc)
        except ValueError:  # the response carried an audio field that is not base64
            reason, retry, asked_s = "a malformed response", False, None
        if not retry or attempt >= policy.tries:
            tries = f" after {attempt} tries" if attempt > 1 else ""
            raise EngineError(f"gtts failed: {reason}{tries}: {_ADVICE}")
        time.sleep(min(policy.max_wait_s, asked_s if asked_s is not None else wait_s))
        wait_s *= 2


def _reason(exc: Exception) -> tuple[str, bool, float | None]:
    """What went wrong, whether trying again may help, and how long the server asked us to wait."""
    import requests

    response = getattr(exc, "rsp", None)
    if response is None:
        # gTTS raises its error inside the handler of the requests exception that caused it.
        cause = exc.__context__
        if isinstance(cause, requests.exceptions.Timeout):
            return "no answer in time", True, None
        return "cannot reach the service (no connection)", False, None
    status = response.status_code
    if status == 200:
        return "the service answered without audio (a malformed response)", False, None
    reason = f"HTTP {status} {response.reason}".strip()
    retry = status == 429 or status >= 500
    return reason, retry, _retry_after_s(response.headers.get("Retry-After"))


def _retry_after_s(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _wait_turn(min_interval_s: float) -> None:
    """Space the starts of requests at least `min_interval_s` apart across the whole process."""
    global _last_request
    with _turn:
        delay = _last_request + min_interval_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        _last_request = time.monotonic()


class Gtts(Engine):
    """Google Translate's voice through gTTS: online, Russian only, one voice, no prosody settings."""

    name = "gtts"
    languages = ("ru",)
    offline = False
    install = "pip install gTTS"
    summary = "Google Translate's voice through gTTS: needs the network; --offline speaks espeak instead"

    def installed(self) -> bool:
        return util.find_spec("gtts") is not None

    def version(self) -> str:
        return f"gTTS {metadata.version('gTTS')}"

    def default_voice(self, language: str) -> str:
        return language

    def check_voice(self, voice: str, language: str) -> str | None:
        return "gtts has one voice per language: remove 'voice'"

    def voices(self, language: str) -> tuple[str, ...]:
        return (language,) if self.installed() else ()

    def synthesize(self, text: str, language: str, voice: str, prosody: Prosody) -> Speech:
        return synthesize(unmarked(text), language)
