"""Sidecar files beside delivered audio, so that a station's automation imports title, cue points and air
window from them instead of an operator retyping them: RDXML for Rivendell's rdimport, a library CSV for
mAirList. Both are written from the same PlayoutItems (radiokit.playout), so they agree with the cart chunk.
Each field's source and what each system applies: docs/stations.md, "Sidecar fields".

rdimport reads RDXML with a line-oriented parser (RDCart::readXml in Rivendell's lib/rdcart.cpp): `<cart>`,
`<cutList>`, `<cut>` and their closing tags each alone on a line, every other element on one line, so text
is kept to one line here. mAirList needs a BOM to read the CSV as UTF-8.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from radiokit.errors import ArgumentError
from radiokit.playout import PlayoutItem

MAIRLIST_CSV = "mairlist.csv"
MAIRLIST_COLUMNS = ("ExternalID", "Filename", "Title", "Artist", "Comment", "Duration", "CueIn", "Ramp1",
                    "StartNext", "CueOut", "LevelLoudness", "LevelTruePeak",
                    "Album", "Client", "Category", "Language", "AirStart", "AirEnd")


def write_rivendell(folder: Path, items: Sequence[PlayoutItem]) -> list[Path]:
    """Write RDXML `<name>.xml` beside each item's file in `folder`; return the paths written, in order."""
    written = []
    for item in items:
        path = rivendell_path(Path(folder), item)
        _write(path, ET.tostring(_cart(item), encoding="utf-8", xml_declaration=True) + b"\n")
        written.append(path)
    return written


def rivendell_path(folder: Path, item: PlayoutItem) -> Path:
    """Where rdimport --xml looks for an item's metadata: its file with the last extension replaced."""
    audio = folder / item.file
    if not audio.suffix:
        raise ArgumentError(f"{item.file}: has no extension, and rdimport finds its XML by replacing it")
    return audio.with_suffix(".xml")


def write_mairlist(folder: Path, items: Sequence[PlayoutItem]) -> Path:
    """Write `mairlist.csv` into `folder`, one row per item, and return its path."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(MAIRLIST_COLUMNS)
    for item in items:
        writer.writerow([
            item.cut, item.file, _line(item.title), _line(item.artist), _line(item.out_cue),
            _seconds(item.duration_s), _seconds(item.audio_start_s),
            "" if item.intro_end_s is None else _seconds(item.intro_end_s),
            _seconds(item.segue_s), _seconds(item.audio_end_s),
            f"{item.integrated_lufs:.2f}", f"{item.true_peak_dbtp:.2f}",
            _line(item.album), _line(item.client), _line(item.category), item.language,
            _wall_clock(item.air_start, " "), _wall_clock(item.air_end, " "),
        ])
    path = Path(folder) / MAIRLIST_CSV
    _write(path, text.getvalue().encode("utf-8-sig"))
    return path


def _cart(item: PlayoutItem) -> ET.Element:
    """The RDXML tree for one item, in the order Rivendell's own exports use."""
    cart = ET.Element("cart")
    _add(cart, "number", item.cut)
    _add(cart, "groupName", item.category)
    _add(cart, "title", item.title)
    _add(cart, "artist", item.artist)
    _add(cart, "album", item.album)
    _add(cart, "client", item.client)
    _add(cart, "userDefined",
         f"integrated {item.integrated_lufs:.1f} LUFS, true peak {item.true_peak_dbtp:.1f} dBTP")
    cut = ET.SubElement(ET.SubElement(cart, "cutList"), "cut")
    _add(cut, "description", item.title)
    _add(cut, "outcue", item.out_cue)
    _add(cut, "length", _ms(item.duration_s))
    _add(cut, "startDatetime", _wall_clock(item.air_start, "T"))
    _add(cut, "endDatetime", _wall_clock(item.air_end, "T"))
    _add(cut, "sampleRate", item.sample_rate)
    _add(cut, "channels", item.channels)
    _add(cut, "startPoint", _ms(item.audio_start_s))
    _add(cut, "endPoint", _ms(item.audio_end_s))
    _add(cut, "segueStartPoint", _ms(item.segue_s))
    _add(cut, "segueEndPoint", _ms(item.audio_end_s))
    if item.intro_end_s is not None:
        _add(cut, "talkStartPoint", _ms(item.audio_start_s))
        _add(cut, "talkEndPoint", _ms(item.intro_end_s))
    ET.indent(cart)  # one element a line: rdimport's parser reads lines, not XML
    return cart


def _add(parent: ET.Element, tag: str, value: str | int) -> None:
    """A child element holding `value` on one line; empty text is left out (rdimport would skip it anyway)."""
    text = _line(str(value))
    if text:
        ET.SubElement(parent, tag).text = text


def _line(text: str) -> str:
    """Text on one line: every run of whitespace (newlines included) one space, none at either end."""
    return " ".join(text.split())


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _seconds(seconds: float) -> str:
    return f"{seconds:.3f}"


def _wall_clock(when: dt.datetime, sep: str) -> str:
    """Local wall-clock time to the second, as the station reads it; a UTC offset, if any, is dropped."""
    return when.replace(tzinfo=None, microsecond=0).isoformat(sep)


def _write(path: Path, data: bytes) -> None:
    """Write to a temporary name beside `path`, then move it into place whole."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
