"""Dashboard latency: p50/p95 of each page's queries on a published serving database.

Pages' queries are the functions of ``app.data_access`` they call. ``PAGE_QUERIES`` names them
per page; a page added later needs one entry here. Any other public function of ``data_access``
that needs no arguments (or only the viewer) is measured too, under "not yet assigned to a page",
so a new query is never silently left out; functions that need other arguments and are not
listed are reported as not measured.
Every call is cold: Streamlit's cache is cleared and the held publication let go first, so the
figure includes opening the serving database read-only, which is what the first viewer after a
publication waits for (later cold queries find it open: ``app.data_access.serving``).
"""

from __future__ import annotations

import inspect
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import percentile, ratio

UNASSIGNED_PAGE = "not yet assigned to a page"
# Plumbing of data_access, not a page's query; downloadable_tables loads every table at once for
# scripts and the access tests, while the Downloads page loads only the chosen one.
NOT_PAGE_QUERIES = {
    "serving_path",
    "serving_version",
    "query",
    "downloadable_tables",
    "grant_clause",
}


@dataclass(frozen=True)
class AsViewer:
    """An argument standing for ``data_access.Viewer(role=...)``, built when the query runs.

    The Secretariat sees every member's figures, so its queries are the heaviest ones.
    """

    role: str = "secretariat"


SECRETARIAT = AsViewer("secretariat")
PUBLIC = AsViewer("public")


@dataclass(frozen=True)
class PageQuery:
    """One data-access call a page makes: the function's name and its arguments."""

    function: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``member_trends(secretariat, 'movements')`` style label."""
        shown = [a.role if isinstance(a, AsViewer) else repr(a) for a in self.args]
        shown += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{self.function}({', '.join(shown)})"


# page (as titled in app/main.py) -> the data_access calls it makes when it renders, with the
# arguments a Secretariat user's first view uses. A new page adds one entry here.
PAGE_QUERIES: dict[str, list[PageQuery]] = {
    "Regional overview": [
        PageQuery("regional_series", (SECRETARIAT,)),
        PageQuery("published_at"),
        PageQuery("reference", ("dim_members",)),
        PageQuery("member_trends", (SECRETARIAT, "movements")),
    ],
    "Dataset explorer": [
        PageQuery("public_aggregates", ("movements", "nationality")),
        PageQuery("visible_members", (SECRETARIAT, "movements")),
        PageQuery("code_labels", ("country",)),
        PageQuery("fact_months", (SECRETARIAT, "movements")),
        # The first view: the latest 24 months (every bench size ends in September 2026).
        PageQuery(
            "facts",
            (SECRETARIAT, "movements"),
            {"period_from": "2024-10-01", "period_to": "2026-09-01"},
        ),
        PageQuery("fact_totals", (SECRETARIAT, "movements")),
        PageQuery("fact_totals", (SECRETARIAT, "movements"), {"by": "country"}),
        PageQuery("fact_rows_total", (SECRETARIAT, "movements")),
    ],
    "Member profile": [
        PageQuery("visible_members", (SECRETARIAT,)),
        PageQuery("return_totals", (SECRETARIAT,), {"member": "FJI"}),
        PageQuery("member_trends", (SECRETARIAT,), {"member": "FJI"}),
    ],
    "Alerts": [
        PageQuery("alerts", (SECRETARIAT,)),
        PageQuery("route_trends", (SECRETARIAT, "FJI")),
        PageQuery("nationality_trends", (SECRETARIAT, "irregular", "FJI")),
    ],
    "Monthly bulletin": [
        PageQuery("regional_series", (PUBLIC,)),
        PageQuery("notable_changes", (SECRETARIAT, "2026-09-01")),
        PageQuery("viewer_compliance", (SECRETARIAT, "2026-09-01")),
    ],
    "Downloads": [
        PageQuery("downloadable_table_names", (SECRETARIAT,)),
        PageQuery("download_table", (SECRETARIAT, "fct_movements")),
        PageQuery("sdmx_public"),
    ],
    "Reporting compliance": [
        PageQuery("reporting_compliance", (SECRETARIAT, "movements")),
        PageQuery("compliance_rates", (SECRETARIAT, "movements")),
    ],
    "Data quality": [
        PageQuery("submissions", (SECRETARIAT,)),
        PageQuery("unmapped_values", (SECRETARIAT,)),
    ],
}


def _data_access():
    # Imported late: it imports Streamlit, which the rest of the benchmark does not need.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from app import data_access
    # Outside `streamlit run` every cached call warns that there is no runtime; that is expected.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    return data_access


def planned_queries() -> tuple[dict[str, list[PageQuery]], list[str]]:
    """The queries to measure per page, and the data_access functions that cannot be measured.

    Listed functions missing from ``data_access`` (renamed or not built yet) are reported, not
    measured.
    """
    data_access = _data_access()
    plan: dict[str, list[PageQuery]] = {}
    not_measured: list[str] = []
    listed = set()
    for page, queries in PAGE_QUERIES.items():
        for page_query in queries:
            listed.add(page_query.function)
            if callable(getattr(data_access, page_query.function, None)):
                plan.setdefault(page, []).append(page_query)
            else:
                not_measured.append(f"{page_query.function} (listed for {page}; not found)")
    for name, function in inspect.getmembers(data_access, inspect.isfunction):
        if name.startswith("_") or name in listed or name in NOT_PAGE_QUERIES:
            continue
        # The package's own public functions (its modules re-exported), not what it imports.
        if not function.__module__.startswith(data_access.__name__) or name not in getattr(
            data_access, "__all__", [name]
        ):
            continue
        required = [
            parameter.name
            for parameter in inspect.signature(function).parameters.values()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
        ]
        if required == ["viewer"]:
            plan.setdefault(UNASSIGNED_PAGE, []).append(PageQuery(name, (SECRETARIAT,)))
        elif required:
            not_measured.append(f"{name} (needs {', '.join(required)}: add it to PAGE_QUERIES)")
        else:
            plan.setdefault(UNASSIGNED_PAGE, []).append(PageQuery(name))
    return plan, not_measured


def _resolve(value: Any, data_access) -> Any:
    return (
        data_access.Viewer(role=value.role, name="benchmark")
        if isinstance(value, AsViewer)
        else value
    )


def _cold_call(function: Callable[..., Any], page_query: PageQuery, data_access) -> float:
    import streamlit as st

    args = [_resolve(value, data_access) for value in page_query.args]
    kwargs = {key: _resolve(value, data_access) for key, value in page_query.kwargs.items()}
    st.cache_data.clear()
    data_access.serving.let_go_of_publication()  # the dashboard otherwise holds it open
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def measure_queries(serving_home: Path, repeats: int) -> dict[str, Any]:
    """p50/p95 seconds of every planned query on ``serving_home``'s serving database.

    Returns ``{"pages": {page: {query: {"p50": s, "p95": s, "errors": n}}}, "not_measured": [...]}``.
    """
    from orchestration.transform import scoped_environ

    data_access = _data_access()
    plan, not_measured = planned_queries()
    pages: dict[str, dict[str, Any]] = {}
    with scoped_environ({"PIDC_HOME": str(serving_home)}), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for page, queries in plan.items():
            for page_query in queries:
                function = getattr(data_access, page_query.function)
                samples, errors = [], []
                for _ in range(repeats):
                    try:
                        samples.append(_cold_call(function, page_query, data_access))
                    except Exception as error:  # a broken query is reported, not fatal
                        errors.append(f"{type(error).__name__}: {error}"[:300])
                pages.setdefault(page, {})[page_query.label] = {
                    "p50": percentile(samples, 0.5) if samples else None,
                    "p95": percentile(samples, 0.95) if samples else None,
                    "calls": len(samples),
                    "errors": errors[:1],
                }
    return {"pages": pages, "not_measured": not_measured}


def compare_scales(small: dict[str, Any], large: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per page and query: the large scale's p50/p95 over the small scale's (near 1 is good)."""
    comparison: dict[str, dict[str, Any]] = {}
    for page, queries in large.get("pages", {}).items():
        for label, figures in queries.items():
            base = small.get("pages", {}).get(page, {}).get(label, {})
            comparison.setdefault(page, {})[label] = {
                "p50_ratio": ratio(figures.get("p50"), base.get("p50")),
                "p95_ratio": ratio(figures.get("p95"), base.get("p95")),
            }
    return comparison
