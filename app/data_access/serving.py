"""The serving connection and its cache: the only code that opens a database.

Queries read ``Home.serving`` (the published copy of the marts, never the warehouse) through
one read-only connection per publication, kept open: opening the file costs about 18 ms, a
query on an open connection a fraction of a millisecond, and a page asks a dozen questions. The
pipeline swaps in a new publication at any time (a new file moved over the old one,
``orchestration.publish``); the first query that sees the new file's modification time opens it,
and the old publication is let go, closed once the last query still reading it ends. Results
are cached for a bounded time and keyed by that modification time, so a new publish shows up on
the next rerun. Values always travel as parameters.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pidc.contract import load_contract
from pidc.escaping import sql_string
from pidc.i18n import N_
from pidc.settings import home

# Bounded so an old publication never lingers in memory for long.
CACHE_TTL_SECONDS = 600
MARTS_SCHEMA = "marts"
# In English, marked for translation: shown with ``_``.
EMPTY_STATE_MESSAGE = N_("No published data yet - run `make run`")

REGIONAL_TREND_COLUMNS = [
    "dataset",
    "period_month",
    "member_count_reporting",
    "total_count",
    "previous_month_total",
    "mom_change_pct",
    "same_month_last_year_total",
    "yoy_change_pct",
    # how complete the figure is (mart_regional_completeness)
    "members_expected",
    "coverage_pct",
    "coverage_is_rounded",  # public: rounded down to a multiple of 10
    "completeness_status",  # complete, incomplete or provisional
    "is_latest_month",
    # members behind each change (null for the public when the members differ)
    "mom_members_compared",
    "yoy_members_compared",
    "is_suppressed",
]

# The columns the app reads from each mart of the marts interface; a missing mart reads as an
# empty frame with these columns, so pages show an empty state instead of failing.
MART_COLUMNS: dict[str, list[str]] = {
    "dim_members": [
        "member_code",
        "member_name",
        "sub_region",
        "capital",
        "latitude",
        "longitude",
        "member_since",
        "member_until",
        "is_current_member",
    ],
    "dim_countries": ["country_code", "country_name", "region", "sub_region", "is_group"],
    "dim_ports": ["port_code", "member_code", "port_name", "port_mode", "latitude", "longitude"],
    "dim_datasets": ["dataset", "title", "description", "has_nationality", "has_route"],
    "dim_codes": ["code_list", "code", "label", "sort_order"],
    "dim_member_groups": ["group_code", "group_name", "member_code"],
    "mart_regional_trends": REGIONAL_TREND_COLUMNS,
    "mart_return_totals": [
        "dataset",
        "member_code",
        "period_month",
        "total_count",
        "is_nil_return",
    ],
    "mart_reporting_compliance": [
        "member_code",
        "dataset",
        "period_month",
        "due_date",
        "is_expected",
        "status",
        "is_nil_return",
        "is_corrected",
        "version_count",
        "first_received_at",
        "last_received_at",
    ],
    "mart_dashboard_compliance_rates": [
        "member_code",
        "dataset",
        "expected_returns",
        "received_returns",
        "on_time_returns",
        "late_returns",
        "missing_returns",
        "nil_returns",
        "completeness_rate",
        "timeliness_rate",
    ],
    "mart_dashboard_viewer_compliance": [
        "viewer_kind",
        "viewer_code",
        "period_month",
        "expected_returns",
        "received_returns",
        "on_time_returns",
        "late_returns",
        "missing_returns",
        "completeness_rate",
        "timeliness_rate",
        "missing_members",
    ],
    "mart_dashboard_notable_changes": [
        "dataset",
        "member_code",
        "period_month",
        "total_count",
        "previous_month_total",
        "mom_change_pct",
        "change_rank",
    ],
    "mart_dashboard_settings": ["setting", "value", "description"],
    "mart_member_trends": [
        "dataset",
        "member_code",
        "period_month",
        "total_count",
        "previous_month_total",
        "mom_change_pct",
        "same_month_last_year_total",
        "yoy_change_pct",
        "rolling_3m_total",
        "rolling_12m_total",
        "share_of_regional_pct",
    ],
    "mart_nationality_trends": [
        "dataset",
        "member_code",
        "nationality_code",
        "period_month",
        "total_count",
        "rolling_3m_total",
        "rolling_12m_total",
    ],
    "mart_route_trends": ["member_code", "embarkation_country_code", "period_month", "total_count"],
    "mart_alerts": [
        "alert_id",
        "dataset",
        "member_code",
        "alert_type",
        "dimension_value",
        "period_month",
        "observed_count",
        "baseline_median",
        "baseline_mad",
        "modified_z_score",
        "baseline_months",
        "severity",
        "message",
    ],
    "mart_alert_series": [
        "alert_id",
        "dataset",
        "member_code",
        "period_month",
        "observed_count",
        "has_return",
        "is_alert_month",
        "is_baseline_month",
    ],
    "mart_observations": [
        "member_code",
        "dataset",
        "period_month",
        "topic",
        "note",
        "is_shareable",
    ],
    "mart_submissions": [
        "submission_id",
        "member_code",
        "file_name",
        "file_format",
        "received_at",
        "status",
        "datasets",
        "periods",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "report_path",
        "summary",
    ],
    "mart_unmapped_values": [
        "member_code",
        "dataset",
        "column_name",
        "raw_value",
        "row_count",
        "person_count",
    ],
    "mart_public_aggregates": [
        "dataset",
        "period_month",
        "breakdown",
        "breakdown_value",
        "obs_value",
        "display_value",
        "is_suppressed",
        "conf_status",
        "contributing_members",
    ],
    "mart_sdmx_public": [
        "DATAFLOW",
        "FREQ",
        "REF_AREA",
        "TIME_PERIOD",
        "INDICATOR",
        "BREAKDOWN",
        "BREAKDOWN_VALUE",
        "OBS_VALUE",
        "CONF_STATUS",
    ],
}
DATE_COLUMNS = ("period_month", "due_date")


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


# The name the serving file is attached under in its connection.
SERVING_CATALOG = "serving"
# The publication held open: (serving file, its modification time, the connection that has it
# attached). One: a dashboard reads one serving file, and only its newest publication.
_held: tuple[str, int, duckdb.DuckDBPyConnection] | None = None
_held_lock = threading.Lock()


def _publication(path: str, version: int) -> duckdb.DuckDBPyConnection:
    """The open, read-only connection to the publication of ``path`` whose modification time
    is ``version``; opened on first use, and in place of the one held before.

    The file is attached to an in-memory database of its own rather than opened by name: DuckDB
    hands a second ``connect`` of the same name the database it already has open, which after a
    new publication would still be the old file. The connection held before is not closed here
    (closing it would cut off the queries other sessions are running on it); it is let go, and
    closes when its last query ends.

    While a publication is held, this process cannot open that same file to write to it
    (DuckDB refuses); the pipeline never does, it moves a new file over the old one.
    """
    global _held
    with _held_lock:
        if _held is None or _held[:2] != (path, version):
            connection = duckdb.connect()
            connection.execute(f"attach {sql_string(path)} as {SERVING_CATALOG} (read_only)")
            _held = (path, version, connection)
        return _held[2]


def let_go_of_publication() -> None:
    """Let go of the publication held open: the next query opens the serving file again, as
    after a new publication (``bench.pages`` times a page's first view after one)."""
    global _held
    with _held_lock:
        _held = None


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False)
def _cached_query(
    path: str, version: int, sql: str, params: tuple, language: str = ""
) -> pd.DataFrame:
    # `language` is part of the cache key only: a table read in French (labels of the viewer's
    # language) is never served to an English reader, nor the other way round.
    del language
    publication = _publication(path, version)  # held until this query's rows are read
    cursor = publication.cursor()  # one per query: sessions run in threads of their own
    try:
        cursor.execute(f"use {SERVING_CATALOG}")
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


def query(sql: str, params: tuple = (), *, language: str = "") -> pd.DataFrame:
    """Run one parameterised query on the serving database and return its rows.

    ``language`` is set by readers whose rows depend on the viewer's language (labels): it is
    part of the cache key. Raises ``ServingDatabaseMissingError`` when nothing has been published
    yet.
    """
    path = serving_path()
    version = serving_version(path)
    if version is None:
        raise ServingDatabaseMissingError(
            f"No serving database at {path}. {EMPTY_STATE_MESSAGE} to publish one."
        )
    return _cached_query(str(path), version, sql, tuple(params), language)


def published_tables() -> set[str]:
    """Names of the mart tables in the serving database (empty if nothing is published)."""
    if not has_published_data():
        return set()
    tables = query(
        "select table_name from information_schema.tables where table_schema = ?",
        (MARTS_SCHEMA,),
    )
    return set(tables["table_name"])


def published_columns(table: str) -> set[str]:
    """Names of the columns of mart ``table`` as published."""
    columns = query(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        (MARTS_SCHEMA, table),
    )
    return set(columns["column_name"])


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


def with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its month and date columns as timestamps."""
    for column in DATE_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column].astype("string"), errors="coerce")
    return frame


def fact_columns(dataset: str) -> list[str]:
    """The columns of ``fct_<dataset>``, from the data contract."""
    codes = [f"{column.name}_code" for column in load_contract().dataset(dataset).breakdowns]
    return [
        f"{dataset}_key",
        "member_code",
        "period_month",
        *codes,
        "observed_count",
        "source_row_count",
        "has_unmapped_value",
    ]


def empty(table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """An empty frame with the columns ``table`` would have."""
    if columns is None and table.startswith("fct_"):
        columns = fact_columns(table.removeprefix("fct_"))
    return pd.DataFrame(columns=columns or MART_COLUMNS.get(table, []))


def published_or_default(table: str, columns: list[str], defaults: dict[str, object]) -> str:
    """A select list of ``columns`` from ``table``: a column an older publication lacks is read
    as its default (a literal of this module), so pages keep working until the next publish."""
    present = published_columns(table)
    parts = []
    for column in columns:
        if column in present:
            parts.append(column)
        else:
            default = defaults.get(column)
            literal = "null" if default is None else repr(default).lower()
            parts.append(f"{literal} as {column}")
    return ", ".join(parts)
