"""ID3 tags and chapters (CHAP under one CTOC) on an MP3 with mutagen: written by a build, read back by verify."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import (APIC, CHAP, COMM, CTOC, ID3, TALB, TCOP, TDRC, TIT2, TLAN, TPE1, TPUB, TRCK, TXXX, USLT,
                         CTOCFlags, Encoding, PictureType)
from mutagen.id3._tags import save_frame
from mutagen.id3._util import ID3SaveConfig

from radiokit.files import image_info, image_mime
from radiokit.manifest import LanguageEntry
from radiokit.playout import Cues
from radiokit.script import Script
from radiokit.transcript import segment_label, transcript_text

ISO_639_2 = {"ru": "rus", "tg": "tgk"}
MAX_CHAPTER_TITLE = 50  # characters
# ffmpeg drops a v2.4 chapter whose sub-frame is 128 bytes or more: 50 Cyrillic letters fit, 50 dashes
# (3 bytes each in UTF-8) would not, so titles are also shortened to fit the bytes.
MAX_SUB_FRAME_BYTES = 127
MAX_TOC_ENTRIES = 255
TEXT_FRAMES = ("TIT2", "TALB", "TPE1", "TRCK", "TLAN", "TPUB", "TCOP")


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


def _encoding(id3_version: str) -> int:
    return Encoding.UTF16 if id3_version == "2.3" else Encoding.UTF8


def chapter_title(title: str, id3_version: str) -> str:
    """The title as a chapter carries it: at most 50 characters, and a TIT2 sub-frame under 128 bytes."""
    config = ID3SaveConfig(3 if id3_version == "2.3" else 4, "/")
    short = title[:MAX_CHAPTER_TITLE]
    while len(save_frame(TIT2(encoding=_encoding(id3_version), text=short), config=config)) > MAX_SUB_FRAME_BYTES:
        short = short[:-1]
    return short


def chapter_marks(titles: Sequence[str], starts_s: Sequence[float], durations_s: Sequence[float]) -> list[Chapter]:
    """One chapter per segment. A crossfaded segment's chapter starts where it becomes audible; the one
    before ends there, so that chapters never overlap."""
    ends = [start + duration for start, duration in zip(starts_s, durations_s)]
    ends = [min(end, after) for end, after in zip(ends, starts_s[1:])] + ends[-1:]
    return [Chapter(f"ch{number:02d}", title, round(start * 1000), round(end * 1000))
            for number, (title, start, end) in enumerate(zip(titles, starts_s, ends), start=1)]


def programme_chapters(entry: LanguageEntry) -> list[Chapter]:
    """A language's programme chapters, one per segment: the ID3 chapters, and the feed's JSON chapters."""
    segments = entry.segments
    return chapter_marks([s.title for s in segments], [s.start_s for s in segments], [s.duration_s for s in segments])


def write_tags(path: Path, tags: Tags, chapters: list[Chapter], id3_version: str) -> None:
    """Replace any tag in `path` with these frames, saved as ID3v2.3 or v2.4."""
    enc = _encoding(id3_version)
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
        id3.add(APIC(encoding=enc, mime=image_mime(tags.artwork), type=PictureType.COVER_FRONT, desc="",
                     data=tags.artwork.read_bytes()))
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
                     sub_frames=[TIT2(encoding=enc, text=chapter_title(tags.title, id3_version))]))
        for chapter in chapters:
            id3.add(CHAP(element_id=chapter.element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                         start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                         sub_frames=[TIT2(encoding=enc, text=chapter_title(chapter.title, id3_version))]))
    if id3_version == "2.3":
        id3.update_to_v23()  # save(v2_version=3) alone would keep v2.4-only frames such as TDRC
    id3.save(str(path), v1=0, v2_version=3 if id3_version == "2.3" else 4, v23_sep="/")


REPLAYGAIN_REFERENCE_LUFS = -18.0  # ReplayGain 2.0


def loudness_frames(integrated_lufs: float, true_peak_dbtp: float) -> dict[str, str]:
    """The measured figures as TXXX values; digital silence measures -inf and says so."""
    return {"LOUDNESS_LUFS": f"{integrated_lufs:.1f}", "TRUE_PEAK_DBTP": f"{true_peak_dbtp:.1f}"}


def playout_frames(cues: Cues | None, integrated_lufs: float, true_peak_dbtp: float) -> dict[str, str]:
    """What web-radio automation (Liquidsoap, AzuraCast) reads from TXXX: cue points in seconds and the
    ReplayGain 2.0 track gain (to -18 LUFS) and peak (linear, the true peak), from what was measured."""
    frames = {}
    if cues is not None:
        frames.update({"liq_cue_in": f"{cues.audio_start_s:.3f}", "liq_cue_out": f"{cues.audio_end_s:.3f}",
                       "liq_cross_start_next": f"{cues.segue_s:.3f}"})
    if math.isfinite(integrated_lufs):
        frames.update({"replaygain_track_gain": f"{REPLAYGAIN_REFERENCE_LUFS - integrated_lufs:+.2f} dB",
                       "replaygain_track_peak": f"{10 ** (true_peak_dbtp / 20):.6f}"})
    return frames


def tag_language(script: Script, language: str, folder: Path, entry: LanguageEntry) -> None:
    """Tag one language's programme (with chapters) and its segment files."""
    programme = script.programme
    funder = {"FUNDER": programme.funder[language]} if language in programme.funder else {}
    base = Tags(
        title=programme.title.get(language, programme.series), album=programme.series,
        artist=programme.presenter.get(language, ""), language=language, track=programme.episode,
        date=programme.date, publisher=programme.publisher, copyright=programme.copyright,
        comment=programme.description.get(language), artwork=programme.artwork,
        extra={**loudness_frames(entry.integrated_lufs, entry.true_peak_dbtp), **funder,
               **playout_frames(entry.cues, entry.integrated_lufs, entry.true_peak_dbtp)},
        transcript=transcript_text(entry))
    segments = entry.segments
    chapters = programme_chapters(entry)
    version = script.delivery.id3_version
    write_tags(folder / entry.file, base, chapters, version)
    for seg in segments:
        segment_tags = dataclasses.replace(
            base, title=seg.title, track=f"{seg.index}/{len(segments)}", transcript=segment_label(seg),
            extra={**loudness_frames(seg.integrated_lufs, seg.true_peak_dbtp), **funder,
                   **playout_frames(seg.cues, seg.integrated_lufs, seg.true_peak_dbtp)})
        write_tags(folder / seg.file, segment_tags, [], version)


@dataclass(frozen=True)
class ReadBack:
    """An MP3's tag as written by `write_tags`, read back."""

    version: str  # "2.3" or "2.4"
    frames: dict[str, str]  # TEXT_FRAMES, "date" (ISO), "COMM", "USLT", "APIC" (its MIME type), "TXXX:<description>"
    chapters: tuple[Chapter, ...]  # in the order of the top-level table of contents
    problems: tuple[str, ...]  # what is wrong with the table of contents


def read_tags(path: Path) -> ReadBack | None:
    """The file's ID3 tag, or None when it has none (or none that can be read)."""
    try:
        id3 = ID3(path)  # v2.3's TYER and TDAT are read as v2.4's TDRC
    except MutagenError:
        return None
    frames = {name: "/".join(map(str, id3[name].text)) for name in TEXT_FRAMES if name in id3}
    if "TDRC" in id3:
        frames["date"] = str(id3["TDRC"].text[0])
    for kind in ("COMM", "USLT"):
        found = [frame for frame in id3.getall(kind) if frame.desc == ""]
        if found:
            frames[kind] = str(found[0].text if kind == "USLT" else found[0].text[0])
    if id3.getall("APIC"):
        picture = id3.getall("APIC")[0]
        image = image_info(picture.data)
        # The MIME type the frame declares, and what its bytes are where they disagree.
        frames["APIC"] = picture.mime if image and image[0] == picture.mime else \
            f"{picture.mime} (but its data is {image[0] if image else 'no PNG or JPEG image'})"
    frames.update({f"TXXX:{frame.desc}": "/".join(frame.text) for frame in id3.getall("TXXX")})
    chapters, problems = _table_of_contents(id3)
    return ReadBack(f"2.{id3.version[1]}", frames, tuple(chapters), tuple(problems))


def _table_of_contents(id3: ID3) -> tuple[list[Chapter], list[str]]:
    """The chapters as the one top-level, ordered CTOC lists them (through its sub-tables)."""
    chaps = {frame.element_id: frame for frame in id3.getall("CHAP")}
    tocs = {frame.element_id: frame for frame in id3.getall("CTOC")}
    tops = [toc for toc in tocs.values() if toc.flags & CTOCFlags.TOP_LEVEL]
    if not tops:
        return [], ["no top-level CTOC frame (table of contents)"] if chaps else []
    problems = [] if len(tops) == 1 else [f"{len(tops)} top-level CTOC frames, expected one"]
    listed: list[Chapter] = []
    seen = {tops[0].element_id}

    def walk(toc: Any) -> None:
        if not toc.flags & CTOCFlags.ORDERED:
            problems.append(f"CTOC {toc.element_id!r} is not marked as ordered")
        for child in toc.child_element_ids:
            if child in seen:  # also stops a table that lists itself
                problems.append(f"CTOC {toc.element_id!r} lists {child!r} a second time")
            elif child in chaps:
                seen.add(child)
                chap = chaps[child]
                titles = chap.sub_frames.getall("TIT2")
                listed.append(Chapter(child, str(titles[0].text[0]) if titles else "", chap.start_time, chap.end_time))
            elif child in tocs:
                seen.add(child)
                walk(tocs[child])
            else:
                problems.append(f"CTOC {toc.element_id!r} lists {child!r}, which is in no CHAP or CTOC frame")

    walk(tops[0])
    unlisted = sorted(set(chaps) - seen)
    if unlisted:
        problems.append(f"CHAP {', '.join(unlisted)} not in the table of contents")
    return listed, problems
