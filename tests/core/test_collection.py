"""The garbage collector run less often during a batch (pidc.collection), and always restored."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from pidc.collection import THRESHOLDS, collecting_less


@pytest.fixture(autouse=True)
def default_collector():
    """Each test starts from Python's defaults and leaves them so, whatever it did."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_within_the_block_collections_are_rarer_and_older_objects_left_out():
    before = Cycle()
    with collecting_less():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
        # What existed before the block is frozen: a full collection does not look at it.
        assert all(obj is not before for obj in gc.get_objects())
        # Garbage made within the block is still collected.
        made = Cycle()
        made_ref = weakref.ref(made)
        del made
        gc.collect()
        assert made_ref() is None
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
    assert any(obj is before for obj in gc.get_objects())


def test_an_error_in_the_block_restores_the_collector():
    gc.set_threshold(500, 5, 5)
    with pytest.raises(RuntimeError), collecting_less():
        raise RuntimeError("a batch failed")
    assert gc.get_threshold() == (500, 5, 5)
    assert gc.get_freeze_count() == 0


def test_nested_and_concurrent_blocks_restore_only_when_the_last_one_ends():
    inside, release = threading.Event(), threading.Event()

    def other_session() -> None:
        with collecting_less():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_session)
    with collecting_less():
        thread.start()
        assert inside.wait(10)
        with collecting_less():
            assert gc.get_threshold() == THRESHOLDS
        assert gc.get_threshold() == THRESHOLDS  # the inner block ended, the others have not
    assert gc.get_threshold() == THRESHOLDS  # the other thread is still in its block
    assert gc.get_freeze_count() > 0
    release.set()
    thread.join(10)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_decorated_function_collects_less_at_each_call():
    seen = []

    @collecting_less()
    def batch() -> None:
        seen.append(gc.get_threshold())

    batch()
    batch()
    assert seen == [THRESHOLDS, THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)


def test_what_became_garbage_within_the_block_is_collected_after_it():
    old = Cycle()
    old_ref = weakref.ref(old)
    with collecting_less():
        del old
        gc.collect()
        assert old_ref() is not None  # frozen: left out of collections within the block
    gc.collect()
    assert old_ref() is None  # nothing is kept for good
