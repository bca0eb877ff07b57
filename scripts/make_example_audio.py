#!/usr/bin/env python3
"""Generate every sound and the cover image that radiokit's example programme uses.

The repository carries no third-party audio: the house sounds (jingle, music bed,
outro), the two "recorded" interview clips, the presenter's recorded sign-off and
the artwork are all made here, from fixed seeds, so running the script twice
writes byte-identical files.

Only numpy, the ffmpeg binary that imageio-ffmpeg bundles and radiokit's espeak-ng
wrapper are used.

    python scripts/make_example_audio.py            # writes audio/ and the example

Files written:

    audio/{jingle,bed,outro}.ogg                            house sounds (stereo 44.1 kHz Vorbis)
    examples/iwpr-tajikistan-russia/audio/{jingle,bed,outro}.ogg   the same, so the example is self-contained
    examples/iwpr-tajikistan-russia/audio/mamadazimov.mp3   interview, 48 kHz stereo MP3, full level
    examples/iwpr-tajikistan-russia/audio/abdullo.flac      interview, 22.05 kHz mono FLAC, ~10 dB quieter, hum and hiss
    examples/iwpr-tajikistan-russia/takes/sign-off-ru.wav   the presenter's "recorded" Russian sign-off
    examples/iwpr-tajikistan-russia/audio/cover.png         600x600 artwork
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import wave
import zlib
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from radiokit.tts.espeak import synthesize

ROOT = Path(__file__).resolve().parents[1]
HOUSE_DIR = ROOT / "audio"
EXAMPLE_DIR = ROOT / "examples" / "iwpr-tajikistan-russia"

SR = 44100  # music sample rate
TWO_PI = 2.0 * np.pi

# Seeds: one per random source, so changing one piece never changes another.
SEED_JINGLE, SEED_BED, SEED_OUTRO = 101, 102, 103
SEED_MAMADAZIMOV, SEED_ABDULLO, SEED_SIGN_OFF = 201, 202, 203


# --------------------------------------------------------------------------- music

_PITCH_CLASS = {"C": 0, "C#": 1, "D": 2, "D#": 3, "E": 4, "F": 5, "F#": 6,
                "G": 7, "G#": 8, "A": 9, "A#": 10, "B": 11}


def hz(note: str) -> float:
    """'A4' -> 440.0 (equal temperament)."""
    midi = 12 * (int(note[-1]) + 1) + _PITCH_CLASS[note[:-1]]
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def _time(seconds: float) -> np.ndarray:
    return np.arange(int(round(seconds * SR))) / SR


# (frequency ratio, amplitude, decay multiplier): slightly inharmonic upper partials
# that die away faster than the fundamental give a struck, bell-like tone.
_BELL_PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.42, 1.8), (3.0, 0.20, 2.7),
                  (4.16, 0.11, 3.8), (5.43, 0.06, 5.0), (6.79, 0.03, 6.5))
_SOFT_BELL_PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.25, 2.0), (3.0, 0.08, 3.0))


def bell(freq: float, seconds: float, decay: float = 1.4, soft: bool = False) -> np.ndarray:
    """A struck tone: fast attack, per-partial exponential decay, a slow beat from a detuned twin."""
    t = _time(seconds)
    out = np.zeros_like(t)
    for ratio, amp, k in (_SOFT_BELL_PARTIALS if soft else _BELL_PARTIALS):
        f = freq * ratio
        if f > 0.42 * SR:
            continue
        env = np.exp(-t * decay * k)
        out += amp * env * (np.sin(TWO_PI * f * t) + 0.35 * np.sin(TWO_PI * f * 1.0013 * t + 1.0))
    attack = np.minimum(1.0, t / (0.012 if soft else 0.003))
    tail = np.minimum(1.0, (seconds - t) / 0.05)  # never end on a click
    return out * attack * tail / 1.35


def pad(freq: float, seconds: float, attack: float, release: float, detune_cents: float,
        phase: float = 0.0) -> np.ndarray:
    """A warm sustained tone: band-limited saw-like harmonics, raised-cosine swells in and out."""
    t = _time(seconds)
    f0 = freq * 2.0 ** (detune_cents / 1200.0)
    out = np.zeros_like(t)
    for h in range(1, 9):
        if f0 * h > 5000.0:
            break
        out += np.sin(TWO_PI * f0 * h * t + phase * h) / h ** 1.7
    env = np.ones_like(t)
    a = t < attack
    env[a] = 0.5 - 0.5 * np.cos(np.pi * t[a] / attack)
    r = t > seconds - release
    env[r] *= 0.5 + 0.5 * np.cos(np.pi * (t[r] - (seconds - release)) / release)
    tremolo = 1.0 + 0.06 * np.sin(TWO_PI * 0.23 * t + phase)
    return out * env * tremolo / 1.6


def pluck_bass(freq: float, seconds: float, decay: float = 1.2) -> np.ndarray:
    """A round bass note: sine plus a little second harmonic, soft attack, exponential decay."""
    t = _time(seconds)
    out = np.sin(TWO_PI * freq * t) + 0.25 * np.sin(TWO_PI * 2 * freq * t) + 0.08 * np.sin(TWO_PI * 3 * freq * t)
    env = np.minimum(1.0, t / 0.015) * np.exp(-t * decay) * np.minimum(1.0, (seconds - t) / 0.08)
    return out * env


class Mix:
    """A stereo buffer that notes are placed into, with constant-power panning.

    With loop=True, anything that runs past the end wraps round to the start, so the
    rendered buffer repeats seamlessly.
    """

    def __init__(self, seconds: float, loop: bool = False) -> None:
        self.n = int(round(seconds * SR))
        self.loop = loop
        self.buf = np.zeros((2, self.n))

    def add(self, signal: np.ndarray, at: float, pan: float = 0.0, gain: float = 1.0,
            width: np.ndarray | None = None) -> None:
        """Place `signal` at `at` seconds; pan -1 (left) .. 1 (right); `width` a second signal for the right."""
        angle = (pan + 1.0) * np.pi / 4.0
        left = signal * np.cos(angle) * gain
        right = (signal if width is None else width) * np.sin(angle) * gain
        start = int(round(at * SR))
        pos = 0
        while pos < len(signal):
            at_n = (start + pos) % self.n if self.loop else start + pos
            if at_n >= self.n:
                break
            k = min(len(signal) - pos, self.n - at_n)
            self.buf[0, at_n: at_n + k] += left[pos: pos + k]
            self.buf[1, at_n: at_n + k] += right[pos: pos + k]
            pos += k

    def chord_pad(self, notes: list[str], at: float, seconds: float, gain: float,
                  attack: float = 0.25, release: float = 1.0) -> None:
        """A chord whose voices are spread across the stereo field and detuned left against right."""
        for i, note in enumerate(notes):
            pan = -0.6 + 1.2 * i / max(1, len(notes) - 1)
            f = hz(note)
            self.add(pad(f, seconds, attack, release, -4.0, phase=0.7 * i), at, pan, gain,
                     width=pad(f, seconds, attack, release, +4.0, phase=1.3 * i))


def reverb_ir(seconds: float, rng: np.random.Generator, predelay: float = 0.02,
              brightness_hz: float = 4500.0) -> np.ndarray:
    """A stereo impulse response: independent exponentially decaying noise per channel."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    irs = []
    for _ in range(2):
        noise = rng.standard_normal(n)
        spec = np.fft.rfft(noise)
        f = np.fft.rfftfreq(n, 1.0 / SR)
        spec /= 1.0 + (f / brightness_hz) ** 2  # darker tail
        noise = np.fft.irfft(spec, n)
        ir = noise * np.exp(-6.9 * t / seconds)  # -60 dB over `seconds`
        ir[: int(predelay * SR)] = 0.0
        irs.append(ir / np.sqrt(np.sum(ir ** 2)))
    return np.stack(irs)


def add_reverb(mix: Mix, ir: np.ndarray, wet: float) -> np.ndarray:
    """Dry plus convolved signal; circular convolution when the mix loops (so the tail wraps)."""
    x = mix.buf
    n = mix.n if mix.loop else mix.n + ir.shape[1]
    size = 1 << int(np.ceil(np.log2(n))) if not mix.loop else mix.n
    out = np.empty_like(x)
    for ch in range(2):
        y = np.fft.irfft(np.fft.rfft(x[ch], size) * np.fft.rfft(ir[ch], size), size)
        out[ch] = x[ch] + wet * y[: mix.n]
    return out


def lowpass(x: np.ndarray, cutoff_hz: float, sr: int = SR) -> np.ndarray:
    """A gentle (second-order-like) low-pass done in the frequency domain (circular)."""
    n = x.shape[-1]
    f = np.fft.rfftfreq(n, 1.0 / sr)
    return np.fft.irfft(np.fft.rfft(x, axis=-1) / (1.0 + (f / cutoff_hz) ** 4) ** 0.5, n, axis=-1)


def finish(x: np.ndarray, peak_db: float = -1.5, fade_in: float = 0.0, fade_out: float = 0.0) -> np.ndarray:
    """Fades and peak normalisation."""
    x = x.copy()
    n = x.shape[-1]
    if fade_in:
        k = int(fade_in * SR)
        x[..., :k] *= np.linspace(0.0, 1.0, k)
    if fade_out:
        k = int(fade_out * SR)
        x[..., n - k:] *= np.cos(np.linspace(0.0, np.pi / 2, k)) ** 2
    return x * (10 ** (peak_db / 20.0) / np.max(np.abs(x)))


def make_jingle() -> np.ndarray:
    """About 5.6 s in D major: a rising bell arpeggio over I - IV - V, landing on a ringing I."""
    mix = Mix(5.6)
    # I: rising arpeggio
    for i, note in enumerate(["D5", "F#5", "A5", "D6"]):
        mix.add(bell(hz(note), 1.6, decay=2.0), 0.11 * i, pan=-0.55 + 0.37 * i, gain=0.55)
    mix.chord_pad(["D3", "A3", "D4", "F#4"], 0.0, 1.15, gain=0.22, attack=0.04, release=0.35)
    mix.add(pluck_bass(hz("D2"), 1.1, decay=2.5), 0.0, gain=0.55)
    # IV
    mix.chord_pad(["G3", "B3", "D4", "G4"], 0.95, 0.8, gain=0.22, attack=0.04, release=0.3)
    mix.add(bell(hz("B5"), 1.2, decay=2.2), 0.95, pan=-0.3, gain=0.45)
    mix.add(bell(hz("D6"), 1.2, decay=2.2), 1.2, pan=0.3, gain=0.35)
    mix.add(pluck_bass(hz("G2"), 0.8, decay=2.5), 0.95, gain=0.5)
    # V
    mix.chord_pad(["A3", "C#4", "E4", "A4"], 1.65, 0.75, gain=0.22, attack=0.04, release=0.3)
    mix.add(bell(hz("C#6"), 1.2, decay=2.2), 1.65, pan=0.3, gain=0.45)
    mix.add(bell(hz("E6"), 1.2, decay=2.2), 1.9, pan=-0.3, gain=0.35)
    mix.add(pluck_bass(hz("A2"), 0.75, decay=2.5), 1.65, gain=0.5)
    # I: strummed bells and a long pad that rings out
    for i, (note, pan) in enumerate([("D5", -0.6), ("A5", 0.6), ("D6", -0.2), ("F#6", 0.25)]):
        mix.add(bell(hz(note), 3.3, decay=0.9), 2.35 + 0.035 * i, pan=pan, gain=0.5)
    mix.add(bell(hz("A6"), 2.5, decay=1.2), 2.75, pan=0.7, gain=0.18)
    mix.chord_pad(["D3", "A3", "D4", "F#4", "A4"], 2.35, 3.1, gain=0.2, attack=0.06, release=2.2)
    mix.add(pluck_bass(hz("D2"), 3.2, decay=0.9), 2.35, gain=0.6)
    ir = reverb_ir(1.8, np.random.default_rng(SEED_JINGLE))
    return finish(add_reverb(mix, ir, wet=0.28), fade_out=0.35)


# Dmaj7 - Bm7 - Gmaj7 - A(sus4 -> 3): four bars of four beats at 60 bpm.
_BED_CHORDS = [
    (["D3", "A3", "C#4", "F#4"], "D2", ["D5", "F#5", "A5", "C#6"]),
    (["B2", "F#3", "A3", "D4"], "B1", ["B4", "D5", "F#5", "A5"]),
    (["G2", "D3", "F#3", "B3"], "G1", ["G4", "B4", "D5", "F#5"]),
    (["A2", "E3", "A3", "C#4"], "A1", ["A4", "C#5", "E5", "D5"]),
]


def make_bed() -> np.ndarray:
    """16 s that loop seamlessly: a soft pad with a slow bell arpeggio, darkened to sit under speech."""
    bar = 4.0
    mix = Mix(bar * len(_BED_CHORDS), loop=True)
    pattern = [0, 1, 2, 3, 2, 1, 2, 3]
    for b, (chord, bass, arp) in enumerate(_BED_CHORDS):
        start = b * bar
        mix.chord_pad(chord, start, bar + 1.2, gain=0.2, attack=1.1, release=1.6)
        mix.add(pluck_bass(hz(bass) * 2, bar, decay=0.6), start, gain=0.35)
        for step, k in enumerate(pattern):
            note = arp[k]
            mix.add(bell(hz(note), 2.5, decay=1.3, soft=True), start + 0.5 * step,
                    pan=-0.45 if step % 2 == 0 else 0.45, gain=0.16 if step % 4 == 0 else 0.11)
    ir = reverb_ir(2.4, np.random.default_rng(SEED_BED), brightness_hz=3500.0)
    out = add_reverb(mix, ir, wet=0.4)
    out = lowpass(out, 3200.0)  # circular, so the loop point stays seamless
    return finish(out, peak_db=-3.0)


def make_outro() -> np.ndarray:
    """About 7.2 s: IV - V7 - I, a falling bell line and a long ring-out."""
    mix = Mix(7.2)
    mix.chord_pad(["G3", "B3", "D4", "G4"], 0.0, 1.45, gain=0.22, attack=0.05, release=0.45)
    mix.add(pluck_bass(hz("G2"), 1.4, decay=1.6), 0.0, gain=0.55)
    mix.add(bell(hz("D6"), 1.8, decay=1.6), 0.0, pan=-0.35, gain=0.45)
    mix.add(bell(hz("B5"), 1.6, decay=1.8), 0.65, pan=0.35, gain=0.4)
    mix.chord_pad(["A3", "C#4", "E4", "G4"], 1.3, 1.45, gain=0.22, attack=0.05, release=0.45)
    mix.add(pluck_bass(hz("A2"), 1.4, decay=1.6), 1.3, gain=0.55)
    mix.add(bell(hz("C#6"), 1.8, decay=1.6), 1.3, pan=0.35, gain=0.45)
    mix.add(bell(hz("E5"), 1.6, decay=1.8), 1.95, pan=-0.35, gain=0.4)
    for i, (note, pan) in enumerate([("F#5", -0.6), ("A5", 0.6), ("D6", 0.0)]):
        mix.add(bell(hz(note), 4.6, decay=0.7), 2.6 + 0.05 * i, pan=pan, gain=0.5)
    mix.add(bell(hz("A5"), 3.5, decay=1.0), 3.4, pan=0.55, gain=0.16)
    mix.add(bell(hz("D5"), 3.4, decay=1.0), 3.9, pan=-0.55, gain=0.14)
    mix.chord_pad(["D3", "A3", "D4", "F#4", "A4"], 2.6, 4.6, gain=0.21, attack=0.08, release=3.4)
    mix.add(pluck_bass(hz("D2"), 4.5, decay=0.7), 2.6, gain=0.6)
    ir = reverb_ir(2.2, np.random.default_rng(SEED_OUTRO))
    return finish(add_reverb(mix, ir, wet=0.3), fade_out=1.0)


# --------------------------------------------------------------------------- encoding

_FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
# No random Ogg serial numbers, no encoder-version tags: identical bytes on every run.
_BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]


def encode(samples: np.ndarray, rate: int, path: Path, codec_args: list[str]) -> None:
    """Encode float samples (channels x n, or n for mono) in -1..1 with ffmpeg."""
    x = np.atleast_2d(samples)
    channels = x.shape[0]
    data = np.clip(x.T, -1.0, 1.0).astype("<f4").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [_FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "f32le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0",
           *codec_args, *_BITEXACT, str(path)]
    result = subprocess.run(cmd, input=data, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"ffmpeg failed writing {path}: {result.stderr.decode(errors='replace').strip()}")


def write_ogg(samples: np.ndarray, path: Path) -> None:
    encode(samples, SR, path, ["-c:a", "libvorbis", "-q:a", "3"])


# --------------------------------------------------------------------------- recordings

# What the analysts say (their views from the IWPR story, in our own words).
MAMADAZIMOV_RU = (
    "Визит Медведева показал, что в отношениях России и Таджикистана идёт серьёзная перемена. "
    "Раньше на первом месте была безопасность. "
    "Теперь Москва всё больше смотрит на экономику, на практическую выгоду. "
    "Деньги, которые Россия готова вложить в проект КАСА-тысяча, — яркий тому пример. "
    "А вернуть российских пограничников на афганскую границу значило бы признать, "
    "что наше государство не справляется. На это Таджикистан не пойдёт."
)
ABDULLO_RU = (
    "Вокруг нас три большие державы и одна поменьше: Россия, Китай, Соединённые Штаты и, чуть дальше, Иран. "
    "Если мы слишком сильно качнёмся в одну сторону, две другие сочтут это угрозой своим интересам. "
    "Допустить этого нельзя. "
    "С Узбекистаном настоящий диалог начнётся, только когда стороны будут примерно равны. "
    "И Рогунская гидроэлектростанция сделает наши позиции гораздо сильнее."
)
# The presenter's sign-off; must match segments[sign-off].text.ru in episode.yaml.
SIGN_OFF_RU = "С вами была Шаходат Саибназарова. Всего доброго, и до новых встреч в эфире!"


def room_tone(seconds: float, rate: int, rng: np.random.Generator, channels: int = 1) -> np.ndarray:
    """Unit-RMS room noise: pinkish, rolled off above ~2.5 kHz and below ~80 Hz, a faint mains hum."""
    n = int(round(seconds * rate))
    f = np.fft.rfftfreq(n, 1.0 / rate)
    shape = 1.0 / np.sqrt(np.maximum(f, 20.0))
    shape /= 1.0 + (f / 2500.0) ** 2
    shape *= (f / 80.0) ** 2 / (1.0 + (f / 80.0) ** 2)
    t = np.arange(n) / rate
    out = []
    for _ in range(channels):
        noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n)
        noise /= np.sqrt(np.mean(noise ** 2))
        out.append(noise + 0.15 * np.sin(TWO_PI * 50.0 * t))
    return np.stack(out) if channels > 1 else out[0]


def small_room(speech: np.ndarray, rate: int, rng: np.random.Generator, wet: float = 0.12) -> np.ndarray:
    """A short (0.3 s) room reflection pattern, so the voice sounds recorded rather than synthetic."""
    n = int(0.3 * rate)
    t = np.arange(n) / rate
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / 0.3)
    ir[: int(0.008 * rate)] = 0.0
    ir /= np.sqrt(np.sum(ir ** 2))
    size = 1 << int(np.ceil(np.log2(len(speech) + n)))
    wet_sig = np.fft.irfft(np.fft.rfft(speech, size) * np.fft.rfft(ir, size), size)[: len(speech)]
    return speech + wet * wet_sig


def rms_db(x: np.ndarray) -> float:
    return 20.0 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)


def recording(text: str, voice: str, rate: int, pitch: int, seed: int, speech_rms_db: float,
              lead: float, tail: float, noise_db: float = -42.0, channels: int = 1,
              hum_dbfs: float | None = None) -> tuple[np.ndarray, int, float, float]:
    """Speech with room tone before, under and after it, at a given speech level; with `hum_dbfs`, mains
    hum too (50 Hz and two harmonics, each at that peak level, the supply running 0.1 % fast).

    Returns (samples, sample_rate, speech start s, speech end s).
    """
    rng = np.random.default_rng(seed)
    speech = synthesize(text, voice, rate=rate, pitch=pitch)
    sr = speech.sample_rate
    voice_sig = speech.samples.astype(np.float64) / 32768.0
    active = np.abs(voice_sig) > 0.02
    first, last = np.argmax(active), len(active) - np.argmax(active[::-1])
    voice_sig = voice_sig[first:last]  # espeak's own leading/trailing silence out
    voice_sig = small_room(voice_sig, sr, rng)
    voiced = voice_sig[np.abs(voice_sig) > 0.01]
    voice_sig *= 10 ** ((speech_rms_db - rms_db(voiced)) / 20.0)
    start = int(round(lead * sr))
    total = start + len(voice_sig) + int(round(tail * sr))
    tone = room_tone(total / sr, sr, rng, channels) * 10 ** ((speech_rms_db + noise_db) / 20.0)
    body = np.zeros(total)
    body[start: start + len(voice_sig)] = voice_sig
    # a 20 ms fade at each end of the file, as a recorder's edit would have
    k = int(0.02 * sr)
    ramp = np.ones(total)
    ramp[:k] = np.linspace(0, 1, k)
    ramp[-k:] = np.linspace(1, 0, k)
    if hum_dbfs is not None:
        t = np.arange(total) / sr
        tone = tone + sum(10 ** (hum_dbfs / 20.0) * np.sin(TWO_PI * 50.05 * k * t + k) for k in (1, 2, 3))
    out = (body + tone) * ramp
    peak_db = 20.0 * np.log10(np.max(np.abs(out)))
    if peak_db > -1.5:  # leave room for the lossy encoders' overshoot
        sys.exit(f"{voice}: peak {peak_db:.1f} dBFS at speech level {speech_rms_db} dB; lower the level")
    return out, sr, start / sr, (start + len(voice_sig)) / sr


def write_wav(samples: np.ndarray, rate: int, path: Path) -> None:
    """16-bit mono PCM WAV with the standard library (no dither, so deterministic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


# --------------------------------------------------------------------------- cover

# 5x7 bitmap letters for the cover's words.
_GLYPHS = {
    "G": ["01110", "10001", "10000", "10111", "10001", "10001", "01111"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "B": ["11110", "10001", "10001", "11110", "10001", "10001", "11110"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "V": ["10001", "10001", "10001", "10001", "10001", "01010", "00100"],
    "I": ["01110", "00100", "00100", "00100", "00100", "00100", "01110"],
    "C": ["01110", "10001", "10000", "10000", "10000", "10001", "01110"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "W": ["10001", "10001", "10001", "10101", "10101", "10101", "01010"],
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    " ": ["00000"] * 7,
}


def _stamp_text(img: np.ndarray, text: str, top: int, scale: int, color: tuple[int, int, int]) -> None:
    cols = []
    for ch in text:
        glyph = np.array([[c == "1" for c in row] for row in _GLYPHS[ch]])
        cols.append(glyph)
        cols.append(np.zeros((7, 1), dtype=bool))
    mask = np.hstack(cols[:-1])
    mask = np.kron(mask, np.ones((scale, scale), dtype=bool))
    h, w = mask.shape
    left = (img.shape[1] - w) // 2
    region = img[top: top + h, left: left + w]
    region[mask] = color


def make_cover(size: int = 600) -> np.ndarray:
    """A globe in a field of radio waves, 'GLOBAL VOICES' and 'IWPR' in block letters."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    v = y / (size - 1)
    # deep navy to teal, top to bottom
    top_c, bot_c = np.array([14, 30, 64]), np.array([18, 110, 120])
    img = (top_c[None, None, :] * (1 - v[..., None]) + bot_c[None, None, :] * v[..., None])
    cx, cy = size / 2, size * 0.44
    r = np.hypot(x - cx, y - cy)

    def over(mask_alpha: np.ndarray, color: tuple[int, int, int]) -> None:
        a = np.clip(mask_alpha, 0.0, 1.0)[..., None]
        img[:] = img * (1 - a) + np.array(color)[None, None, :] * a

    def line(dist: np.ndarray, half_width: float) -> np.ndarray:
        return np.clip(half_width + 0.5 - np.abs(dist), 0.0, 1.0)  # anti-aliased stroke

    # radio waves: rings around the globe, fading outwards
    globe_r = size * 0.2
    for i in range(1, 4):
        ring = globe_r + i * size * 0.05
        over(line(r - ring, 2.0) * (0.8 - 0.18 * i), (240, 200, 90))
    # the globe: a disc with latitude and longitude lines
    over(np.clip(globe_r + 0.5 - r, 0.0, 1.0), (30, 150, 170))
    inside = np.clip(globe_r - 1.5 - r, 0.0, 1.0)
    dy = (y - cy) / globe_r
    for lat in (-0.6, -0.3, 0.0, 0.3, 0.6):
        over(line((dy - lat) * globe_r, 1.2) * inside, (220, 240, 240))
    for k in (0.0, 0.45, 0.8):
        # meridians: ellipses x^2/(k R)^2 + y^2/R^2 = 1
        if k == 0.0:
            d = x - cx
        else:
            d = (np.hypot((x - cx) / k, y - cy) - globe_r) * k
        over(line(d, 1.2) * inside, (220, 240, 240))
    over(line(r - globe_r, 2.0), (240, 200, 90))
    out = np.clip(np.round(img), 0, 255).astype(np.uint8)
    _stamp_text(out, "GLOBAL VOICES", int(size * 0.82), 5, (245, 245, 235))
    _stamp_text(out, "IWPR", int(size * 0.03), 4, (240, 200, 90))
    return out


def write_png(rgb: np.ndarray, path: Path) -> None:
    """An 8-bit RGB PNG with zlib and struct; each row gets whichever of Sub/Up filters packs best."""
    h, w, _ = rgb.shape
    data = rgb.astype(np.int16)
    rows = []
    prev = np.zeros((w * 3,), dtype=np.int16)
    for row in data.reshape(h, w * 3):
        sub = (row - np.concatenate([np.zeros(3, np.int16), row[:-3]])) % 256
        up = (row - prev) % 256
        cost = lambda f: np.sum(np.minimum(f, 256 - f))  # noqa: E731
        ftype, filt = (1, sub) if cost(sub) <= cost(up) else (2, up)
        rows.append(bytes([ftype]) + filt.astype(np.uint8).tobytes())
        prev = row

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
           + chunk(b"IEND", b""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    written: list[tuple[Path, str]] = []

    house = {"jingle": make_jingle(), "bed": make_bed(), "outro": make_outro()}
    for name, samples in house.items():
        for folder in (HOUSE_DIR, EXAMPLE_DIR / "audio"):
            path = folder / f"{name}.ogg"
            write_ogg(samples, path)
            written.append((path, f"{samples.shape[1] / SR:.2f} s, stereo 44.1 kHz Vorbis"))

    # Mamadazimov: recorded at full level on a stereo field recorder, delivered as 48 kHz MP3.
    clip, sr, s0, s1 = recording(MAMADAZIMOV_RU, "ru+m1", rate=158, pitch=38, seed=SEED_MAMADAZIMOV,
                                 speech_rms_db=-22.0, lead=1.8, tail=2.2, channels=2)
    path = EXAMPLE_DIR / "audio" / "mamadazimov.mp3"
    encode(clip, sr, path, ["-ar", "48000", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "96k"])
    written.append((path, f"{clip.shape[-1] / sr:.2f} s, speech {s0:.2f}-{s1:.2f} s, 48 kHz stereo MP3"))

    # Abdullo: a quieter field recording (about 10 dB down) on a noisy line with mains hum, 22.05 kHz mono
    # FLAC: what radiokit's cleanup chain is for.
    clip, sr, s0, s1 = recording(ABDULLO_RU, "ru+m7", rate=165, pitch=30, seed=SEED_ABDULLO,
                                 speech_rms_db=-32.0, lead=1.5, tail=2.0, noise_db=-22.0, hum_dbfs=-45.0)
    path = EXAMPLE_DIR / "audio" / "abdullo.flac"
    encode(clip, sr, path, ["-ar", "22050", "-ac", "1", "-c:a", "flac", "-sample_fmt", "s16",
                            "-compression_level", "8"])
    written.append((path, f"{clip.shape[-1] / sr:.2f} s, speech {s0:.2f}-{s1:.2f} s, 22.05 kHz mono FLAC"))

    # The presenter's recorded Russian sign-off (a stand-in voice), studio-clean.
    # Not ru+f2/f3/f5: those espeak-ng variants add "breath" noise that differs from run to run.
    take, sr, s0, s1 = recording(SIGN_OFF_RU, "ru+f4", rate=150, pitch=55, seed=SEED_SIGN_OFF,
                                 speech_rms_db=-20.0, lead=0.25, tail=0.5, noise_db=-55.0)
    path = EXAMPLE_DIR / "takes" / "sign-off-ru.wav"
    write_wav(take, sr, path)
    written.append((path, f"{len(take) / sr:.2f} s, 22.05 kHz mono WAV"))

    path = EXAMPLE_DIR / "audio" / "cover.png"
    write_png(make_cover(), path)
    written.append((path, "600x600 RGB PNG"))

    for path, what in written:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:>8} bytes  {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
