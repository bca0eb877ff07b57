"""Shared fixtures: a small bilingual episode with real audio files, built once per test session."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from media import convert, tone, write_wav
from radiokit.pipeline import build
from radiokit.report import BuildReport
from radiokit.settings import BuildOptions

CLIP_TONE_HZ = 7000.0
TAKE_TONE_HZ = 220.0


def tiny_png() -> bytes:
    """A valid 2x2 RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([200, 30, 30]) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

EPISODE = """\
format: radiokit/1
programme:
  series: Тестовая серия
  title: {ru: Таджикистан и Россия, tg: Тоҷикистон ва Русия}
  episode: 7
  date: 2012-10-26
  presenter: {ru: Шаходат Саибназарова, tg: Шаҳодат Саибназарова}
  publisher: Test Publisher
  copyright: 2012 Test Publisher
  funder: {ru: Фонд поддержки, tg: Хазинаи дастгирӣ}
  description: {ru: Описание выпуска, tg: Тавсифи барнома}
  artwork: audio/cover.png
languages: [ru, tg]
delivery:
  gap: 0.5
voices:
  host:
    ru: {engine: espeak, voice: ru, rate: 170}
    tg: {engine: espeak, voice: tg, rate: 150}
  translator:
    tg: {engine: espeak, voice: tg, pitch: 35}
lexicon:
  ru: {IWPR: И-Вэ-Пэ-Эр}
segments:
  - id: opening
    title: {ru: Заставка, tg: Заставка}
    music: audio/jingle.mp3
    fade_out: 0.5
  - id: headline
    title: {ru: Главное, tg: Хабари асосӣ}
    speaker: host
    text:
      ru: Добрый вечер. Президент России посетил Душанбе.
      tg: Шоми хуш. Президенти Русия ба Душанбе омад.
  - id: analyst
    title: {ru: Аналитик, tg: Таҳлилгар}
    clip: audio/analyst.flac
    clip_language: ru
    trim: {start: 0.5, end: "0:03.5"}
    voiceover:
      tg: {speaker: translator, text: "Ба гуфтаи таҳлилгар, равобит амалӣ шуданд."}
      lead: 0.5
      under_db: -15
  - id: pause
    silence: 1.5
  - id: sign-off
    title: {ru: Прощание, tg: Хайрбод}
    speaker: host
    text: {ru: До свидания., tg: То боздид.}
    take: {ru: takes/sign-off-ru.wav}
    gap: 0
  - id: ru-only
    languages: [ru]
    music: audio/jingle.mp3
"""


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds run through the CLI cache into a folder of the test session's, never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    os.environ["RADIOKIT_CACHE"] = str(folder)
    return folder


def make_episode(folder: Path) -> Path:
    """Write the test episode and its audio: MP3 jingle (48 kHz stereo), FLAC clip (22.05 kHz mono), WAV take."""
    (folder / "audio").mkdir(parents=True)
    (folder / "takes").mkdir()
    rate = 48000
    chord = sum(tone(f, 2.0, rate, -18.0, channels=2) for f in (440.0, 554.4, 659.3))
    convert(write_wav(folder / "audio" / "jingle.wav", chord, rate), folder / "audio" / "jingle.mp3", "-b:a", "192k")
    (folder / "audio" / "jingle.wav").unlink()
    # A quiet "interview": 4 s of a 7 kHz tone with a syllable-like 4 Hz envelope, well below programme level;
    # the tone stands apart from the synthesized voice-over in the spectrum, so the duck can be measured.
    clip_rate = 22050
    t = np.arange(4 * clip_rate) / clip_rate
    clip = 0.05 * np.sin(2 * np.pi * CLIP_TONE_HZ * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    convert(write_wav(folder / "audio" / "analyst.wav", clip, clip_rate), folder / "audio" / "analyst.flac")
    (folder / "audio" / "analyst.wav").unlink()
    write_wav(folder / "takes" / "sign-off-ru.wav", tone(TAKE_TONE_HZ, 1.2, 16000, -10.0), 16000)
    (folder / "audio" / "cover.png").write_bytes(tiny_png())
    script = folder / "episode.yaml"
    script.write_text(EPISODE, encoding="utf-8")
    return script


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    folder = tmp_path_factory.mktemp("episode")
    script = make_episode(folder)
    return build(script, BuildOptions(out=folder / "build", cache=None))
