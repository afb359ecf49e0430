"""Orchestration on real data: raw expectation suites, compliance reminders, the instance config,
dbt docs, and whole pipeline runs on a small sample (four months, every member: the session's
``cli_sample`` of tests/conftest.py).
"""

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from ingestion.raw_schema import raw_ddl
from orchestration.checks import check_raw_dataset, ledger_problems
from orchestration.compliance import (
    ComplianceDataMissingError,
    build_compliance_asset,
    read_compliance_month,
)
from orchestration.dbt_docs import dbt_docs_command, docs_target_path
from orchestration.intake import rejected_files_check
from orchestration.resources import HomeResource
from pidc.contract import load_contract
from pidc.settings import PROJECT_ROOT, home

# --- raw expectation suites -------------------------------------------------------------------


def _raw_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    for statement in raw_ddl():
        connection.execute(statement)
    connection.execute(
        "insert into raw.submissions (submission_id, member, file_name, file_sha256, "
        "received_at, status, rows_read, rows_loaded, rows_rejected) values "
        "('s-fji', 'FJI', 'fji.csv', 'x', now(), 'accepted', 2, 2, 0)"
    )
    return connection


def _insert_refusal(connection, member: str, period: str, count, submission_id="s-fji", row=1):
    dataset = load_contract().dataset("refusals")
    names = [column.name for column in dataset.breakdowns]
    connection.execute(
        f"insert into raw.refusals (member, period, {', '.join(names)}, count, submission_id, "
        f"source_row) values (?, ?, {', '.join('?' for _ in names)}, ?, ?, ?)",
        [member, period, *["_T"] * len(names), count, submission_id, row],
    )


def test_raw_suite_passes_on_clean_rows_and_names_each_broken_rule(tmp_path):
    connection = _raw_warehouse(tmp_path / "warehouse.duckdb")
    refusals = load_contract().dataset("refusals")
    window = {"member_codes": ["FJI", "TON"], "first_period": "2017-01", "last_period": "2026-09"}
    _insert_refusal(connection, "FJI", "2026-08", 7)
    _insert_refusal(connection, "FJI", "2026-09", 0, row=2)
    clean = check_raw_dataset(connection, refusals, **window)
    assert clean.passed and clean.rows_checked == 2

    _insert_refusal(connection, "FJI", "2026-09", -3, row=3)  # negative count
    _insert_refusal(connection, "TON", "2026-09", 4, row=4)  # not the submitter
    _insert_refusal(connection, "FJI", "2031-01", 4, row=5)  # in the future
    _insert_refusal(connection, "FJI", "2026-09", None, row=6)  # blank count
    broken = check_raw_dataset(connection, refusals, **window)
    connection.close()
    assert not broken.passed
    failed = {
        (rule.expectation, rule.kwargs["column"]): sorted(rows["source_row"])
        for rule, rows in broken.failures
    }
    assert failed == {
        ("ExpectColumnValuesToBeBetween", "count__value"): [3],
        ("ExpectColumnValuesToNotBeNull", "count__value"): [6],
        ("ExpectColumnValuesToBeInSet", "member__is_submitter"): [4],
        ("ExpectColumnValuesToBeBetween", "period__index"): [5],
    }


def test_the_raw_suite_checks_a_large_table_in_slices_with_the_same_verdicts(tmp_path, monkeypatch):
    """A raw table is checked in slices (memory stays bounded at ten years and ten times the
    members): broken rows in different slices are all found, with their source rows, exactly as
    when the whole table is checked at once."""
    from orchestration import checks

    connection = _raw_warehouse(tmp_path / "warehouse.duckdb")
    refusals = load_contract().dataset("refusals")
    names = [column.name for column in refusals.breakdowns]
    connection.execute(
        f"insert into raw.refusals (member, period, {', '.join(names)}, count, submission_id, "
        f"source_row) select 'FJI', '2026-08', {', '.join(repr('_T') for _ in names)}, "
        "case when i in (10, 4500) then -1 else 3 end, 's-fji', i from range(1, 5001) as t(i)"
    )
    connection.execute("update raw.refusals set member = 'TON' where source_row = 2100")
    window = {"member_codes": ["FJI", "TON"], "first_period": "2017-01", "last_period": "2026-09"}

    def verdicts():
        outcome = check_raw_dataset(connection, refusals, **window)
        return outcome.rows_checked, [
            (rule.expectation, rule.kwargs["column"], sorted(rows["source_row"]))
            for rule, rows in outcome.failures
        ]

    whole = verdicts()
    monkeypatch.setattr(checks, "RAW_CHECK_ROWS", 2048)  # three slices
    sliced = verdicts()
    connection.close()
    assert sliced == whole
    assert whole == (
        5000,
        [
            ("ExpectColumnValuesToBeInSet", "member__is_submitter", [2100]),
            ("ExpectColumnValuesToBeBetween", "count__value", [10, 4500]),
        ],
    )


def test_ledger_check_finds_unbalanced_and_orphan_rows(tmp_path):
    connection = _raw_warehouse(tmp_path / "warehouse.duckdb")
    _insert_refusal(connection, "FJI", "2026-08", 7)
    assert ledger_problems(connection, ["refusals"]) == []
    connection.execute("update raw.submissions set rows_loaded = 1")
    _insert_refusal(connection, "FJI", "2026-08", 7, submission_id="hand-loaded")
    problems = ledger_problems(connection, ["refusals"])
    connection.close()
    assert problems == [
        "Submission s-fji: 2 rows read but 1 loaded + 0 rejected.",
        "raw.refusals holds 1 row(s) of submission hand-loaded, which the ledger does not list "
        "as accepted.",
    ]


def test_rejected_files_fail_the_intake_check_with_their_reports(tmp_path):
    from ingestion.intake import IngestOutcome

    report = tmp_path / "reports" / "s2" / "report.md"
    outcomes = [
        IngestOutcome("s1", "ok.csv", "a", "accepted", "FJI", 3, 3, 0, None, "accepted"),
        IngestOutcome("s2", "bad.csv", "b", "rejected", "TON", 3, 0, 3, report, "3 problems"),
    ]
    result = rejected_files_check(outcomes)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["rejected: TON/bad.csv"].value == str(report)
    assert result.metadata["files_rejected"].value == 1
    assert rejected_files_check(outcomes[:1]).passed


def intake_step_with(outcomes, platform_home, monkeypatch):
    """The intake asset run on an ephemeral instance, with intake's outcomes ``outcomes``: the
    run's result and its log entries."""
    from ingestion import intake
    from orchestration.intake import build_intake_assets

    monkeypatch.setattr(intake, "ingest_path", lambda *args, **kwargs: list(outcomes))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [build_intake_assets()],
        instance=instance,
        resources={"home": HomeResource(root=str(platform_home.root))},
    )
    assert result.success
    return result, instance.all_logs(result.run_id)


def test_an_intake_run_logs_each_file_read_and_counts_the_ones_already_received(
    tmp_path, monkeypatch
):
    """A landing folder keeps years of files: each file the ledger already has under its name
    and arrival time is counted in one line of the run's log, not logged one by one (each line is
    an event Dagster stores); every file read, a copy of an earlier file included, keeps its
    line, and the counts are unchanged."""
    from ingestion import intake

    platform_home = home(tmp_path).ensure()

    def outcome(name, status, *, unchanged=False):
        return intake.IngestOutcome(
            f"id-{name}", name, "sha", status, "FJI", 1, int(status == "accepted"), 0, None,
            "a message", unchanged=unchanged,
        )  # fmt: skip

    outcomes = [
        *(outcome(f"FJI_old_{n}.csv", "duplicate", unchanged=True) for n in range(3)),
        outcome("FJI_refusals_2026-10.csv", "accepted"),
        outcome("FJI_refusals_2026-10_copy.csv", "duplicate"),
    ]
    result, logs = intake_step_with(outcomes, platform_home, monkeypatch)
    messages = [entry.user_message for entry in logs]
    assert not any("FJI_old_" in message for message in messages)
    assert sum("FJI_refusals_2026-10.csv: accepted" in message for message in messages) == 1
    assert sum("FJI_refusals_2026-10_copy.csv: duplicate" in message for message in messages) == 1
    assert (
        sum(
            "3 landing files already received under the same name and arrival time" in message
            for message in messages
        )
        == 1
    )
    [materialization, *_] = result.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    assert metadata["files_duplicate"].value == 4
    assert metadata["files_seen"].value == 5


def test_files_read_are_listed_many_to_an_event_and_those_needing_attention_alone(
    tmp_path, monkeypatch
):
    """Every file read has its line in the run's log: a rejected or refused one is a warning
    of its own, the others are listed LOG_LINES_PER_EVENT to an event (an event costs Dagster
    about 0.4 ms; a rebuild reads thousands of files)."""
    from ingestion import intake
    from orchestration.intake import LOG_LINES_PER_EVENT

    platform_home = home(tmp_path).ensure()
    accepted = [
        intake.IngestOutcome(f"id-{n}", f"FJI_refusals_{n:04d}.csv", "sha", "accepted", "FJI",
                             1, 1, 0, None, "loaded")
        for n in range(LOG_LINES_PER_EVENT * 2 + 3)
    ]  # fmt: skip
    rejected = [
        intake.IngestOutcome(f"id-r{n}", f"FJI_bad_{n}.csv", "sha", status, "FJI", 1, 0, 1, None,
                             "a column is missing")
        for n, status in enumerate(("rejected", "refused"))
    ]  # fmt: skip
    _, logs = intake_step_with(accepted + rejected, platform_home, monkeypatch)
    entries = [e for e in logs if "FJI_" in (e.user_message or "")]
    lines = [line for e in entries for line in e.user_message.splitlines() if "FJI_" in line]
    for outcome in accepted + rejected:
        assert sum(line.endswith(f"{outcome.file_name}: {outcome.status} - {outcome.message}")
                   for line in lines) == 1  # fmt: skip
    warnings = [e for e in entries if e.level == logging.WARNING]
    assert sorted(e.user_message for e in warnings) == [
        "FJI_bad_0.csv: rejected - a column is missing",
        "FJI_bad_1.csv: refused - a column is missing",
    ]
    assert len(entries) - len(warnings) == 3  # 1,003 accepted files in three events


# --- compliance reminders ---------------------------------------------------------------------


def _serving_with_compliance(path: Path) -> None:
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    connection.execute(
        "create table marts.dim_members as select * from (values ('FJI', 'Fiji'), "
        "('TON', 'Tonga'), ('NIU', 'Niue')) as m(member_code, member_name)"
    )
    connection.execute(
        """
        create table marts.mart_reporting_compliance as select * from (values
            ('FJI', 'refusals', date '2026-09-01', date '2026-10-15', true, 'missing',
             false, false, 0, null::timestamp, null::timestamp),
            ('FJI', 'movements', date '2026-09-01', date '2026-10-15', true, 'on_time',
             false, false, 1, timestamp '2026-10-02 09:00', timestamp '2026-10-02 09:00'),
            ('TON', 'permits', date '2026-09-01', date '2026-10-15', true, 'late',
             false, true, 2, timestamp '2026-10-20 11:00', timestamp '2026-10-25 11:00'),
            ('NIU', 'removals', date '2026-09-01', date '2026-10-15', false, 'missing',
             false, false, 0, null, null),
            ('TON', 'permits', date '2026-08-01', date '2026-09-15', true, 'missing',
             false, false, 0, null, null)
        ) as c(member_code, dataset, period_month, due_date, is_expected, status,
               is_nil_return, is_corrected, version_count, first_received_at, last_received_at)
        """
    )
    connection.close()


def test_compliance_job_writes_missing_and_late_returns_per_member(tmp_path):
    platform_home = home(tmp_path).ensure()
    _serving_with_compliance(platform_home.serving)
    result = dg.materialize(
        [build_compliance_asset()],
        partition_key="2026-09-01",
        resources={"home": HomeResource(root=str(tmp_path))},
    )
    assert result.success
    folder = platform_home.reports / "compliance" / "2026-09"
    rows = (folder / "missing_and_late.csv").read_text(encoding="utf-8").splitlines()
    assert rows == [
        "member_code,member_name,dataset,period_month,due_date,status,first_received_at,days_late",
        "FJI,Fiji,refusals,2026-09-01,2026-10-15,missing,,",
        "TON,Tonga,permits,2026-09-01,2026-10-15,late,2026-10-20 11:00:00,5",
    ]
    markdown = (folder / "reminders.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Returns missing or late for September 2026")
    assert "## Fiji (FJI)" in markdown and "**refusals**: missing (was due 2026-10-15)" in markdown
    assert "**permits**: late, received 2026-10-20 (5 day(s) after" in markdown
    assert "Niue" not in markdown  # not expected that month (not a member then)
    (materialization,) = result.asset_materializations_for_node("compliance_reminders")
    assert materialization.metadata["missing_returns"].value == 1
    assert materialization.metadata["late_returns"].value == 1


def test_compliance_report_says_what_to_do_when_the_mart_is_absent(tmp_path):
    serving = tmp_path / "serving.duckdb"
    with pytest.raises(ComplianceDataMissingError, match="No serving database"):
        read_compliance_month(serving, dt.date(2026, 9, 1))
    connection = duckdb.connect(str(serving))
    connection.execute("create schema marts")
    connection.execute("create table marts.dim_members as select 'FJI' as member_code")
    connection.close()
    with pytest.raises(ComplianceDataMissingError, match=r"no marts\.mart_reporting_compliance"):
        read_compliance_month(serving, dt.date(2026, 9, 1))


# --- instance and docs ------------------------------------------------------------------------


def test_instance_module_writes_a_config_dagster_accepts(tmp_path):
    environment = {**os.environ, "PIDC_HOME": str(tmp_path)}
    finished = subprocess.run(
        [sys.executable, "-m", "orchestration.instance"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    dagster_home = Path(finished.stdout.strip())
    assert dagster_home == home(tmp_path).dagster_home
    config = yaml.safe_load((dagster_home / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["concurrency"]["pools"]["default_limit"] == 1
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    finally:
        instance.dispose()


def test_dbt_docs_command_writes_under_the_home_folder(tmp_path):
    platform_home = home(tmp_path)
    command = dbt_docs_command(platform_home)
    assert command[1:4] == ["docs", "generate", "--static"]
    assert command[command.index("--target-path") + 1] == str(tmp_path / "dbt-docs")
    assert docs_target_path(platform_home) == tmp_path / "dbt-docs"


# --- whole runs on the sample -----------------------------------------------------------------

READER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import duckdb

    serving, stop_file = sys.argv[1], sys.argv[2]
    connection = duckdb.connect(serving, read_only=True)
    queries = 0
    deadline = time.time() + 900
    import pathlib
    while not pathlib.Path(stop_file).exists() and time.time() < deadline:
        tables = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
        queries += 1
        time.sleep(0.2)
    connection.close()
    print(json.dumps({"queries": queries, "tables": tables}))
    """
)


@pytest.fixture(scope="session")
def sample_run(cli_sample):
    """A four-month sample of every member through the whole pipeline, once per session: the
    run ``pidc run --no-serve`` made (cli_sample in tests/conftest.py, which
    tests/pipeline/test_end_to_end.py reads too), and the summary run_pipeline returned."""
    assert cli_sample.run_exit_code == 0, cli_sample.run_output
    return cli_sample.home, cli_sample.summary


@pytest.mark.slow
def test_full_materialisation_of_a_sample_publishes_the_marts(sample_run):
    platform_home, summary = sample_run
    assert summary["files_accepted"] > 21
    assert summary["rows_loaded"] > 0
    assert summary["models_built"] > 10
    connection = duckdb.connect(str(platform_home.serving), read_only=True)
    try:
        tables = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        members = connection.execute("select count(*) from marts.dim_members").fetchone()[0]
    finally:
        connection.close()
    assert {"dim_members", "fct_movements", "mart_regional_trends"} <= tables
    assert summary["tables_published"] == len(tables)
    assert members >= 21


@pytest.mark.slow
def test_dashboard_reads_serving_while_a_pipeline_run_writes(sample_run, tmp_path):
    from support.cli_sample import copy_home

    from orchestration.runner import run_pipeline

    # The session's sample home is only read by the other tests: this run writes to a copy.
    platform_home = copy_home(sample_run[0], tmp_path / "home")
    stop_file = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(platform_home.serving), str(stop_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        summary = run_pipeline(platform_home)  # writes the warehouse, then swaps serving
    finally:
        stop_file.touch()
        stdout, stderr = reader.communicate(timeout=120)
    assert reader.returncode == 0, stderr
    seen = json.loads(stdout)
    assert seen["queries"] > 1 and seen["tables"] > 0
    assert summary["files_duplicate"] > 0 and summary["files_accepted"] == 0
    assert summary["tables_published"] > 0
