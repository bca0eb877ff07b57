"""Write ID3 tags and chapters (CHAP under one CTOC) to an MP3 with mutagen."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from mutagen.id3 import (APIC, CHAP, COMM, CTOC, ID3, TALB, TCOP, TDRC, TIT2, TLAN, TPE1, TPUB, TRCK, TXXX, USLT,
                         CTOCFlags, Encoding, PictureType)
from mutagen.id3._tags import save_frame

from radiokit.package import LanguageEntry, segment_label, transcript_text
from radiokit.script import Script

ISO_639_2 = {"ru": "rus", "tg": "tgk"}
# ffmpeg drops a chapter whose sub-frame is 128 bytes or more; UTF-16 titles of 50 characters stay well below.
MAX_CHAPTER_TITLE = 50
MAX_TOC_ENTRIES = 255


class _ChaptersInOrderID3(ID3):
    """mutagen writes frames sorted by size, but ffmpeg lists chapters in file order: keep CHAP frames last,
    in programme order (mutagen's `_write` and `save_frame` are internal, hence the pinned mutagen range)."""

    def _write(self, config: Any) -> bytearray:
        chapters = self.getall("CHAP")
        self.delall("CHAP")
        try:
            data = super()._write(config)
        finally:
            for chapter in chapters:
                self.add(chapter)
        return data + b"".join(save_frame(chapter, config=config) for chapter in chapters)


@dataclass(frozen=True)
class Chapter:
    element_id: str
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Tags:
    title: str
    album: str
    artist: str
    language: str
    track: str | None = None
    date: dt.date | None = None
    publisher: str | None = None
    copyright: str | None = None
    comment: str | None = None
    transcript: str | None = None  # USLT: the words as spoken
    artwork: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)  # TXXX description -> value


def write_tags(path: Path, tags: Tags, chapters: list[Chapter], id3_version: str) -> None:
    """Replace any tag in `path` with these frames, saved as ID3v2.3 or v2.4."""
    enc = Encoding.UTF16 if id3_version == "2.3" else Encoding.UTF8
    lang = ISO_639_2.get(tags.language, "und")
    id3 = _ChaptersInOrderID3()
    id3.add(TIT2(encoding=enc, text=tags.title))
    id3.add(TALB(encoding=enc, text=tags.album))
    id3.add(TPE1(encoding=enc, text=tags.artist))
    id3.add(TLAN(encoding=enc, text=lang))
    if tags.track:
        id3.add(TRCK(encoding=enc, text=tags.track))
    if tags.date:
        # update_to_v23 below turns TDRC into TYER + TDAT for v2.3.
        id3.add(TDRC(encoding=enc, text=tags.date.isoformat()))
    if tags.publisher:
        id3.add(TPUB(encoding=enc, text=tags.publisher))
    if tags.copyright:
        id3.add(TCOP(encoding=enc, text=tags.copyright))
    if tags.comment:
        id3.add(COMM(encoding=enc, lang=lang, desc="", text=tags.comment))
    if tags.transcript:
        id3.add(USLT(encoding=enc, lang=lang, desc="", text=tags.transcript))
    if tags.artwork:
        mime = "image/png" if tags.artwork.suffix.lower() == ".png" else "image/jpeg"
        id3.add(APIC(encoding=enc, mime=mime, type=PictureType.COVER_FRONT, desc="", data=tags.artwork.read_bytes()))
    for description, value in tags.extra.items():
        id3.add(TXXX(encoding=enc, desc=description, text=value))
    if chapters:
        ids = [c.element_id for c in chapters]
        if len(ids) > MAX_TOC_ENTRIES:
            # A CTOC counts its entries in one byte: longer programmes get a top-level CTOC of
            # ordered sub-tables, each of up to 255 chapters.
            groups = [ids[i : i + MAX_TOC_ENTRIES] for i in range(0, len(ids), MAX_TOC_ENTRIES)]
            for number, group in enumerate(groups, start=1):
                id3.add(CTOC(element_id=f"toc{number}", flags=CTOCFlags.ORDERED, child_element_ids=group,
                             sub_frames=[]))
            ids = [f"toc{number}" for number in range(1, len(groups) + 1)]
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                     sub_frames=[TIT2(encoding=enc, text=tags.title[:MAX_CHAPTER_TITLE])]))
        for chapter in chapters:
            id3.add(CHAP(element_id=chapter.element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                         start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                         sub_frames=[TIT2(encoding=enc, text=chapter.title[:MAX_CHAPTER_TITLE])]))
    if id3_version == "2.3":
        id3.update_to_v23()  # save(v2_version=3) alone would keep v2.4-only frames such as TDRC
    id3.save(str(path), v1=0, v2_version=3 if id3_version == "2.3" else 4, v23_sep="/")


def tag_language(script: Script, language: str, folder: Path, entry: LanguageEntry) -> None:
    """Tag one language's programme (with chapters) and its segment files."""
    programme = script.programme
    funder = {"FUNDER": programme.funder[language]} if language in programme.funder else {}
    base = Tags(
        title=programme.title.get(language, programme.series), album=programme.series,
        artist=programme.presenter.get(language, ""), language=language, track=programme.episode,
        date=programme.date, publisher=programme.publisher, copyright=programme.copyright,
        comment=programme.description.get(language), artwork=programme.artwork,
        extra={"LOUDNESS_LUFS": f"{entry.integrated_lufs:.1f}", "TRUE_PEAK_DBTP": f"{entry.true_peak_dbtp:.1f}",
               **funder},
        transcript=transcript_text(entry))
    # A crossfaded segment's chapter starts where it becomes audible; the one before ends there.
    ends = [s.start_s + s.duration_s for s in entry.segments]
    ends = [min(end, after.start_s) for end, after in zip(ends, entry.segments[1:])] + ends[-1:]
    chapters = [Chapter(f"ch{s.index:02d}", s.title, round(s.start_s * 1000), round(end * 1000))
                for s, end in zip(entry.segments, ends)]
    version = script.delivery.id3_version
    write_tags(folder / entry.file, base, chapters, version)
    total = len(entry.segments)
    for seg in entry.segments:
        segment_tags = dataclasses.replace(
            base, title=seg.title, track=f"{seg.index}/{total}", transcript=segment_label(seg),
            extra={**funder, **({"LOUDNESS_LUFS": f"{seg.integrated_lufs:.1f}"} if np.isfinite(seg.integrated_lufs)
                                 else {})})
        write_tags(folder / seg.file, segment_tags, [], version)
