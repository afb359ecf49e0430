"""The reporting cycle: settings, the monthly partitions of the compliance report, the month window
a dbt build can be asked to rebuild, and the freshness the cycle implies.

Only ``compliance_reminders`` is partitioned by month: it writes one report per reporting month.
The dbt models and ``serving_database`` are not: every dbt build runs over the whole graph (its
incremental facts decide for themselves which member-months to rebuild) and every publish copies
every mart, so a month partition of them bought nothing (see docs/orchestration.md, "Partitions").
A rebuild of chosen months is one run with ``first_month``/``last_month`` in the dbt step's
config, passed to dbt as ``--vars`` (``pidc_period_start`` / ``pidc_period_end``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import cache

import dagster as dg

from pidc.settings import SEEDS_DIR

REPORTING_SETTINGS_SEED = SEEDS_DIR / "reference" / "reporting_settings.csv"
# The dbt vars naming a window of months to rebuild; the incremental facts read them.
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


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_window_vars(first_month: str, last_month: str) -> dict[str, str]:
    """The dbt ``--vars`` that make a build rebuild the months ``first_month``..``last_month``.

    Months are ``YYYY-MM``; e.g. ``2026-01``, ``2026-06`` -> ``2026-01-01`` and ``2026-06-01``.
    """
    bounds = []
    for month in (first_month, last_month):
        matched = _MONTH.match(month)
        if not matched:
            raise ValueError(f"not a month (YYYY-MM): {month!r}")
        bounds.append(dt.date(int(matched[1]), int(matched[2]), 1))
    first, last = bounds
    if last < first:
        raise ValueError(f"empty month window: {first_month} to {last_month}")
    following = (last + dt.timedelta(days=32)).replace(day=1)
    return dbt_partition_vars(first, following)


def day_after_deadline() -> int:
    """Day of the month after the reporting deadline: returns are due by then.

    Day 28 exists in every month; a deadline later than that still gets its day.
    """
    return min(deadline_day() + 1, 28)


# When the freshness of a reporting cycle is judged: 09:00 the day after the deadline (Apia),
# the moment the compliance job lists missing returns.
CYCLE_CHECK_HOUR = 9
# The shortest reporting cycle (February): a raw table updated within it, before the check,
# received something in the cycle that just closed.
CYCLE_DAYS = 28
# The serving database is published every night; a missed night warns, two missed nights fail.
SERVING_WARN_AFTER = dt.timedelta(hours=26)
SERVING_FAIL_AFTER = dt.timedelta(hours=50)


def cycle_deadline_cron() -> str:
    """Cron of the moment a reporting cycle is judged (the day after each deadline, 09:00)."""
    return f"0 {CYCLE_CHECK_HOUR} {day_after_deadline()} * *"


def raw_freshness_policy() -> dg.FreshnessPolicy:
    """Raw tables: some return arrived during each monthly reporting cycle.

    Fails when, at 09:00 the day after a reporting deadline, intake has not updated the table in
    the 28 days before: no member submitted anything all cycle (landing not watched, intake
    failing, or the sensor off).
    """
    return dg.FreshnessPolicy.cron(
        deadline_cron=cycle_deadline_cron(),
        lower_bound_delta=dt.timedelta(days=CYCLE_DAYS),
        timezone=reporting_timezone(),
    )


def serving_freshness_policy() -> dg.FreshnessPolicy:
    """The serving database: published every night (lateness follows the calendar) and after
    every intake, so a day without a publish warns and two fail.
    """
    return dg.FreshnessPolicy.time_window(
        fail_window=SERVING_FAIL_AFTER, warn_window=SERVING_WARN_AFTER
    )
