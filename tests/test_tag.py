"""ID3 tags and chapters on a real MP3, in both versions, read back by mutagen and by ffprobe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags

from media import ffprobe, tone
from radiokit.encode import encode_array
from radiokit.tag import Chapter, Tags, write_tags

TITLES = ["Мусиқии оғоз", "Хабари асосӣ: ҷ қ ғ ҳ ӣ ӯ", "Сухани охир " * 8]


@pytest.fixture()
def mp3(tmp_path: Path) -> Path:
    path = tmp_path / "p.mp3"
    encode_array(path, "mp3", tone(440.0, 3.0, 44100, -20.0, channels=2).astype(np.float32), 44100, 128)
    return path


@pytest.mark.parametrize("version, expected", [("2.3", (2, 3, 0)), ("2.4", (2, 4, 0))])
def test_chapters_and_text_survive_both_versions(mp3: Path, version: str, expected: tuple[int, int, int]) -> None:
    chapters = [Chapter(f"ch{i:02d}", title, i * 1000, (i + 1) * 1000) for i, title in enumerate(TITLES)]
    write_tags(mp3, Tags(title="Тоҷикистон ва Русия", album="Global Voices", artist="Шаҳодат", language="tg",
                         track="12", date=dt.date(2012, 10, 26)), chapters, version)
    tags = ID3(mp3, translate=False)
    assert tags.version == expected
    assert tags["TIT2"].text == ["Тоҷикистон ва Русия"]
    assert ("TDRC" in tags) == (version == "2.4")
    probed = ffprobe(mp3)
    assert probed["format"]["tags"]["title"] == "Тоҷикистон ва Русия"
    listed = probed["chapters"]
    # every chapter survives, including a long title (shortened so its sub-frame stays under 128 bytes)
    assert [c["tags"]["title"] for c in listed] == [t[:50] for t in TITLES]
    assert [float(c["start_time"]) for c in listed] == [0.0, 1.0, 2.0]


def test_retagging_replaces_old_frames(mp3: Path) -> None:
    first = Tags(title="A", album="S", artist="P", language="ru", publisher="Old")
    write_tags(mp3, first, [], "2.3")
    write_tags(mp3, Tags(title="B", album="S", artist="P", language="ru"), [], "2.3")
    tags = ID3(mp3)
    assert tags["TIT2"].text == ["B"] and "TPUB" not in tags


@pytest.mark.parametrize("fmt, codec", [("mp2", "mp2"), ("wav", "pcm_s16le")])
def test_other_delivery_formats_encode(tmp_path: Path, fmt: str, codec: str) -> None:
    path = tmp_path / f"p.{fmt}"
    encode_array(path, fmt, tone(440.0, 2.0, 48000, -20.0, channels=2).astype(np.float32), 48000, 128)
    stream = ffprobe(path)["streams"][0]
    assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == (codec, 48000, 2)
    assert float(ffprobe(path)["format"]["duration"]) == pytest.approx(2.0, abs=0.06)


@pytest.mark.parametrize("version", ["2.3", "2.4"])
def test_more_than_255_chapters_go_into_sub_tables(mp3: Path, version: str) -> None:
    """A CTOC holds at most 255 entries; a 600-clip programme still lists every chapter, in order."""
    chapters = [Chapter(f"ch{n:03d}", f"Клип {n}", n * 5, n * 5 + 5) for n in range(600)]
    write_tags(mp3, Tags(title="Долгая программа", album="S", artist="P", language="ru"), chapters, version)
    tags = ID3(mp3)
    top = [toc for toc in tags.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL]
    assert len(top) == 1 and top[0].child_element_ids == ["toc1", "toc2", "toc3"]
    subs = {toc.element_id: toc.child_element_ids for toc in tags.getall("CTOC")}
    listed = [child for sub in top[0].child_element_ids for child in subs[sub]]
    assert listed == [c.element_id for c in chapters]
    read = ffprobe(mp3)["chapters"]
    assert len(read) == 600 and read[599]["tags"]["title"] == "Клип 599"
