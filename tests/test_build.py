"""End to end: a small bilingual episode is built and every delivered file is read back independently."""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile

import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from conftest import CLIP_TONE_HZ, TAKE_TONE_HZ, tiny_png
from media import decode, ffprobe, rms_dbfs
from radiokit.loudness import measure
from radiokit.report import BuildReport

SLUG = "testovaya-seriya-7-2012-10-26"
RU_SEGMENTS = ["opening", "headline", "analyst", "pause", "sign-off", "ru-only"]
TG_SEGMENTS = ["opening", "headline", "analyst", "pause", "sign-off"]


def manifest(built: BuildReport) -> dict:
    return json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))


def test_layout_is_the_spec_layout(built: BuildReport) -> None:
    assert built.folder.name == SLUG
    assert built.zip_path == built.folder.parent / f"{SLUG}.zip"
    names = {p.relative_to(built.folder).as_posix() for p in built.folder.rglob("*") if p.is_file()}
    expected = {f"{SLUG}-ru.mp3", f"{SLUG}-tg.mp3", "rundown.csv", "rundown.txt", "manifest.json",
                "transcript-ru.txt", "transcript-tg.txt", "transcript-ru.vtt", "transcript-tg.vtt", "index.html",
                "chapters-ru.json", "chapters-tg.json", "cover.png"}  # JSON chapters and the artwork, for feeds
    expected |= {f"segments/ru/{n:02d}-{sid}.mp3" for n, sid in enumerate(RU_SEGMENTS, 1)}
    expected |= {f"segments/tg/{n:02d}-{sid}.mp3" for n, sid in enumerate(TG_SEGMENTS, 1)}
    assert names == expected
    # nothing left behind by the staging area
    assert sorted(p.name for p in built.folder.parent.iterdir()) == [SLUG, f"{SLUG}.zip"]


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_programme_format_read_by_ffprobe(built: BuildReport, language: str) -> None:
    info = ffprobe(built.folder / f"{SLUG}-{language}.mp3")
    stream = info["streams"][0]
    assert stream["codec_name"] == "mp3"
    assert int(stream["sample_rate"]) == 44100
    assert stream["channels"] == 2
    assert abs(int(stream["bit_rate"]) - 128000) < 1000
    recorded = manifest(built)["languages"][language]["duration_s"]
    assert abs(float(info["format"]["duration"]) - recorded) < 0.06


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_loudness_of_the_encoded_programme(built: BuildReport, language: str) -> None:
    audio = decode(built.folder / f"{SLUG}-{language}.mp3")
    ours = measure(audio, 44100).integrated_lufs
    independent = pyloudnorm.Meter(44100).integrated_loudness(audio.astype(np.float64))
    assert abs(ours + 23.0) <= 0.5
    assert abs(independent + 23.0) <= 0.5


@pytest.mark.parametrize("language, ids", [("ru", RU_SEGMENTS), ("tg", TG_SEGMENTS)])
def test_chapters_read_by_ffprobe_match_the_audio(built: BuildReport, language: str, ids: list[str]) -> None:
    entry = manifest(built)["languages"][language]
    chapters = ffprobe(built.folder / f"{SLUG}-{language}.mp3")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [s["title"] for s in entry["segments"]]
    assert [s["id"] for s in entry["segments"]] == ids
    audio = decode(built.folder / f"{SLUG}-{language}.mp3")
    for chapter, segment in zip(chapters, entry["segments"]):
        assert abs(float(chapter["start_time"]) - segment["start_s"]) < 0.02
        assert abs(float(chapter["end_time"]) - (segment["start_s"] + segment["duration_s"])) < 0.02
    # what is where: the pause chapter is silent, the spoken and music chapters are not
    for chapter in chapters:
        start, end = (int(float(chapter[k]) * 44100) for k in ("start_time", "end_time"))
        level = rms_dbfs(audio[start + 2205:end - 2205])
        if chapter["tags"]["title"] == "pause":
            assert level < -80
        else:
            assert level > -45, chapter["tags"]["title"]


def test_gaps_between_segments_are_silent(built: BuildReport) -> None:
    segments = manifest(built)["languages"]["ru"]["segments"]
    audio = decode(built.folder / f"{SLUG}-ru.mp3")
    first, second = segments[0], segments[1]
    gap_start = first["start_s"] + first["duration_s"]
    assert second["start_s"] - gap_start == pytest.approx(0.5, abs=0.002)
    assert rms_dbfs(audio[int((gap_start + 0.05) * 44100):int((second["start_s"] - 0.05) * 44100)]) < -70
    # sign-off has gap: 0, so ru-only follows it at once
    sign_off, last = segments[4], segments[5]
    assert last["start_s"] == pytest.approx(sign_off["start_s"] + sign_off["duration_s"], abs=0.002)


@pytest.mark.parametrize("language, title, presenter, tlan", [
    ("ru", "Таджикистан и Россия", "Шаходат Саибназарова", "rus"),
    ("tg", "Тоҷикистон ва Русия", "Шаҳодат Саибназарова", "tgk"),
])
def test_programme_tags_read_by_mutagen(built: BuildReport, language: str, title: str, presenter: str,
                                        tlan: str) -> None:
    # translate=False: read the frames as stored, so v2.3's TYER/TDAT are seen rather than mutagen's TDRC
    tags = ID3(built.folder / f"{SLUG}-{language}.mp3", translate=False)
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == [title]
    assert tags["TALB"].text == ["Тестовая серия"]
    assert tags["TPE1"].text == [presenter]
    assert tags["TLAN"].text == [tlan]
    assert tags["TRCK"].text == ["7"]
    assert tags["TYER"].text == ["2012"] and tags["TDAT"].text == ["2610"]
    assert "TDRC" not in tags
    assert tags["TPUB"].text == ["Test Publisher"]
    assert tags["TCOP"].text == ["2012 Test Publisher"]
    assert tags.getall("COMM")[0].text[0] in ("Описание выпуска", "Тавсифи барнома")
    picture = tags.getall("APIC")[0]
    assert (picture.mime, picture.data) == ("image/png", tiny_png())
    toc = tags.getall("CTOC")[0]
    chapters = {c.element_id: c for c in tags.getall("CHAP")}
    assert list(toc.child_element_ids) == sorted(chapters)
    titles = [chapters[e].sub_frames["TIT2"].text[0] for e in toc.child_element_ids]
    assert titles[1] == ("Главное" if language == "ru" else "Хабари асосӣ")


def test_segment_files_carry_the_segment_audio_and_tags(built: BuildReport) -> None:
    segments = manifest(built)["languages"]["tg"]["segments"]
    for segment in segments:
        path = built.folder / segment["file"]
        assert abs(MP3(path).info.length - segment["duration_s"]) < 0.06
        tags = ID3(path)
        assert tags["TRCK"].text == [f"{segment['index']}/{len(segments)}"]
        assert tags["TIT2"].text == [segment["title"]]
    # the trimmed clip (0.5 s to 3.5 s) runs 3 s, or longer if the voice-over outlasts it
    analyst = next(s for s in segments if s["id"] == "analyst")
    assert analyst["duration_s"] >= 3.0 - 0.01
    ru_analyst = next(s for s in manifest(built)["languages"]["ru"]["segments"] if s["id"] == "analyst")
    assert ru_analyst["duration_s"] == pytest.approx(3.0, abs=0.01)


def test_quiet_clip_is_leveled_like_speech(built: BuildReport) -> None:
    segments = manifest(built)["languages"]["ru"]["segments"]
    audio = decode(built.folder / f"{SLUG}-ru.mp3")
    def loudness(seg_id: str) -> float:
        seg = next(s for s in segments if s["id"] == seg_id)
        part = audio[int(seg["start_s"] * 44100):int((seg["start_s"] + seg["duration_s"]) * 44100)]
        return measure(part, 44100).integrated_lufs
    assert abs(loudness("analyst") - loudness("headline")) < 1.5


def test_manifest_checksums_and_zip(built: BuildReport) -> None:
    data = manifest(built)
    listed = {f["path"]: f for f in data["files"]}
    on_disk = {p.relative_to(built.folder).as_posix() for p in built.folder.rglob("*") if p.is_file()}
    assert set(listed) == on_disk - {"manifest.json"}
    for path, entry in listed.items():
        content = (built.folder / path).read_bytes()
        assert entry["size"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    with zipfile.ZipFile(built.zip_path) as archive:
        names = set(archive.namelist())
        assert names == {f"{SLUG}/{p}" for p in on_disk}
        for path in on_disk:
            assert archive.read(f"{SLUG}/{path}") == (built.folder / path).read_bytes()
    assert data["languages"]["tg"]["integrated_lufs"] == pytest.approx(-23.0, abs=0.5)


def test_transcripts_and_rundown(built: BuildReport) -> None:
    ru = (built.folder / "transcript-ru.txt").read_text(encoding="utf-8")
    tg = (built.folder / "transcript-tg.txt").read_text(encoding="utf-8")
    assert "Президент России посетил Душанбе" in ru
    assert "[interview in Russian]" in ru
    assert "Ба гуфтаи таҳлилгар" in tg
    assert "[music]" in tg
    with (built.folder / "rundown.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["language"], r["id"]) for r in rows] == (
        [("ru", s) for s in RU_SEGMENTS] + [("tg", s) for s in TG_SEGMENTS])
    headline = next(r for r in rows if r["language"] == "tg" and r["id"] == "headline")
    assert headline["in_words"] == "Шоми хуш. Президенти Русия"
    assert headline["out_words"].endswith("омад.")


def test_voiceover_ducks_the_original_in_the_other_language(built: BuildReport) -> None:
    def clip_audio(language: str) -> np.ndarray:
        seg = next(s for s in manifest(built)["languages"][language]["segments"] if s["id"] == "analyst")
        audio = decode(built.folder / f"{SLUG}-{language}.mp3")
        return audio[int(seg["start_s"] * 44100):int((seg["start_s"] + seg["duration_s"]) * 44100)]
    ru, tg = clip_audio("ru"), clip_audio("tg")
    # In Russian the clip plays as recorded; in Tajik the original's tone is ducked after the 0.5 s lead.
    def clip_tone_db(part: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(part[:, 0] * np.hanning(len(part)))) / len(part)
        freqs = np.fft.rfftfreq(len(part), 1 / 44100)
        return 20 * np.log10(spectrum[np.abs(freqs - CLIP_TONE_HZ) < 10].max())
    lead = slice(int(0.05 * 44100), int(0.4 * 44100))
    under = slice(int(1.2 * 44100), int(2.2 * 44100))
    assert clip_tone_db(tg[lead]) - clip_tone_db(ru[lead]) == pytest.approx(0, abs=2.0)
    assert clip_tone_db(tg[lead]) - clip_tone_db(tg[under]) == pytest.approx(15, abs=2.0)
    assert clip_tone_db(ru[lead]) - clip_tone_db(ru[under]) == pytest.approx(0, abs=2.0)


def segment_audio(built: BuildReport, language: str, seg_id: str) -> np.ndarray:
    seg = next(s for s in manifest(built)["languages"][language]["segments"] if s["id"] == seg_id)
    audio = decode(built.folder / f"{SLUG}-{language}.mp3")
    return audio[int(seg["start_s"] * 44100):int((seg["start_s"] + seg["duration_s"]) * 44100)]


def test_take_replaces_synthesis_only_in_its_language(built: BuildReport) -> None:
    ru, tg = segment_audio(built, "ru", "sign-off"), segment_audio(built, "tg", "sign-off")
    assert len(ru) / 44100 == pytest.approx(1.2, abs=0.02)  # the take's own length
    spectrum = np.abs(np.fft.rfft(ru[:, 0]))
    assert np.fft.rfftfreq(len(ru), 1 / 44100)[np.argmax(spectrum)] == pytest.approx(TAKE_TONE_HZ, abs=2)
    tg_spectrum = np.abs(np.fft.rfft(tg[:, 0]))
    tg_peak = np.fft.rfftfreq(len(tg), 1 / 44100)[np.argmax(tg_spectrum)]
    assert abs(tg_peak - TAKE_TONE_HZ) > 5  # synthesized Tajik, not the Russian take


def test_fade_out_ends_the_opening_quietly(built: BuildReport) -> None:
    opening = segment_audio(built, "ru", "opening")
    middle = rms_dbfs(opening[len(opening) // 4:len(opening) // 2])
    last = rms_dbfs(opening[-2205:])  # the last 50 ms of a 0.5 s fade
    assert middle - last > 15
