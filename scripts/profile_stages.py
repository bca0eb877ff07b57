"""Time each stage of one language's build, to see where a long programme's time goes.

    python scripts/profile_stages.py /tmp/radiokit-bench/bench-120x1.yaml

Runs the pipeline's own stage functions in order, without the cache, and prints the wall time of
each (and the loudness of each programme encode, which shows when an encode had to be repeated).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from radiokit import master, pipeline, timeline
from radiokit.progress import Silent
from radiokit.script import load_script


def main(path: str) -> None:
    started = time.perf_counter()

    def lap(label: str) -> None:
        nonlocal started
        print(f"{label:<44} {time.perf_counter() - started:6.1f} s")
        started = time.perf_counter()

    script = load_script(Path(path))
    work = Path(tempfile.mkdtemp())
    (work / "package").mkdir()
    version = pipeline._render_versions(script, work, None, 2, Silent())[0]
    lap("probe and render (2 worker processes)")
    rate, channels = script.delivery.sample_rate, script.delivery.channels
    master.measure_stream(timeline.stream(version.placed, channels), rate, channels)
    lap("measure the programme as PCM")
    encode, measure_file, measure_files = master.encode_outputs, master.measure_file, master.measure_files

    def timed_encode(*args: object, **kwargs: object) -> None:
        encode(*args, **kwargs)  # type: ignore[arg-type]
        lap("encode pass (programme and segments)")

    def timed_measure(path: Path, *args: object) -> object:
        measured = measure_file(path, *args)  # type: ignore[arg-type]
        if "segments" not in path.parts:  # segment files are timed together, below
            lap(f"decode and measure {path.name} ({measured.integrated_lufs:.2f} LUFS)")
        return measured

    def timed_segments(*args: object) -> object:
        measured = measure_files(*args)  # type: ignore[arg-type]
        lap("decode and measure the segment files")
        return measured

    master.encode_outputs, master.measure_file, master.measure_files = timed_encode, timed_measure, timed_segments
    pipeline._deliver_version(script, version, work / "package", None, Silent())
    lap("tag")


if __name__ == "__main__":
    main(sys.argv[1])
