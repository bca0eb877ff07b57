"""Mastering, measured on the delivered files: every profile's loudness and ceiling, leveled speech, BWF figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from media import convert, decode, ebur128, tone, write_wav
from radiokit.bwf import read_loudness
from radiokit.errors import BuildError
from radiokit.loudness import measure
from radiokit.pipeline import build
from radiokit.report import BuildReport
from radiokit.settings import BuildOptions

SCRIPT = """\
format: radiokit/1
programme:
  series: Mastering test
  title: {{ru: Проверка громкости}}
languages: [ru]
delivery:
  profile: {profile}
  formats: {formats}
  sample_rate: {rate}
  channels: {channels}
voices:
  host: {{ru: {{engine: espeak, voice: ru}}}}
segments:
  - id: sting
    title: {{ru: Заставка}}
    music: audio/chord.mp3
  - id: link
    title: {{ru: Подводка}}
    speaker: host
    text: {{ru: Добрый вечер. Сегодня в программе разговор о трудовой миграции.}}
  - id: interview
    title: {{ru: Интервью}}
    clip: audio/quiet.flac
    clip_language: ru
  - id: hot-take
    title: {{ru: Репортаж}}
    speaker: host
    text: {{ru: Репортаж с места событий.}}
    take: {{ru: audio/hot.wav}}
"""


def make_script(folder: Path, profile: str, formats: str = "[mp3]", rate: int = 44100, channels: int = 2) -> Path:
    """A one-language programme: music, synthesized speech, an interview 30 dB too quiet and a clipping take."""
    (folder / "audio").mkdir(parents=True)
    chord = sum(tone(f, 2.0, 48000, -16.0, channels=2) for f in (220.0, 277.2, 329.6, 6000.0))
    convert(write_wav(folder / "audio" / "chord.wav", chord, 48000), folder / "audio" / "chord.mp3", "-b:a", "192k")
    t = np.arange(3 * 22050) / 22050
    quiet = 0.01 * np.sin(2 * np.pi * 300 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    convert(write_wav(folder / "audio" / "quiet.wav", quiet, 22050), folder / "audio" / "quiet.flac")
    square = np.sign(np.sin(2 * np.pi * 180 * np.arange(int(1.5 * 16000)) / 16000)) * 0.99
    write_wav(folder / "audio" / "hot.wav", square, 16000)
    script = folder / "episode.yaml"
    script.write_text(SCRIPT.format(profile=profile, formats=formats, rate=rate, channels=channels), encoding="utf-8")
    return script


PROFILES = {  # profile as written in the script -> (integrated LUFS, true-peak ceiling dBTP)
    "ebu-r128": (-23.0, -1.0),
    "podcast": (-16.0, -1.0),
    "atsc": (-24.0, -2.0),
    "{integrated_lufs: -18, true_peak_dbtp: -1.5}": (-18.0, -1.5),
}
LAYOUTS = {"ebu-r128": (44100, 2), "podcast": (48000, 2), "atsc": (48000, 1)}


@pytest.fixture(scope="module", params=list(PROFILES))
def mastered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, str]:
    profile = request.param
    rate, channels = LAYOUTS.get(profile, (44100, 2))
    folder = tmp_path_factory.mktemp("master")
    script = make_script(folder, profile, "[mp3, mp2, wav]", rate, channels)
    return build(script, BuildOptions(out=folder / "build", cache=None)), profile


def test_every_programme_file_meets_the_profile_by_an_independent_meter(mastered: tuple[BuildReport, str]) -> None:
    report, profile = mastered
    target_lufs, ceiling = PROFILES[profile]
    for suffix in (".mp3", ".mp2", ".wav"):
        path = report.folder / report.languages[0].file.replace(".mp3", suffix)
        integrated, true_peak = ebur128(path)
        assert integrated == pytest.approx(target_lufs, abs=0.2), path.name
        assert true_peak <= ceiling, path.name


def test_pyloudnorm_agrees_on_the_programme(mastered: tuple[BuildReport, str]) -> None:
    report, profile = mastered
    rate, channels = LAYOUTS.get(profile, (44100, 2))
    samples = decode(report.folder / report.languages[0].file, rate, channels).astype(np.float64)
    assert pyloudnorm.Meter(rate).integrated_loudness(samples) == pytest.approx(PROFILES[profile][0], abs=0.2)


def test_every_segment_file_is_under_the_ceiling(mastered: tuple[BuildReport, str]) -> None:
    report, profile = mastered
    rate, channels = LAYOUTS.get(profile, (44100, 2))
    for segment in report.languages[0].segments:
        for suffix in (".mp3", ".mp2", ".wav"):
            path = report.folder / segment.file.replace(".mp3", suffix)
            assert measure(decode(path, rate, channels), rate).true_peak_dbtp <= PROFILES[profile][1], path.name


def test_speech_of_every_origin_is_leveled_to_the_target(mastered: tuple[BuildReport, str]) -> None:
    """The synthesized link, an interview recorded 30 dB low and a clipping take all sit at the target."""
    report, profile = mastered
    levels = {s.id: s.integrated_lufs for s in report.languages[0].segments}
    for segment_id in ("link", "interview", "hot-take"):
        assert levels[segment_id] == pytest.approx(PROFILES[profile][0], abs=1.5), segment_id


def test_manifest_and_broadcast_wave_carry_the_final_figures(mastered: tuple[BuildReport, str]) -> None:
    report, profile = mastered
    entry = report.languages[0]
    manifest = json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["languages"]["ru"]["integrated_lufs"] == pytest.approx(entry.integrated_lufs, abs=0.01)
    assert manifest["languages"]["ru"]["true_peak_dbtp"] == pytest.approx(entry.true_peak_dbtp, abs=0.01)
    assert "%.1f LUFS" % entry.integrated_lufs in (report.folder / "rundown.txt").read_text(encoding="utf-8")
    wav = report.folder / entry.file.replace(".mp3", ".wav")
    rate, channels = LAYOUTS.get(profile, (44100, 2))
    measured = measure(decode(wav, rate, channels), rate)
    fields = read_loudness(wav)
    assert fields.loudness_value == pytest.approx(measured.integrated_lufs, abs=0.011)
    assert fields.max_true_peak_level == pytest.approx(measured.true_peak_dbtp, abs=0.011)
    assert fields.loudness_range == pytest.approx(measured.loudness_range_lu, abs=0.011)


def test_an_unreachable_target_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    """Louder than any waveform under its own ceiling: no gain or limiting can meet it."""
    script = make_script(tmp_path, "{integrated_lufs: -8, true_peak_dbtp: -6}")
    with pytest.raises(BuildError, match=r"mastering-test-ru\.mp3 measures -\d+\.\d LUFS"):
        build(script, BuildOptions(out=tmp_path / "build", cache=None))
    assert not (tmp_path / "build").exists()
