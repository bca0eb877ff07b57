"""The rendering processes: every item's work done with the context, which travels to each process once."""

from __future__ import annotations

from typing import Any

import pytest

from radiokit import workers


class Counted:
    """A context that counts how often it is pickled (in this process, where sending pickles it)."""

    pickled = 0

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def __getstate__(self) -> dict[str, Any]:
        Counted.pickled += 1
        return self.__dict__


def shifted(context: Counted, item: int) -> int:
    return context.offset + item


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_item_is_worked_with_the_context_sent_once_per_process(jobs: int) -> None:
    Counted.pickled = 0
    results: dict[int, int] = {}
    workers.run_all(shifted, Counted(100), list(range(40)), jobs, results.__setitem__)
    assert results == {item: 100 + item for item in range(40)}
    assert Counted.pickled <= jobs  # forked workers inherit it (0); spawned ones are sent it once each
