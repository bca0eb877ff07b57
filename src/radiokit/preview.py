"""`index.html`: the package as people like to look at it, in any browser, from the package folder.

For each language: a player, the loudness figures, a timeline of the segments, the chapter list
(a click seeks the player) and the transcript, which follows playback. One self-contained file:
inline style and script, no network, works from file://. Every text from the script is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Sequence

from radiokit.display import clock
from radiokit.manifest import LanguageEntry
from radiokit.script import LANGUAGE_NAMES, Script
from radiokit.transcript import segment_label

KIND_COLOURS = {"speech": "#3b6ea5", "music": "#c28a2c", "clip": "#6a9a4b", "silence": "#bbbbbb"}

_STYLE = """
body { font: 16px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
section { border-top: 1px solid #ddd; margin-top: 2rem; padding-top: 1rem; }
audio { width: 100%; }
.figures { color: #555; }
.timeline { width: 100%; height: 2.2rem; display: block; margin: .5rem 0 1rem; cursor: pointer; }
.chapters button { font: inherit; background: none; border: 0; padding: .1rem .3rem; cursor: pointer; text-align: left; }
.chapters .time, .transcript .time { font-variant-numeric: tabular-nums; color: #777; margin-right: .5rem; }
.current { background: #fff3c4; }
.transcript p { margin: .3rem 0; padding: .2rem .4rem; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
"""

# Seeks on a click, and marks the segment being heard as the audio plays.
_SCRIPT = """
for (const section of document.querySelectorAll("section[data-language]")) {
  const player = section.querySelector("audio");
  const marked = section.querySelectorAll("[data-start]");
  for (const element of section.querySelectorAll("[data-seek]")) {
    element.addEventListener("click", () => { player.currentTime = Number(element.dataset.start); });
  }
  const follow = () => {
    const now = player.currentTime;
    for (const element of marked) {
      const on = now >= Number(element.dataset.start) && now < Number(element.dataset.end);
      element.classList.toggle("current", on);
    }
  };
  player.addEventListener("timeupdate", follow);
  player.addEventListener("seeked", follow);
  follow();
}
"""


def write_index(folder: Path, script: Script, entries: Sequence[LanguageEntry]) -> Path:
    programme = script.programme
    title = escape(programme.title.get(entries[0].language, programme.series) if entries else programme.series)
    legend = "".join(f'<span><i style="background:{colour}"></i>{kind}</span>' for kind, colour in KIND_COLOURS.items())
    parts = [
        "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(programme.series)}: {title}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(programme.series)}</h1>",
        f'<p class="legend">{legend}</p>',
        *[_language(script, entry) for entry in entries],
        f"<script>{_SCRIPT}</script>", "</body>", "</html>",
    ]
    path = folder / "index.html"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _ends(entry: LanguageEntry) -> list[float]:
    """Each segment ends where it ends, or where the next (crossfaded) one starts, if sooner."""
    ends = [s.start_s + s.duration_s for s in entry.segments]
    return [min(end, after.start_s) for end, after in zip(ends, entry.segments[1:])] + ends[-1:]


def _language(script: Script, entry: LanguageEntry) -> str:
    language = entry.language
    name = LANGUAGE_NAMES.get(language, language)
    title = escape(script.programme.title.get(language, script.programme.series))
    ends = _ends(entry)
    figures = (f"{clock(entry.duration_s)} &middot; {entry.integrated_lufs:.1f} LUFS integrated &middot; "
               f"true peak {entry.true_peak_dbtp:.1f} dBTP &middot; loudness range {entry.loudness_range_lu:.1f} LU")
    chapters = "".join(
        f'<li><button data-seek data-start="{s.start_s:.3f}" data-end="{end:.3f}">'
        f'<span class="time">{clock(s.start_s)}</span><span class="title">{escape(s.title)}</span></button></li>'
        for s, end in zip(entry.segments, ends))
    transcript = "".join(
        f'<p data-start="{s.start_s:.3f}" data-end="{end:.3f}"><span class="time">{clock(s.start_s)}</span>'
        f"<b>{escape(s.title)}</b> {escape(segment_label(s))}</p>"
        for s, end in zip(entry.segments, ends))
    return "\n".join([
        f'<section data-language="{escape(language)}" lang="{escape(language)}">',
        f"<h2>{escape(name)}: {title}</h2>",
        f'<audio controls preload="metadata" src="{escape(entry.file)}"></audio>',
        f'<p class="figures">{figures}</p>',
        _timeline(entry, ends),
        "<h3>Chapters</h3>", f'<ol class="chapters">{chapters}</ol>',
        "<h3>Transcript</h3>", f'<div class="transcript">{transcript}</div>',
        "</section>",
    ])


def _timeline(entry: LanguageEntry, ends: list[float]) -> str:
    """The segments as blocks along the programme, coloured by kind; a click on one seeks to it."""
    total = max(entry.duration_s, 1e-6)
    blocks = "".join(
        f'<rect data-seek data-start="{s.start_s:.3f}" x="{100 * s.start_s / total:.3f}" y="0" '
        f'width="{max(100 * (end - s.start_s) / total, 0.2):.3f}" height="10" '
        f'fill="{KIND_COLOURS.get(s.kind, "#888")}"><title>{escape(s.title)} ({clock(s.start_s)})</title></rect>'
        for s, end in zip(entry.segments, ends))
    return (f'<svg class="timeline" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
            f'aria-label="segments of the programme">{blocks}</svg>')
