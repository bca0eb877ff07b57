"""Tasks on a Dask cluster: what a build sends there, instead of to local processes, when it names a scheduler.

Dask is imported here only, and only by a build given `--scheduler` (the `cluster` extra). Every worker must
see the paths the building machine sees: the script's folder and its sources, `--out` and the cache
(docs/cluster.md). A task's key names what it makes (a content key and where it goes), so that the
scheduler's task stream tells what ran where. A task writes nothing under its final name while it runs:
it writes under a name of its own attempt and the result is renamed into place, so that a task retried
after its worker died, or run twice by a scheduler that lost sight of a worker, cannot leave a file half
one attempt's and half the other's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import threading
from types import TracebackType
from typing import Any, Callable, TypeVar

from radiokit.errors import ClusterError

# A task whose worker dies is run again elsewhere by the scheduler on its own (up to its allowed-failures);
# these are the retries of a task that raised on a worker that is still there (an OSError on shared storage).
TASK_RETRIES = 2
CONNECT_TIMEOUT_S = 10.0
Item = TypeVar("Item")
Result = TypeVar("Result")


class Cluster:
    """A connection to the scheduler at `address`, for one build or a batch: `with Cluster(address) as cluster:`."""

    def __init__(self, address: str) -> None:
        try:
            import distributed
        except ImportError:
            raise ClusterError("--scheduler needs Dask: pip install 'radiokit[cluster]' (on the workers too)") from None
        self.address = address
        self._distributed = distributed
        self._lock = threading.Lock()
        self._running: set[Any] = set()  # the futures of every run_all under way, on any thread
        self._stopped = False
        # Dask logs a lost connection as errors with tracebacks; the build says it in one line instead,
        # and shows Dask's own warnings with --verbose.
        verbose = logging.getLogger("radiokit").isEnabledFor(logging.DEBUG)
        for handler in logging.getLogger("distributed").handlers:  # the handler Dask's own logging set-up made
            handler.setLevel(logging.WARNING if verbose else logging.CRITICAL + 1)
        try:
            self._client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({_reason(exc)}): start it "
                               "(`dask scheduler`) or give its address with --scheduler / RADIOKIT_SCHEDULER") from None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def stop(self) -> None:
        """Cancel every task under way and refuse new ones: each run_all waiting, on any thread, ends in a
        ClusterError. (Closing the connection instead would leave them waiting for ever: a Dask future
        waits on its client's event loop, which closing stops.)"""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        if running and self._client.status == "running":  # a client that lost its scheduler cancelled them already
            self._client.cancel(running, force=True)

    def close(self) -> None:
        try:
            self._client.close(timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            pass  # the scheduler is gone already: nothing to say goodbye to

    def run_all(self, work: Callable[[Item], Result], items: list[Item], name: Callable[[Item], str],
                done: Callable[[Item, Result], None]) -> None:
        """`work(item)` for every item as a task on the cluster, keyed `radiokit-<name(item)>`; each item and its
        result handed to `done` as it completes. A task's own error ends the run as that error; a lost
        scheduler, or a task that killed every worker it ran on, as a ClusterError."""
        if not items:
            return
        distributed = self._distributed
        with self._lock:
            if self._stopped:
                raise ClusterError("the build was stopped before its tasks were sent to the cluster")
            futures = {self._client.submit(work, item, key=task_key(name(item)), retries=TASK_RETRIES): item
                       for item in items}
            self._running.update(futures)
        try:
            for future in distributed.as_completed(futures, loop=self._client.loop):
                done(futures[future], future.result())
        except (OSError, TimeoutError, concurrent.futures.CancelledError,
                asyncio.CancelledError, distributed.KilledWorker) as exc:
            raise ClusterError(f"the build's tasks on the Dask cluster at {self.address} failed ({_reason(exc)}): "
                               "the previous package is untouched; check the scheduler and its workers, then "
                               "build again") from None
        finally:
            with self._lock:
                self._running.difference_update(futures)
            for future in futures:
                future.release()


def task_key(name: str) -> str:
    """A Dask key from what the task makes; hashed, since keys must stay short whatever a path's length."""
    return f"radiokit-{name.partition(':')[0]}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:24]}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

