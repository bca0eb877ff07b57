"""ID3 tags and chapters on a real MP3, in both versions, read back by mutagen and by ffprobe."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import struct

import numpy as np
import pytest
from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags, Encoding

from conftest import tiny_png
from media import ffprobe, tone
from radiokit.encode import encode_array
from radiokit.tag import Chapter, Tags, chapter_title, read_tags, write_tags

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
    assert read_tags(mp3).chapters == tuple(chapters)  # through the sub-tables, in order


FULL = Tags(title="Тоҷикистон ва Русия", album="Global Voices", artist="Шаҳодат Саибназарова", language="tg",
            track="3/5", date=dt.date(2012, 10, 26), publisher="IWPR", copyright="2012 IWPR",
            comment="Тавсифи барнома", transcript="[0:00.0] Хабар\nШоми хуш.", artwork=None,
            extra={"FUNDER": "Хазинаи дастгирӣ", "LOUDNESS_LUFS": "-23.0", "TRUE_PEAK_DBTP": "-1.4"})


@pytest.mark.parametrize("version, encoding", [("2.3", Encoding.UTF16), ("2.4", Encoding.UTF8)])
def test_every_frame_reads_back(mp3: Path, tmp_path: Path, version: str, encoding: Encoding) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(tiny_png())
    write_tags(mp3, dataclasses.replace(FULL, artwork=cover), [], version)
    stored = ID3(mp3, translate=False)
    # v2.3 has no UTF-8: Cyrillic survives only as UTF-16 there
    assert {frame.encoding for frame in stored.values() if hasattr(frame, "encoding")} == {encoding}
    if version == "2.3":
        assert (stored["TYER"].text, stored["TDAT"].text, "TDRC" in stored) == (["2012"], ["2610"], False)
    else:
        assert stored["TDRC"].text[0].text == "2012-10-26"
    probed = ffprobe(mp3)
    tags = probed["format"]["tags"]
    assert (tags["title"], tags["album"], tags["artist"], tags["track"], tags["date"]) == (
        "Тоҷикистон ва Русия", "Global Voices", "Шаҳодат Саибназарова", "3/5", "2012-10-26")
    assert (tags["language"], tags["publisher"], tags["copyright"], tags["comment"]) == (
        "tgk", "IWPR", "2012 IWPR", "Тавсифи барнома")
    assert tags["lyrics-tgk"] == "[0:00.0] Хабар\nШоми хуш."
    assert (tags["FUNDER"], tags["LOUDNESS_LUFS"], tags["TRUE_PEAK_DBTP"]) == ("Хазинаи дастгирӣ", "-23.0", "-1.4")
    picture = next(stream for stream in probed["streams"] if stream["codec_type"] == "video")
    assert picture["codec_name"] == "png" and picture["disposition"]["attached_pic"] == 1
    assert read_tags(mp3).frames == {
        "TIT2": "Тоҷикистон ва Русия", "TALB": "Global Voices", "TPE1": "Шаҳодат Саибназарова", "TRCK": "3/5",
        "TLAN": "tgk", "TPUB": "IWPR", "TCOP": "2012 IWPR", "date": "2012-10-26", "COMM": "Тавсифи барнома",
        "USLT": "[0:00.0] Хабар\nШоми хуш.", "APIC": "image/png", "TXXX:FUNDER": "Хазинаи дастгирӣ",
        "TXXX:LOUDNESS_LUFS": "-23.0", "TXXX:TRUE_PEAK_DBTP": "-1.4"}


def chapter_sub_frame_sizes(path: Path) -> list[int]:
    """Every CHAP's sub-frame sizes (header included), parsed from the file's bytes rather than by mutagen."""
    data = path.read_bytes()
    assert data[:3] == b"ID3"
    version = data[3]

    def size(raw: bytes) -> int:  # v2.4 sizes are syncsafe: 7 bits a byte
        return (struct.unpack(">I", raw)[0] if version == 3
                else raw[0] << 21 | raw[1] << 14 | raw[2] << 7 | raw[3])
    end, position, sizes = 10 + size(data[6:10]), 10, []
    while position + 10 <= end and data[position:position + 4] != b"\0\0\0\0":
        frame_id, frame_end = data[position:position + 4], position + 10 + size(data[position + 4:position + 8])
        if frame_id == b"CHAP":
            inner = data.index(b"\0", position + 10) + 1 + 16  # element id, then four 32-bit times and offsets
            while inner < frame_end:
                sizes.append(10 + size(data[inner + 4:inner + 8]))
                inner = sizes[-1] + inner
        position = frame_end
    return sizes


@pytest.mark.parametrize("version", ["2.3", "2.4"])
def test_chapter_titles_are_shortened_to_fit_128_bytes(mp3: Path, version: str) -> None:
    """50 dashes are 150 bytes in UTF-8: ffmpeg would drop such a v2.4 chapter whole."""
    titles = ["—" * 60, "🎙" * 50, "Таджикистан — Россия — Китай — " * 3, "Сухани охир"]
    write_tags(mp3, Tags(title="T", album="S", artist="P", language="ru"),
               [Chapter(f"ch{i}", title, i * 1000, (i + 1) * 1000) for i, title in enumerate(titles)], version)
    sizes = chapter_sub_frame_sizes(mp3)
    assert len(sizes) == 4 and max(sizes) < 128
    listed = [c["tags"]["title"] for c in ffprobe(mp3)["chapters"]]
    assert listed == [chapter_title(title, version) for title in titles]
    assert all(title.startswith(shown) for title, shown in zip(titles, listed))
    assert min(len(listed[0]), len(listed[1])) >= 25 and len(listed[2]) == 50 and listed[3] == "Сухани охир"


def test_a_broken_table_of_contents_is_reported(mp3: Path) -> None:
    chapters = [Chapter(f"ch{i}", f"Часть {i}", i * 1000, (i + 1) * 1000) for i in range(3)]
    write_tags(mp3, Tags(title="T", album="S", artist="P", language="ru"), chapters, "2.3")
    assert read_tags(mp3).problems == ()
    tags = ID3(mp3)
    tags.delall("CTOC")
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL, child_element_ids=["ch0", "ch2", "gone"],
                  sub_frames=[]))
    tags.add(CHAP(element_id="extra", start_time=0, end_time=1, sub_frames=[TIT2(encoding=1, text="Лишняя")]))
    tags.save(v2_version=3)
    found = read_tags(mp3)
    assert [c.element_id for c in found.chapters] == ["ch0", "ch2"]
    assert found.problems == ("CTOC 'toc' is not marked as ordered",
                              "CTOC 'toc' lists 'gone', which is in no CHAP or CTOC frame",
                              "CHAP ch1, extra not in the table of contents")


def test_no_tag_reads_as_none(mp3: Path) -> None:
    assert read_tags(mp3) is None
