"""Field recordings in a build: the cleanup chain on clips, a clip's transcript, and pauses that move the
voice-over. Measured on the delivered MP3s, as a station hears them."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile
from mutagen.id3 import ID3

from cleanup_signals import at_snr, hum, line_level_dbfs, pink_noise, sentence_onsets, speech
from media import decode, tone, write_wav
from radiokit import BuildOptions, build
from radiokit.report import BuildReport

RATE = 44100
WORDS = "Я уехал в Москву в две тысячи восьмом году и работал там на стройке, потом вернулся домой"
TRANSLATION = "Ман соли ду ҳазору ҳашт ба Маскав рафтам"
VO_TONE_HZ = 5000.0


def episode(folder: Path, clip_keys: str, languages: str = "[ru]", top: str = "") -> Path:
    script = folder / "episode.yaml"
    script.write_text(f"""format: radiokit/1
programme: {{series: Field Test, title: Clip}}
languages: {languages}
{top}voices:
  translator: {{tg: {{engine: espeak, voice: tg}}}}
segments:
  - id: interview
    clip: interview.wav
{clip_keys}""", encoding="utf-8")
    return script


def phone_line(folder: Path) -> np.ndarray:
    """Speech with pink noise at 15 dB SNR, 50 Hz hum at -25 dBFS a line and a 40 Hz rumble; its clean speech."""
    voice = speech(RATE)
    noisy = (voice + at_snr(voice, pink_noise(len(voice), RATE, 3), 15.0) + hum(len(voice), RATE, 50.0)
             + tone(40.0, len(voice) / RATE, RATE, -20.0)[: len(voice)])
    soundfile.write(folder / "interview.wav", noisy, RATE, subtype="FLOAT")
    return voice


def built(folder: Path) -> BuildReport:
    return build(folder / "episode.yaml", BuildOptions(out=folder / "build", cache=None, jobs=1))


def segment_of(report: BuildReport, language: str = "ru") -> tuple[dict, np.ndarray]:
    manifest = json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))
    [entry] = [s for s in manifest["languages"][language]["segments"] if s["id"] == "interview"]
    return entry, decode(report.folder / entry["file"], RATE, 1)[:, 0]


def test_the_chain_cleans_a_phone_line_in_the_build_unless_turned_off(tmp_path: Path) -> None:
    hum_against_voice = {}
    for cleanup in ("", "    cleanup: false\n"):
        folder = tmp_path / ("off" if cleanup else "on")
        folder.mkdir()
        phone_line(folder)
        episode(folder, cleanup)
        report = built(folder)
        entry, audio = segment_of(report)
        voice_db = 10 * np.log10(np.mean(np.square(audio)))
        hum_db = max(line_level_dbfs(audio, RATE, 50.0 * 1.001 * k) for k in (1, 2, 3))
        hum_against_voice[folder.name] = hum_db - voice_db
        if cleanup:
            assert "cleanup" not in entry and not any("cleanup" in note for note in report.notes)
        else:
            assert entry["cleanup"]["hum_hz"] == pytest.approx(50.0, abs=1.0)
            assert entry["cleanup"]["noise_floor_after_dbfs"] < entry["cleanup"]["noise_floor_before_dbfs"] - 6.0
            [note] = [note for note in report.notes if note.startswith("interview: cleanup:")]
            assert "hum at 50 Hz removed" in note and "noise floor" in note
    print("strongest hum line against the voice's RMS, in the delivered segment: "
          f"{hum_against_voice['off']:.1f} dB as recorded, {hum_against_voice['on']:.1f} dB cleaned")
    assert hum_against_voice["on"] < hum_against_voice["off"] - 30.0


def test_a_clean_clip_is_played_as_recorded(tmp_path: Path) -> None:
    voice = speech(RATE) + 10 ** (-85 / 20) * np.random.default_rng(5).standard_normal(len(speech(RATE)))
    soundfile.write(tmp_path / "interview.wav", voice, RATE, subtype="FLOAT")
    episode(tmp_path, "")
    report = built(tmp_path)
    entry, audio = segment_of(report)
    assert not any(step["applied"] for step in entry["cleanup"]["steps"])
    assert entry["cleanup"]["summary"].startswith("nothing to clean")
    level = np.dot(audio[: len(voice)], voice[: len(audio)]) / np.dot(voice[: len(audio)], voice[: len(audio)])
    residual = audio[: len(voice)] - level * voice[: len(audio)]
    assert 10 * np.log10(np.sum(np.square(level * voice)) / np.sum(np.square(residual))) > 20.0


def test_a_silent_clip_builds_and_says_so(tmp_path: Path) -> None:
    soundfile.write(tmp_path / "interview.wav", np.zeros(2 * RATE), RATE, subtype="FLOAT")
    write_wav(tmp_path / "sting.wav", tone(440.0, 1.0, RATE), RATE)  # a programme of silence alone is refused
    episode(tmp_path, "  - id: sting\n    music: sting.wav\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero, no gate opening onto nothing
        report = built(tmp_path)
    entry, audio = segment_of(report)
    assert not np.any(audio)
    assert "digital silence" in entry["cleanup"]["summary"]


def test_a_clips_words_reach_transcripts_rundown_tags_and_manifest(tmp_path: Path) -> None:
    write_wav(tmp_path / "interview.wav", speech(RATE)[: 4 * RATE], RATE)
    episode(tmp_path, f"""    clip_language: ru
    transcript: {WORDS}
    voiceover:
      tg: {{speaker: translator, text: {TRANSLATION}}}
""", languages="[ru, tg]")
    report = built(tmp_path)
    folder = report.folder
    assert WORDS in (folder / "transcript-ru.txt").read_text(encoding="utf-8")
    assert WORDS in (folder / "transcript-ru.vtt").read_text(encoding="utf-8")
    tajik = (folder / "transcript-tg.txt").read_text(encoding="utf-8")
    assert TRANSLATION in tajik and WORDS not in tajik
    with (folder / "rundown.csv").open(encoding="utf-8") as handle:
        rows = {(row["language"], row["id"]): row for row in csv.DictReader(handle)}
    assert rows["ru", "interview"]["in_words"] == "Я уехал в Москву"
    assert rows["ru", "interview"]["out_words"] == "стройке, потом вернулся домой"
    assert rows["tg", "interview"]["in_words"] == "Ман соли ду ҳазору"
    assert "\"Я уехал в Москву ... стройке, потом вернулся домой\"" in (folder / "rundown.txt").read_text(encoding="utf-8")
    entry, _ = segment_of(report)
    assert entry["text"] == WORDS and entry["engine"] is None
    tg_entry, _ = segment_of(report, "tg")
    assert tg_entry["text"] == TRANSLATION and tg_entry["engine"] == "espeak"
    for path in (folder / entry["file"], next(folder.glob("*-ru.mp3"))):
        assert WORDS in ID3(path).getall("USLT")[0].text


def test_shortened_pauses_move_the_voice_over_with_the_words(tmp_path: Path) -> None:
    voice = speech(RATE, pause_s=3.0)
    onsets = sentence_onsets(voice, RATE)
    write_wav(tmp_path / "interview.wav", voice, RATE)
    write_wav(tmp_path / "translation.wav", tone(VO_TONE_HZ, 1.0, RATE, -6.0), RATE)
    lead = onsets[2] + 0.2  # the translation starts over the third sentence
    episode(tmp_path, f"""    clip_language: ru
    cleanup: {{pause_max: 1.5, pause_to: 0.5}}
    voiceover:
      tg: {{take: translation.wav}}
      lead: {lead:.3f}
""", languages="[ru, tg]")
    report = built(tmp_path)
    entry, ru = segment_of(report)
    removed = entry["cleanup"]["removed_spans"]
    assert len(removed) == 2
    cut = sum(seconds for _, seconds in removed)
    assert entry["duration_s"] == pytest.approx(len(voice) / RATE - cut, abs=0.01)
    tg_entry, tg = segment_of(report, "tg")
    window = RATE // 20  # 20 Hz wide: the tone stands out, the hiss of speech does not
    frames = len(tg) // window
    t = np.arange(window) / RATE
    probe = np.exp(-2j * np.pi * VO_TONE_HZ * t)
    level = np.abs(tg[: frames * window].reshape(frames, window) @ probe) / window
    heard = np.flatnonzero(level > level.max() / 4)[0] * window / RATE
    expected = lead - sum(seconds for start, seconds in removed if start < lead)
    print(f"translation starts at {heard:.2f} s; the words it covers moved from {lead:.2f} s to {expected:.2f} s")
    assert heard == pytest.approx(expected, abs=0.06)
