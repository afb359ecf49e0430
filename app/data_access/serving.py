"""The dashboard's only door to data, and the only place where access rules are enforced.

Every query opens ``Home.serving`` read-only and closes it straight after, so the pipeline can
swap in a new publication at any time. Results are cached for a bounded time and keyed by the
serving file's modification time, so a new publish shows up on the next rerun.

Every function that returns member-level figures takes the :class:`Viewer` and adds the viewer's
access clause (built from ``marts.mart_sharing_access``) to its SQL; values always travel as
parameters, and table and column names only ever come from the data contract or this module,
never from widget text. Pages never filter for security themselves. The public viewer gets only
``mart_public_aggregates`` (small cells already suppressed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from ingestion.report import ValidationReport
from pidc.contract import load_contract
from pidc.settings import home

# Bounded so an old publication never lingers in memory for long.
CACHE_TTL_SECONDS = 600
MARTS_SCHEMA = "marts"
EMPTY_STATE_MESSAGE = "No published data yet - run `make run`"
REGION_CODE = "PACIFIC"
SECRETARIAT = "SECRETARIAT"
PUBLIC = "PUBLIC"

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

# Reference tables hold no member figures: anyone, the public included, may read them.
REFERENCE_TABLES = (
    "dim_members",
    "dim_countries",
    "dim_ports",
    "dim_datasets",
    "dim_codes",
    "dim_member_groups",
)
DATE_COLUMNS = ("period_month", "due_date")


class ServingDatabaseMissingError(FileNotFoundError):
    """Nothing has been published yet, so there is no serving database to read."""


class AccessDeniedError(PermissionError):
    """The viewer asked for something their role does not allow; the message says why."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: decides every access clause. Built by the sign-in, passed to every query.

    ``role`` is 'secretariat', 'member' (a member's officer, ``member_code`` set), 'group'
    (a Profiling or Maritime Group participant, ``group_code`` set) or 'public' (not signed in).
    """

    role: str = "public"
    member_code: str | None = None
    group_code: str | None = None
    name: str = "Public visitor"

    @classmethod
    def public(cls) -> Viewer:
        """A visitor who has not signed in."""
        return cls()

    @property
    def is_public(self) -> bool:
        return self.role == "public"

    @property
    def is_secretariat(self) -> bool:
        return self.role == "secretariat"

    @property
    def label(self) -> str:
        """How the sidebar names the viewer's role."""
        if self.role == "member":
            return f"{self.member_code} officer"
        if self.role == "group":
            return f"{self.group_code} group member"
        return {"secretariat": "PIDC Secretariat", "public": "Public (not signed in)"}[self.role]


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


def _published_columns(table: str) -> set[str]:
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


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    for column in DATE_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column].astype("string"), errors="coerce")
    return frame


def _fact_columns(dataset: str) -> list[str]:
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


def _empty(table: str, columns: list[str] | None = None) -> pd.DataFrame:
    if columns is None and table.startswith("fct_"):
        columns = _fact_columns(table.removeprefix("fct_"))
    return pd.DataFrame(columns=columns or MART_COLUMNS.get(table, []))


# --- access rules --------------------------------------------------------------------------


def _access_clause(viewer: Viewer, alias: str, dataset: str | None) -> tuple[str, list]:
    """SQL (and its parameters) that keeps only rows of ``alias`` the viewer may see.

    ``alias`` must have ``member_code``; it must have ``dataset`` too unless ``dataset`` (a
    contract dataset name, sent as a parameter) is given.
    """
    dataset_sql = f"{alias}.dataset" if dataset is None else "?"
    dataset_params = [] if dataset is None else [dataset]
    tables = published_tables()
    if viewer.is_secretariat:
        return "true", []
    if viewer.role == "member" and viewer.member_code:
        if "mart_sharing_access" not in tables:
            # Without the sharing rules a member sees its own figures only.
            return f"{alias}.member_code = ?", [viewer.member_code]
        clause = (
            f"({alias}.member_code = ? or exists (select 1 from {MARTS_SCHEMA}.mart_sharing_access"
            f" s where s.viewer = ? and s.can_view and s.owner_member_code = {alias}.member_code"
            f" and s.dataset = {dataset_sql}))"
        )
        return clause, [viewer.member_code, viewer.member_code, *dataset_params]
    if viewer.role == "group" and viewer.group_code:
        if not {"mart_sharing_access", "dim_member_groups"} <= tables:
            return "false", []
        # A group sees what every other member of the group may see: what the owner shares with
        # the group or with all members (its own share with itself does not count).
        clause = (
            f"exists (select 1 from {MARTS_SCHEMA}.mart_sharing_access s"
            f" join {MARTS_SCHEMA}.dim_member_groups g on g.member_code = s.viewer"
            f" where g.group_code = ? and s.owner_member_code = {alias}.member_code"
            f" and s.dataset = {dataset_sql} and s.viewer <> s.owner_member_code"
            " group by s.owner_member_code having bool_and(s.can_view))"
        )
        return clause, [viewer.group_code, *dataset_params]
    return "false", []


def _member_level(
    viewer: Viewer,
    table: str,
    *,
    dataset: str | None = None,
    dataset_column: bool = True,
    equals: dict[str, object] | None = None,
    within: dict[str, list] | None = None,
    period_from: pd.Timestamp | None = None,
    period_to: pd.Timestamp | None = None,
    order_by: str = "period_month",
    extra_clause: tuple[str, list] | None = None,
    limit: int | None = None,
    select: str = "t.*",
) -> pd.DataFrame:
    """Rows of a member-level mart that ``viewer`` may see, filtered by parameterised values.

    Filter keys must be published columns of the table (checked, never trusted). ``limit`` keeps
    only the first rows (``limit=1`` asks whether there is anything at all); ``select`` is the
    select list, a literal of this module (``"distinct t.period_month"``), never user input.
    """
    if viewer.is_public or table not in published_tables():
        return _empty(table)
    columns = _published_columns(table)
    equals = {k: v for k, v in (equals or {}).items() if v is not None}
    within = {k: v for k, v in (within or {}).items() if v}
    unknown = (set(equals) | set(within)) - columns
    if unknown:
        raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
    access_dataset = dataset if not dataset_column else None
    clause, params = _access_clause(viewer, "t", access_dataset)
    where = [clause]
    if dataset is not None and dataset_column:
        where.append("t.dataset = ?")
        params.append(dataset)
    for column, value in equals.items():
        where.append(f"t.{column} = ?")
        params.append(value)
    for column, values in within.items():
        where.append(f"t.{column} in ({', '.join('?' for _ in values)})")
        params.extend(values)
    if period_from is not None:
        where.append("t.period_month >= ?")
        params.append(pd.Timestamp(period_from).date())
    if period_to is not None:
        where.append("t.period_month <= ?")
        params.append(pd.Timestamp(period_to).date())
    if extra_clause:
        where.append(extra_clause[0])
        params.extend(extra_clause[1])
    order = order_by if re.split(r"[ ,]", order_by)[0] in columns else "1"
    sql = f"select {select} from {MARTS_SCHEMA}.{table} t where {' and '.join(where)} order by {order}"
    if limit is not None:
        sql += f" limit {int(limit)}"
    return _with_dates(query(sql, tuple(params)))


def _check_dataset(dataset: str) -> str:
    # Raises KeyError for anything the contract does not declare, so a table name built from
    # it can only ever be one of the contract's fact tables.
    return load_contract().dataset(dataset).name


def visible_members(viewer: Viewer, dataset: str | None = None) -> list[str]:
    """Member codes whose figures the viewer may see (for ``dataset``, or for any dataset)."""
    if viewer.is_public:
        return []
    members = reference("dim_members")
    if members.empty:
        return []
    codes = sorted(members["member_code"])
    if viewer.is_secretariat:
        return codes
    if "mart_sharing_access" not in published_tables():
        return [viewer.member_code] if viewer.member_code in codes else []
    datasets = [dataset] if dataset else load_contract().dataset_names
    visible = set()
    for name in datasets:
        clause, params = _access_clause(viewer, "m", name)
        rows = query(
            f"select m.member_code from {MARTS_SCHEMA}.dim_members m where {clause}",
            tuple(params),
        )
        visible |= set(rows["member_code"])
    return [code for code in codes if code in visible]


def may_submit_for(viewer: Viewer) -> list[str]:
    """Members the viewer may submit returns for: a member officer their own member only."""
    if viewer.role == "member" and viewer.member_code:
        return [viewer.member_code]
    if viewer.is_secretariat:
        # The Secretariat keys in returns that members send by e-mail.
        members = reference("dim_members")
        return sorted(members["member_code"]) if not members.empty else []
    return []


# --- reference data (no member figures) ----------------------------------------------------


def reference(table: str) -> pd.DataFrame:
    """A reference table (members, countries, ports, datasets, codes, groups), or an empty frame."""
    if table not in REFERENCE_TABLES:
        raise ValueError(f"{table} is not a reference table")
    if table not in published_tables():
        return _empty(table)
    return _with_dates(query(f"select * from {MARTS_SCHEMA}.{table}"))


def code_labels(code_list: str) -> dict[str, str]:
    """Code -> label for a code list (``dim_codes``), or for countries (``country``)."""
    if code_list == "country":
        countries = reference("dim_countries")
        return dict(zip(countries["country_code"], countries["country_name"], strict=False))
    codes = reference("dim_codes")
    codes = codes[codes["code_list"] == code_list]
    return dict(zip(codes["code"], codes["label"], strict=False))


# --- member-level figures ------------------------------------------------------------------


def facts(
    viewer: Viewer,
    dataset: str,
    *,
    period_from: pd.Timestamp | None = None,
    period_to: pd.Timestamp | None = None,
    members: list[str] | None = None,
    codes: dict[str, list[str]] | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Rows of ``fct_<dataset>`` the viewer may see; ``codes`` filters ``<column>_code`` columns.

    The measure is ``observed_count`` (``person_count`` in older publications is renamed).
    """
    table = f"fct_{_check_dataset(dataset)}"
    within = {"member_code": members or [], **(codes or {})}
    rows = _member_level(
        viewer,
        table,
        dataset=dataset,
        dataset_column=False,
        within=within,
        period_from=period_from,
        period_to=period_to,
        limit=limit,
    )
    if "person_count" in rows.columns and "observed_count" not in rows.columns:
        rows = rows.rename(columns={"person_count": "observed_count"})
    return rows


def fact_months(
    viewer: Viewer, dataset: str, *, members: list[str] | None = None
) -> list[pd.Timestamp]:
    """The months with rows of ``fct_<dataset>`` the viewer may see, oldest first.

    Lets a page choose a window of months before it reads any fact rows.
    """
    rows = _member_level(
        viewer,
        f"fct_{_check_dataset(dataset)}",
        dataset=dataset,
        dataset_column=False,
        within={"member_code": members or []},
        select="distinct t.period_month",
    )
    return list(rows["period_month"])


def return_totals(
    viewer: Viewer,
    dataset: str | None = None,
    member: str | None = None,
    *,
    limit: int | None = None,
):
    """``mart_return_totals`` rows (one per received return) the viewer may see."""
    return _member_level(
        viewer, "mart_return_totals", dataset=dataset, equals={"member_code": member}, limit=limit
    )


def member_trends(
    viewer: Viewer,
    dataset: str | None = None,
    member: str | None = None,
    *,
    limit: int | None = None,
):
    """``mart_member_trends`` rows the viewer may see."""
    return _member_level(
        viewer, "mart_member_trends", dataset=dataset, equals={"member_code": member}, limit=limit
    )


def nationality_trends(
    viewer: Viewer,
    dataset: str | None = None,
    member: str | None = None,
    nationality: str | None = None,
):
    """``mart_nationality_trends`` rows the viewer may see."""
    return _member_level(
        viewer,
        "mart_nationality_trends",
        dataset=dataset,
        equals={"member_code": member, "nationality_code": nationality},
    )


def route_trends(viewer: Viewer, member: str | None = None):
    """``mart_route_trends`` (document-fraud routes) rows the viewer may see."""
    return _member_level(
        viewer,
        "mart_route_trends",
        dataset="document_fraud",
        dataset_column=False,
        equals={"member_code": member},
    )


def reporting_compliance(
    viewer: Viewer,
    dataset: str | None = None,
    member: str | None = None,
    *,
    limit: int | None = None,
):
    """``mart_reporting_compliance`` rows (one per expected or received return) the viewer may see."""
    return _member_level(
        viewer,
        "mart_reporting_compliance",
        dataset=dataset,
        equals={"member_code": member},
        order_by="period_month, member_code",
        limit=limit,
    )


def alerts(
    viewer: Viewer,
    dataset: str | None = None,
    member: str | None = None,
    *,
    limit: int | None = None,
):
    """``mart_alerts`` rows the viewer may see, newest month first."""
    return _member_level(
        viewer,
        "mart_alerts",
        dataset=dataset,
        equals={"member_code": member},
        order_by="period_month desc",
        limit=limit,
    )


def alert_series(viewer: Viewer, alert_id: str) -> pd.DataFrame:
    """The history behind one alert the viewer may see (``mart_alert_series``), oldest first:
    ``observed_count`` is 0 in a month whose return did not include the value and null (a gap)
    in a month without a return."""
    return _member_level(viewer, "mart_alert_series", equals={"alert_id": alert_id})


def observations(
    viewer: Viewer, period_month: pd.Timestamp | None = None, *, limit: int | None = None
):
    """Observation notes the viewer may see: beyond its own member, shareable notes only."""
    shareable: tuple[str, list] | None = None
    if viewer.role == "member":
        shareable = ("(t.is_shareable or t.member_code = ?)", [viewer.member_code])
    elif not viewer.is_secretariat:
        shareable = ("t.is_shareable", [])
    return _member_level(
        viewer,
        "mart_observations",
        period_from=period_month,
        period_to=period_month,
        extra_clause=shareable,
        limit=limit,
    )


def _own_records_clause(viewer: Viewer) -> tuple[str, list]:
    # The ledger and unmapped values describe a member's own files: nobody else's business.
    if viewer.is_secretariat:
        return "true", []
    if viewer.role == "member" and viewer.member_code:
        return "t.member_code = ?", [viewer.member_code]
    return "false", []


def _own_records(viewer: Viewer, table: str, order_by: str) -> pd.DataFrame:
    if viewer.is_public or table not in published_tables():
        return _empty(table)
    clause, params = _own_records_clause(viewer)
    columns = _published_columns(table)
    order = order_by if re.split(r"[ ,]", order_by)[0] in columns else "1"
    sql = f"select t.* from {MARTS_SCHEMA}.{table} t where {clause} order by {order}"
    return _with_dates(query(sql, tuple(params)))


def submissions(viewer: Viewer) -> pd.DataFrame:
    """The submissions ledger: everything for the Secretariat, a member its own files only."""
    return _own_records(viewer, "mart_submissions", "received_at desc")


def unmapped_values(viewer: Viewer) -> pd.DataFrame:
    """Values the harmonisation could not map: the Secretariat all, a member its own."""
    return _own_records(viewer, "mart_unmapped_values", "row_count desc")


def validation_report(viewer: Viewer, submission_id: str) -> ValidationReport | str | None:
    """The validation report of a submission the viewer may see, if it is on disk.

    The report as written (report.json), so the page renders it with today's escaping whenever
    it was written; only a folder without report.json gives its report.md as plain text, which
    the page must show without rendering it as Markdown.
    """
    ledger = submissions(viewer)
    if ledger.empty or submission_id not in set(ledger["submission_id"].astype(str)):
        return None
    reports = home().reports
    folder = (reports / submission_id).resolve()
    # The id comes from the ledger, but never let it point outside the reports folder.
    if reports.resolve() not in folder.parents:
        return None
    document = folder / "report.json"
    if document.is_file():
        try:
            return ValidationReport.from_dict(json.loads(document.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            pass  # unreadable: fall back to the Markdown, shown as plain text
    markdown = folder / "report.md"
    return markdown.read_text(encoding="utf-8") if markdown.is_file() else None


# --- regional figures ----------------------------------------------------------------------


def public_aggregates(dataset: str | None = None, breakdown: str | None = None) -> pd.DataFrame:
    """``mart_public_aggregates`` rows: suppressed cells carry no value, only '<5'."""
    table = "mart_public_aggregates"
    if table not in published_tables():
        return _empty(table)
    where, params = ["true"], []
    if dataset is not None:
        where.append("dataset = ?")
        params.append(dataset)
    if breakdown is not None:
        where.append("breakdown = ?")
        params.append(breakdown)
    sql = (
        f"select * from {MARTS_SCHEMA}.{table} where {' and '.join(where)} "
        "order by dataset, period_month, breakdown, breakdown_value"
    )
    rows = _with_dates(query(sql, tuple(params)))
    # Defence in depth: a suppressed cell never carries its value out of this module.
    rows.loc[rows["is_suppressed"].astype(bool), "obs_value"] = None
    return rows


def sdmx_public() -> pd.DataFrame:
    """The public aggregates as SDMX-CSV rows (``mart_sdmx_public``)."""
    table = "mart_sdmx_public"
    if table not in published_tables():
        return _empty(table)
    return query(f"select * from {MARTS_SCHEMA}.{table} order by 1, 4, 5, 6, 7")


def _published_or_default(table: str, columns: list[str], defaults: dict[str, object]) -> str:
    """A select list of ``columns`` from ``table``: a column an older publication lacks is read
    as its default (a literal of this module), so pages keep working until the next publish."""
    present = _published_columns(table)
    parts = []
    for column in columns:
        if column in present:
            parts.append(column)
        else:
            default = defaults.get(column)
            literal = "null" if default is None else repr(default).lower()
            parts.append(f"{literal} as {column}")
    return ", ".join(parts)


def _completeness_defaults(trends: pd.DataFrame) -> pd.DataFrame:
    """Types of the completeness columns, and the latest month when the mart does not say."""
    for column in ("completeness_status",):
        trends[column] = trends[column].astype("object")
    trends["is_latest_month"] = trends["is_latest_month"].astype("boolean")
    if not trends.empty and not trends["is_latest_month"].fillna(False).any():
        # A publication from before completeness was computed: its newest month, as it was.
        trends["is_latest_month"] = trends["period_month"] == trends["period_month"].max()
    return trends


def regional_trends(dataset: str | None = None) -> pd.DataFrame:
    """Rows of ``mart_regional_trends`` (one per dataset and month, provisional months included),
    oldest month first, in ``REGIONAL_TREND_COLUMNS``.

    Unsuppressed: only :func:`regional_series` decides who gets these. An empty frame with the
    expected columns is returned when the mart is not published.
    """
    table = "mart_regional_trends"
    if table not in published_tables():
        return pd.DataFrame(columns=REGIONAL_TREND_COLUMNS)
    source = [
        c for c in REGIONAL_TREND_COLUMNS if c not in ("coverage_is_rounded", "is_suppressed")
    ]
    columns = _published_or_default(table, source, {"completeness_status": "complete"})
    sql = f"select {columns}, false as coverage_is_rounded, false as is_suppressed from {MARTS_SCHEMA}.{table}"
    params: tuple = ()
    if dataset is not None:
        sql += " where dataset = ?"
        params = (dataset,)
    trends = query(sql + " order by dataset, period_month", params)
    trends["period_month"] = pd.to_datetime(trends["period_month"].astype(str))
    return _completeness_defaults(trends[REGIONAL_TREND_COLUMNS])


def public_regional_trends() -> pd.DataFrame:
    """Rows of ``mart_public_regional_trends`` in ``REGIONAL_TREND_COLUMNS``: released months
    only, the published (suppressed) Pacific totals, coverage rounded down to a multiple of 10,
    and changes only where the same members reported in both months."""
    table = "mart_public_regional_trends"
    if table not in published_tables():
        return pd.DataFrame(columns=REGIONAL_TREND_COLUMNS)
    sql = (
        "select dataset, period_month, members_reporting as member_count_reporting, total_count,"
        " previous_month_total, mom_change_pct, same_month_last_year_total, yoy_change_pct,"
        " members_expected, coverage_at_least_pct as coverage_pct, true as coverage_is_rounded,"
        " completeness_status, is_latest_month,"
        " case when is_mom_same_members then members_reporting end as mom_members_compared,"
        " case when is_yoy_same_members then members_reporting end as yoy_members_compared,"
        f" is_suppressed from {MARTS_SCHEMA}.{table} order by dataset, period_month"
    )
    trends = query(sql)
    trends["period_month"] = pd.to_datetime(trends["period_month"].astype(str))
    return _completeness_defaults(trends[REGIONAL_TREND_COLUMNS])


def regional_series(viewer: Viewer) -> pd.DataFrame:
    """Regional totals per dataset and month, in ``REGIONAL_TREND_COLUMNS``.

    The Secretariat gets ``mart_regional_trends``, provisional months included. Everyone else
    gets ``mart_public_regional_trends``: the published Pacific totals of released months only
    (a month where one member reported could otherwise reveal that member's unshared figure, and
    a provisional month is never public before its deadline); a suppressed total is null.
    """
    if viewer.is_secretariat:
        return regional_trends()
    return public_regional_trends()


def _download_loaders(viewer: Viewer) -> dict[str, Callable[..., pd.DataFrame]]:
    """Every table the viewer could download, by file-friendly name: ``load(limit=None)``."""
    loaders: dict[str, Callable[..., pd.DataFrame]] = {
        "public_aggregates": lambda limit=None: public_aggregates()
    }
    if viewer.is_public:
        return loaders
    for dataset in load_contract().dataset_names:
        loaders[f"fct_{dataset}"] = lambda limit=None, dataset=dataset: facts(
            viewer, dataset, limit=limit
        )
    for name, load in (
        ("return_totals", return_totals),
        ("member_trends", member_trends),
        ("reporting_compliance", reporting_compliance),
        ("alerts", alerts),
        ("observations", observations),
    ):
        loaders[name] = lambda limit=None, load=load: load(viewer, limit=limit)
    return loaders


def downloadable_table_names(viewer: Viewer) -> list[str]:
    """Names of the tables the viewer may download and that have rows for them.

    Each table is probed for one visible row (the tables grow with history and members); the
    public aggregates, the same for everyone, are read whole.
    """
    return [name for name, load in _download_loaders(viewer).items() if not load(limit=1).empty]


def download_table(viewer: Viewer, name: str) -> pd.DataFrame:
    """The rows of downloadable table ``name`` the viewer may see (KeyError for another name)."""
    loaders = _download_loaders(viewer)
    if name not in loaders:
        raise KeyError(f"{name!r} is not a table this viewer may download")
    return loaders[name]()


def downloadable_tables(viewer: Viewer) -> dict[str, pd.DataFrame]:
    """Every table the viewer may download, loaded (the Downloads page loads only the chosen one)."""
    return {name: loader() for name, loader in _download_loaders(viewer).items()}
