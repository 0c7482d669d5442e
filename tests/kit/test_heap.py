"""A serving process's heap once started: its garbage collected, the rest kept out of collections."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from croupier.kit.heap import YOUNGEST_THRESHOLD, freeze_started_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def restored_collector() -> Iterator[None]:
    """The test process's collector as it was: frozen objects are never freed otherwise."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_what_start_up_holds_is_frozen_and_what_it_dropped_is_freed() -> None:
    held = [_Node()]
    dropped = weakref.ref(_Node())

    frozen = freeze_started_heap()

    assert frozen == gc.get_freeze_count() > 0
    assert dropped() is None, "start-up's garbage was frozen instead of freed"
    assert not any(found is held for found in gc.get_objects()), "a held object is still walked"
    assert gc.get_threshold()[0] == YOUNGEST_THRESHOLD


@pytest.mark.usefixtures("restored_collector")
def test_what_requests_leave_behind_is_still_collected() -> None:
    freeze_started_heap()
    later = weakref.ref(_Node())

    gc.collect()

    assert later() is None
