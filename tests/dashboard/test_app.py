"""The dashboard against a hand-made serving database: every page, every role.

``build_serving`` writes a small ``serving.duckdb`` with the marts of the marts interface: four
members with different sharing rules, counts from 1 to 4 in the public aggregates, nil, late and
missing returns, alerts and observations. Other app test files import it from here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support.dashboard import (
    ALERT_HISTORY,
    AUG,
    FJI_MOVEMENTS_OCT,
    FJI_OFFICER,
    FJI_REFUSALS_SEP,
    MAIN,
    NZL_MOVEMENTS_SEP,
    OCT,
    PAGES,
    PROFILING,
    PROJECT_ROOT,
    PUBLIC,
    SECRET_NOTE,
    SECRETARIAT,
    SEP,
    SHARED_NOTE,
    TKL_OFFICER,
    TON_MOVEMENTS_AUG,
    TON_OFFICER,
    chart_traces,
    default_code,
    figures_in,
    month_of,
    page_text,
    republish,
    run_page,
)

from app import data_access
from app.charts import INCOMPLETE_NAME, PROVISIONAL_NAME
from app.data_access import Viewer
from app.views.overview import dataset_titles, latest_month_headlines
from pidc.contract import load_contract

ALL_PAGES = [
    "overview",
    "explorer",
    "member_profile",
    "compliance",
    "alerts",
    "data_quality",
    "bulletin",
    "downloads",
]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_shows_the_empty_state_without_a_serving_db(pidc_home, page):
    at = run_page(page, SECRETARIAT)
    assert [info.value for info in at.info] == [data_access.EMPTY_STATE_MESSAGE]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_copes_with_an_empty_marts_schema(pidc_home, page):
    connection = duckdb.connect(str(pidc_home / "serving.duckdb"))
    connection.execute("create schema marts")
    connection.close()
    for viewer in (SECRETARIAT, FJI_OFFICER, PUBLIC):
        at = run_page(page, viewer)
        assert at.info or at.caption, f"{page} shows nothing to {viewer.label}"


# --- overview ---------------------------------------------------------------------------------


def test_overview_for_the_secretariat_shows_unsuppressed_regional_figures(published):
    at = run_page("overview", SECRETARIAT)
    titles = dataset_titles()
    labels = [metric.label for metric in at.metric]
    assert labels == [titles["movements"], titles["irregular"], titles["refusals"]]
    by_label = {metric.label: metric for metric in at.metric}
    assert by_label[titles["movements"]].value == "81,787"
    # like for like: FJI and TON, the members that reported both months (NZL missed August)
    assert by_label[titles["movements"]].delta == "-43.4% on previous month (same 2 members)"
    assert any("September 2026" in caption.value for caption in at.caption)
    assert any("2026-10-16 06:00" in caption.value for caption in at.caption)
    assert len(at.get("plotly_chart")) == 4  # the map and one trend per dataset
    # FJI's October, filed early, is provisional: named as such, never the overview's month
    assert "October 2026" in at.info[0].value and "Provisional" in at.info[0].value
    assert at.subheader[0].value == "September 2026"
    movements = chart_traces(at, 1)
    assert movements["Regional total"][OCT] is None
    assert movements[PROVISIONAL_NAME][OCT] == FJI_MOVEMENTS_OCT
    assert movements[INCOMPLETE_NAME] == {AUG: 108_213, SEP: None, OCT: None}


def test_overview_for_the_public_uses_the_published_aggregates(published):
    at = run_page("overview", PUBLIC)
    values = {metric.label: metric.value for metric in at.metric}
    assert values[dataset_titles()["movements"]] == "81,787"
    assert any("suppressed" in caption.value for caption in at.caption)
    assert any("Sign in" in caption.value for caption in at.caption)
    text = page_text(at)
    assert "October" not in text and FJI_MOVEMENTS_OCT not in figures_in(text)
    assert "3 of 4 members, 100% of usual volume" in text
    assert "⚠ Incomplete: 2 of 4 members, at least 50% of usual volume" in text
    assert all(OCT not in chart_traces(at, index)["Regional total"] for index in (1, 2, 3))


def test_headline_changes_are_drawn_in_neutral_colours(published):
    from streamlit.proto.Metric_pb2 import Metric

    at = run_page("overview", SECRETARIAT)
    assert at.metric[0].delta  # a fall: red by Streamlit's default, grey here
    assert {metric.proto.color for metric in at.metric} == {Metric.MetricColor.GRAY}


def test_overview_notices_a_new_publication(published):
    first = run_page("overview", SECRETARIAT)
    assert "81,787" in [metric.value for metric in first.metric]
    republish(
        published / "serving.duckdb",
        "update marts.mart_regional_trends set total_count = 90500 where period_month = ? "
        "and dataset = 'movements'",
        [SEP],
    )
    second = run_page("overview", SECRETARIAT)
    assert "90,500" in [metric.value for metric in second.metric]


def test_main_navigation_opens_the_overview_with_a_sign_in_form(published):
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    assert not at.exception
    assert [title.value for title in at.title] == ["Regional overview"]
    assert [field.label for field in at.sidebar.text_input] == ["User name", "Password"]
    assert any("Public" in caption.value for caption in at.sidebar.caption)


PUBLIC_PAGES = ["Regional overview", "Dataset explorer", "Monthly bulletin", "Downloads"]


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (PUBLIC, PUBLIC_PAGES),
        (
            FJI_OFFICER,
            [
                "Regional overview",
                "Dataset explorer",
                "Member profile",
                "Alerts",
                "Monthly bulletin",
                "Downloads",
                "Reporting compliance",
                "Data quality",
                "Submit a return",
            ],
        ),
        (
            PROFILING,
            [
                "Regional overview",
                "Dataset explorer",
                "Member profile",
                "Alerts",
                "Monthly bulletin",
                "Downloads",
                "Reporting compliance",
            ],
        ),
    ],
    ids=lambda value: value.label if isinstance(value, Viewer) else "",
)
def test_navigation_lists_only_the_pages_the_viewer_may_open(published, viewer, expected):
    from app.navigation import entries_for

    assert [entry.title for entry in entries_for(viewer)] == expected


def test_the_secretariat_gets_every_page_and_every_page_is_in_the_navigation(published):
    from app.navigation import NAVIGATION, entries_for

    assert entries_for(SECRETARIAT) == list(NAVIGATION)
    assert {entry.file for entry in NAVIGATION} == {path.name for path in PAGES.glob("*.py")}


@pytest.mark.parametrize(
    "viewer", [SECRETARIAT, FJI_OFFICER, PROFILING, PUBLIC], ids=lambda viewer: viewer.label
)
def test_every_page_the_navigation_offers_runs_for_that_viewer(published, viewer):
    from app.navigation import entries_for

    for entry in entries_for(viewer):
        at = run_page(entry.file.removesuffix(".py"), viewer)
        assert at.title[0].value, entry.title


def test_main_navigation_for_a_signed_in_member_opens_the_overview(published):
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.session_state["viewer"] = FJI_OFFICER
    at.run()
    assert not at.exception
    assert [title.value for title in at.title] == ["Regional overview"]
    assert any("FJI officer" in caption.value for caption in at.sidebar.caption)


def test_pages_never_decide_access_by_role():
    """Who sees what is decided by the navigation (which pages) and the data layer (which
    rows; for the sign-in log, app.sign_in.log_for); a page never branches on the viewer's role."""
    role_checks = re.compile(r"viewer\.(role|is_public|is_secretariat|group_code)\b")
    for path in PAGES.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not role_checks.search(source), path.name


def test_the_app_never_opens_the_warehouse(published, monkeypatch, tmp_path):
    """The dashboard reads the published serving database only: with a warehouse beside it,
    every page for every role and an upload on the Submit path never open it."""
    from app.submission import submit_return
    from ingestion.template import write_template
    from pidc.settings import home

    warehouse = home().warehouse
    duckdb.connect(str(warehouse)).close()
    opened: list[str] = []
    connections: list[duckdb.DuckDBPyConnection] = []
    real_connect = duckdb.connect

    def recording_connect(database=":memory:", *args, **kwargs):
        opened.append(str(database))
        connections.append(real_connect(database, *args, **kwargs))
        return connections[-1]

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    for viewer in (SECRETARIAT, FJI_OFFICER, PUBLIC):
        for page in ALL_PAGES:
            run_page(page, viewer)
    rows = pd.DataFrame(
        [
            {
                "permit_type": next(iter(load_contract().codes("permit_type"))),
                "nationality": "CHN",
                "count": 12,
            }
        ]
    )
    upload = write_template(
        tmp_path / "FJI_2026-09.xlsx", "FJI", "2026-09", returns={"permits": rows}
    )
    outcome = submit_return(FJI_OFFICER, "FJI", upload.name, upload.read_bytes(), home())
    assert outcome.report.accepted
    assert opened and str(warehouse) not in opened
    assert {Path(path).name for path in opened} <= {"serving.duckdb", ":memory:"}
    # A database opened in memory reads files by attaching them: those still open say which.
    attached = set()
    for connection in connections:
        try:
            rows = connection.execute(
                "select path from duckdb_databases() where path is not null"
            ).fetchall()
        except duckdb.ConnectionException:
            continue  # closed since
        attached |= {Path(path) for (path,) in rows}
    assert attached == {home().serving}


def test_headlines_keep_missing_apart_from_zero():
    rows = [
        ("movements", "2026-08-01", 18, 120_000, None, None, None, None),
        ("movements", "2026-09-01", 19, 125_000, 120_000, 4.1667, 100_000, 25.0),
        ("permits", "2026-08-01", 5, 900, None, None, None, None),
    ]
    trends = pd.DataFrame(rows, columns=data_access.REGIONAL_TREND_COLUMNS[:8])
    trends["period_month"] = pd.to_datetime(trends["period_month"])
    by_dataset = {headline.dataset: headline for headline in latest_month_headlines(trends)}
    assert by_dataset["movements"].total == 125_000
    assert by_dataset["permits"].total is None


# --- explorer ---------------------------------------------------------------------------------


def test_explorer_for_a_member_shows_shared_and_own_rows_only(published):
    at = run_page("explorer", TON_OFFICER)
    text = page_text(at)
    # Movements: FJI and NZL share with all members, TON sees its own; nothing else.
    members = set(at.dataframe[0].value["member_code"])
    assert members == {"FJI", "TON", "NZL"}
    assert TON_MOVEMENTS_AUG in figures_in(text)
    assert set(at.multiselect[0].options) == {
        "Fiji (FJI)",
        "New Zealand (NZL)",
        "Tonga (TON)",
    }


def test_explorer_member_filter_cannot_reach_an_unshared_member(published):
    at = run_page("explorer", FJI_OFFICER)
    assert "Tonga (TON)" not in at.multiselect[0].options
    at.selectbox(key="dataset").set_value("refusals").run()
    # FJI sees its own refusals and TON's (shared with all members).
    assert set(at.dataframe[0].value["member_code"]) == {"FJI", "TON"}


def test_explorer_filters_by_nationality(published):
    at = run_page("explorer", SECRETARIAT)
    at.multiselect(key="filter_country").set_value(["CHN"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["country_code"].unique()) == ["CHN"]
    assert list(table["observed_count"]) == [234]


def test_explorer_totals_count_a_two_way_table_once(published):
    """FJI's November return gives 15 movements by country and the same 15 by sex (country
    '_T'): the data layer's totals count them once, and a split by country leaves out the rows
    that cannot be split by it."""
    nov = dt.date(2026, 11, 1)
    dataset = load_contract().dataset("movements")
    rows = [({"country": "AUS", "sex": "_T"}, 10), ({"country": "CHN", "sex": "_T"}, 5)]
    rows += [({"country": "_T", "sex": "M"}, 9), ({"country": "_T", "sex": "F"}, 6)]
    with duckdb.connect(str(published / "serving.duckdb")) as connection:
        for index, (codes, count) in enumerate(rows):
            values = [codes.get(c.name, default_code(c)) for c in dataset.breakdowns]
            placeholders = ", ".join("?" for _ in range(len(values) + 6))
            connection.execute(
                f"insert into marts.fct_movements values ({placeholders})",
                [f"n{index}", "FJI", nov, *values, count, 1, False],
            )
    data_access._cached_query.clear()
    window = {"period_from": nov, "period_to": nov}
    monthly = data_access.fact_totals(SECRETARIAT, "movements", **window)
    assert list(monthly["observed_count"]) == [15]
    by_country = data_access.fact_totals(SECRETARIAT, "movements", by="country_code", **window)
    assert dict(zip(by_country["country_code"], by_country["observed_count"], strict=True)) == {
        "AUS": 10,
        "CHN": 5,
    }
    assert list(by_country.sort_values("value_rank")["country_code"]) == ["AUS", "CHN"]
    assert data_access.fact_rows_total(SECRETARIAT, "movements", **window) == (4, 30)
    assert data_access.fact_totals(PUBLIC, "movements", **window).empty
    with pytest.raises(ValueError):
        data_access.fact_totals(SECRETARIAT, "movements", by="1; drop table x")


def test_explorer_for_the_public_shows_suppressed_cells_as_below_five(published):
    at = run_page("explorer", PUBLIC)
    at.radio(key="public_by").set_value("sub_region").run()
    table = at.dataframe[0].value
    assert set(table["display_value"]) == {"61,234", "<5"}
    assert "member_code" not in table.columns


# --- member profile ---------------------------------------------------------------------------


def test_member_profile_for_a_member_lists_members_sharing_something(published):
    at = run_page("member_profile", FJI_OFFICER)
    assert set(at.selectbox[0].options) == {"Fiji (FJI)", "New Zealand (NZL)", "Tonga (TON)"}
    assert at.selectbox[0].value == "FJI"
    text = page_text(at)
    assert "61,234" in text and f"{FJI_REFUSALS_SEP}" in text


def test_member_profile_shows_a_nil_return_as_nil_not_zero(published):
    at = run_page("member_profile", SECRETARIAT)
    at.selectbox[0].set_value("TON").run()
    table = at.dataframe[0].value
    assert table.loc[dataset_titles()["movements"], "Sep 2026"] == "nil"
    assert table.loc[dataset_titles()["movements"], "Aug 2026"] == f"{TON_MOVEMENTS_AUG:,}"


def test_member_profile_for_the_public_asks_to_sign_in(published):
    at = run_page("member_profile", PUBLIC)
    assert "Sign in" in at.info[0].value
    assert not at.dataframe


# --- compliance -------------------------------------------------------------------------------


def test_compliance_grid_for_the_secretariat(published):
    at = run_page("compliance", SECRETARIAT)
    # Material icons (emoji render as empty boxes without an emoji font), in a Markdown table.
    grid = at.table[0].value
    assert grid.loc["Tonga (TON)", "Sep 2026"] == ":green[:material/check_circle:] on time · nil"
    assert grid.loc["Fiji (FJI)", "Sep 2026"] == ":orange[:material/schedule:] late"
    assert grid.loc["Tokelau (TKL)", "Aug 2026"] == ":red[:material/cancel:] missing"
    assert grid.loc["New Zealand (NZL)", "Sep 2026"] == (
        ":green[:material/check_circle:] on time · corrected"
    )
    rates = at.dataframe[0].value.set_index("member_code")
    assert rates.loc["TKL", "completeness_rate"] == 0
    assert rates.loc["FJI", "timeliness_rate"] == 0.5
    assert (rates["completeness_rate"] <= 1).all()


def _update_serving(home: Path, sql: str) -> None:
    republish(home / "serving.duckdb", sql)
    data_access._cached_query.clear()


def test_compliance_rates_and_the_bulletins_compliance_are_read_from_their_marts(published):
    """The page shows the mart's figures, never its own arithmetic on the returns."""
    _update_serving(
        published,
        "update marts.mart_dashboard_compliance_rates set timeliness_rate = 0.123 "
        "where member_code = 'FJI' and dataset = 'movements'",
    )
    rates = run_page("compliance", SECRETARIAT).dataframe[0].value.set_index("member_code")
    assert rates.loc["FJI", "timeliness_rate"] == 0.123
    _update_serving(
        published,
        "update marts.mart_dashboard_viewer_compliance set completeness_rate = 0.42, "
        "missing_members = 'TKL, XYZ' where viewer_code = 'SECRETARIAT'",
    )
    text = page_text(run_page("bulletin", SECRETARIAT))
    assert "42%" in text and "TKL, XYZ" in text


def test_the_suppression_threshold_shown_comes_from_the_published_settings(published):
    assert any("shown only when 5 or more" in c.value for c in run_page("overview", PUBLIC).caption)
    _update_serving(
        published,
        "update marts.mart_dashboard_settings set value = '9' where setting = 'small_cell_max'",
    )
    at = run_page("overview", PUBLIC)
    assert any("shown only when 10 or more" in caption.value for caption in at.caption)
    explorer = page_text(run_page("explorer", PUBLIC))
    assert "'<10' marks a count too small to show (below 10)" in explorer


def test_compliance_for_a_member_hides_unshared_members(published):
    at = run_page("compliance", FJI_OFFICER)
    members = set(at.table[0].value.index)
    assert members == {"Fiji (FJI)", "New Zealand (NZL)"}  # TON and TKL do not share movements


# --- alerts -----------------------------------------------------------------------------------


def test_alerts_for_the_profiling_group_show_shared_alerts_with_history(published):
    at = run_page("alerts", PROFILING)
    labels = [expander.label for expander in at.expander]
    assert len(labels) == 1 and "Fiji" in labels[0]
    assert "China" in labels[0] and "CHN" not in labels[0]
    assert "57" in at.markdown[0].value
    assert at.metric[0].value == "57"
    assert len(at.get("plotly_chart")) == 1


def test_alert_history_draws_zero_months_as_points_and_missing_months_as_gaps(published):
    at = run_page("alerts", SECRETARIAT)
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    line = next(trace for trace in spec["data"] if trace["name"].startswith("Reported"))
    points = dict(zip((month_of(x) for x in line["x"]), line["y"], strict=True))
    assert points == {month: count for month, count in ALERT_HISTORY.items()}
    assert points[dt.date(2026, 6, 1)] == 0  # a return without Chinese nationals: a point at 0
    assert points[dt.date(2026, 7, 1)] is None  # no return: a gap
    assert line["connectgaps"] is False
    assert line["mode"] == "lines+markers"


def test_alerts_for_the_secretariat_are_newest_first(published):
    at = run_page("alerts", SECRETARIAT)
    labels = [expander.label for expander in at.expander]
    assert labels[0].startswith("Sep 2026") and labels[1].startswith("Aug 2026")


def test_alerts_for_a_member_outside_the_group(published):
    at = run_page("alerts", TKL_OFFICER)
    assert "No alerts" in at.info[0].value


# --- data quality -----------------------------------------------------------------------------


def test_data_quality_for_a_member_shows_its_own_files_and_report(published):
    from ingestion.report import ValidationReport
    from pidc.escaping import escape_markdown

    ValidationReport("FJI_2026-09.xlsx", "0" * 64).write(published / "reports" / "sub-fji-1")
    at = run_page("data_quality", FJI_OFFICER)
    ledger, unmapped = at.dataframe[0].value, at.dataframe[1].value
    assert list(ledger["member_code"]) == ["FJI"]
    assert list(unmapped["raw_value"]) == ["Chinese Taipei"]
    heading = f"# Validation report: {escape_markdown('FJI_2026-09.xlsx')}"
    assert any(heading in md.value for md in at.markdown)


def test_data_quality_for_the_secretariat_shows_every_file(published):
    at = run_page("data_quality", SECRETARIAT)
    assert set(at.dataframe[0].value["member_code"]) == {"FJI", "TON"}
    assert "The report file is not on this server." in page_text(at)


def test_data_quality_at_ten_years_shows_the_latest_submissions(published):
    """At 120 months the ledger has ~10,000 files: the page took 4 s a visit drawing them all
    and looking up each picker entry's name in the whole ledger (docs/benchmarks.md)."""
    import duckdb

    with duckdb.connect(str(published / "serving.duckdb")) as connection:
        connection.execute(
            """
            insert into marts.mart_submissions by name
            select s.* replace (
                'sub-old-' || r.i as submission_id,
                s.received_at - to_days(cast(r.i as integer)) as received_at
            )
            from marts.mart_submissions as s, range(1, 1200) as r(i)
            where s.submission_id = 'sub-fji-1'
            """
        )
    at = run_page("data_quality", SECRETARIAT)
    ledger = at.dataframe[0].value
    assert len(ledger) == 1000
    assert ledger["submission_id"].iloc[0] == "sub-fji-1"  # the newest first
    assert "The latest 1,000 submissions, newest first." in page_text(at)
    assert len(at.selectbox[0].options) == 1000
    assert at.selectbox[0].options[0] == "sub-fji-1 - FJI_2026-09.xlsx"


def test_data_quality_for_the_public(published):
    at = run_page("data_quality", PUBLIC)
    assert "Sign in" in at.info[0].value and not at.dataframe


# --- bulletin ---------------------------------------------------------------------------------


def test_bulletin_for_the_secretariat(published):
    at = run_page("bulletin", SECRETARIAT)
    text = page_text(at)
    assert "September 2026" in text
    assert "81,787" in text
    assert SHARED_NOTE in text
    assert SECRET_NOTE not in text  # the bulletin travels: shareable notes only
    assert "Fiji detected 57" in text
    assert "TKL" in text  # missing returns named
    assert len(at.get("download_button")) == 2


def test_bulletin_for_the_public_has_no_member_figures(published):
    at = run_page("bulletin", PUBLIC)
    text = page_text(at)
    assert "81,787" in text
    assert "Fiji detected" not in text and SHARED_NOTE not in text
    assert "No member-level changes" in text


# --- downloads --------------------------------------------------------------------------------


def test_downloads_for_the_public_offer_only_public_aggregates(published):
    at = run_page("downloads", PUBLIC)
    assert at.selectbox[0].options == ["public_aggregates"]
    assert len(at.get("download_button")) == 3  # CSV, Excel, SDMX-CSV


def test_downloads_for_a_member(published):
    at = run_page("downloads", FJI_OFFICER)
    options = at.selectbox[0].options
    assert "fct_movements" in options and "reporting_compliance" in options
    assert "fct_permits" not in options  # not published: nothing to offer


# --- submit -----------------------------------------------------------------------------------


def test_submit_for_the_public_asks_to_sign_in(published):
    at = run_page("submit", PUBLIC)
    assert "Sign in as a member officer" in at.info[0].value
    assert not at.get("download_button")


def test_submit_for_a_member_offers_its_own_member_only(published):
    at = run_page("submit", FJI_OFFICER)
    assert at.selectbox[0].options == ["Fiji (FJI)"]
    assert len(at.get("download_button")) == 1  # the template


# --- tables, charts and words (issue 16) ------------------------------------------------------


def _column_config(table) -> dict:
    return json.loads(table.proto.columns)


def _time_axes(at: AppTest) -> list[dict]:
    """The x-axes of a page's plotly charts that carry months (the map's longitude is not)."""
    axes = []
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        for name, axis in layout.items():
            title = str((axis.get("title") or {}).get("text", "")) if name.startswith("x") else ""
            if name.startswith("xaxis") and not title.startswith("Longitude"):
                axes.append(axis)
    return axes


def test_explorer_rows_show_labels_separators_and_months_keeping_the_codes_in_the_data(
    published,
):
    at = run_page("explorer", SECRETARIAT)
    table = at.dataframe[0]
    shown = list(table.proto.column_order)
    # Names and labels in place of codes; the codes stay in the data, hidden from view.
    assert "member" in shown and "member_code" not in shown
    assert "country_label" in shown and "country_code" not in shown
    frame = table.value
    assert set(frame["member"]) == {"Fiji", "Tonga", "New Zealand"}
    assert {"Australia", "China", "New Zealand", "Fiji"} >= set(frame["country_label"])
    config = _column_config(table)
    assert config["observed_count"]["type_config"] == {"type": "number", "format": "%,d"}
    assert config["period_month"]["type_config"] == {"type": "date", "format": "MMM YYYY"}
    assert config["member"]["label"] == "Member"
    assert table.proto.placeholder == ""  # nothing is a blank, never "None"


def test_the_public_explorer_explains_hidden_figures_in_words(published):
    at = run_page("explorer", PUBLIC)
    at.radio(key="public_by").set_value("sub_region").run()
    table = at.dataframe[0]
    assert "conf_status" not in table.proto.column_order
    assert set(table.value["conf_status_label"]) == {
        "shown",
        "hidden: a small count (<5)",  # A
        "hidden: it would let another hidden figure be worked out",  # D
    }
    at.radio(key="public_by").set_value("region").run()
    assert set(at.dataframe[0].value["breakdown_value"]) == {"Pacific"}
    assert set(at.dataframe[0].value["display_value"]) == {"108,213", "81,787"}


def test_the_public_explorer_shows_nationalities_by_name(published):
    at = run_page("explorer", PUBLIC)
    at.selectbox(key="dataset").set_value("refusals").run()
    at.radio(key="public_by").set_value("nationality").run()
    assert set(at.dataframe[0].value["breakdown_value"]) == {"China", "United States"}


@pytest.mark.parametrize(
    ("page", "viewer"),
    [
        ("overview", SECRETARIAT),
        ("explorer", SECRETARIAT),
        ("explorer", PUBLIC),
        ("member_profile", SECRETARIAT),
        ("alerts", SECRETARIAT),
    ],
    ids=lambda value: value.label if isinstance(value, Viewer) else value,
)
def test_every_time_axis_shows_the_year(published, page, viewer):
    axes = _time_axes(run_page(page, viewer))
    assert axes
    # The month ticks are written by Python in the viewer's language ("Sep 2026").
    assert all(axis.get("ticktext") for axis in axes)
    assert all(re.search(r"\b20\d\d$", tick) for axis in axes for tick in axis["ticktext"])


def test_member_profile_draws_one_small_chart_per_dataset_in_contract_order(published):
    at = run_page("member_profile", SECRETARIAT)  # Fiji: movements, irregular, refusals
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    titles = dataset_titles()
    assert [chart["layout"]["title"]["text"] for chart in charts] == [
        titles[name] for name in titles if name in {"movements", "irregular", "refusals"}
    ]
    # Each its own y-axis, one line each: refusals (919) is not flattened by movements (61,234).
    assert all(len(chart["data"]) == 1 for chart in charts)
    assert all("range" not in chart["layout"].get("yaxis", {}) for chart in charts)


def test_member_profile_shares_are_shares_without_arrows_in_a_fixed_order(published):
    at = run_page("member_profile", SECRETARIAT)
    at.selectbox[0].set_value("TON").run()
    titles = dataset_titles()
    assert [metric.label for metric in at.metric] == [titles["movements"], titles["refusals"]]
    assert [metric.value for metric in at.metric] == ["0.0%", "0.3%"]
    assert all(not metric.delta for metric in at.metric)  # a share is not a change: no arrow


def test_the_overview_map_names_members_without_a_return(published):
    from app.regional_map import NO_RETURN_NAME, NOT_SHARED_NAME

    spec = json.loads(run_page("overview", SECRETARIAT).get("plotly_chart")[0].proto.spec)
    legend = {trace["name"]: set(trace.get("text", [])) for trace in spec["data"][1:]}
    assert legend[NO_RETURN_NAME] == {"TKL"}  # no movements return for September
    assert legend[NOT_SHARED_NAME] == set()  # the Secretariat sees everything
    spec = json.loads(run_page("overview", FJI_OFFICER).get("plotly_chart")[0].proto.spec)
    legend = {trace["name"]: set(trace.get("text", [])) for trace in spec["data"][1:]}
    assert legend[NOT_SHARED_NAME] == {"TON", "TKL"}
    assert legend[NO_RETURN_NAME] == set()


def test_compliance_opens_on_the_latest_month_with_one_decimal_rates(published):
    at = run_page("compliance", SECRETARIAT)
    grid = at.table[0].value
    assert list(grid.columns) == ["Sep 2026", "Aug 2026"]  # the latest month first
    assert at.select_slider(key="compliance_months").value[1] == pd.Timestamp(SEP)
    assert "✅" not in page_text(at) and "❌" not in page_text(at)
    rates = at.dataframe[0]
    shown = list(rates.proto.column_order)
    assert "completeness_pct" in shown and "completeness_rate" not in shown
    assert "member" in shown and "member_code" not in shown
    config = _column_config(rates)
    assert config["timeliness_pct"]["type_config"]["format"] == "%.1f%%"
    frame = rates.value.set_index("member_code")
    assert frame.loc["FJI", "timeliness_pct"] == 50.0


def test_compliance_opens_on_the_latest_year_of_a_long_history(published):
    months = pd.date_range("2024-01-01", "2026-07-01", freq="MS")
    rows = ", ".join(
        f"('FJI', 'movements', date '{m:%Y-%m-%d}', date '{m:%Y-%m}-28', true, 'on_time',"
        " false, false, 1, null, null)"
        for m in months
    )
    _update_serving(published, f"insert into marts.mart_reporting_compliance values {rows}")
    at = run_page("compliance", SECRETARIAT)
    start, end = at.select_slider(key="compliance_months").value
    assert end == pd.Timestamp(SEP) and start == pd.Timestamp("2025-10-01")
    assert at.table[0].value.columns[0] == "Sep 2026"
    assert len(at.table[0].value.columns) == 12


def test_the_explorer_caps_its_detail_table_and_says_where_every_row_is(published, monkeypatch):
    import app.views.explorer

    monkeypatch.setattr(app.views.explorer, "DETAIL_ROWS", 2)
    at = run_page("explorer", SECRETARIAT)
    frame = at.dataframe[0].value
    assert len(frame) == 2
    assert set(frame["period_month"]) == {pd.Timestamp(SEP)}  # the latest rows
    text = page_text(at)
    assert "The latest 2 of 5 rows" in text and "Downloads page" in text
    # The charts still count every row: the totals are summed in SQL.
    totals = chart_traces(at, 0)["Total"]
    assert totals[SEP] == 61_234 + NZL_MOVEMENTS_SEP


def test_alerts_draw_only_the_alert_that_is_open(published):
    at = run_page("alerts", SECRETARIAT)
    assert len(at.expander) == 2 and len(at.get("plotly_chart")) == 1
    assert len(at.metric) == 4  # the open alert's numbers only
    at.session_state["alert_a2"] = True
    at.run()
    assert len(at.get("plotly_chart")) == 1  # a2 has no history published: a caption
    assert any("Tonga recorded" in markdown.value for markdown in at.markdown)
    at.session_state["alert_a1"] = False
    at.run()
    assert not at.get("plotly_chart")


def test_the_uploader_says_the_intakes_limit(published):
    import tomllib

    from ingestion.safety import Limits

    at = run_page("submit", FJI_OFFICER)
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == 25 == Limits().max_file_mb
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 25
    assert "only the template" in at.selectbox[1].help.lower()
