"""The dashboard's only door to data: short read-only queries on the published serving database.

Every query opens ``Home.serving`` read-only and closes it straight after, so the pipeline can
swap in a new publication at any time. Results are cached for a bounded time and keyed by the
serving file's modification time, so a new publish shows up on the next rerun.
"""

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pidc.settings import home

# Bounded so an old publication never lingers in memory for long.
CACHE_TTL_SECONDS = 600
MARTS_SCHEMA = "marts"
EMPTY_STATE_MESSAGE = "No published data yet - run `make run`"

REGIONAL_TREND_COLUMNS = [
    "dataset",
    "period_month",
    "member_count_reporting",
    "total_count",
    "previous_month_total",
    "mom_change_pct",
    "same_month_last_year_total",
    "yoy_change_pct",
]


class ServingDatabaseMissingError(FileNotFoundError):
    """Nothing has been published yet, so there is no serving database to read."""


def serving_path() -> Path:
    """Where the published serving database is (``$PIDC_HOME/serving.duckdb``)."""
    return home().serving


def serving_version(path: Path | None = None) -> int | None:
    """The serving file's modification time in nanoseconds, or None if it does not exist."""
    path = path or serving_path()
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def has_published_data() -> bool:
    """True once the pipeline has published a serving database."""
    return serving_version() is not None


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def _cached_query(path: str, version: int, sql: str, params: tuple) -> pd.DataFrame:
    # `version` is part of the cache key only: a new publication gets a new mtime.
    del version
    connection = duckdb.connect(path, read_only=True)
    try:
        return connection.execute(sql, list(params)).df()
    finally:
        connection.close()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run one parameterised query on the serving database and return its rows.

    Raises ``ServingDatabaseMissingError`` when nothing has been published yet.
    """
    path = serving_path()
    version = serving_version(path)
    if version is None:
        raise ServingDatabaseMissingError(
            f"No serving database at {path}. {EMPTY_STATE_MESSAGE} to publish one."
        )
    return _cached_query(str(path), version, sql, tuple(params))


def published_tables() -> set[str]:
    """Names of the mart tables in the serving database (empty if nothing is published)."""
    if not has_published_data():
        return set()
    tables = query(
        "select table_name from information_schema.tables where table_schema = ?",
        (MARTS_SCHEMA,),
    )
    return set(tables["table_name"])


def published_at() -> datetime | None:
    """When the serving database was published, if it records it."""
    if not has_published_data():
        return None
    try:
        rows = query("select max(published_at) as published_at from main.publication")
    except duckdb.CatalogException:
        return None
    value = rows["published_at"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def regional_trends(dataset: str | None = None) -> pd.DataFrame:
    """Rows of ``mart_regional_trends`` (one per dataset and month), oldest month first.

    ``period_month`` comes back as a timestamp (first day of the month). An empty frame with the
    expected columns is returned when the mart is not published.
    """
    if "mart_regional_trends" not in published_tables():
        return pd.DataFrame(columns=REGIONAL_TREND_COLUMNS)
    columns = ", ".join(REGIONAL_TREND_COLUMNS)
    sql = f"select {columns} from {MARTS_SCHEMA}.mart_regional_trends"
    params: tuple = ()
    if dataset is not None:
        sql += " where dataset = ?"
        params = (dataset,)
    trends = query(sql + " order by dataset, period_month", params)
    trends["period_month"] = pd.to_datetime(trends["period_month"].astype(str))
    return trends
