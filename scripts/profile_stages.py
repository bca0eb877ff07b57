"""Time each stage of one language's build, to see where a long programme's time goes.

    python scripts/profile_stages.py /tmp/radiokit-bench/bench-120x1.yaml

Runs the pipeline's own stage functions in order, without the cache, and prints the wall time and
the CPU time (this process and its children) of each, and the loudness of each programme encode,
which shows when an encode had to be repeated.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from radiokit import encode as encode_module
from radiokit import master, render, tag, versions
from radiokit.progress import Silent
from radiokit.script import load_script


def _cpu_s() -> tuple[float, float]:
    """User and system CPU time of this process, its finished children (ffmpeg, the rendering workers) and
    its live ones (the measuring workers live on to the end of the build, and count only once reaped)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    user, system = own.ru_utime + children.ru_utime, own.ru_stime + children.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():  # fields[1] is the parent's pid; [11] and [12] utime and stime
            user, system = user + int(fields[11]) / tick, system + int(fields[12]) / tick
    return user, system


def main(path: str) -> None:
    started, cpu = time.perf_counter(), _cpu_s()

    def lap(label: str) -> None:
        nonlocal started, cpu
        user, system = _cpu_s()
        print(f"{label:<56} {time.perf_counter() - started:6.1f} s wall {user + system - sum(cpu):6.1f} s CPU "
              f"({system - cpu[1]:4.1f} s system)")
        started, cpu = time.perf_counter(), _cpu_s()

    script = load_script(Path(path))
    work = Path(tempfile.mkdtemp())
    (work / "package").mkdir()
    rendered = render.render_segments(script, work, None, 2, Silent())
    version = versions.lay_out(script, script.languages[0], rendered, None)
    lap("probe and render (2 worker processes)")
    encode, measure_outputs = master.encode_outputs, master.measure_outputs
    measure_rendered, codec_shift_lu = master.measure_rendered, master.codec_shift_lu

    def timed_pcm(*args: object, **kwargs: object) -> object:
        measured = measure_rendered(*args, **kwargs)  # type: ignore[arg-type]
        lap("the programme's loudness from its segments' profiles")
        return measured

    def timed_trial(*args: object) -> float:
        shift = codec_shift_lu(*args)  # type: ignore[arg-type]
        lap(f"trial encode of excerpts (codec shift {shift:+.2f} LU)")
        return shift

    def timed_encode(*args: object, **kwargs: object) -> None:
        encode(*args, **kwargs)  # type: ignore[arg-type]
        lap("encode pass (programme and segments)")

    def timed_measure(programme: encode_module.Output, *args: object) -> object:
        measured = measure_outputs(programme, *args)  # type: ignore[arg-type]
        lap(f"decode and measure the programme ({measured[programme.path].integrated_lufs:.2f} LUFS) and segments")
        return measured

    master.encode_outputs, master.measure_outputs = timed_encode, timed_measure  # type: ignore[assignment]
    master.measure_rendered, master.codec_shift_lu = timed_pcm, timed_trial  # type: ignore[assignment]
    [entry], _ = versions.master_versions(script, [version], work / "package", None, 2, Silent())
    tag.tag_language(script, entry.language, work / "package", entry)
    lap("tag")


if __name__ == "__main__":
    main(sys.argv[1])
