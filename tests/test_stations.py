"""Station profiles built for real: each format read back by independent readers (ffprobe, libsndfile,
pyloudnorm, the cart chunk's layout), cut numbers, names, padding, sidecars, and verify."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
from mutagen.id3 import ID3

from conftest import make_episode
from media import decode, ffprobe
from radiokit import BuildOptions, build, verify
from radiokit.cart import read_cart
from radiokit.playout import Cues
from radiokit.report import BuildReport
from radiokit.versions import milliseconds

PROFILES = """stations:
  kfm: {format: wav}
  prss: {format: mp2, bitrate_kbps: 256, pad: 0.5, names: "{series}-{lang}-{n}", sidecars: [rivendell, mairlist],
         air: {start: "2012-10-26 18:00", end: 2012-11-02}, category: NEWS}
  sat: {format: wav-mp2, sample_rate: 48000, channels: 1, languages: [tg], cuts: {base: 7000}}
  web: {format: mp3, names: "{slug}-{lang}-{id}"}
"""


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    folder = tmp_path_factory.mktemp("stations")
    script = make_episode(folder)
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("segments:\n", PROFILES + "segments:\n", 1), encoding="utf-8")
    return build(script, BuildOptions(out=folder / "build", cache=None, stations=("all",)))


def manifest(report: BuildReport) -> dict:
    return json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))


def station_files(report: BuildReport, name: str) -> list[dict]:
    return manifest(report)["stations"][name]["files"]


def test_every_profile_delivers_programme_and_segments_under_its_names(delivered: BuildReport) -> None:
    counts = {entry.language: len(entry.segments) for entry in delivered.languages}
    folder = delivered.folder / "stations"
    assert sorted(p.name for p in (folder / "kfm").iterdir()) == sorted(
        [f"{1000 + n}.wav" for n in range(counts["ru"] + 1)] + [f"{1100 + n}.wav" for n in range(counts["tg"] + 1)])
    assert sorted(p.name for p in (folder / "sat").iterdir()) == [f"{7000 + n}.wav" for n in range(counts["tg"] + 1)]
    prss = [file["file"].rsplit("/", 1)[1] for file in station_files(delivered, "prss")]
    assert prss[:2] == ["Testovaya-seriya-ru-00.mp2", "Testovaya-seriya-ru-01.mp2"]
    web = [file["file"].rsplit("/", 1)[1] for file in station_files(delivered, "web")]
    assert web[0] == f"{delivered.slug}-ru-programme.mp3" and web[1] == f"{delivered.slug}-ru-opening.mp3"


def test_pcm_wav_carries_bext_and_a_cart_chunk_that_agrees_with_the_manifest(delivered: BuildReport) -> None:
    files = station_files(delivered, "kfm")
    for file in files:
        path = delivered.folder / file["file"]
        info = soundfile.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (44100, 2, "PCM_16")
        cart = read_cart(path)
        assert cart.cut_id == str(file["cut"]) and cart.producer_app_id == "radiokit"
        timers = {timer.usage: timer.value for timer in cart.timers}
        assert timers["AUDs"] == round(file["cue_in_s"] * 44100) and timers["AUDe"] == round(file["cue_out_s"] * 44100)
        assert timers["AUDs"] <= timers["SEGs"] <= timers["AUDe"] <= info.frames
        assert cart.start.date().isoformat() == "2012-10-26" and cart.end.year == 9999
        assert cart.title.isascii() and cart.title
    programme = delivered.folder / files[0]["file"]
    samples, rate = soundfile.read(programme)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(samples)
    print(f"kfm programme: {lufs:.2f} LUFS (pyloudnorm), {files[0]['integrated_lufs']} in the manifest")
    assert lufs == pytest.approx(-23.0, abs=0.3)
    assert read_cart(programme).title == "Tadzhikistan i Rossiya"
    history = ffprobe(programme)["format"]["tags"]["coding_history"]  # the station's PCM, not the delivery's MP3
    assert history.startswith("A=PCM,F=44100,W=16,M=stereo,T=radiokit")


def test_mp2_has_the_profiles_format_padding_and_no_id3(delivered: BuildReport) -> None:
    files = station_files(delivered, "prss")
    for file in files:
        path = delivered.folder / file["file"]
        assert path.read_bytes()[:3] != b"ID3"
        stream = ffprobe(path)["streams"][0]
        assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"], int(stream["bit_rate"])) == (
            "mp2", 44100, 2, 256000)
    ru = [entry for entry in delivered.languages if entry.language == "ru"][0]
    first = delivered.folder / files[1]["file"]
    audio = decode(first, 44100, 2)
    print(f"prss segment 1: {len(audio) / 44100:.3f} s for a {ru.segments[0].duration_s:.3f} s segment")
    assert len(audio) / 44100 == pytest.approx(ru.segments[0].duration_s + 1.0, abs=1152 / 44100)
    assert np.abs(audio[: int(0.45 * 44100)]).max() < 1e-3 and np.abs(audio[-int(0.45 * 44100):]).max() < 1e-3
    assert files[1]["cue_in_s"] >= 0.5


def test_mpeg_in_wav_at_the_profiles_rate_and_channels(delivered: BuildReport) -> None:
    for file in station_files(delivered, "sat"):
        path = delivered.folder / file["file"]
        stream = ffprobe(path)["streams"][0]
        assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == ("mp2", 48000, 1)
        assert read_cart(path).cut_id == str(file["cut"])
        assert len(decode(path, 48000, 1)) / 48000 == pytest.approx(file["duration_s"], abs=1152 / 48000)


def test_station_mp3s_carry_cue_and_replaygain_tags(delivered: BuildReport) -> None:
    for file in station_files(delivered, "web"):
        frames = {frame.desc: frame.text[0] for frame in ID3(delivered.folder / file["file"]).getall("TXXX")}
        assert float(frames["liq_cue_in"]) == pytest.approx(file["cue_in_s"], abs=0.001)
        assert float(frames["liq_cue_out"]) == pytest.approx(file["cue_out_s"], abs=0.001)
        if file["integrated_lufs"] is None:  # silence: no gain brings it anywhere
            assert "replaygain_track_gain" not in frames
            continue
        gain = float(frames["replaygain_track_gain"].removesuffix(" dB"))
        assert gain == pytest.approx(-18.0 - file["integrated_lufs"], abs=0.01)


def test_sidecars_name_every_file_with_its_cut(delivered: BuildReport) -> None:
    files = station_files(delivered, "prss")
    folder = delivered.folder / "stations" / "prss"
    titles = []
    for file in files:
        xml = ET.parse(folder / Path(file["file"]).with_suffix(".xml").name).getroot()
        assert xml.findtext("number") == str(file["cut"]) and xml.findtext("groupName") == "NEWS"
        assert xml.find("cutList/cut/startDatetime").text.startswith("2012-10-26T18:00")
        titles.append(xml.findtext("title"))
    assert titles[:2] == ["Таджикистан и Россия", "Заставка"]  # UTF-8: the script's text, not the cart's Latin
    with (folder / "mairlist.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["Filename"] for row in rows] == [file["file"].rsplit("/", 1)[1] for file in files]
    assert rows[0]["Title"] == "Таджикистан и Россия" and read_cart(  # the cart chunk has it transliterated
        delivered.folder / station_files(delivered, "kfm")[0]["file"]).title == "Tadzhikistan i Rossiya"
    assert all(float(row["CueIn"]) == pytest.approx(file["cue_in_s"], abs=0.001) for row, file in zip(rows, files))


def test_verify_accepts_the_package_and_catches_a_changed_cart(delivered: BuildReport, tmp_path: Path) -> None:
    verdict = verify(delivered.zip_path)
    assert verdict.fit_to_air, verdict.problems
    copy = tmp_path / delivered.folder.name
    shutil.copytree(delivered.folder, copy)
    first = copy / station_files(delivered, "kfm")[1]["file"]
    data = bytearray(first.read_bytes())
    at = data.index(b"cart") + 8 + 4 + 64 * 2  # the cut number, after Version, Title and Artist
    data[at : at + 4] = b"9999"
    first.write_bytes(bytes(data))
    problems = verify(copy).problems
    assert any("cut" in problem.lower() and first.name in problem for problem in problems), problems


def test_an_unknown_station_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    make_episode(tmp_path)
    done = subprocess.run([sys.executable, "-m", "radiokit", "build", "episode.yaml", "--out", "out", "--station",
                           "kfm"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("error: --station kfm: episode.yaml defines no such station profile")
    assert not (tmp_path / "out").exists()


def test_cues_to_the_millisecond_never_pass_the_files_end_nor_change_order() -> None:
    """Sound to a file's last sample (635830 frames at 44.1 kHz: 14.41791 s): the nearest millisecond,
    14.418 s, is 4 samples past the end, and a cart AUDe there points outside the audio."""
    frames, rate = 635830, 44100
    end_s = frames / rate
    cues = milliseconds(Cues(0.0004, end_s, end_s - 0.0004, 2.0))
    assert round(cues.audio_end_s * rate) <= frames
    assert cues.audio_start_s <= cues.segue_s <= cues.audio_end_s
    assert (cues.audio_start_s, cues.intro_end_s) == (0.0, 2.0)  # an exact millisecond stays where it is
