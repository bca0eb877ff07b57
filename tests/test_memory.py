"""Memory follows what a segment uses, not the length of its sources (a bed far longer than its segment)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from media import PEAK_MB, tone, write_long_tone, write_wav

PROGRAM = PEAK_MB + """
import sys
from radiokit.script import load_script
from radiokit.render import render
script = load_script(sys.argv[1])
rendered = render(script, script.segments[0], "ru")
print(len(rendered.audio) / 1000, peak_mb())
"""


def test_a_long_bed_under_a_short_segment_is_decoded_only_as_far_as_it_is_heard(tmp_path: Path) -> None:
    """40 minutes of bed (8 kHz mono: 38 MB on disk, 850 MB once decoded at 44.1 kHz stereo, 5.8 GB of peak
    memory when it was decoded whole) under a take of 3 s: the rendering process stays far under that."""
    write_long_tone(tmp_path / "bed.wav", 40)
    write_wav(tmp_path / "take.wav", tone(440.0, 3.0, 44100, -12.0), 44100)
    (tmp_path / "episode.yaml").write_text(
        "format: radiokit/1\nprogramme: {series: S, title: T}\nlanguages: [ru]\nsegments:\n"
        "  - id: link\n    text: Проверка.\n    take: take.wav\n    bed: {music: bed.wav, preroll: 2, postroll: 1}\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path / "episode.yaml")], capture_output=True,
                          text=True, timeout=300, check=True)
    seconds, peak_mb = done.stdout.split()
    assert abs(float(seconds) - (2 + 3 + 1 + 1)) < 0.1  # preroll, take, postroll, fade-out
    assert int(peak_mb) < 1000, peak_mb  # 250 to 500 MB seen: the libraries, not the bed
