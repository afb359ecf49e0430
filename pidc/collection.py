"""Python's cyclic garbage collector, run less often while a process works through a batch.

Intake allocates millions of short-lived objects (frames, reports, Great Expectations' metric
graphs). With Python's defaults a collection starts every 700 allocations, and every hundredth
one walks every object the process holds, most of them made by its imports (about 290,000:
pandas, Great Expectations, DuckDB, Dagster). Over the 9,622 files of a 120-month rebuild that
was 38 full collections of about 0.24 s and 11 s of collecting in all, a sixth of intake
(docs/benchmarks.md, "The garbage collector during intake").

:func:`collecting_less` freezes the objects alive when it starts (``gc.freeze``: collections
leave them out; reference counting still frees them) and starts a collection every 10,000
allocations instead of 700, in the same proportions for the older generations. Both are undone
when the last block using it in the process ends (several threads may be in one: the Submit
page's sessions share a process).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between collections of the youngest generation; the older ones keep Python's
# proportions (each collected once per 10 collections of the one below).
THRESHOLDS = (10_000, 10, 10)

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] = ()  # the thresholds to restore, set when the first block starts


@contextmanager
def collecting_less() -> Iterator[None]:
    """Within the block, collect garbage less often and leave alone what existed before it."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*THRESHOLDS)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
