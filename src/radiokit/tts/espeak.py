"""Offline speech from the espeak-ng library that the espeakng-loader wheel carries."""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from radiokit.errors import EngineError
from radiokit.tts.engines import PROSODY, Engine, Prosody, Speech  # Speech is imported from here too

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES = 0x100
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH = 1, 2, 3
_EE_OK = 0
_PHONEMES_MNEMONICS, _PHONEMES_IPA = 0x01, 0x02

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

# espeak-ng keeps global state and is not re-entrant: one synthesis at a time per process.
_LOCK = threading.Lock()
_VOICE = re.compile(r"^(ru|tg)(?:\+([a-zA-Z0-9_-]{1,40}))?$")  # a script's espeak voice; variants have short names


class _Library:
    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(str(espeakng_loader.get_library_path()))
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        self.lib.espeak_SetPhonemeTrace.argtypes = [ctypes.c_int, ctypes.c_void_p]
        # The phoneme trace goes to a C stream: the C library's own fopen/fclose make one.
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"))
        self.libc.fopen.restype = ctypes.c_void_p
        self.libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self.libc.fclose.argtypes = [ctypes.c_void_p]
        data = str(espeakng_loader.get_data_path()).encode()
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise EngineError("espeak-ng could not start: reinstall radiokit (pip install --force-reinstall espeakng-loader)")
        self.sample_rate = rate
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced so ctypes does not free it
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, _events: int) -> int:  # wav: short* from espeak-ng
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def synth(self, text: str, voice: str, rate: int, pitch: int, volume: int, phonemes: bool) -> np.ndarray:
        _set_voice(self.lib, voice)
        for param, value in ((_PARAM_RATE, rate), (_PARAM_PITCH, pitch), (_PARAM_VOLUME, volume)):
            self.lib.espeak_SetParameter(param, value, 0)
        self._chunks = []
        data = text.encode("utf-8") + b"\0"
        flags = _CHARS_UTF8 | (_PHONEMES if phonemes else 0)
        if self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, flags, None, None) != _EE_OK:
            raise EngineError("espeak-ng failed to synthesize the text")
        if not self._chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._chunks).astype(np.int16)

    def phonemes(self, text: str, voice: str, ipa: bool, separator: str) -> str:
        _set_voice(self.lib, voice)
        buffer = ctypes.c_char_p(text.encode("utf-8"))
        pointer = ctypes.pointer(buffer)
        parts: list[str] = []
        mode = (_PHONEMES_IPA if ipa else 0) | (ord(separator) << 8 if separator else 0)
        # espeak_TextToPhonemes returns one clause per call and advances the pointer.
        while pointer.contents.value:
            out = self.lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8, mode)
            if out:
                parts.append(out.decode("utf-8"))
        return " ".join(parts)

    def trace(self, text: str, voice: str, phonemes: bool, ipa: bool) -> str:
        with tempfile.TemporaryDirectory(prefix="radiokit-") as folder:
            path = Path(folder) / "phonemes.txt"
            stream = self.libc.fopen(str(path).encode(), b"w")
            if not stream:
                raise EngineError(f"cannot write the phoneme trace in {folder}")
            self.lib.espeak_SetPhonemeTrace(_PHONEMES_IPA if ipa else _PHONEMES_MNEMONICS, stream)
            try:
                self.synth(text, voice, 175, 50, 100, phonemes)
            finally:
                self.lib.espeak_SetPhonemeTrace(0, None)
                self.libc.fclose(stream)
            return " ".join(path.read_text("utf-8").split())


def _set_voice(lib: Any, voice: str) -> None:
    if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
        raise EngineError(f"espeak-ng has no voice {voice!r}: use the language (ru, or fa for Tajik), "
                          "with a variant if you like (ru+m3)")


_library: _Library | None = None


def _lib() -> _Library:
    global _library
    if _library is None:
        _library = _Library()
    return _library


def synthesize(text: str, voice: str, rate: int = 175, pitch: int = 50, volume: int = 100,
               phonemes: bool = False) -> Speech:
    """Speak `text` with an espeak-ng voice; `phonemes` lets `[[...]]` phoneme input through.

    rate is words per minute (80-450), pitch 0-100 (50 is the voice's own), volume 0-200 (100 normal).
    """
    with _LOCK:
        lib = _lib()
        samples = lib.synth(text, voice, rate, pitch, volume, phonemes)
        return Speech(samples=samples, sample_rate=lib.sample_rate)


def variant_exists(variant: str) -> bool:
    """Whether espeak-ng's data has the voice variant (m3, f2, ...) that a voice name like ru+m3 asks for."""
    import espeakng_loader

    return (Path(espeakng_loader.get_data_path()) / "voices" / "!v" / variant).is_file()


def text_to_phonemes(text: str, voice: str, ipa: bool = False, separator: str = "") -> str:
    """espeak-ng's reading of plain `text` by `voice`: its phoneme mnemonics, or IPA; `separator` between phonemes.

    This is espeak-ng's dictionary lookup alone: phoneme input (`[[...]]`) is read as letters here.
    """
    with _LOCK:
        return _lib().phonemes(text, voice, ipa, separator)


def spoken_phonemes(text: str, voice: str, phonemes: bool = False, ipa: bool = False) -> str:
    """What espeak-ng says when it synthesizes `text` (phoneme input included), traced as mnemonics or IPA."""
    with _LOCK:
        return _lib().trace(text, voice, phonemes, ipa)


class Espeak(Engine):
    """espeak-ng through its library: formant speech, every prosody setting, radiokit's phoneme front ends."""

    name = "espeak"
    languages = ("ru", "tg")
    prosody = frozenset(PROSODY)
    phonemes = True
    install = "pip install --force-reinstall espeakng-loader"
    summary = ("espeak-ng from the espeakng-loader wheel, offline: Russian with radiokit's stress marks, Tajik "
               "on its Persian phonemes; a voice is the language with a variant if you like (ru+m3, tg+f2)")

    def installed(self) -> bool:
        try:
            import espeakng_loader
        except ImportError:
            return False
        return Path(espeakng_loader.get_library_path()).is_file()

    def version(self) -> str:
        return f"espeakng-loader {metadata.version('espeakng-loader')}"

    def default_voice(self, language: str) -> str:
        return language

    def check_voice(self, voice: str, language: str) -> str | None:
        match = _VOICE.match(voice)
        if not match or match.group(1) != language:
            return f"{voice!r} is not a {language} voice: use {language!r} or {language}+VARIANT (e.g. {language}+m3)"
        if match.group(2) and not variant_exists(match.group(2)):
            return f"espeak-ng has no variant {match.group(2)!r}: try m1..m7 or f1..f5"
        return None

    def voices(self, language: str) -> tuple[str, ...]:
        return (language,) if self.installed() else ()

    def synthesize(self, text: str, language: str, voice: str, prosody: Prosody) -> Speech:
        from radiokit.tts import espeak_input, espeak_voice

        prepared, phonemes = espeak_input(text, language)
        return synthesize(prepared, espeak_voice(language, voice), prosody.rate or 165,
                          50 if prosody.pitch is None else prosody.pitch,
                          100 if prosody.volume is None else prosody.volume, phonemes=phonemes)
