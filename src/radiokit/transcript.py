"""What a listener reads: each segment's words as spoken (or what is heard), as text and as WebVTT captions."""

from __future__ import annotations

import html
from pathlib import Path

from radiokit.display import clock
from radiokit.manifest import LanguageEntry, SegmentEntry, companion_files
from radiokit.script import LANGUAGE_NAMES, Script


def edge_words(text: str, count: int = 4) -> tuple[str, str]:
    """The first and last few words of a spoken segment (in-words and out-words of a rundown)."""
    words = text.split()
    if not words:
        return "", ""
    return " ".join(words[:count]), " ".join(words[-count:])


def segment_label(entry: SegmentEntry) -> str:
    if entry.kind == "music":
        return "[music]"
    if entry.kind == "silence":
        return "[silence]"
    if entry.kind == "clip" and not entry.text:
        return f"[interview in {LANGUAGE_NAMES.get(entry.clip_language or '', 'the original language')}]"
    return entry.text


def transcript_text(entry: LanguageEntry) -> str:
    """One block per segment: start time and title, then the words as spoken (or what is heard)."""
    return "\n\n".join(f"[{clock(seg.start_s)}] {seg.title}\n{segment_label(seg)}" for seg in entry.segments)


def write_text(folder: Path, script: Script, entry: LanguageEntry) -> Path:
    path = folder / companion_files(entry.language)["text"]
    title = script.programme.title.get(entry.language, script.programme.series)
    path.write_text(f"{title}\n\n{transcript_text(entry)}\n", encoding="utf-8")
    return path


def _vtt_time(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def write_vtt(folder: Path, entry: LanguageEntry) -> Path:
    """WebVTT captions: one cue per segment, ending where the next (perhaps crossfaded) one starts."""
    path = folder / companion_files(entry.language)["vtt"]
    cues = ["WEBVTT", ""]
    for seg, after in zip(entry.segments, [*entry.segments[1:], None]):
        end = seg.start_s + seg.duration_s if after is None else min(seg.start_s + seg.duration_s, after.start_s)
        # A line break would end the cue; in cue text "&" and "<" start escapes and tags, and ">" would let
        # "-->" through, so all three are written as character references.
        text = html.escape(" ".join(f"{seg.title}: {segment_label(seg)}".split()), quote=False)
        cues += [str(seg.index), f"{_vtt_time(seg.start_s)} --> {_vtt_time(end)}", text, ""]
    path.write_text("\n".join(cues), encoding="utf-8")
    return path
