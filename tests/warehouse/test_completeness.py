"""Completeness of the regional figures, end to end: the latest month the public sees does not
jump when one member files early, a month with a large member missing is marked incomplete, and
changes compare the same members.

Starts from the session's sample build (tests/warehouse/test_dbt_marts.py: 14 months to September 2026, in
which Australia, Papua New Guinea and Vanuatu have not sent September). A copy of its warehouse
then goes through four stages, each rebuilt with `dbt run` and published as the pipeline does
(orchestration.publish.publish_serving), and the overview page is run on each publication with
Streamlit's AppTest:

1. ``before``: "today" is 5 November 2026, before October's deadline (15 November);
2. ``fiji_early``: Fiji files October on 3 November; still 5 November;
3. ``deadline_passed``: nothing new, "today" is 16 November;
4. ``complete``: every other member files October too, back on 5 November.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support.warehouse import SampleBuild, dbt_vars, run_dbt

from app import data_access
from app.charts import INCOMPLETE_NAME, PROVISIONAL_NAME
from app.data_access import Viewer
from app.views.overview import dataset_titles
from orchestration.publish import publish_serving
from pidc.settings import Home
from sample_data import generate_samples

pytestmark = pytest.mark.slow

PAGES = Path(__file__).resolve().parents[2] / "app" / "pages"
PUBLIC = Viewer.public()
SECRETARIAT = Viewer(role="secretariat", name="Secretariat")
BEFORE_DEADLINE = dt.date(2026, 11, 5)
AFTER_DEADLINE = dt.date(2026, 11, 16)  # October's deadline is the 15th
OCTOBER = dt.date(2026, 10, 1)
SEPTEMBER = dt.date(2026, 9, 1)
EARLY_MEMBER = "FJI"


@dataclass(frozen=True)
class Stage:
    """One publication: its folder (a PIDC_HOME holding serving.duckdb) and "today"."""

    root: Path
    as_of: dt.date

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        with duckdb.connect(str(self.root / "serving.duckdb"), read_only=True) as connection:
            return connection.execute(sql, parameters or []).df()


def _ingest(home: Home, folders: list[Path], today: dt.date) -> None:
    """Each member folder's files in its arrival order, folder after folder, in one batch."""
    from ingestion.intake import ingest_files
    from ingestion.landing import landing_entries

    files: list[Path] = []
    for folder in folders:
        target = home.landing / folder.name
        shutil.copytree(folder, target, dirs_exist_ok=True)
        found, aside = landing_entries(target)
        assert aside == [], aside
        files += found
    outcomes = ingest_files(files, home, today=today)
    assert len(outcomes) == len(files)
    for outcome in outcomes:
        assert outcome.status == "accepted", (outcome.file_name, outcome.message)


@pytest.fixture(scope="module")
def stages(sample: SampleBuild, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Stage]:
    home = Home(tmp_path_factory.mktemp("completeness_home")).ensure()
    for path in sample.home.root.glob(f"{sample.warehouse.name}*"):  # the file and any WAL
        shutil.copy(path, home.root / path.name)
    october = tmp_path_factory.mktemp("october_returns") / "landing"
    generate_samples(october, months=1, end_period=f"{OCTOBER:%Y-%m}")
    members = sorted(folder for folder in october.iterdir() if folder.is_dir())
    early = [folder for folder in members if folder.name == EARLY_MEMBER]
    assert early, f"the sample writes no October return for {EARLY_MEMBER}"

    stages: dict[str, Stage] = {}

    def publish(name: str, as_of: dt.date) -> None:
        target = home.root / "dbt_target"
        failures = run_dbt(home.root, ["run", "--vars", dbt_vars(sample.manifest, as_of)], target)
        assert failures == [], failures
        root = tmp_path_factory.mktemp(f"stage_{name}")
        publish_serving(home.warehouse, root / "serving.duckdb")
        stages[name] = Stage(root, as_of)

    publish("before", BEFORE_DEADLINE)
    _ingest(home, early, today=dt.date(2026, 11, 3))
    publish("fiji_early", BEFORE_DEADLINE)
    publish("deadline_passed", AFTER_DEADLINE)
    _ingest(home, [folder for folder in members if folder.name != EARLY_MEMBER], BEFORE_DEADLINE)
    publish("complete", BEFORE_DEADLINE)
    return stages


def overview(stage: Stage, viewer: Viewer) -> AppTest:
    """The overview page as ``viewer`` sees the publication of ``stage``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIDC_HOME", str(stage.root))
        data_access._cached_query.clear()
        at = AppTest.from_file(str(PAGES / "overview.py"), default_timeout=120)
        at.session_state["viewer"] = viewer
        at.run()
        data_access._cached_query.clear()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> dict[str, dict[str, dict[dt.date, float | None]]]:
    """The trend charts of the overview (the map left out): title -> trace -> month -> value."""
    titles = [subheader.value for subheader in at.subheader][2:]  # after the month and the map
    figures = at.get("plotly_chart")[1:]
    assert len(titles) == len(figures)
    drawn = {}
    for title, figure in zip(titles, figures, strict=True):
        traces = json.loads(figure.proto.spec)["data"]
        drawn[title] = {
            trace["name"]: {
                dt.date.fromisoformat(str(x)[:10]): y
                for x, y in zip(trace["x"], trace["y"], strict=True)
            }
            for trace in traces
        }
    return drawn


def headline_captions(at: AppTest) -> list[str]:
    """The line under each headline: who it covers ("18 of 21 members, ...")."""
    return [c.value for c in at.caption if " members" in c.value or c.value == "No returns yet"]


def what_the_page_says(at: AppTest) -> dict[str, object]:
    """Everything the overview shows but the publication time: month, headlines, captions,
    notices and the trend charts."""
    return {
        "month": at.subheader[0].value,
        "headlines": [(m.label, m.value, m.delta, m.help) for m in at.metric],
        "headline_captions": headline_captions(at),
        "captions": [c.value for c in at.caption if "Published" not in c.value],
        "notices": [notice.value for notice in at.info],
        "charts": charts(at),
    }


def test_a_member_filing_early_changes_nothing_the_public_sees(stages):
    before = what_the_page_says(overview(stages["before"], PUBLIC))
    early = what_the_page_says(overview(stages["fiji_early"], PUBLIC))
    assert before["month"] == "September 2026"
    assert early == before
    # nor anywhere else the public looks: the public cells and the SDMX export stop at September
    for stage in (stages["fiji_early"],):
        months = stage.query("select max(period_month) as m from marts.mart_public_aggregates")
        assert months["m"].iloc[0] == pd.Timestamp(SEPTEMBER)
        periods = stage.query('select distinct "TIME_PERIOD" as p from marts.mart_sdmx_public')
        assert f"{OCTOBER:%Y-%m}" not in set(periods["p"])


def test_the_secretariat_sees_the_early_month_as_provisional(stages):
    at = overview(stages["fiji_early"], SECRETARIAT)
    assert at.subheader[0].value == "September 2026"
    assert any("October 2026" in notice.value for notice in at.info)
    for title, traces in charts(at).items():
        assert traces[PROVISIONAL_NAME][OCTOBER] is not None, title
        assert traces["Regional total"][OCTOBER] is None, title
    status = stages["fiji_early"].query(
        "select distinct completeness_status as s, members_reporting as n"
        " from marts.mart_regional_completeness where period_month = ?",
        [OCTOBER],
    )
    assert list(status.itertuples(index=False, name=None)) == [("provisional", 1)]


def test_the_month_is_published_once_its_deadline_has_passed(stages):
    before = what_the_page_says(overview(stages["before"], PUBLIC))
    at = overview(stages["deadline_passed"], PUBLIC)
    after = what_the_page_says(at)
    assert after["month"] == "October 2026"
    assert after["headlines"] != before["headlines"]
    assert after["charts"] != before["charts"]
    for title, traces in after["charts"].items():
        assert OCTOBER in traces["Regional total"], title
    # Fiji alone: every headline says so, and no change is drawn against September's members
    assert after["headline_captions"]
    assert all("Incomplete: 1 of 21 members" in line for line in after["headline_captions"])
    assert all(delta is None or delta == "" for _, _, delta, _ in after["headlines"])


def test_the_month_is_published_once_complete_even_before_its_deadline(stages):
    at = overview(stages["complete"], PUBLIC)
    page = what_the_page_says(at)
    assert page["month"] == "October 2026"
    assert stages["complete"].as_of < dt.date(2026, 11, 15)
    assert page["headline_captions"]
    assert all(line.startswith("21 of 21 members, ") for line in page["headline_captions"])
    for title, traces in page["charts"].items():
        assert OCTOBER in traces["Regional total"], title
        assert traces.get(INCOMPLETE_NAME, {}).get(OCTOBER) is None, title


def test_a_missing_large_member_marks_the_month_incomplete_and_compares_the_same_members(
    stages, sample: SampleBuild
):
    missing = {
        ref.member for ref in sample.manifest.missing_returns if ref.period == f"{SEPTEMBER:%Y-%m}"
    }
    assert "AUS" in missing, "the sample's September should lack Australia's returns"
    stage = stages["before"]
    trends = stage.query(
        "select * from marts.mart_regional_trends where period_month = ?", [SEPTEMBER]
    ).set_index("dataset")
    totals = stage.query("select * from marts.mart_return_totals")
    totals["period_month"] = totals["period_month"].dt.date
    for dataset, row in trends.iterrows():
        assert row["completeness_status"] == "incomplete", dataset
        assert row["coverage_pct"] < 90, dataset
        assert row["member_count_reporting"] == row["members_expected"] - len(missing)
        # like for like: the members with a return in both August and September only
        this = totals[(totals["dataset"] == dataset) & (totals["period_month"] == SEPTEMBER)]
        last = totals[
            (totals["dataset"] == dataset) & (totals["period_month"] == dt.date(2026, 8, 1))
        ]
        both = set(this["member_code"]) & set(last["member_code"])
        assert row["mom_members_compared"] == len(both)
        now = this[this["member_code"].isin(both)]["total_count"].sum()
        base = last[last["member_code"].isin(both)]["total_count"].sum()
        assert row["mom_change_pct"] == pytest.approx(round(100 * (now - base) / base, 1))
        naive = (
            100 * (row["total_count"] - row["previous_month_total"]) / row["previous_month_total"]
        )
        assert naive < row["mom_change_pct"] - 10, "the naive fall is Australia missing"
    # the overview marks it and says which members a change compares
    titles = dataset_titles()
    public = overview(stage, PUBLIC)
    lines = headline_captions(public)
    assert lines and all(line.startswith("⚠ Incomplete: 18 of 21 members") for line in lines)
    assert all(not metric.delta for metric in public.metric)  # different members: no change
    secretariat = overview(stage, SECRETARIAT)
    movements = next(m for m in secretariat.metric if m.label == titles["movements"])
    assert movements.delta.endswith("(same 18 members)")
    chart = charts(secretariat)[titles["movements"]]
    assert chart[INCOMPLETE_NAME][SEPTEMBER] == trends.loc["movements", "total_count"]
