"""The package's texts, read as their readers read them: WebVTT cues, transcripts in the tags (USLT), the
rundown, the manifest's figures beside the files' own."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import math
import re
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from radiokit.manifest import LanguageEntry, SegmentEntry
from radiokit.transcript import write_vtt
from radiokit.report import BuildReport

SLUG = "testovaya-seriya-7-2012-10-26"

CUE_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


def seconds(parts: tuple[str, ...]) -> float:
    hours, minutes, secs, millis = map(int, parts)
    return hours * 3600 + minutes * 60 + secs + millis / 1000


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_webvtt_has_one_timed_cue_per_segment(built: BuildReport, language: str) -> None:
    manifest = json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))
    segments = manifest["languages"][language]["segments"]
    blocks = (built.folder / f"transcript-{language}.vtt").read_text(encoding="utf-8").split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = [block.strip("\n").split("\n") for block in blocks[1:] if block.strip()]
    assert len(cues) == len(segments)
    previous_end = 0.0
    for (identifier, timing, *text), segment in zip(cues, segments):
        assert identifier == str(segment["index"])
        found = CUE_TIME.match(timing)
        assert found, timing
        start, end = seconds(found.groups()[:4]), seconds(found.groups()[4:])
        assert start == pytest.approx(segment["start_s"], abs=0.001)
        assert start >= previous_end - 0.001 and end > start
        previous_end = end
        assert len(text) == 1 and text[0].startswith(f"{segment['title']}: ") and len(text[0]) > len(segment["title"]) + 2
    clip_cue = {"ru": "Аналитик: [interview in Russian]",
                "tg": "Таҳлилгар: Ба гуфтаи таҳлилгар, равобит амалӣ шуданд."}[language]
    assert clip_cue in [cue[2] for cue in cues]


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_transcripts_travel_in_the_tags(built: BuildReport, language: str) -> None:
    programme = ID3(built.folder / f"testovaya-seriya-7-2012-10-26-{language}.mp3")
    lyrics = programme.getall("USLT")
    assert len(lyrics) == 1 and lyrics[0].lang == {"ru": "rus", "tg": "tgk"}[language]
    transcript = (built.folder / f"transcript-{language}.txt").read_text(encoding="utf-8")
    assert lyrics[0].text.strip() in transcript  # the same blocks as the transcript file, without its title line
    headline = ID3(built.folder / "segments" / language / "02-headline.mp3").getall("USLT")[0].text
    expected = {"ru": "Добрый вечер. Президент России посетил Душанбе.",
                "tg": "Шоми хуш. Президенти Русия ба Душанбе омад."}[language]
    assert headline == expected


@pytest.mark.parametrize(("language", "funder"), [("ru", "Фонд поддержки"), ("tg", "Хазинаи дастгирӣ")])
def test_the_funder_travels_in_every_file(built: BuildReport, language: str, funder: str) -> None:
    for path in [built.folder / f"testovaya-seriya-7-2012-10-26-{language}.mp3",
                 *sorted((built.folder / "segments" / language).glob("*.mp3"))]:
        assert ID3(path).getall("TXXX:FUNDER")[0].text == [funder], path.name
    manifest = json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["programme"]["funder"][language] == funder


def test_webvtt_cue_text_cannot_break_its_cue(tmp_path: Path) -> None:
    """Producers' titles and texts may hold what WebVTT reads as markup, a timing line or the end of a cue."""
    awkward = [("Q&A <live>", "Vote 2 --> 3 <b>bold</b>\n\nNext"), ("Line\nbreak", "a &amp; b")]
    segments = tuple(SegmentEntry(index, f"s{index}", title, "speech", 2.0 * index, 2.0, text, None, "x.mp3",
                                  -23.0, -3.0) for index, (title, text) in enumerate(awkward, start=1))
    path = write_vtt(tmp_path, LanguageEntry("ru", "x.mp3", 6.0, -23.0, -3.0, 5.0, 0.0, segments))
    text = path.read_text(encoding="utf-8")
    blocks = text.rstrip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT" and text.endswith("\n")
    cues = [block.split("\n") for block in blocks[1:]]
    assert [len(cue) for cue in cues] == [3, 3]  # identifier, timing, one line of text
    assert all("-->" not in cue[2] and "<" not in cue[2] for cue in cues)
    assert [html.unescape(cue[2]) for cue in cues] == ["Q&A <live>: Vote 2 --> 3 <b>bold</b> Next",
                                                       "Line break: a &amp; b"]


def manifest(built: BuildReport) -> dict:
    return json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))


def test_each_language_lists_its_files_with_size_checksum_and_figures(built: BuildReport) -> None:
    data = manifest(built)
    listed = {entry["path"]: entry for entry in data["files"]}
    for language, entry in data["languages"].items():
        for item in [entry, *entry["segments"]]:
            content = (built.folder / item["file"]).read_bytes()
            assert (item["size"], item["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
            assert (listed[item["file"]]["size"], listed[item["file"]]["sha256"]) == (item["size"], item["sha256"])
        for segment in entry["segments"]:
            assert segment["end_s"] == pytest.approx(segment["start_s"] + segment["duration_s"], abs=0.0011)
            tags = ID3(built.folder / segment["file"])
            for frame, key in (("TXXX:LOUDNESS_LUFS", "integrated_lufs"), ("TXXX:TRUE_PEAK_DBTP", "true_peak_dbtp")):
                tagged = float(tags[frame].text[0])
                if segment["id"] == "pause":  # digital silence: no loudness, no peak
                    assert segment[key] is None and tagged == -math.inf
                else:
                    assert tagged == pytest.approx(segment[key], abs=0.051)
        assert max(s["true_peak_dbtp"] for s in entry["segments"] if s["true_peak_dbtp"] is not None) \
            <= data["delivery"]["true_peak_dbtp"], language
    assert data["programme"]["artwork"] == "image/png"


def test_rundown_rows_and_headers(built: BuildReport) -> None:
    data = manifest(built)
    with (built.folder / "rundown.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["language", "index", "id", "title", "kind", "start", "duration", "end", "in_words",
                             "out_words", "loudness_lufs"]
    expected = [(language, segment) for language, entry in data["languages"].items() for segment in entry["segments"]]
    assert len(rows) == len(expected)
    for row, (language, segment) in zip(rows, expected):
        assert (row["language"], int(row["index"]), row["id"], row["title"], row["kind"]) == (
            language, segment["index"], segment["id"], segment["title"], segment["kind"])
        assert float(row["start"]) == pytest.approx(segment["start_s"], abs=0.0011)
        assert float(row["end"]) == pytest.approx(float(row["start"]) + float(row["duration"]), abs=0.0011)
        if segment["integrated_lufs"] is None:
            assert row["loudness_lufs"] == ""
        else:
            assert float(row["loudness_lufs"]) == pytest.approx(segment["integrated_lufs"], abs=0.051)
    text = (built.folder / "rundown.txt").read_text(encoding="utf-8")
    for language, entry in data["languages"].items():
        # The rundown rounds the full-precision figures to 0.1, the manifest to 0.01: -5.749 is -5.7 in one
        # and -5.75 in the other, so the two agree to within half a step, not digit for digit.
        [header] = re.findall(rf"\[{language}\]\nduration (\d+):([\d.]+)  loudness (\S+) LUFS  true peak (\S+) dBTP",
                              text)
        assert int(header[0]) * 60 + float(header[1]) == pytest.approx(entry["duration_s"], abs=0.051), language
        assert float(header[2]) == pytest.approx(entry["integrated_lufs"], abs=0.051), language
        assert float(header[3]) == pytest.approx(entry["true_peak_dbtp"], abs=0.051), language
