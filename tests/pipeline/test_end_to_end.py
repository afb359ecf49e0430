"""The thin slice end to end, as the README's run command drives it, on a temporary home:
sample files in landing -> intake -> raw + ledger -> dbt -> marts -> published serving database
-> the dashboard's overview page."""

from __future__ import annotations

import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from cli.main import app
from pidc.settings import PROJECT_ROOT
from pidc.settings import home as make_home

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(cli_sample):
    """The session's ``pidc sample --months 4`` + ``pidc run --no-serve`` home (cli_sample in
    tests/conftest.py, which tests/pipeline/test_orchestration_runs.py reads too)."""
    root = cli_sample.home.root
    assert cli_sample.sample_exit_code == 0, cli_sample.sample_output
    ran_output = cli_sample.run_output
    assert cli_sample.run_exit_code == 0, ran_output
    # The terminal gets progress and a short summary per step; the whole log goes to a file.
    assert len(ran_output.splitlines()) < 40, ran_output
    assert "whole log:" in ran_output and "Running with dbt" not in ran_output
    [log] = (root / "logs").glob("pipeline-*.log")
    assert "Running with dbt" in log.read_text() and "# Dagster run" in log.read_text()
    return make_home(root)


def test_every_landing_file_is_loaded_or_quarantined_with_a_report(published):
    manifest = json.loads((published.root / "sample_manifest.json").read_text())
    with duckdb.connect(str(published.warehouse), read_only=True) as connection:
        ledger = connection.execute(
            "select status, count(*) from raw.submissions group by status"
        ).fetchall()
        reports = connection.execute("select report_path from raw.submissions").fetchall()
        balance = connection.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from raw.submissions"
        ).fetchone()
    landed = [p for p in published.landing.rglob("*") if p.is_file()]
    assert len(landed) == len(manifest["files"])
    statuses = dict(ledger)
    # Every sample file is distinct by content or (nil returns) by name: one ledger row each.
    assert sum(statuses.values()) == len(landed)
    assert set(statuses) <= {"accepted", "superseded", "rejected"}
    assert all(path and (published.root / path).exists() for (path,) in reports)
    rows_read, rows_loaded, rows_rejected = balance
    assert rows_read == rows_loaded + rows_rejected


def test_the_run_reaches_no_other_machine(cli_sample):
    """Nothing is fetched from the internet at run time (member offices have unreliable links,
    these machines none): sampling and the whole run, dbt's processes and the readers included,
    made no lookup and no connection beyond this machine (dagster-dbt used to run
    `dbt --version`, which asks pypi.org for the latest releases)."""
    assert cli_sample.run_exit_code == 0, cli_sample.run_output
    assert cli_sample.network_attempts == ()


def test_marts_are_published_to_the_serving_database(published):
    with duckdb.connect(str(published.serving), read_only=True) as connection:
        tables = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        trends = connection.execute(
            "select dataset, count(*), sum(total_count) from marts.mart_regional_trends "
            "group by dataset order by dataset"
        ).fetchall()
    assert {"dim_members", "fct_movements", "mart_regional_trends"} <= tables
    assert {dataset for dataset, _, _ in trends} >= {"movements", "refusals", "irregular"}
    assert all(months >= 3 and total > 0 for _, months, total in trends if total is not None)


def test_overview_page_shows_the_published_regional_trend(published, monkeypatch):
    monkeypatch.setenv("PIDC_HOME", str(published.root))
    page = AppTest.from_file(str(PROJECT_ROOT / "app" / "main.py"), default_timeout=60).run()
    assert not page.exception, page.exception
    text = " ".join(str(e.value) for e in page.markdown) + " ".join(
        str(m.label) for m in page.metric
    )
    assert "No published data yet" not in text
    assert page.metric, "the overview shows headline figures"


def test_a_second_run_with_nothing_new_serves_without_running_the_pipeline(published):
    published_at = published.serving.stat().st_mtime_ns
    again = CliRunner().invoke(app, ["run", "--home", str(published.root), "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "nothing new in" in again.output
    assert published.serving.stat().st_mtime_ns == published_at
