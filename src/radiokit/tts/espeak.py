"""Offline speech from the espeak-ng library that the espeakng-loader wheel carries."""

from __future__ import annotations

import ctypes
import ctypes.util
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radiokit.errors import EngineError

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


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit samples as espeak-ng produced them."""

    samples: np.ndarray
    sample_rate: int


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
