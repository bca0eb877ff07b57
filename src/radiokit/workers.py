"""The worker processes a build runs: one pool renders segments, another decodes and measures encoded files.

Processes rather than threads: pydub, the espeak-ng library and the meter's own Python hold the GIL.
They are forked where the building process runs no other thread, so that they share its imported
libraries instead of importing their own; spawned otherwise, since a fork copies only the forking
thread and could inherit a lock another thread held.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import logging
import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from radiokit import audio_io
from radiokit.progress import show_log

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
Item = TypeVar("Item")
Result = TypeVar("Result")
Context = TypeVar("Context")
_context: Any = None  # in a rendering process: what every task of its run_all shares (see _in_context)


@contextmanager
def rendering_pool(jobs: int, context: object = None) -> Iterator[ProcessPoolExecutor]:
    """Processes that render segments, each given `context` once. The filters the meter and the limiter
    import on first use are imported first, for forked workers to share."""
    importlib.import_module("scipy.signal")
    importlib.import_module("scipy.ndimage")
    starting = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    level = logging.getLogger("radiokit").getEffectiveLevel()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=starting, initializer=_start_rendering_worker,
                             initargs=(level, audio_io.probed(), context)) as pool:
        yield pool


@contextmanager
def measuring_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """Processes that decode and measure encoded files, forked now, while this process runs one thread.
    None (the caller measures on threads) for one job, or where a fork would not be safe."""
    if jobs <= 1 or threading.active_count() > 1:
        yield None
        return
    level = logging.getLogger("radiokit").getEffectiveLevel()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_start_measuring_worker, initargs=(level,)) as pool:
        pool.submit(int).result()  # the first task forks every worker: before mastering starts its threads
        yield pool


def _start_measuring_worker(log_level: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not keep its parent's handler
    show_log(log_level)
    _return_freed_memory()


def _start_rendering_worker(log_level: int, probes: dict[tuple, audio_io.StreamInfo], context: object) -> None:
    """A rendering process ends when told to, logs as the build does, knows the sources the build has probed
    already and the context its tasks share, and gives back the memory of each segment once it is written."""
    global _context
    _context = context
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not keep its parent's handler
    show_log(log_level)
    audio_io.remember_probes(probes)
    _return_freed_memory()


def _return_freed_memory() -> None:
    """glibc's adaptive mmap threshold rises to the size of freed audio buffers, after which it serves them
    from the heap and may keep the freed memory; mapping every buffer on its own instead faults its pages
    in afresh each time. Fixed thresholds do both: buffers up to 64 MiB (a minute of stereo float64) come
    from the heap and are reused, and free memory past 64 MiB at its top goes back to the system (at 16 MiB,
    the heap shrank and grew again around every segment, and its pages were faulted in afresh)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 64 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator keeps its own ways


def run_all(work: Callable[[Context, Item], Result], context: Context, items: list[Item], jobs: int,
            done: Callable[[Item, Result], None]) -> None:
    """`work(context, item)` for every item, in worker processes where there is more than one job and item,
    handing each item and its result to `done` as it completes (in any order). A failure stops the run with
    its own error. The context (a script) goes to each process once, not with every item: pickled with
    each, a script of 600 segments took 4 s of CPU to send 600 times."""
    if jobs <= 1 or len(items) <= 1:
        for item in items:
            done(item, work(context, item))
        return
    with rendering_pool(min(jobs, len(items)), context) as pool:
        futures = {pool.submit(_in_context, work, item): item for item in items}
        for future in as_completed(futures):
            done(futures[future], future.result())


def _in_context(work: Callable[[Any, Item], Result], item: Item) -> Result:
    return work(_context, item)
