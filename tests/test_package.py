"""The package's texts, read as their readers read them: WebVTT cues, transcripts in the tags (USLT)."""

from __future__ import annotations

import json
import re

import pytest
from mutagen.id3 import ID3

from radiokit.pipeline import BuildReport

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
