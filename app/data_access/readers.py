"""What pages read: one table of reader specs for the member-level marts, and the public marts.

Every member-level reader is built from a :class:`ReaderSpec` in :data:`READERS` and adds the
viewer's grant clause (:mod:`app.data_access.access`) to its SQL. Filter values are always
parameters; table and column names come only from this module and the data contract, never
from widget text. Pages never filter for security themselves and compute no figure: every
figure they show is a column of a tested mart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from app.data_access.access import (
    Viewer,
    grant_clause,
    has_grants,
    holds_secretariat_grant,
)
from app.data_access.serving import (
    MARTS_SCHEMA,
    REGIONAL_TREND_COLUMNS,
    empty,
    published_columns,
    published_or_default,
    published_tables,
    query,
    with_dates,
)
from ingestion.report import ValidationReport
from pidc.contract import load_contract
from pidc.disclosure import DisclosureSettings
from pidc.i18n import N_, get_language
from pidc.settings import home

# Reference tables hold no member figures: anyone, the public included, may read them.
REFERENCE_TABLES = (
    "dim_members",
    "dim_countries",
    "dim_ports",
    "dim_datasets",
    "dim_codes",
    "dim_member_groups",
)
# A reference table's English text column -> the column holding it in French (issue 16). A
# French reader gets the French text, or the English one where the French is absent or empty
# (an older publication has no French columns at all).
FRENCH_COLUMNS: dict[str, dict[str, str]] = {
    "dim_codes": {"label": "label_fr"},
    "dim_countries": {"country_name": "country_name_fr"},
    "dim_members": {"member_name": "member_name_fr"},
    "dim_datasets": {"title": "title_fr", "description": "description_fr"},
    "dim_member_groups": {"group_name": "group_name_fr"},
}
# A breakdown's "all values" code, and what an unmapped value (null code) counts under.
TOTAL_CODE = "_T"
UNMAPPED_LABEL = N_("(not mapped)")  # translated where shown
# A reader's argument -> the mart column it filters.
ARGUMENT_COLUMNS = {
    "dataset": "dataset",
    "member": "member_code",
    "nationality": "nationality_code",
    "alert_id": "alert_id",
    "period_month": "period_month",
}


@dataclass(frozen=True)
class ReaderSpec:
    """One member-level mart as pages read it.

    ``arguments`` are the reader's filters after the viewer, in positional order (each one of
    :data:`ARGUMENT_COLUMNS`; None means no filter). ``dataset`` is set for a mart of a single
    dataset without a ``dataset`` column. ``rule`` is the grant rule of
    :data:`app.data_access.access.RULES`.
    """

    table: str
    description: str
    arguments: tuple[str, ...] = ("dataset", "member")
    order_by: str = "period_month"
    dataset: str | None = None
    rule: str = "figures"


READERS: dict[str, ReaderSpec] = {
    "return_totals": ReaderSpec(
        "mart_return_totals", "``mart_return_totals`` rows (one per received return)."
    ),
    "member_trends": ReaderSpec("mart_member_trends", "``mart_member_trends`` rows."),
    "nationality_trends": ReaderSpec(
        "mart_nationality_trends",
        "``mart_nationality_trends`` rows.",
        arguments=("dataset", "member", "nationality"),
    ),
    "route_trends": ReaderSpec(
        "mart_route_trends",
        "``mart_route_trends`` (document-fraud routes) rows.",
        arguments=("member",),
        dataset="document_fraud",
    ),
    "reporting_compliance": ReaderSpec(
        "mart_reporting_compliance",
        "``mart_reporting_compliance`` rows (one per expected or received return).",
        order_by="period_month, member_code",
    ),
    "compliance_rates": ReaderSpec(
        "mart_dashboard_compliance_rates",
        "Completeness and timeliness per member and dataset (``mart_dashboard_compliance_rates``).",
        order_by="member_code",
    ),
    "alerts": ReaderSpec(
        "mart_alerts", "``mart_alerts`` rows, newest month first.", order_by="period_month desc"
    ),
    "alert_series": ReaderSpec(
        "mart_alert_series",
        "The history behind one alert (``mart_alert_series``), oldest first: ``observed_count``"
        " is 0 in a month whose return did not include the value and null (a gap) in a month"
        " without a return.",
        arguments=("alert_id",),
    ),
    "observations": ReaderSpec(
        "mart_observations",
        "Observation notes: beyond the viewer's own member, shareable notes only.",
        arguments=("period_month",),
        rule="notes",
    ),
    "notable_changes": ReaderSpec(
        "mart_dashboard_notable_changes",
        "Members' month-on-month changes, the largest either way first"
        " (``mart_dashboard_notable_changes``).",
        arguments=("period_month",),
        order_by="period_month, change_rank",
    ),
    "submissions": ReaderSpec(
        "mart_submissions",
        "The submissions ledger: everything for the Secretariat, a member its own files only.",
        arguments=(),
        order_by="received_at desc",
        rule="records",
    ),
    "unmapped_values": ReaderSpec(
        "mart_unmapped_values",
        "Values the harmonisation could not map: the Secretariat all, a member its own.",
        arguments=(),
        order_by="row_count desc",
        rule="records",
    ),
}


def _as_parameter(value: object) -> object:
    return pd.Timestamp(value).date() if isinstance(value, pd.Timestamp) else value


def member_level_sql(
    viewer: Viewer,
    spec: ReaderSpec,
    *,
    equals: dict[str, object] | None = None,
    within: dict[str, list] | None = None,
    period_from: pd.Timestamp | None = None,
    period_to: pd.Timestamp | None = None,
    limit: int | None = None,
    select: str = "t.*",
) -> tuple[str, list] | None:
    """The parameterised query for the rows of ``spec``'s mart that ``viewer`` may see, or None
    when the mart is not published.

    Filter keys must be published columns of the table (checked, never trusted). ``limit`` keeps
    only the first rows (``limit=1`` asks whether there is anything at all); ``select`` is the
    select list, a literal of this module (``"distinct t.period_month"``), never user input.
    """
    table = spec.table
    if table not in published_tables():
        return None
    columns = published_columns(table)
    equals = {k: v for k, v in (equals or {}).items() if v is not None}
    within = {k: v for k, v in (within or {}).items() if v}
    unknown = (set(equals) | set(within)) - columns
    if unknown:
        raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
    clause, params = grant_clause(viewer, "t", dataset=spec.dataset, rule=spec.rule)
    where = [clause]
    for column, value in equals.items():
        where.append(f"t.{column} = ?")
        params.append(_as_parameter(value))
    for column, values in within.items():
        where.append(f"t.{column} in ({', '.join('?' for _ in values)})")
        params.extend(values)
    if period_from is not None:
        where.append("t.period_month >= ?")
        params.append(pd.Timestamp(period_from).date())
    if period_to is not None:
        where.append("t.period_month <= ?")
        params.append(pd.Timestamp(period_to).date())
    order = spec.order_by if re.split(r"[ ,]", spec.order_by)[0] in columns else "1"
    sql = f"select {select} from {MARTS_SCHEMA}.{table} t where {' and '.join(where)} order by {order}"
    if limit is not None:
        sql += f" limit {int(limit)}"
    return sql, params


def read_member_level(viewer: Viewer, spec: ReaderSpec, **filters) -> pd.DataFrame:
    """Rows of ``spec``'s mart that ``viewer`` may see (filters of :func:`member_level_sql`)."""
    built = member_level_sql(viewer, spec, **filters)
    if built is None:
        return empty(spec.table)
    sql, params = built
    return with_dates(query(sql, tuple(params)))


def _reader(name: str) -> Callable[..., pd.DataFrame]:
    """The function pages call for ``READERS[name]``: ``reader(viewer, *filters, limit=None)``."""
    spec = READERS[name]

    def read(viewer: Viewer, *args: object, limit: int | None = None, **filters: object):
        if len(args) > len(spec.arguments):
            raise TypeError(f"{name}() takes at most {len(spec.arguments)} filters")
        values = dict(zip(spec.arguments, args, strict=False))
        unknown = set(filters) - set(spec.arguments)
        if unknown or set(filters) & set(values):
            raise TypeError(f"{name}() got unexpected or repeated filters {sorted(filters)}")
        values.update(filters)
        equals = {ARGUMENT_COLUMNS[argument]: value for argument, value in values.items()}
        return read_member_level(viewer, spec, equals=equals, limit=limit)

    read.__name__ = read.__qualname__ = name
    read.__doc__ = f"{spec.description} Only rows the viewer may see; filters {spec.arguments}."
    return read


_READ = {name: _reader(name) for name in READERS}
return_totals = _READ["return_totals"]
member_trends = _READ["member_trends"]
nationality_trends = _READ["nationality_trends"]
route_trends = _READ["route_trends"]
reporting_compliance = _READ["reporting_compliance"]
compliance_rates = _READ["compliance_rates"]
alerts = _READ["alerts"]
alert_series = _READ["alert_series"]
observations = _READ["observations"]
notable_changes = _READ["notable_changes"]
submissions = _READ["submissions"]
unmapped_values = _READ["unmapped_values"]


def _check_dataset(dataset: str) -> str:
    # Raises KeyError for anything the contract does not declare, so a table name built from
    # it can only ever be one of the contract's fact tables.
    return load_contract().dataset(dataset).name


def _fact_spec(dataset: str) -> ReaderSpec:
    name = _check_dataset(dataset)
    return ReaderSpec(f"fct_{name}", f"Facts of {name}.", dataset=name)


def facts(
    viewer: Viewer,
    dataset: str,
    *,
    period_from: pd.Timestamp | None = None,
    period_to: pd.Timestamp | None = None,
    members: list[str] | None = None,
    codes: dict[str, list[str]] | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> pd.DataFrame:
    """Rows of ``fct_<dataset>`` the viewer may see; ``codes`` filters ``<column>_code`` columns.

    Oldest month first, or ``newest_first`` (with ``limit``, the latest rows: what a page shows
    of a table it does not send whole). The measure is ``observed_count`` (``person_count`` in
    older publications is renamed).
    """
    spec = _fact_spec(dataset)
    if newest_first:
        spec = replace(spec, order_by="period_month desc, member_code")
    rows = read_member_level(
        viewer,
        spec,
        within={"member_code": members or [], **(codes or {})},
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
    rows = read_member_level(
        viewer,
        _fact_spec(dataset),
        within={"member_code": members or []},
        select="distinct t.period_month",
    )
    return list(rows["period_month"])


def fact_totals(
    viewer: Viewer,
    dataset: str,
    *,
    by: str | None = None,
    period_from: pd.Timestamp | None = None,
    period_to: pd.Timestamp | None = None,
    members: list[str] | None = None,
    codes: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Monthly totals of the ``fct_<dataset>`` rows the viewer may see (filtered as
    :func:`facts`), optionally by one ``<column>_code`` column ``by``, summed by the database.

    A member may send the same count broken down two ways (rows with ``_T`` in a breakdown form
    cross-sections); summing every row would count it twice. For each member and month the
    largest cross-section is used, as ``ingestion.history.return_total`` does. Rows whose ``by``
    value is ``_T`` cannot be split by it and are left out; an unmapped value (null code) counts
    under ``UNMAPPED_LABEL``. With ``by``, ``value_rank`` ranks the values by their total over
    the months (1 the largest), so a chart can keep the largest few.
    """
    spec = _fact_spec(dataset)
    codes_of = [f"{c.name}_code" for c in load_contract().dataset(spec.dataset).breakdowns]
    if by is not None and by not in codes_of:
        raise ValueError(f"{spec.table} has no breakdown column {by!r}")
    keys = ["period_month"] + ([by] if by else [])
    built = member_level_sql(
        viewer,
        spec,
        within={"member_code": members or [], **(codes or {})},
        period_from=period_from,
        period_to=period_to,
    )
    if built is None:
        return pd.DataFrame(columns=[*keys, "observed_count"])
    rows_sql, params = built
    present = [c for c in codes_of if c in published_columns(spec.table)]
    pattern = " || ".join(
        f"case when r.{c} = '{TOTAL_CODE}' then '1' else '0' end" for c in present
    )
    splittable = f"where r.{by} is distinct from '{TOTAL_CODE}'" if by else ""
    value = f", coalesce(p.{by}, ?) as {by}" if by else ""
    sql = f"""
        with rows as ({rows_sql}),
        patterned as (
            select r.*, {pattern or "''"} as cross_section from rows r {splittable}
        ),
        sums as (
            select member_code, period_month, cross_section, sum(observed_count) as total
            from patterned group by member_code, period_month, cross_section
        ),
        chosen as (
            select member_code, period_month, cross_section from sums
            qualify row_number() over (
                partition by member_code, period_month order by total desc, cross_section
            ) = 1
        ),
        totals as (
            select p.period_month{value}, cast(sum(p.observed_count) as bigint) as observed_count
            from patterned p
            join chosen c using (member_code, period_month, cross_section)
            group by all
        )
        select * from totals order by {", ".join(keys)}
    """
    if by:
        params = [*params, UNMAPPED_LABEL]
        sql = f"""
            select *, dense_rank() over (order by value_total desc, {by}) as value_rank
            from (
                select *, sum(observed_count) over (partition by {by}) as value_total
                from ({sql})
            )
            order by {", ".join(keys)}
        """
    totals = with_dates(query(sql, tuple(params)))
    return totals.drop(columns=["value_total"], errors="ignore")


def fact_rows_total(
    viewer: Viewer,
    dataset: str,
    *,
    period_from: pd.Timestamp | None = None,
    period_to: pd.Timestamp | None = None,
    members: list[str] | None = None,
    codes: dict[str, list[str]] | None = None,
) -> tuple[int, int]:
    """How many ``fct_<dataset>`` rows the viewer may see (filtered as :func:`facts`), and the
    sum of their ``observed_count`` (every row, two-way tables counted twice)."""
    built = member_level_sql(
        viewer,
        _fact_spec(dataset),
        within={"member_code": members or [], **(codes or {})},
        period_from=period_from,
        period_to=period_to,
    )
    if built is None:
        return 0, 0
    rows_sql, params = built
    sql = (
        "select count(*) as row_count, cast(coalesce(sum(observed_count), 0) as bigint) as counted"
        f" from ({rows_sql})"
    )
    row = query(sql, tuple(params)).iloc[0]
    return int(row["row_count"]), int(row["counted"])


def viewer_compliance(viewer: Viewer, period_month: pd.Timestamp) -> pd.DataFrame:
    """The viewer's reporting compliance of a month (``mart_dashboard_viewer_compliance``): the
    due returns of what the viewer may see, counted and rated in the mart; empty for the public."""
    table = "mart_dashboard_viewer_compliance"
    if table not in published_tables():
        return empty(table)
    sql = (
        f"select * from {MARTS_SCHEMA}.{table} "
        "where viewer_kind = ? and viewer_code = ? and period_month = ?"
    )
    params = (*viewer.grant_key, pd.Timestamp(period_month).date())
    return with_dates(query(sql, params))


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


# --- reference data and settings (no member figures) -----------------------------------------


def _localised_columns(table: str, language: str) -> str:
    """The select list of reference ``table`` in ``language``: ``*``, with each English text
    column replaced by its French one (where not empty) for a French reader."""
    if language != "fr":
        return "*"
    present = published_columns(table)
    replaced = [
        f"coalesce(nullif(trim({french}), ''), {english}) as {english}"
        for english, french in FRENCH_COLUMNS.get(table, {}).items()
        if english in present and french in present
    ]
    return f"* replace ({', '.join(replaced)})" if replaced else "*"


def reference(table: str) -> pd.DataFrame:
    """A reference table (members, countries, ports, datasets, codes, groups), or an empty frame.

    Names, labels, titles and descriptions are in the current language: a French reader gets
    ``member_name`` (and the like) from ``member_name_fr`` where the publication has it.
    """
    if table not in REFERENCE_TABLES:
        raise ValueError(f"{table} is not a reference table")
    if table not in published_tables():
        return empty(table)
    language = get_language()
    columns = _localised_columns(table, language)
    return with_dates(query(f"select {columns} from {MARTS_SCHEMA}.{table}", language=language))


def code_labels(code_list: str) -> dict[str, str]:
    """Code -> label for a code list (``dim_codes``), or for countries (``country``), in the
    current language (English where a French label is missing)."""
    if code_list == "country":
        countries = reference("dim_countries")
        return dict(zip(countries["country_code"], countries["country_name"], strict=False))
    codes = reference("dim_codes")
    codes = codes[codes["code_list"] == code_list]
    return dict(zip(codes["code"], codes["label"], strict=False))


def member_names() -> dict[str, str]:
    """Member code -> the member's name in the current language (``dim_members``)."""
    members = reference("dim_members")
    return dict(zip(members["member_code"], members["member_name"], strict=False))


def dataset_titles() -> dict[str, str]:
    """Dataset -> its published title in the current language (``dim_datasets``), in the data
    contract's order; a dataset the publication does not describe keeps the contract's title."""
    contract = load_contract()
    datasets = reference("dim_datasets")
    published = dict(zip(datasets["dataset"], datasets["title"], strict=False))
    return {
        name: published.get(name) or contract.dataset(name).title for name in contract.dataset_names
    }


def dataset_description(dataset: str) -> str:
    """A dataset's published description in the current language (the contract's otherwise)."""
    datasets = reference("dim_datasets")
    found = datasets.loc[datasets["dataset"] == dataset, "description"]
    text = found.iloc[0] if not found.empty else None
    return text if isinstance(text, str) and text else load_contract().dataset(dataset).description


def latest_released_month() -> pd.Timestamp | None:
    """The latest released month (``is_latest_month`` of the completeness marts): every dataset
    complete or past its deadline. A month some members filed early stays provisional and is
    not it. None before anything is released."""
    for table in (
        "mart_regional_completeness",
        "mart_public_regional_trends",
        "mart_regional_trends",
    ):
        if table not in published_tables() or "is_latest_month" not in published_columns(table):
            continue
        rows = query(
            f"select max(period_month) as month from {MARTS_SCHEMA}.{table} where is_latest_month"
        )
        month = rows["month"].iloc[0]
        if month is not None and not pd.isna(month):
            return pd.Timestamp(str(month))
    return None


def reporting_settings() -> dict[str, str]:
    """The published reporting settings (``mart_dashboard_settings``), setting -> value."""
    table = "mart_dashboard_settings"
    if table not in published_tables():
        return {}
    rows = query(f"select setting, value from {MARTS_SCHEMA}.{table}")
    return dict(zip(rows["setting"], rows["value"], strict=True))


def disclosure_settings() -> DisclosureSettings:
    """The suppression thresholds the public figures were published with (defaults before any
    publication carries them)."""
    return DisclosureSettings.from_settings(reporting_settings())


# --- regional figures ----------------------------------------------------------------------


def public_aggregates(dataset: str | None = None, breakdown: str | None = None) -> pd.DataFrame:
    """``mart_public_aggregates`` rows: suppressed cells carry no value, only '<5' or 'x'."""
    table = "mart_public_aggregates"
    if table not in published_tables():
        return empty(table)
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
    rows = with_dates(query(sql, tuple(params)))
    # Defence in depth: a suppressed cell never carries its value out of this module.
    rows.loc[rows["is_suppressed"].astype(bool), "obs_value"] = None
    return rows


def sdmx_public() -> pd.DataFrame:
    """The public aggregates as SDMX-CSV rows (``mart_sdmx_public``)."""
    table = "mart_sdmx_public"
    if table not in published_tables():
        return empty(table)
    return query(f"select * from {MARTS_SCHEMA}.{table} order by 1, 4, 5, 6, 7")


def _completeness_types(trends: pd.DataFrame) -> pd.DataFrame:
    """Types of the completeness columns, and the latest month when the mart does not say."""
    trends["completeness_status"] = trends["completeness_status"].astype("object")
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
    columns = published_or_default(table, source, {"completeness_status": "complete"})
    sql = (
        f"select {columns}, false as coverage_is_rounded, false as is_suppressed"
        f" from {MARTS_SCHEMA}.{table}"
    )
    params: tuple = ()
    if dataset is not None:
        sql += " where dataset = ?"
        params = (dataset,)
    trends = query(sql + " order by dataset, period_month", params)
    trends["period_month"] = pd.to_datetime(trends["period_month"].astype(str))
    return _completeness_types(trends[REGIONAL_TREND_COLUMNS])


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
    return _completeness_types(trends[REGIONAL_TREND_COLUMNS])


def regional_series(viewer: Viewer) -> pd.DataFrame:
    """Regional totals per dataset and month, in ``REGIONAL_TREND_COLUMNS``.

    A viewer with a Secretariat grant gets ``mart_regional_trends``, provisional months
    included. Everyone else gets ``mart_public_regional_trends``: the published Pacific totals
    of released months only (a month where one member reported could otherwise reveal that
    member's unshared figure, and a provisional month is never public before its deadline); a
    suppressed total is null.
    """
    if holds_secretariat_grant(viewer):
        return regional_trends()
    return public_regional_trends()


# --- downloads -----------------------------------------------------------------------------

DOWNLOADABLE_READERS = (
    "return_totals",
    "member_trends",
    "reporting_compliance",
    "alerts",
    "observations",
)


def _download_loaders(viewer: Viewer) -> dict[str, Callable[..., pd.DataFrame]]:
    """Every table the viewer could download, by file-friendly name: ``load(limit=None)``.

    The public aggregates for everyone; the member-level tables for a viewer holding grants.
    """
    loaders: dict[str, Callable[..., pd.DataFrame]] = {
        "public_aggregates": lambda limit=None: public_aggregates()
    }
    if not has_grants(viewer):
        return loaders
    for dataset in load_contract().dataset_names:
        loaders[f"fct_{dataset}"] = lambda limit=None, dataset=dataset: facts(
            viewer, dataset, limit=limit
        )
    for name in DOWNLOADABLE_READERS:
        loaders[name] = lambda limit=None, load=_READ[name]: load(viewer, limit=limit)
    return loaders


def downloadable_table_names(viewer: Viewer) -> list[str]:
    """Names of the tables the viewer may download and that have rows for them.

    One query asks of every table whether the viewer may see any row of it (an ``exists`` per
    table, under the same access rules as the table's own reader): fifteen one-row queries took
    a second of the Downloads page's first view at ten years (docs/benchmarks.md).
    """
    probes: list[tuple[str, str, list]] = []
    if "mart_public_aggregates" in published_tables():
        probes.append(
            ("public_aggregates", f"select 1 from {MARTS_SCHEMA}.mart_public_aggregates", [])
        )
    if has_grants(viewer):
        specs = [(f"fct_{name}", _fact_spec(name)) for name in load_contract().dataset_names]
        specs += [(name, READERS[name]) for name in DOWNLOADABLE_READERS]
        for name, spec in specs:
            # no order: "is there a row" must not sort the table to find its first one
            built = member_level_sql(viewer, replace(spec, order_by=""), limit=1, select="1")
            if built is not None:
                probes.append((name, *built))
    if not probes:
        return []
    sql = " union all ".join(
        "select ? as name where exists (" + probe + ")" for _, probe, _ in probes
    )
    params = [value for name, _, probe_params in probes for value in (name, *probe_params)]
    present = set(query(sql, tuple(params))["name"])
    return [name for name in _download_loaders(viewer) if name in present]


def download_table(viewer: Viewer, name: str) -> pd.DataFrame:
    """The rows of downloadable table ``name`` the viewer may see (KeyError for another name)."""
    loaders = _download_loaders(viewer)
    if name not in loaders:
        raise KeyError(f"{name!r} is not a table this viewer may download")
    return loaders[name]()


def downloadable_tables(viewer: Viewer) -> dict[str, pd.DataFrame]:
    """Every table the viewer may download, loaded (the Downloads page loads only the chosen one)."""
    return {name: loader() for name, loader in _download_loaders(viewer).items()}
