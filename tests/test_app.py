"""The dashboard against a tiny hand-made serving database (and against none at all)."""

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from app import data_access
from app.overview import dataset_titles, latest_month_headlines

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OVERVIEW_PAGE = str(PROJECT_ROOT / "app" / "pages" / "overview.py")
MAIN = str(PROJECT_ROOT / "app" / "main.py")

TREND_ROWS = [
    # dataset, period_month, members, total, previous, mom %, last year, yoy %
    ("movements", "2026-08-01", 18, 120_000, None, None, None, None),
    ("movements", "2026-09-01", 19, 125_000, 120_000, 4.1667, 100_000, 25.0),
    ("refusals", "2026-08-01", 6, 40, None, None, None, None),
    ("refusals", "2026-09-01", 7, 30, 40, -25.0, None, None),
    # permits reported last month only: its latest-month figure is missing, not zero.
    ("permits", "2026-08-01", 5, 900, None, None, None, None),
]


def make_serving(path: Path, rows=TREND_ROWS) -> None:
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    connection.execute(
        """
        create table marts.mart_regional_trends (
            dataset varchar, period_month date, member_count_reporting integer,
            total_count bigint, previous_month_total bigint, mom_change_pct double,
            same_month_last_year_total bigint, yoy_change_pct double
        )
        """
    )
    connection.executemany(
        "insert into marts.mart_regional_trends values (?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    connection.execute(
        "create table main.publication as "
        "select 'warehouse.duckdb' as source_warehouse, timestamptz '2026-10-16 06:00:00+00' "
        "as published_at"
    )
    connection.close()


@pytest.fixture
def pidc_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PIDC_HOME", str(tmp_path))
    data_access._cached_query.clear()
    yield tmp_path
    data_access._cached_query.clear()


def test_overview_shows_empty_state_without_serving_db(pidc_home):
    at = AppTest.from_file(OVERVIEW_PAGE).run()
    assert not at.exception
    assert [info.value for info in at.info] == [data_access.EMPTY_STATE_MESSAGE]
    assert len(at.metric) == 0


def test_overview_shows_latest_month_figures(pidc_home):
    make_serving(pidc_home / "serving.duckdb")
    at = AppTest.from_file(OVERVIEW_PAGE).run()
    assert not at.exception
    titles = dataset_titles()
    # One headline per dataset, labelled with its contract title, in contract order.
    assert [metric.label for metric in at.metric] == [
        titles["movements"],
        titles["permits"],
        titles["refusals"],
    ]
    movements, permits, refusals = at.metric
    assert movements.value == "125,000"
    assert movements.delta == "+4.2% on previous month"
    assert refusals.value == "30"
    assert refusals.delta == "-25.0% on previous month"
    # Permits have no September return: shown as missing, never as 0.
    assert permits.value == "—"
    assert not permits.delta
    assert any("September 2026" in caption.value for caption in at.caption)
    assert any("2026-10-16 06:00" in caption.value for caption in at.caption)
    assert len(at.get("vega_lite_chart")) == 3


def test_overview_notices_a_new_publication(pidc_home):
    serving = pidc_home / "serving.duckdb"
    make_serving(serving)
    first = AppTest.from_file(OVERVIEW_PAGE).run()
    assert "125,000" in [metric.value for metric in first.metric]
    serving.unlink()
    make_serving(serving, [("movements", "2026-10-01", 19, 130_500, 125_000, 4.4, None, None)])
    second = AppTest.from_file(OVERVIEW_PAGE).run()
    assert [metric.value for metric in second.metric] == ["130,500"]


def test_main_navigation_opens_the_overview(pidc_home):
    at = AppTest.from_file(MAIN).run()
    assert not at.exception
    assert [title.value for title in at.title] == ["Regional overview"]


def test_headlines_keep_missing_apart_from_zero():
    import pandas as pd

    trends = pd.DataFrame(TREND_ROWS, columns=data_access.REGIONAL_TREND_COLUMNS)
    trends["period_month"] = pd.to_datetime(trends["period_month"])
    by_dataset = {headline.dataset: headline for headline in latest_month_headlines(trends)}
    assert by_dataset["movements"].total == 125_000
    assert by_dataset["movements"].members_reporting == 19
    assert by_dataset["permits"].total is None
    assert by_dataset["refusals"].yoy_change_pct is None
