"""`radiokit init`: a commented bilingual episode with small generated audio, ready to build."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from radiokit import audio_io
from radiokit.errors import InputError
from radiokit.tts import espeak

RATE = 44100

EPISODE = """\
# A radiokit script: one programme, built in Russian and Tajik.
# Build it:  radiokit build episode.yaml      Check it:  radiokit check episode.yaml
# Every key: docs/script-format.md (or `radiokit schema` for your editor).
format: radiokit/1

programme:
  series: My Programme                      # the album (ID3 TALB)
  title:                                    # per language (ID3 TIT2)
    ru: Первый выпуск
    tg: Барномаи аввал
  episode: 1
  date: 2026-01-15
  presenter: {ru: Ведущий, tg: Барандаи барнома}
  publisher: My Station
  description:
    ru: Пробный выпуск, созданный командой radiokit init.
    tg: Барномаи санҷишӣ, ки бо фармони radiokit init сохта шуд.

languages: [ru, tg]

delivery:
  profile: ebu-r128                         # -23 LUFS, true peak at most -1 dBTP
  target_duration: "0:30"                   # the slot; the build says how far off each version is
  tolerance: "0:15"                         # outside the slot +- this, the build stops (unless --force)

voices:                                     # who speaks, per language (espeak-ng, offline)
  host:
    ru: {engine: espeak, voice: ru, rate: 160}
    tg: {engine: espeak, voice: tg, rate: 150}
  translator:
    tg: {engine: espeak, voice: tg, rate: 150, pitch: 35}

lexicon:                                    # how names should be said; '+' before a vowel marks stress
  ru: {radiokit: р+адио кит}
  tg: {radiokit: радио кит}

segments:
  - id: opening
    title: {ru: Заставка, tg: Мусиқии оғоз}
    music: audio/jingle.flac
    fade_out: 0.5

  - id: headline                            # the presenter's link, over a music bed
    title: {ru: Главное, tg: Хабари асосӣ}
    speaker: host
    text:
      ru: Добрый день! Это первый выпуск нашей программы. В 2026 году мы начинаем вещание на двух языках.
      tg: Рӯз ба хайр! Ин барномаи аввали мост. Соли 2026 мо пахшро бо ду забон оғоз мекунем.
    bed: {music: audio/bed.flac, under_db: -18, preroll: 2.0, postroll: 1.5, fade_out: 1.0}

  - id: guest                               # a recorded interview in Russian
    title: {ru: Гость, tg: Меҳмон}
    clip: audio/interview.flac
    clip_language: ru
    voiceover:                              # the Tajik version hears a translation over it
      tg: {speaker: translator, text: "Ба гуфтаи меҳмони мо, радио забони ҳамаи мардум аст."}
      lead: 1.0                             # seconds of the original at full level first
      under_db: -15                         # the original under the translation

  - id: sign-off
    title: {ru: Прощание, tg: Хайрухуш}
    speaker: host
    text:
      ru: Спасибо, что были с нами. До свидания!
      tg: Ташаккур, ки бо мо будед. То дидор!
    # take: {ru: takes/sign-off-ru.wav}     # a recorded reading replaces synthesis, language by language

  - id: outro
    title: {ru: Музыка, tg: Мусиқӣ}
    music: audio/jingle.flac
    crossfade: 0.5                          # starts under the end of the sign-off
"""


def init(folder: Path) -> list[Path]:
    """Write episode.yaml and its audio into `folder`; refuse to overwrite an existing script."""
    script = folder / "episode.yaml"
    if script.exists():
        raise InputError(f"{script}: already exists: choose an empty folder (radiokit init DIR)")
    audio = folder / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    written = [_flac(audio / "jingle.flac", _jingle()), _flac(audio / "bed.flac", _bed()),
               _flac(audio / "interview.flac", _interview())]
    script.write_text(EPISODE, encoding="utf-8")
    return [script, *written]


def _flac(path: Path, samples: np.ndarray) -> Path:
    pcm = np.clip(samples * 32767, -32768, 32767).astype("<i2")
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    audio_io.run_ffmpeg(["-f", "s16le", "-ar", str(RATE), "-ac", str(channels), "-i", "pipe:0", "-y", str(path)],
                        stdin=pcm.tobytes())
    return path


def _tone(frequency_hz: float, seconds: float, decay: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return np.sin(2 * np.pi * frequency_hz * t) * np.exp(-decay * t)


def _jingle() -> np.ndarray:
    """Three bell-like notes rising over a held chord: 3 s, stereo."""
    out = np.zeros(3 * RATE)
    for number, frequency in enumerate((523.3, 659.3, 784.0)):
        start = round(number * 0.25 * RATE)
        note = _tone(frequency, 3.0 - number * 0.25, 1.8) + 0.3 * _tone(frequency * 2, 3.0 - number * 0.25, 3.0)
        out[start:] += note[: len(out) - start] * 0.3
    out += 0.15 * _tone(261.6, 3.0, 0.6)
    fade = np.minimum(1.0, np.arange(len(out))[::-1] / (0.3 * RATE))
    mono = out * fade
    return np.stack([mono, np.roll(mono, 200)], axis=1)  # a touch of width


def _bed() -> np.ndarray:
    """A soft two-chord pad, 6 s, that loops (radiokit repeats it under longer links)."""
    t = np.arange(6 * RATE) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 6.0) ** 2
    mono = 0.08 * chord * swell
    return np.stack([mono, mono], axis=1)


def _interview() -> np.ndarray:
    """A Russian "guest", synthesized in another voice, with a little room noise, mono."""
    speech = espeak.synthesize("Радио остаётся языком, на котором говорят все. Его слушают в каждом доме.",
                               "ru+m3", rate=150, pitch=35)
    voice = audio_io.to_array(audio_io.from_samples(speech.samples, speech.sample_rate, RATE, 1))[:, 0]
    noise = np.random.default_rng(1).standard_normal(len(voice)) * 0.002
    return (voice * 0.5 + noise).astype(np.float64)
