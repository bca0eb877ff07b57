#!/usr/bin/env python3
"""Benchmark a batch of episodes built here against the same batch built on a Dask cluster.

    python scripts/bench_cluster.py                  # 4 episodes, 2 workers of 1 thread
    python scripts/bench_cluster.py --episodes 8 --workers 2

The batch is N copies of the bundled bilingual example (each its own episode number, so its own slug),
built with one `radiokit build FOLDER --no-cache` (with a cache, every copy after the first would come
from it): once with local worker processes, once on a
cluster started the way docs/cluster.md says (`dask scheduler`, `dask worker ADDRESS --nworkers W
--nthreads 1`). Reported: wall time, episodes per minute, their ratio, and the peak memory (PSS) of the
whole process trees, the scheduler's and workers' included for the cluster. The cluster's start-up is
not timed; the workers' memory at rest is counted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from bench import EXAMPLE, timed_command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_batch(folder: Path, episodes: int) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    for number in range(episodes):
        copy = folder / f"episode-{number + 1:02d}"
        shutil.copytree(EXAMPLE, copy)
        script = copy / "episode.yaml"
        text = script.read_text(encoding="utf-8")
        script.write_text(text.replace("episode: 12", f"episode: {100 + number}", 1), encoding="utf-8")
    return folder


def build_command(batch: Path, out: Path, *extra: str) -> list[str]:
    shutil.rmtree(out, ignore_errors=True)
    return [sys.executable, "-m", "radiokit", "build", str(batch), "--out", str(out), "--no-cache", "--quiet", *extra]


def start_cluster(workers: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                               "--no-dashboard"], stderr=subprocess.DEVNULL)
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, [scheduler, worker]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/radiokit-bench-cluster"))
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    batch = make_batch(args.work / "batch", args.episodes)
    results = [timed_command("local", build_command(batch, args.work / "out-local"))]
    print(f"{'local':<8} {results[0]['wall_s']:8.1f} s  {results[0]['peak_mb']:8.0f} MB", flush=True)
    address, processes = start_cluster(args.workers)
    try:
        results.append(timed_command("cluster", build_command(batch, args.work / "out-cluster", "--scheduler", address),
                                     also=tuple(process.pid for process in processes)))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    print(f"{'cluster':<8} {results[1]['wall_s']:8.1f} s  {results[1]['peak_mb']:8.0f} MB")
    for result in results:
        result["episodes_per_min"] = 60 * args.episodes / float(result["wall_s"])
    print(f"throughput cluster / local: {results[1]['episodes_per_min'] / results[0]['episodes_per_min']:.2f}x "
          f"({args.episodes} episodes, {args.workers} workers of 1 thread)")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
