"""Progress of a pipeline run in this process, for the person at the terminal.

The steps (intake, dbt build, publish) report to :data:`current`, which does nothing unless a
command installs a reporter with :func:`reporting` (``pidc pipeline`` and ``make run`` show a
progress bar with files, models and time left). Runs launched by Dagster's daemon or UI report
to the silent default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Reporter(Protocol):
    def start(self, step: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def finish(self, step: str, summary: str = "") -> None: ...


class Silent:
    """The default: reports nowhere."""

    def start(self, step: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None

    def finish(self, step: str, summary: str = "") -> None:
        return None


current: Reporter = Silent()


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Send this process's pipeline progress to ``reporter`` while the block runs."""
    global current
    previous, current = current, reporter
    try:
        yield reporter
    finally:
        current = previous
