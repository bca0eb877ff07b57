"""Sidecars read back as the station's automation would: RDXML beside each file, mAirList's library CSV."""

from __future__ import annotations

import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from radiokit.errors import ArgumentError
from radiokit.playout import PlayoutItem
from radiokit.sidecars import MAIRLIST_COLUMNS, write_mairlist, write_rivendell

TITLE = 'Rock & <Roll> "live" \'n\' more'


def item(**changes: object) -> PlayoutItem:
    fields: dict[str, object] = dict(
        file="global-voices-12-ru.mp3", language="ru", number=0, segment_id="programme", cut=1200,
        title=TITLE, artist="Nodira Host", album="Global Voices", client="IWPR", category="NEWS",
        out_cue="", air_start=dt.datetime(2012, 10, 26, 6, 0), air_end=dt.datetime(2012, 11, 2, 23, 59, 59),
        sample_rate=48000, channels=2, duration_s=601.5, audio_start_s=0.25, audio_end_s=600.125,
        intro_end_s=8.0, segue_s=597.0, integrated_lufs=-23.04, true_peak_dbtp=-1.02)
    fields.update(changes)
    return PlayoutItem(**fields)  # type: ignore[arg-type]


ITEMS = [
    item(),
    item(file="01-headline.v2.mp3", number=1, segment_id="headline", cut=1201, title="Headline",
         out_cue="thanks for listening", duration_s=75.0, audio_start_s=0.0, audio_end_s=74.9,
         intro_end_s=12.345, segue_s=72.5, integrated_lufs=-23.0, true_peak_dbtp=-1.5),
    item(file="02-abdullo.mp3", number=2, segment_id="abdullo", cut=1202, title="Abdullo, on water",
         out_cue="...and that is all", duration_s=120.75, audio_start_s=0.05, audio_end_s=120.7,
         intro_end_s=None, segue_s=120.7, integrated_lufs=-22.96, true_peak_dbtp=-2.0,
         air_start=dt.datetime(2012, 10, 27, 7, 30, 15, 500, tzinfo=dt.timezone(dt.timedelta(hours=5))),
         air_end=dt.datetime(2012, 10, 28, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))),
]


def rivendell_lines(path: Path) -> dict[str, str]:
    """What rdimport's line parser (RDCart::readXml) sees: `<tag>value</tag>` a line, value unescaped."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.fullmatch(r"<(\w+)>(.*)</\1>", line.strip())
        if found:
            text = found[2]
            for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&apos;", "'"), ("&quot;", '"')):
                text = text.replace(entity, char)
            values[found[1]] = text
    return values


def test_rivendell_xml_beside_each_file_named_from_its_stem(tmp_path: Path) -> None:
    paths = write_rivendell(tmp_path, ITEMS)
    assert [p.name for p in paths] == ["global-voices-12-ru.xml", "01-headline.v2.xml", "02-abdullo.xml"]
    assert [p.name for p in paths] == [Path(i.file).stem + ".xml" for i in ITEMS]
    assert all(p.parent == tmp_path for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temp files left


def test_rivendell_xml_holds_every_field_in_rivendell_units(tmp_path: Path) -> None:
    for entry, path in zip(ITEMS, write_rivendell(tmp_path, ITEMS)):
        assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<cart>\n")
        cart = ET.parse(path).getroot()
        assert cart.tag == "cart"
        assert cart.findtext("number") == str(entry.cut)
        assert cart.findtext("groupName") == entry.category
        assert cart.findtext("title") == entry.title
        assert cart.findtext("artist") == entry.artist
        assert cart.findtext("album") == entry.album
        assert cart.findtext("client") == entry.client
        assert cart.findtext("userDefined") == (f"integrated {entry.integrated_lufs:.1f} LUFS, "
                                                f"true peak {entry.true_peak_dbtp:.1f} dBTP")
        cuts = cart.findall("cutList/cut")
        assert len(cuts) == 1
        cut = cuts[0]
        assert cut.findtext("description") == entry.title
        assert cut.findtext("outcue") == (entry.out_cue or None)
        assert cut.findtext("length") == str(round(entry.duration_s * 1000))
        assert cut.findtext("sampleRate") == "48000" and cut.findtext("channels") == "2"
        assert cut.findtext("startPoint") == str(round(entry.audio_start_s * 1000))
        assert cut.findtext("endPoint") == str(round(entry.audio_end_s * 1000))
        assert cut.findtext("segueStartPoint") == str(round(entry.segue_s * 1000))
        assert cut.findtext("segueEndPoint") == cut.findtext("endPoint")
        if entry.intro_end_s is None:
            assert cut.find("talkStartPoint") is None and cut.find("talkEndPoint") is None
        else:
            assert cut.findtext("talkStartPoint") == cut.findtext("startPoint")
            assert cut.findtext("talkEndPoint") == str(round(entry.intro_end_s * 1000))
        assert rivendell_lines(path) == {e.tag: e.text for e in cart.iter() if e.text and e.text.strip()}

    headline = ET.parse(tmp_path / "01-headline.v2.xml").getroot()
    assert headline.findtext("cutList/cut/talkEndPoint") == "12345"  # 12.345 s
    assert headline.findtext("cutList/cut/endPoint") == "74900"
    assert headline.findtext("cutList/cut/startDatetime") == "2012-10-26T06:00:00"
    assert headline.findtext("cutList/cut/endDatetime") == "2012-11-02T23:59:59"
    abdullo = ET.parse(tmp_path / "02-abdullo.xml").getroot()  # the station's wall clock, offset dropped
    assert abdullo.findtext("cutList/cut/startDatetime") == "2012-10-27T07:30:15"
    assert abdullo.findtext("cutList/cut/endDatetime") == "2012-10-28T12:00:00"


def test_rivendell_xml_is_escaped_and_one_element_a_line(tmp_path: Path) -> None:
    path = write_rivendell(tmp_path, [item(out_cue="thanks for\nlistening  &\tgoodbye")])[0]
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    for structural in ("<cart>", "<cutList>", "<cut>", "</cut>", "</cutList>", "</cart>"):
        assert lines.count(structural) == 1  # rdimport finds these only alone on a line
    assert "<title>Rock &amp; &lt;Roll&gt; \"live\" 'n' more</title>" in lines
    seen = rivendell_lines(path)
    assert seen["title"] == seen["description"] == TITLE
    assert seen["outcue"] == "thanks for listening & goodbye"
    assert ET.parse(path).getroot().findtext("title") == TITLE


def test_rivendell_needs_an_extension_to_replace(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="no extension"):
        write_rivendell(tmp_path, [item(file="programme")])


def test_mairlist_csv_is_utf8_with_bom_one_row_per_item(tmp_path: Path) -> None:
    path = write_mairlist(tmp_path, ITEMS)
    assert path == tmp_path / "mairlist.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfExternalID,Filename,Title,")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == MAIRLIST_COLUMNS
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert len(records) == len(ITEMS)
    for entry, row in zip(ITEMS, records):
        assert row["ExternalID"] == str(entry.cut)
        assert row["Filename"] == entry.file
        assert row["Title"] == entry.title
        assert row["Artist"] == entry.artist
        assert row["Comment"] == entry.out_cue
        assert row["Duration"] == f"{entry.duration_s:.3f}"
        assert row["CueIn"] == f"{entry.audio_start_s:.3f}"
        assert row["Ramp1"] == ("" if entry.intro_end_s is None else f"{entry.intro_end_s:.3f}")
        assert row["StartNext"] == f"{entry.segue_s:.3f}"
        assert row["CueOut"] == f"{entry.audio_end_s:.3f}"
        assert float(row["LevelLoudness"]) == pytest.approx(entry.integrated_lufs, abs=0.005)
        assert float(row["LevelTruePeak"]) == pytest.approx(entry.true_peak_dbtp, abs=0.005)
        assert row["Album"] == entry.album
        assert row["Client"] == entry.client
        assert row["Category"] == entry.category
        assert row["Language"] == entry.language
    first, headline, abdullo = records
    assert first["Title"] == TITLE  # &, <, quotes survive the CSV quoting
    assert first["Duration"] == "601.500" and first["CueIn"] == "0.250"
    assert headline["Ramp1"] == "12.345"
    assert abdullo["Ramp1"] == ""
    assert first["AirStart"] == "2012-10-26 06:00:00" and first["AirEnd"] == "2012-11-02 23:59:59"
    assert abdullo["AirStart"] == "2012-10-27 07:30:15" and abdullo["AirEnd"] == "2012-10-28 12:00:00"
    assert raw.count(b"\r\n") == len(ITEMS) + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mairlist.csv"]
