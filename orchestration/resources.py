"""The resources every orchestration module shares: the home folder and the warehouse.

The home folder comes from ``PIDC_HOME`` (see ``pidc.settings``), so the Dagster code location,
``make run`` and the tests all point the pipeline at a folder by one environment variable.
Steps that only read the warehouse open it through a read-only ``DuckDBResource``
(``dagster_duckdb``), which also waits and tries again while another process holds DuckDB's lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pidc.settings import Home, home

# Every step that writes the warehouse (intake, dbt) or reads it while a writer might be active
# (publish) runs in this pool: DuckDB allows one writer process or many readers, never both.
WAREHOUSE_POOL = "warehouse"
# The resource key of the read-only warehouse connection (the raw suites, the harmonisation check).
WAREHOUSE_RESOURCE = "warehouse"

# Steps that can fail for a moment (DuckDB's file lock held by another process, a busy disk)
# try again after 15 s, 30 s, 60 s. Steps whose failure is not transient (a failed data test)
# raise ``dg.Failure(allow_retries=False)`` so they are not retried in vain.
TRANSIENT_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


@contextmanager
def stopped_for_good() -> Iterator[None]:
    """A stop inside the block (Ctrl+C on `pidc pipeline` or `make run`: any interrupt Dagster
    delivers to the step) fails the step without a retry.

    Dagster retries a step with a retry policy when an interrupt reaches it: Ctrl+C during the
    first `make run`'s dbt build stopped dbt, then the build started again and the pipeline
    published as if nothing had been asked. The steps with ``TRANSIENT_RETRY_POLICY`` run their
    work in this block; the steps after them are then skipped and nothing is published.
    """
    try:
        yield
    except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt):
        # Without the interrupt's own trace: the stop is the person's, not a fault.
        raise dg.Failure(
            description="Stopped (Ctrl+C, or the run was terminated): not tried again.",
            allow_retries=False,
        ) from None


class HomeResource(dg.ConfigurableResource):
    """The platform's home folder; ``root`` empty means ``$PIDC_HOME`` (or ``.home``)."""

    root: str | None = None

    def get_home(self) -> Home:
        """The ``Home`` layout for this resource's folder, with its sub-folders created."""
        return home(self.root).ensure()


def read_only_duckdb(database: Path) -> DuckDBResource:
    """A ``DuckDBResource`` that opens ``database`` read-only (it never creates the file).

    Read-only connections never take DuckDB's writer lock, so they cannot hold up dbt; they
    still run in the ``warehouse`` pool so they never meet a writer either.
    """
    return DuckDBResource(database=str(database), connection_config={"access_mode": "READ_ONLY"})


def warehouse_resource(home_root: str | Path | None = None) -> DuckDBResource:
    """The read-only warehouse of the home folder ``home_root`` (``$PIDC_HOME`` when empty).

    The path is resolved when the definitions are built, which for ``dagster dev`` is in the
    code location's process, with the same ``PIDC_HOME`` as its runs.
    """
    return read_only_duckdb(home(home_root).warehouse)
