"""The AES46-2002 cart chunk, version 0101: the title, cut number, air window and cue timers that playout
systems (Rivendell, ENCO, AudioVault, Zetta, WideOrbit, Myriad) read from a WAV file when they import it.

Layout of the chunk's data (offsets and sizes in bytes; text ASCII and NUL-padded, numbers little-endian):

    field                offset  size
    Version                   0     4   "0101"
    Title                     4    64
    Artist                   68    64
    CutID                   132    64
    ClientID                196    64
    Category                260    64
    Classification          324    64
    OutCue                  388    64
    StartDate               452    10   yyyy-mm-dd
    StartTime               462     8   hh:mm:ss
    EndDate                 470    10   yyyy-mm-dd
    EndTime                 480     8   hh:mm:ss
    ProducerAppID           488    64
    ProducerAppVersion      552    64
    UserDef                 616    64
    LevelReference          680     4   DWORD: the sample value of 0 dB
    PostTimer[8]            684    64   each a FOURCC usage (4) and a DWORD value (4), in samples from the
                                        file's first sample; unused timers are all zero
    Reserved                748   276   zero
    URL                    1024  1024
    TagText                2048     -   free text, to the end of the chunk

Source: the `cart_extension_tag` structure of AES46-2002 as cartchunk.org publishes it (version 1.01 added
URL after Reserved), checked against two readers: Rivendell (lib/rdwavefile.cpp, RDWaveFile::GetCart reads
each field at these offsets) and libsndfile's SF_CART_INFO (the same fields in the same order).

Dates and times: the standard's structure gives `yyyy-mm-dd` and `hh:mm:ss`, the ISO 8601 forms bext's
origination date and time use too, and radiokit writes those. Rivendell writes `yyyy/mm/dd` but reads the
digits by position (0-3, 5-6, 8-9), so it reads the ISO form; `read_cart` reads either.

The chunk's data is kept an even number of bytes (the tag text gets a NUL when it is odd): RIFF would
have a pad byte after it, and Rivendell walks chunks by their sizes without one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from radiokit.bwf import read_chunk, riff_chunk
from radiokit.errors import ArgumentError, InputError
from radiokit.translit import to_ascii

VERSION = "0101"
MAX_TIMERS = 8
_FIXED = 2048  # bytes of the chunk's data before the tag text
_DWORD = 0xFFFFFFFF


@dataclass(frozen=True)
class CartTimer:
    """A cue point: `usage` a FOURCC (AUDs, AUDe, INTs, INTe, SEGs, SEGe, ...), `value` in samples from the
    file's first sample."""

    usage: str
    value: int

    def __post_init__(self) -> None:
        if len(self.usage) != 4 or not (self.usage.isascii() and self.usage.isprintable()):
            raise ArgumentError(f"cart timer usage {self.usage!r} is not a FOURCC (4 printable ASCII characters)")
        if not 0 <= self.value <= _DWORD:
            raise ArgumentError(f"cart timer {self.usage} at sample {self.value}: a cart timer holds 0 to {_DWORD}")


@dataclass(frozen=True)
class CartInfo:
    """The cart chunk's fields. Text may be Cyrillic (written transliterated, radiokit.translit) and longer
    than its field (written cut to it); `start` and `end` are the air window; `level_reference` the sample
    value of 0 dB (32768 for 16-bit audio)."""

    title: str
    artist: str
    cut_id: str
    client_id: str
    category: str
    classification: str
    out_cue: str
    start: dt.datetime
    end: dt.datetime
    producer_app_id: str
    producer_app_version: str
    user_def: str
    level_reference: int
    timers: tuple[CartTimer, ...]
    url: str
    tag_text: str

    def __post_init__(self) -> None:
        if len(self.timers) > MAX_TIMERS:
            raise ArgumentError(f"a cart chunk holds {MAX_TIMERS} timers, not {len(self.timers)}")
        if not 0 <= self.level_reference <= _DWORD:
            raise ArgumentError(f"cart level reference {self.level_reference}: it holds 0 to {_DWORD}")


def cart_chunk(info: CartInfo) -> bytes:
    """The whole `cart` chunk (id, size, data) for a RIFF file, e.g. BroadcastWaveWriter's extra_chunks."""
    timers = b"".join(_ascii(t.usage) + t.value.to_bytes(4, "little") for t in info.timers)
    fields = [  # (value, size) in the order of AES46's structure
        (VERSION.encode("ascii"), 4),
        (_ascii(info.title), 64), (_ascii(info.artist), 64), (_ascii(info.cut_id), 64),
        (_ascii(info.client_id), 64), (_ascii(info.category), 64), (_ascii(info.classification), 64),
        (_ascii(info.out_cue), 64),
        (_date(info.start), 10), (_time(info.start), 8), (_date(info.end), 10), (_time(info.end), 8),
        (_ascii(info.producer_app_id), 64), (_ascii(info.producer_app_version), 64), (_ascii(info.user_def), 64),
        (info.level_reference.to_bytes(4, "little"), 4),
        (timers, 8 * MAX_TIMERS),
        (b"", 276),
        (_ascii(info.url), 1024),
    ]
    data = b"".join(value[:size].ljust(size, b"\0") for value, size in fields)
    assert len(data) == _FIXED
    tag = _ascii(info.tag_text)
    return riff_chunk(b"cart", data + tag + b"\0" * (len(tag) % 2))


def _ascii(text: str) -> bytes:
    return to_ascii(text).encode("ascii")


def _date(when: dt.datetime) -> bytes:
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}".encode("ascii")


def _time(when: dt.datetime) -> bytes:
    return f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}".encode("ascii")


# The reader's own map of the layout, kept apart from the writer's field list so that each checks the other.
_AT = {
    "title": (4, 64), "artist": (68, 64), "cut_id": (132, 64), "client_id": (196, 64), "category": (260, 64),
    "classification": (324, 64), "out_cue": (388, 64), "start_date": (452, 10), "start_time": (462, 8),
    "end_date": (470, 10), "end_time": (480, 8), "producer_app_id": (488, 64), "producer_app_version": (552, 64),
    "user_def": (616, 64), "level_reference": (680, 4), "timers": (684, 64), "url": (1024, 1024),
}


def read_cart(path: Path) -> CartInfo:
    """The cart chunk of the WAV file at `path`; InputError naming the file where there is none, or it is
    shorter than the standard's 2048 bytes, or its dates do not read as dates."""
    data = read_chunk(path, b"cart")
    if data is None:
        raise InputError(f"{path.name} has no cart chunk")
    if len(data) < _FIXED:
        raise InputError(f"{path.name}: its cart chunk is {len(data)} bytes, shorter than the {_FIXED} of AES46")

    def field(name: str) -> bytes:
        offset, size = _AT[name]
        return data[offset : offset + size]

    def text(name: str) -> str:
        return field(name).split(b"\0", 1)[0].decode("ascii", "replace")

    timers = []
    for at in range(0, 8 * MAX_TIMERS, 8):
        timer = field("timers")[at : at + 8]
        if timer[:4] != b"\0\0\0\0":
            timers.append(CartTimer(timer[:4].decode("ascii", "replace"), int.from_bytes(timer[4:], "little")))
    return CartInfo(
        title=text("title"), artist=text("artist"), cut_id=text("cut_id"), client_id=text("client_id"),
        category=text("category"), classification=text("classification"), out_cue=text("out_cue"),
        start=_when(path, text("start_date"), text("start_time")),
        end=_when(path, text("end_date"), text("end_time")),
        producer_app_id=text("producer_app_id"), producer_app_version=text("producer_app_version"),
        user_def=text("user_def"), level_reference=int.from_bytes(field("level_reference"), "little"),
        timers=tuple(timers), url=text("url"), tag_text=data[_FIXED:].split(b"\0", 1)[0].decode("ascii", "replace"))


def _when(path: Path, date: str, time: str) -> dt.datetime:
    """A cart date and time, read by position so that any separator goes (2012-10-26, 2012/10/26)."""
    try:
        return dt.datetime(int(date[0:4]), int(date[5:7]), int(date[8:10]),
                           int(time[0:2]), int(time[3:5]), int(time[6:8]))
    except ValueError:
        raise InputError(f"{path.name}: its cart chunk's date and time {date!r} {time!r} do not read as "
                         "yyyy-mm-dd hh:mm:ss") from None
