"""The resources every orchestration module shares: where the platform's home folder is.

The home folder comes from ``PIDC_HOME`` (see ``pidc.settings``), so the Dagster code location,
``make run`` and the tests all point the pipeline at a folder by one environment variable.
"""

import dagster as dg

from pidc.settings import Home, home

# Every step that writes the warehouse (intake, dbt) or reads it while a writer might be active
# (publish) runs in this pool: DuckDB allows one writer process or many readers, never both.
WAREHOUSE_POOL = "warehouse"

# Steps that can fail for a moment (DuckDB's file lock held by another process, a busy disk)
# try again after 15 s, 30 s, 60 s. Steps whose failure is not transient (a failed data test)
# raise ``dg.Failure(allow_retries=False)`` so they are not retried in vain.
TRANSIENT_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


class HomeResource(dg.ConfigurableResource):
    """The platform's home folder; ``root`` empty means ``$PIDC_HOME`` (or ``.home``)."""

    root: str | None = None

    def get_home(self) -> Home:
        """The ``Home`` layout for this resource's folder, with its sub-folders created."""
        return home(self.root).ensure()
