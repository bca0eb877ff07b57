"""Offline speech from Festival's natural Russian voice (Debian's festvox-ru) through text2wave; Tajik through it too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from radiokit.errors import EngineError
from radiokit.tts import stress, tajik_russian
from radiokit.tts.engines import PROSODY, Engine, Prosody, Speech

DEFAULT_VOICE = "msu_ru_nsh_clunits"
INSTALL = "apt-get install festival festvox-ru"
# Festival's pace on the script's rate scale: msu_ru_nsh speaks 103 words a minute where espeak-ng at
# rate 165 speaks 145 (the example episode's Russian), so its own pace is what espeak-ng calls 117.
OWN_RATE = 117
PITCH_SEMITONES = 6.0  # pitch 0 and 100 are this far below and above the voice's own (50)
_VOICE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # a voice is selected by the Scheme call (voice_NAME)
# What the voice reads: words of the letters its letter-to-sound rules know (any other character stops its
# synthesis), each followed by at most one mark of punctuation its tokenizer takes off; a mark standing
# alone would reach those rules as a word. Dashes and brackets are pauses; quotes are not heard.
_LETTER = "[а-яёА-ЯЁa-zA-Z0-9]"
_TOKEN = re.compile(rf"(?P<word>\+?{_LETTER}(?:{_LETTER}|\+(?={_LETTER})|['-](?=\+?{_LETTER}))*)"
                    r"|(?P<stop>[.!?;:])|(?P<pause>[,()\[\]{}…‐‑‒–—―-])")


@dataclass(frozen=True)
class _Installation:
    text2wave: str
    version: str  # Festival's, and when each voice's files last changed
    voices: dict[str, str]  # name -> language (Festival's word: russian, english, ...)


@lru_cache(maxsize=4)
def _probe(festival: str | None, text2wave: str | None) -> _Installation | None:
    """What Festival at these paths has: its version and voices; None when it is not there or does not run."""
    if festival is None or text2wave is None:
        return None
    listing = ('(mapcar (lambda (v) (format t "voice %s %s %s\\n" v '
               '(cadr (assoc (quote language) (cadr (voice.description v)))) '
               '(cdr (assoc v voice-locations)))) (voice.list))')
    try:
        version = subprocess.run([festival, "--version"], capture_output=True, text=True, check=True, timeout=60,
                                 stdin=subprocess.DEVNULL).stdout.strip()
        listed = subprocess.run([festival, "-b", listing], capture_output=True, text=True, check=True, timeout=60,
                                stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    voices: dict[str, str] = {}
    stamps: list[str] = []
    for line in listed.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and parts[0] == "voice":
            voices[parts[1]] = parts[2]
            stamps.append(f"{parts[1]}@{_stamp(Path(parts[3]))}")
    number = re.search(r"\d+(?:\.\d+)+", version)
    return _Installation(text2wave, "; ".join([f"festival {number.group() if number else version}", *stamps]), voices)


def _stamp(folder: Path) -> int:
    """When a voice's files last changed: a package upgrade replaces files, which changes their folders' mtime."""
    try:
        return max([folder.stat().st_mtime_ns] + [e.stat().st_mtime_ns for e in os.scandir(folder) if e.is_dir()])
    except OSError:
        return 0


def _installation() -> _Installation | None:
    return _probe(shutil.which("festival"), shutil.which("text2wave"))


def _russian_voices(found: _Installation) -> list[str]:
    return sorted(name for name, language in found.voices.items() if language == "russian")


def festival_text(text: str, language: str) -> str:
    """Spoken text as the voice can read it: Tajik in Russian letters, every '+' right before its vowel, and
    only words and the punctuation its tokenizer takes."""
    if language == "tg":
        text = tajik_russian.to_russian(text)
    else:
        text = "".join(tajik_russian.respelled(char) for char in text)  # a Tajik name in a Russian line
        text = stress.WORD.sub(lambda m: _marked(m.group()), text)
    words: list[str] = []
    for token in _TOKEN.finditer(text):
        if token["word"]:
            words.append(token["word"])
        elif words and words[-1][-1] not in ".!?;:,":
            words[-1] += token["stop"] or ","
    return " ".join(words)


def _marked(word: str) -> str:
    """The word with its stress mark, if any, right before the stressed vowel (the voice reads it so)."""
    plain, stressed = stress.split_mark(word)
    if stressed is None:
        return plain
    at = [i for i, char in enumerate(plain) if char.lower() in stress.VOWELS][stressed]
    return f"{plain[:at]}+{plain[at:]}"


class Festival(Engine):
    """Festival's unit-selection voices: natural recordings of one Russian speaker, cut and joined."""

    name = "festival"
    languages = ("ru", "tg")
    prosody = frozenset(PROSODY)
    install = INSTALL
    own_rate = OWN_RATE
    # The example's Tajik links, read at rate 150: 64.3 s where espeak-ng's pace predicts 79.2 (Russian: 48.8
    # against 49.0).
    text_speed = {"tg": 1.23}
    summary = (f"Festival's natural Russian voice ({DEFAULT_VOICE}), offline; Tajik in Russian letters with "
               "Tajik stress; rate and pitch by time-stretching")

    def installed(self) -> bool:
        found = _installation()
        return found is not None and bool(_russian_voices(found))

    def version(self) -> str:
        found = _installation()
        return found.version if found else "absent"

    def default_voice(self, language: str) -> str:
        return DEFAULT_VOICE

    def check_voice(self, voice: str, language: str) -> str | None:
        if not _VOICE_NAME.match(voice):
            return f"{voice!r} is not a Festival voice name: use {DEFAULT_VOICE!r}"
        found = _installation()
        if found is None or voice in _russian_voices(found):
            return None  # a missing Festival is reported with the engine
        if voice in found.voices:
            return f"Festival's voice {voice!r} speaks {found.voices[voice]}, not Russian: use {DEFAULT_VOICE!r}"
        return (f"Festival has no voice {voice!r} (it has {', '.join(_russian_voices(found)) or 'none'}): "
                f"use {DEFAULT_VOICE!r} ({INSTALL})")

    def voices(self, language: str) -> tuple[str, ...]:
        found = _installation()
        return tuple(_russian_voices(found)) if found else ()

    def synthesize(self, text: str, language: str, voice: str, prosody: Prosody) -> Speech:
        found = _installation()
        if found is None:
            raise EngineError(f"Festival is not installed: {INSTALL}")
        problem = self.check_voice(voice, language)
        if problem:
            raise EngineError(problem)
        readable = festival_text(text, language)
        if not readable:
            return Speech(samples=np.zeros(0, dtype=np.int16), sample_rate=16000)
        samples, rate = _text2wave(found.text2wave, voice, readable)
        return Speech(samples=_shaped(samples, rate, prosody), sample_rate=rate)


def _text2wave(program: str, voice: str, text: str) -> tuple[np.ndarray, int]:
    """Run text2wave on the text, given in a file, so that no character of it is ever read as Scheme."""
    with tempfile.TemporaryDirectory(prefix="radiokit-festival-") as folder:
        source, target = Path(folder) / "text.txt", Path(folder) / "speech.wav"
        source.write_text(text + "\n", encoding="utf-8")
        try:
            ran = subprocess.run([program, "-eval", f"(voice_{voice})", str(source), "-o", str(target)],
                                 capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise EngineError(f"Festival's text2wave does not run ({exc}): reinstall it ({INSTALL})") from exc
        # text2wave exits 0 even when its Scheme fails; the sign is an empty or missing file.
        if ran.returncode != 0 or not target.is_file() or target.stat().st_size <= 44:
            said = " ".join(ran.stderr.split())[-300:] or f"exit status {ran.returncode}"
            raise EngineError(f"Festival failed to speak the text: {said}")
        with wave.open(str(target), "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise EngineError("Festival wrote audio other than mono 16-bit: check its installation")
            return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16), wav.getframerate()


def _shaped(samples: np.ndarray, rate: int, prosody: Prosody) -> np.ndarray:
    """Rate and pitch by time-stretching and pitch-shifting (the voice joins recordings and has no pace or
    pitch of its own to set); volume as a gain."""
    tempo = prosody.rate / OWN_RATE if prosody.rate else 1.0
    shift = 2 ** ((prosody.pitch - 50) / 50 * PITCH_SEMITONES / 12) if prosody.pitch is not None else 1.0
    if (tempo != 1.0 or shift != 1.0) and len(samples):
        from radiokit.audio_io import run_ffmpeg

        stretch = f"rubberband=tempo={tempo:.4f}:pitch={shift:.4f}:formant=preserved:pitchq=quality"
        pcm = ["-f", "s16le", "-ac", "1", "-ar", str(rate)]
        try:
            raw = run_ffmpeg([*pcm, "-i", "pipe:0", "-af", stretch, *pcm, "pipe:1"], stdin=samples.tobytes())
        except subprocess.CalledProcessError as exc:
            raise EngineError("ffmpeg could not change the Festival voice's rate or pitch") from exc
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if prosody.volume is not None and prosody.volume != 100:
        samples = np.clip(samples.astype(np.float64) * prosody.volume / 100, -32768, 32767).astype(np.int16)
    return samples
