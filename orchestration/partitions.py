"""Monthly partitions: the reporting month is the unit of a backfill.

The dbt and publish assets are partitioned by calendar month from the first reporting month
(``first_reporting_month`` in the reporting-settings seed) and use ``BackfillPolicy.single_run()``,
so a backfill of any range of months is ONE run: one dbt build whose ``--vars`` carry the window
(``pidc_period_start`` / ``pidc_period_end``, the first days of the first and last month), one
publish. A run with no partition chosen (nightly build, ``make run``) covers every month.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from pidc.settings import SEEDS_DIR

REPORTING_SETTINGS_SEED = SEEDS_DIR / "reference" / "reporting_settings.csv"
# The dbt vars naming the partition window; models that build incrementally by month read them.
PERIOD_START_VAR = "pidc_period_start"
PERIOD_END_VAR = "pidc_period_end"


@cache
def reporting_settings() -> dict[str, str]:
    """The reporting settings seed (deadline day, first reporting month, time zone) as a dict.

    Read from the committed seed file, so the schedules follow the same settings as dbt.
    """
    with REPORTING_SETTINGS_SEED.open(encoding="utf-8", newline="") as stream:
        return {row["setting"]: row["value"] for row in csv.DictReader(stream)}


def reporting_timezone() -> str:
    """The Secretariat's time zone, in which deadlines and month boundaries fall."""
    return reporting_settings().get("deadline_timezone", "Pacific/Apia")


def deadline_day() -> int:
    """Day of the month after a reporting month by which its return is due."""
    return int(reporting_settings().get("deadline_day_of_next_month", "15"))


@cache
def monthly_partitions() -> dg.MonthlyPartitionsDefinition:
    """One partition per reporting month, from the first reporting month to the last full one."""
    first_month = reporting_settings().get("first_reporting_month", "2017-01")
    return dg.MonthlyPartitionsDefinition(
        start_date=f"{first_month}-01", timezone=reporting_timezone()
    )


def dbt_partition_vars(window_start: dt.date, window_end: dt.date) -> dict[str, str]:
    """The dbt ``--vars`` for a run over ``[window_start, window_end)`` (a Dagster time window).

    ``window_end`` is exclusive (the first day after the window, as Dagster gives it); the vars
    name the first day of the first and of the last month covered, the way ``period_month``
    columns hold them, e.g. Jan..Jun 2026 -> ``2026-01-01`` and ``2026-06-01``.
    """
    if window_end <= window_start:
        raise ValueError(f"empty partition window: {window_start} to {window_end}")
    last_day = window_end - dt.timedelta(days=1)
    return {
        PERIOD_START_VAR: window_start.replace(day=1).isoformat(),
        PERIOD_END_VAR: last_day.replace(day=1).isoformat(),
    }


def partition_range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Run tags that make one run cover the partitions ``first_key`` to ``last_key``."""
    return {ASSET_PARTITION_RANGE_START_TAG: first_key, ASSET_PARTITION_RANGE_END_TAG: last_key}


def all_months_tags(current_time: dt.datetime | None = None) -> dict[str, str]:
    """Run tags for one run over every reporting month up to the last complete one.

    The nightly build and ``make run`` use this: corrections can arrive for any past month.
    """
    partitions = monthly_partitions()
    keys = partitions.get_partition_keys(current_time=current_time)
    if not keys:
        raise ValueError("No reporting month has ended yet; nothing to build.")
    return partition_range_tags(keys[0], keys[-1])
