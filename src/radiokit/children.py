"""The child processes a build starts (ffmpeg runs, worker processes), so that a build told to stop
(SIGTERM, Ctrl-C) can stop them all before it cleans up, rather than leave them running."""

from __future__ import annotations

import multiprocessing
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_running: set[subprocess.Popen[bytes]] = set()
_lock = threading.Lock()


@contextmanager
def tracked(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """`process`, known to `stop_all` for as long as the block runs."""
    with _lock:
        _running.add(process)
    try:
        yield process
    finally:
        with _lock:
            _running.discard(process)


def stop_all() -> None:
    """Kill every tracked ffmpeg and terminate every worker process of this process."""
    with _lock:
        running = list(_running)
    for process in running:
        try:
            process.kill()
        except OSError:
            pass
    for child in multiprocessing.active_children():
        child.terminate()
