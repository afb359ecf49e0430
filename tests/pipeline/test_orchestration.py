"""Orchestration: the shape of the Dagster definitions, the landing sensor, publishing, runs.

Most tests use a tiny dbt project written by a fixture, so they pin the orchestration's own
behaviour without depending on the real models; the tests on the real dbt project skip until it
exists.
"""

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from ingestion.raw_schema import raw_ddl, raw_tables
from orchestration.automation import AFTER_INTAKE_LABEL
from orchestration.checks import RAW_SUITE_CHECKS_NAME
from orchestration.definitions import build_definitions
from orchestration.intake import (
    INTAKE_ASSET_NAME,
    build_intake_job,
    build_landing_sensor,
    file_sha256,
    scan_landing,
)
from orchestration.partitions import dbt_partition_vars, month_window_vars, monthly_partitions
from orchestration.publish import PublishError, publish_serving
from orchestration.resources import WAREHOUSE_POOL, HomeResource
from orchestration.transform import (
    DBT_ASSETS_NAME,
    FULL_CHECKS_VAR,
    DbtBuildConfig,
    PidcDbtTranslator,
    dbt_build_args,
    dbt_cli,
    dbt_env,
    dbt_target_path,
    is_transient_dbt_failure,
    keep_partial_parsing,
    pidc_dbt_project,
    read_to_the_end,
)
from pidc.contract import load_contract
from pidc.settings import DBT_PROJECT_DIR, home

FIXTURE_DBT_FILES = {
    "dbt_project.yml": """
name: pidc_fixture
version: "1.0"
profile: pidc_fixture
models:
  pidc_fixture:
    staging:
      +materialized: view
      +schema: staging
    marts:
      +materialized: table
      +schema: marts
""",
    "profiles.yml": """
pidc_fixture:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('PIDC_WAREHOUSE') }}"
      threads: 1
""",
    "macros/generate_schema_name.sql": """
{% macro generate_schema_name(custom_schema_name, node) -%}
{{ custom_schema_name or target.schema }}
{%- endmacro %}
""",
    "seeds/reference/members.csv": "member_code,member_name\nFJI,Fiji\nTON,Tonga\n",
    "models/staging/_staging__sources.yml": """
version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: movements
        meta:
          dagster:
            asset_key: ["raw", "movements"]
      - name: submissions
""",
    "models/staging/stg_raw__movements.sql": (
        "select member, period, count from {{ source('raw', 'movements') }}\n"
    ),
    "models/marts/mart_movement_totals.sql": """
select
    movements.member,
    sum(movements.count) as total_count,
    '{{ var("pidc_period_start", "none") }}' as window_start,
    '{{ var("pidc_period_end", "none") }}' as window_end
from {{ ref('stg_raw__movements') }} as movements
inner join {{ ref('members') }} as members on members.member_code = movements.member
group by all
""",
    # A blocking check: a member total above 1000 fails the build (used to test publish safety).
    "models/marts/_marts__models.yml": """
version: 2
models:
  - name: mart_movement_totals
    columns:
      - name: member
        data_tests: [not_null, unique]
      - name: total_count
        data_tests:
          - dbt_utils_free_range_check
""",
    "tests/generic/dbt_utils_free_range_check.sql": """
{% test dbt_utils_free_range_check(model, column_name) %}
select * from {{ model }} where {{ column_name }} > 1000
{% endtest %}
""",
}


@pytest.fixture(scope="module")
def fixture_dbt_project(tmp_path_factory) -> Path:
    project_dir = tmp_path_factory.mktemp("dbt_fixture")
    for relative, text in FIXTURE_DBT_FILES.items():
        target = project_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.lstrip(), encoding="utf-8")
    return project_dir


@pytest.fixture(scope="module")
def fixture_defs(fixture_dbt_project) -> dg.Definitions:
    return build_definitions(home_root="/nonexistent-home", dbt_project_dir=fixture_dbt_project)


def _keys(definitions: dg.Definitions) -> set[str]:
    graph = definitions.resolve_asset_graph()
    return {key.to_user_string() for key in graph.get_all_asset_keys()}


def _groups(definitions: dg.Definitions) -> dict[str, str | None]:
    graph = definitions.resolve_asset_graph()
    return {
        node.key.to_user_string(): node.group_name
        for node in graph.asset_nodes
        if node.is_materializable
    }


# --- definitions -----------------------------------------------------------------------------


def test_definitions_pin_assets_groups_and_checks(fixture_defs):
    raw_keys = {f"raw/{table}" for table in raw_tables()}
    assert _keys(fixture_defs) == raw_keys | {
        "members",
        "staging/stg_raw__movements",
        "marts/mart_movement_totals",
        "serving_database",
        "compliance_reminders",
    }
    groups = _groups(fixture_defs)
    assert {groups[key] for key in raw_keys} == {"intake"}
    assert groups["members"] == "seeds"
    assert groups["staging/stg_raw__movements"] == "staging"
    assert groups["marts/mart_movement_totals"] == "marts"
    assert groups["serving_database"] == "publish"
    assert groups["compliance_reminders"] == "reports"
    checks = {key.to_user_string() for key in fixture_defs.resolve_asset_graph().asset_check_keys}
    assert checks == {
        "marts/mart_movement_totals:not_null_mart_movement_totals_member",
        "marts/mart_movement_totals:unique_mart_movement_totals_member",
        "marts/mart_movement_totals:dbt_utils_free_range_check_mart_movement_totals_total_count",
        "raw/submissions:every_file_accepted",
        "raw/submissions:ledger_reconciles",
        *(f"raw/{name}:rows_meet_contract" for name in load_contract().dataset_names),
    }


def test_definitions_wire_lineage_from_intake_to_serving(fixture_defs):
    graph = fixture_defs.resolve_asset_graph()
    # The source without meta is bound to raw/<table> too, so both raw tables feed dbt.
    staging = graph.get(dg.AssetKey(["staging", "stg_raw__movements"]))
    assert dg.AssetKey(["raw", "movements"]) in staging.parent_keys
    serving = graph.get(dg.AssetKey("serving_database"))
    assert serving.parent_keys == {dg.AssetKey(["marts", "mart_movement_totals"])}
    reminders = graph.get(dg.AssetKey("compliance_reminders"))
    assert reminders.parent_keys == {dg.AssetKey("serving_database")}


def test_definitions_pin_jobs_sensors_schedules(fixture_defs):
    jobs = {job.name for job in fixture_defs.resolve_all_job_defs()} - {"__ASSET_JOB"}
    assert jobs == {"intake_job", "refresh_job", "pipeline_job", "compliance_job"}
    assert {sensor.name for sensor in fixture_defs.sensors} == {
        "landing_sensor",
        "refresh_after_intake",
    }
    schedules = {schedule.name: schedule for schedule in fixture_defs.schedules}
    assert set(schedules) == {"nightly_build", "monthly_compliance"}
    assert schedules["nightly_build"].job_name == "refresh_job"
    assert schedules["nightly_build"].cron_schedule == "0 2 * * *"
    assert schedules["monthly_compliance"].job_name == "compliance_job"
    # The day after the deadline of the reporting-settings seed (15th), 09:00 in Apia.
    assert schedules["monthly_compliance"].cron_schedule == "0 9 16 * *"
    assert schedules["monthly_compliance"].execution_timezone == "Pacific/Apia"

    def executable(job_name: str) -> set[str]:
        job = fixture_defs.resolve_job_def(job_name)
        return {key.to_user_string() for key in job.asset_layer.executable_asset_keys}

    raw_keys = {f"raw/{table}" for table in raw_tables()}
    assert executable("intake_job") == raw_keys
    assert executable("compliance_job") == {"compliance_reminders"}
    built = {"members", "staging/stg_raw__movements", "marts/mart_movement_totals"}
    assert executable("refresh_job") == built | {"serving_database"}
    assert executable("pipeline_job") == raw_keys | built | {"serving_database"}
    refresh_checks = {
        key.to_user_string()
        for key in fixture_defs.resolve_job_def(
            "refresh_job"
        ).asset_layer.asset_graph.asset_check_keys
    }
    # The refresh job re-runs the raw tables' blocking suites before building on them.
    assert "raw/movements:rows_meet_contract" in refresh_checks
    assert "raw/submissions:ledger_reconciles" in refresh_checks


def test_every_warehouse_writer_shares_one_pool(fixture_defs):
    job = fixture_defs.resolve_job_def("pipeline_job")
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools == {
        INTAKE_ASSET_NAME: WAREHOUSE_POOL,
        RAW_SUITE_CHECKS_NAME: WAREHOUSE_POOL,
        DBT_ASSETS_NAME: WAREHOUSE_POOL,
        "serving_database": WAREHOUSE_POOL,
    }


def test_only_the_monthly_report_is_partitioned_and_steps_retry(fixture_defs):
    graph = fixture_defs.resolve_asset_graph()
    partitions = monthly_partitions()
    assert partitions.get_first_partition_key() == "2017-01-01"
    # One report per reporting month; the dbt graph and the publish are whole (see the docs).
    assert graph.get(dg.AssetKey("compliance_reminders")).partitions_def == partitions
    for key in (["marts", "mart_movement_totals"], ["serving_database"], ["members"]):
        assert graph.get(dg.AssetKey(key)).partitions_def is None
    assert graph.get(dg.AssetKey(["raw", "movements"])).partitions_def is None
    job = fixture_defs.resolve_job_def("pipeline_job")
    for node_name in (INTAKE_ASSET_NAME, DBT_ASSETS_NAME, "serving_database"):
        policy = job.graph.node_dict[node_name].definition.retry_policy
        assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.max_retries >= 2


def test_dbt_partition_vars_name_first_and_last_month():
    vars_ = dbt_partition_vars(dt.date(2026, 1, 1), dt.date(2026, 7, 1))
    assert vars_ == {"pidc_period_start": "2026-01-01", "pidc_period_end": "2026-06-01"}
    assert dbt_partition_vars(dt.date(2017, 1, 1), dt.date(2017, 2, 1)) == {
        "pidc_period_start": "2017-01-01",
        "pidc_period_end": "2017-01-01",
    }
    with pytest.raises(ValueError, match="empty partition window"):
        dbt_partition_vars(dt.date(2026, 2, 1), dt.date(2026, 2, 1))


def test_month_window_vars_name_first_and_last_month():
    assert month_window_vars("2026-01", "2026-06") == {
        "pidc_period_start": "2026-01-01",
        "pidc_period_end": "2026-06-01",
    }
    assert month_window_vars("2025-12", "2025-12") == {
        "pidc_period_start": "2025-12-01",
        "pidc_period_end": "2025-12-01",
    }
    with pytest.raises(ValueError, match="empty month window"):
        month_window_vars("2026-06", "2026-01")
    with pytest.raises(ValueError, match="not a month"):
        month_window_vars("2026-13", "2026-01")
    # The dbt step's config: no window by default, one month when only one end is given.
    assert DbtBuildConfig().dbt_vars() == {}
    assert DbtBuildConfig(first_month="2026-03").dbt_vars() == {
        "pidc_period_start": "2026-03-01",
        "pidc_period_end": "2026-03-01",
    }


def test_transient_dbt_failures_are_told_apart_from_failed_tests():
    assert is_transient_dbt_failure(
        'IO Error: Could not set lock on file "/srv/pidc/warehouse.duckdb": Conflicting lock '
        "is held in /usr/bin/python3 (PID 4242)"
    )
    assert not is_transient_dbt_failure(
        "Failure in test not_null_fct_movements_member_code (models/marts/_marts__models.yml)"
    )
    assert not is_transient_dbt_failure("Database Error in model fct_movements: syntax error")


def test_importing_the_code_location_runs_nothing(tmp_path):
    # A fresh interpreter: importing must neither parse dbt nor touch the home folder.
    code = (
        "import orchestration.definitions as d, orchestration.transform as t; "
        "print(callable(d.defs), t.pidc_dbt_project.cache_info().currsize)"
    )
    env = {**os.environ, "PIDC_HOME": str(tmp_path)}
    finished = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert finished.stdout.split() == ["True", "0"]
    assert list(tmp_path.iterdir()) == []


def test_translator_binds_sources_and_groups_by_folder():
    translator = PidcDbtTranslator()
    source = {"resource_type": "source", "source_name": "landing", "name": "refusals"}
    assert translator.get_asset_key(source) == dg.AssetKey(["raw", "refusals"])
    explicit = {**source, "meta": {"dagster": {"asset_key": ["raw", "returns"]}}}
    assert translator.get_asset_key(explicit) == dg.AssetKey(["raw", "returns"])
    model = {"resource_type": "model", "fqn": ["pidc", "intermediate", "int_returns_ranked"]}
    assert translator.get_group_name(model) == "intermediate"
    seed = {"resource_type": "seed", "fqn": ["pidc", "reference", "members"]}
    assert translator.get_group_name(seed) == "seeds"


def test_dbt_build_args():
    # A pipeline build runs seeds, models and data tests; unit tests run in CI (test_dbt_project).
    # Nor does it write dbt's JSON artifacts or a debug log, unless asked (PIDC_DBT_DEBUG).
    leave_out = ["--no-write-json", "--log-level-file", "info", "--exclude-resource-type"]
    leave_out += ["unit_test"]
    assert dbt_build_args(debug=False) == ["build", *leave_out]
    assert dbt_build_args(debug=True) == ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args(full_refresh=True, debug=False) == [
        "build",
        *leave_out,
        "--full-refresh",
    ]
    window = {"pidc_period_start": "2026-01-01", "pidc_period_end": "2026-03-01"}
    args = dbt_build_args(dbt_vars=window, debug=False)
    assert args[:7] == ["build", *leave_out, "--vars"]
    assert json.loads(args[7]) == window
    # Seeds the warehouse already holds as they are, and the tests that read only them.
    assert dbt_build_args(seeds_left_out=True, debug=False) == [
        "build",
        *leave_out,
        *["--exclude", "resource_type:seed", "--indirect-selection", "cautious"],
    ]


def test_pidc_dbt_debug_makes_pipeline_builds_write_everything(monkeypatch):
    monkeypatch.delenv("PIDC_DBT_DEBUG", raising=False)
    assert "--no-write-json" in dbt_build_args()
    for value, debug in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("PIDC_DBT_DEBUG", value)
        assert ("--no-write-json" not in dbt_build_args()) is debug


def test_the_nightly_build_checks_every_row_and_the_other_builds_the_rows_they_built(
    fixture_defs,
):
    """The tests of the large incremental models read only the rows built since they last
    passed (dbt_project/macros/checked_builds.sql), except in the nightly build."""
    assert DbtBuildConfig().dbt_vars() == {}
    assert DbtBuildConfig(full_checks=True).dbt_vars() == {FULL_CHECKS_VAR: True}
    both = DbtBuildConfig(full_checks=True, first_month="2026-01", last_month="2026-03")
    assert both.dbt_vars() == {FULL_CHECKS_VAR: True, **month_window_vars("2026-01", "2026-03")}
    args = dbt_build_args(dbt_vars=both.dbt_vars())
    assert json.loads(args[args.index("--vars") + 1])[FULL_CHECKS_VAR] is True
    schedule = next(s for s in fixture_defs.schedules if s.name == "nightly_build")
    when = dt.datetime(2026, 12, 3, 2, tzinfo=dt.UTC)
    [request] = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=when)
    ).run_requests
    assert request.run_key == "nightly-2026-12-03"
    config = request.run_config["ops"][DBT_ASSETS_NAME]["config"]
    assert DbtBuildConfig(**config).full_checks
    # The dbt project reads the var under that name.
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"][FULL_CHECKS_VAR] is False


def test_real_definitions_load_and_bind_every_source_to_intake():
    from orchestration.definitions import defs

    definitions = defs()
    keys = _keys(definitions)
    assert {f"raw/{table}" for table in raw_tables()} <= keys
    assert "serving_database" in keys
    assert "marts/mart_regional_trends" in keys
    graph = definitions.resolve_asset_graph()
    # Every external (non-materialisable) asset must be a raw table intake produces: a dbt source
    # outside raw/* would mean a broken meta.dagster.asset_key.
    unbound = {
        node.key.to_user_string() for node in graph.asset_nodes if not node.is_materializable
    }
    assert unbound == set()
    assert graph.get(dg.AssetKey("serving_database")).parent_keys


# --- landing sensor ---------------------------------------------------------------------------


def _drop(path: Path, text: str, age_seconds: float = 120) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    old = time.time() - age_seconds
    os.utime(path, (old, old))
    return path


def test_landing_sensor_batches_new_files_into_one_run(tmp_path):
    landing = home(tmp_path).landing
    first = _drop(landing / "FJI" / "FJI_refusals_2026-10.csv", "member,period,count\n")
    second = _drop(landing / "TON" / "return_2026-10.xlsx", "not really a workbook")
    _drop(landing / "TON" / "~$return_2026-10.xlsx", "excel lock file")
    sensor = build_landing_sensor(build_intake_job())
    resources = {"home": HomeResource(root=str(tmp_path))}

    result = sensor(dg.build_sensor_context(resources=resources))
    [request] = result.run_requests
    assert request.run_key.startswith("batch:")
    paths = request.run_config["ops"][INTAKE_ASSET_NAME]["config"]["paths"]
    assert sorted(paths) == sorted([str(first), str(second)])

    again = sensor(dg.build_sensor_context(resources=resources, cursor=result.cursor))
    assert again.run_requests == []
    assert again.cursor == result.cursor
    # One new file later: a run of its own, keyed by its sha256 and place.
    third = _drop(landing / "FJI" / "FJI_refusals_2026-11.csv", "member,period,count\n#\n")
    later = sensor(dg.build_sensor_context(resources=resources, cursor=result.cursor))
    [single] = later.run_requests
    assert single.run_key == f"{file_sha256(third)}:FJI/FJI_refusals_2026-11.csv"


def test_landing_sensor_queues_nothing_for_files_the_ledger_already_has(tmp_path):
    from ingestion.intake import ingest_path

    platform_home = home(tmp_path).ensure()
    landing = platform_home.landing
    loaded = _drop(landing / "FJI" / "FJI_refusals_2026-10.csv", "member,period,count\n")
    ingest_path(landing, platform_home)  # what `make run` did before Dagster ever started
    fresh = _drop(landing / "TON" / "TON_refusals_2026-10.csv", "member,period,count\n")
    sensor = build_landing_sensor(build_intake_job())
    resources = {"home": HomeResource(root=str(tmp_path))}

    result = sensor(dg.build_sensor_context(resources=resources))  # no cursor: a first start
    [request] = result.run_requests
    assert request.run_config["ops"][INTAKE_ASSET_NAME]["config"]["paths"] == [str(fresh)]
    assert str(loaded) not in request.run_key


def test_landing_sensor_sees_changed_files_and_waits_for_settling(tmp_path):
    landing = tmp_path / "landing"
    workbook = _drop(landing / "FJI" / "a.csv", "member,period,count\n")
    _, cursor = scan_landing(landing, None, settle_seconds=10)

    _drop(workbook.parent / "a.csv", "member,period,count\nFJI,2026-10,3\n", age_seconds=60)
    copying = landing / "FJI" / "b.csv"
    copying.write_text("still being copied", encoding="utf-8")
    new_files, cursor = scan_landing(landing, cursor, settle_seconds=10)
    assert [item.relative_path for item in new_files] == ["FJI/a.csv"]
    assert new_files[0].sha256 == file_sha256(workbook)
    assert new_files[0].member_folder == "FJI"
    assert "FJI/b.csv" not in json.loads(cursor)["seen"]

    later, _ = scan_landing(landing, cursor, now=time.time() + 60, settle_seconds=10)
    assert [item.relative_path for item in later] == ["FJI/b.csv"]


# --- publish ----------------------------------------------------------------------------------


def _tiny_warehouse(path: Path) -> None:
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    connection.execute("create schema staging")
    connection.execute(
        "create table marts.mart_regional_trends as "
        "select * from (values ('movements', date '2026-09-01', 125000)) "
        "as t(dataset, period_month, total_count)"
    )
    connection.execute(
        "create view marts.shareable_trends as select * from marts.mart_regional_trends"
    )
    connection.execute("create table staging.not_published as select 1 as x")
    connection.close()


def test_publish_copies_every_mart_into_a_new_serving_file(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    _tiny_warehouse(warehouse)
    published = publish_serving(warehouse, serving)
    assert published.row_counts == {"mart_regional_trends": 1, "shareable_trends": 1}
    connection = duckdb.connect(str(serving), read_only=True)
    try:
        tables = connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "order by all"
        ).fetchall()
        trend = connection.execute("select * from marts.mart_regional_trends").fetchall()
    finally:
        connection.close()
    assert tables == [
        ("main", "publication", "BASE TABLE"),
        ("marts", "mart_regional_trends", "BASE TABLE"),
        ("marts", "shareable_trends", "BASE TABLE"),
    ]
    assert trend[0][0] == "movements" and trend[0][2] == 125000
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "serving.duckdb",
        "warehouse.duckdb",
    ]


def test_failed_publish_leaves_serving_byte_identical(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    _tiny_warehouse(warehouse)
    publish_serving(warehouse, serving)
    before = serving.read_bytes()

    broken = tmp_path / "broken.duckdb"
    duckdb.connect(str(broken)).close()  # a warehouse with no marts schema
    with pytest.raises(PublishError, match="no tables in schema 'marts'"):
        publish_serving(broken, serving)
    with pytest.raises(PublishError, match="No warehouse"):
        publish_serving(tmp_path / "missing.duckdb", serving)

    assert serving.read_bytes() == before
    leftovers = [path.name for path in tmp_path.iterdir() if "publishing" in path.name]
    assert leftovers == []


# --- whole runs -------------------------------------------------------------------------------


@dataclass
class _Outcome:
    submission_id: str
    file_name: str
    file_sha256: str
    status: str
    member: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    report_path: Path | None
    message: str
    unchanged: bool = False  # as ingestion.intake.IngestOutcome


def _fake_ingest_path(path: Path, platform_home, on_file=None) -> list[_Outcome]:
    """Stand-in for ingestion.intake.ingest_path: each CSV is one 'member,period,count' row.

    Like intake, it writes a ledger row per file and a movements row with every breakdown a
    total (``_T``), so the raw tables' expectation suites hold. A file already in the ledger is
    a duplicate.
    """
    breakdowns = [column.name for column in load_contract().dataset("movements").breakdowns]
    connection = duckdb.connect(str(platform_home.warehouse))
    outcomes = []
    try:
        for statement in raw_ddl():
            connection.execute(statement)
        files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
        for file in files:
            member, period, count = file.read_text(encoding="utf-8").strip().split(",")
            submission_id = f"{member}-{file.name}"
            seen = connection.execute(
                "select count(*) from raw.submissions where submission_id = ?", [submission_id]
            ).fetchone()[0]
            if seen:
                outcomes.append(
                    _Outcome(submission_id, file.name, "-", "duplicate", member, 0, 0, 0, None, "")
                )
                continue
            connection.execute(
                "insert into raw.submissions (submission_id, member, file_name, file_sha256, "
                "received_at, status, rows_read, rows_loaded, rows_rejected) "
                "values (?, ?, ?, '-', now(), 'accepted', 1, 1, 0)",
                [submission_id, member, file.name],
            )
            connection.execute(
                f"insert into raw.movements (member, period, {', '.join(breakdowns)}, count, "
                f"submission_id, source_row) values (?, ?, {', '.join('?' for _ in breakdowns)}, "
                "?, ?, 1)",
                [member, period, *["_T"] * len(breakdowns), int(count), submission_id],
            )
            outcomes.append(
                _Outcome(submission_id, file.name, "-", "accepted", member, 1, 1, 0, None, "ok")
            )
    finally:
        connection.close()
    for outcome in outcomes if on_file else []:
        on_file(outcome)
    return outcomes


def _last_month(months_back: int = 1) -> str:
    """A month inside the reporting window whatever today's date."""
    today = dt.date.today().replace(day=1)
    index = today.year * 12 + today.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.mark.slow
def test_run_pipeline_publishes_and_a_failing_check_blocks_publish(
    tmp_path, fixture_dbt_project, monkeypatch
):
    from dagster_dbt import DbtCliResource

    from orchestration.runner import PipelineError, run_pipeline

    fake = types.ModuleType("ingestion.intake")
    fake.ingest_path = _fake_ingest_path
    monkeypatch.setitem(sys.modules, "ingestion.intake", fake)
    # run_pipeline's instance is ephemeral and keeps no column metadata: dbt's adapter is not
    # opened in this process (a persistent instance's run reads the columns back: see
    # test_a_rebuild_of_several_months_is_one_run_with_the_window_in_dbt_vars).
    adapters: list[object] = []
    monkeypatch.setattr(
        DbtCliResource, "_initialize_dbt_core_adapter", lambda self, args: adapters.append(args)
    )
    platform_home = home(tmp_path).ensure()
    _drop(platform_home.landing / "FJI" / "m1.csv", f"FJI,{_last_month(2)},600")
    _drop(platform_home.landing / "TON" / "m1.csv", f"TON,{_last_month(2)},40")
    # The project's parse state was saved for another home (as after `make lint`, or a test).
    target = fixture_dbt_project / dbt_target_path()
    _dbt_parse(fixture_dbt_project, target, tmp_path / "elsewhere" / "warehouse.duckdb")

    summary = run_pipeline(platform_home, dbt_project_dir=fixture_dbt_project)
    assert "Unable to do partial parsing" in _newest_build_log(target)
    assert summary["files_accepted"] == 2
    assert summary["models_built"] == 2
    assert summary["tables_published"] == 1
    assert summary["published_path"] == str(platform_home.serving)
    connection = duckdb.connect(str(platform_home.serving), read_only=True)
    try:
        totals = connection.execute(
            "select member, total_count from marts.mart_movement_totals order by member"
        ).fetchall()
    finally:
        connection.close()
    assert totals == [("FJI", 600), ("TON", 40)]

    # FJI's total goes above 1000: the blocking test fails, nothing is published.
    before = platform_home.serving.read_bytes()
    _drop(platform_home.landing / "FJI" / "m2.csv", f"FJI,{_last_month(1)},700")
    with pytest.raises(PipelineError, match="dbt_utils_free_range_check"):
        run_pipeline(platform_home, dbt_project_dir=fixture_dbt_project)
    assert platform_home.serving.read_bytes() == before
    assert adapters == []
    # The first build's parse state was kept: the second parsed nothing again.
    assert "Unable to do partial parsing" not in _newest_build_log(target)


def _newest_build(target: Path) -> Path:
    """The newest build's own folder under ``target``."""
    return max(target.glob(f"{DBT_ASSETS_NAME}-*"), key=lambda path: path.stat().st_mtime_ns)


def _newest_build_log(target: Path) -> str:
    """dbt's log of the newest build."""
    return "".join(log.read_text() for log in sorted(_newest_build(target).glob("dbt.log*")))


def _dbt_parse(project: Path, target: Path, warehouse: Path) -> list[str]:
    """``dbt parse`` of ``project`` into ``target`` for the warehouse ``warehouse`` (in this
    process); the names of the events dbt fired."""
    from dbt.cli.main import dbtRunner

    from orchestration.transform import scoped_environ

    events: list[str] = []
    folders = ["--project-dir", str(project), "--profiles-dir", str(project)]
    outputs = ["--target-path", str(target), "--log-path", str(target / "logs")]
    with scoped_environ({"PIDC_WAREHOUSE": str(warehouse)}):
        result = dbtRunner(callbacks=[lambda event: events.append(event.info.name)]).invoke(
            ["parse", *folders, *outputs]
        )
    assert result.success, result.exception
    return events


def _build_in_own_folder(project: Path, target: Path, name: str, warehouse: Path) -> list[str]:
    """What dagster-dbt does for a build: copy the project's parse state into the build's own
    folder, and run dbt there (a parse stands in for the build; both parse the same way)."""
    folder = target / name
    folder.mkdir()
    (folder / "partial_parse.msgpack").write_bytes((target / "partial_parse.msgpack").read_bytes())
    return _dbt_parse(project, folder, warehouse)


def test_a_build_s_parse_state_is_kept_so_the_next_build_in_the_home_parses_only_changes(
    tmp_path, fixture_dbt_project
):
    """dbt parses the whole project again when its saved state is another profile's, and the
    profile names the warehouse, i.e. the home. Once a build in a new home has parsed, the next
    build there must not parse everything again (6-9 s of every build on the real project)."""
    target = tmp_path / "target"
    _dbt_parse(fixture_dbt_project, target, tmp_path / "other" / "warehouse.duckdb")
    here = tmp_path / "home" / "warehouse.duckdb"

    first = _build_in_own_folder(fixture_dbt_project, target, "dbt_models-1", here)
    assert "UnableToPartialParse" in first  # the state was the other home's
    assert keep_partial_parsing(target / "dbt_models-1")

    second = _build_in_own_folder(fixture_dbt_project, target, "dbt_models-2", here)
    assert "UnableToPartialParse" not in second
    assert not keep_partial_parsing(target / "dbt_models-2")  # dbt left the state as it was
    assert not keep_partial_parsing(target)  # the project's own state is never copied on itself
    assert not list(target.glob(".partial_parse*")), "a staged copy was left behind"


RESULT_EVENTS = {"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"}


def _newest_build_nodes(target: Path) -> dict[str, str]:
    """Each node dbt ran in the newest build under ``target``, with its status, from the
    build's ``dbt.log`` (a pipeline build writes no ``run_results.json``: dbt_build_args)."""
    nodes = {}
    for line in _newest_build_log(target).splitlines():
        event = json.loads(line)
        if event["info"]["name"] in RESULT_EVENTS:
            node = event["data"]["node_info"]
            nodes[node["unique_id"]] = node["node_status"]
    return nodes


@pytest.mark.slow
def test_seeds_are_loaded_when_they_change_and_whenever_in_doubt(
    tmp_path, fixture_dbt_project, monkeypatch
):
    """A build leaves out the seeds, and the tests that read only seeds, when the warehouse
    records that it holds them as they are; anything else loads them again (orchestration/seeds.py).
    """
    import shutil

    from orchestration.runner import PipelineError, run_pipeline
    from orchestration.seeds import LOADED_SEEDS_TABLE

    project = tmp_path / "project"
    shutil.copytree(fixture_dbt_project, project, ignore=shutil.ignore_patterns("target"))
    (project / "seeds" / "_seeds.yml").write_text(
        "version: 2\nseeds:\n  - name: members\n    columns:\n      - name: member_code\n"
        "        data_tests: [not_null, unique]\n",
        encoding="utf-8",
    )
    models_yml = project / "models" / "marts" / "_marts__models.yml"
    models_yml.write_text(
        models_yml.read_text().replace(
            "data_tests: [not_null, unique]",
            "data_tests:\n          - not_null\n          - unique\n"
            "          - relationships:\n              arguments:\n"
            "                to: ref('members')\n                field: member_code",
        ),
        encoding="utf-8",
    )
    fake = types.ModuleType("ingestion.intake")
    fake.ingest_path = _fake_ingest_path
    monkeypatch.setitem(sys.modules, "ingestion.intake", fake)
    platform_home = home(tmp_path / "home").ensure()
    target = project / dbt_target_path()
    seed = "seed.pidc_fixture.members"
    seed_tests = ("test.pidc_fixture.not_null_members_", "test.pidc_fixture.unique_members_")

    def tested(nodes: dict[str, str]) -> int:
        """How many of the seed's own tests ran (and passed) in a build."""
        return sum(
            node.startswith(seed_tests) and status == "pass" for node, status in nodes.items()
        )

    def build(csv_name: str, member: str, count: int) -> dict[str, str]:
        _drop(platform_home.landing / member / csv_name, f"{member},{_last_month()},{count}")
        run_pipeline(platform_home, dbt_project_dir=project)
        return _newest_build_nodes(target)

    def seed_rows() -> list[tuple]:
        with duckdb.connect(str(platform_home.warehouse), read_only=True) as connection:
            return connection.execute("select * from main.members order by 1").fetchall()

    def recorded() -> int:
        with duckdb.connect(str(platform_home.warehouse), read_only=True) as connection:
            return connection.execute(f"select count(*) from {LOADED_SEEDS_TABLE}").fetchone()[0]

    # A build that fails anywhere records nothing, though it loaded the seed.
    _drop(platform_home.landing / "FJI" / "a.csv", f"FJI,{_last_month()},5000")
    with pytest.raises(PipelineError, match="dbt_utils_free_range_check"):
        run_pipeline(platform_home, dbt_project_dir=project)
    assert _newest_build_nodes(target)[seed] == "success"
    with duckdb.connect(str(platform_home.warehouse)) as connection:
        assert not connection.execute(
            "select * from information_schema.tables where table_name = 'pidc_loaded_seeds'"
        ).fetchall()
        connection.execute("delete from raw.movements")  # the member's correction

    first = build("b.csv", "FJI", 10)  # loads the seed again, passes, records it
    assert first[seed] == "success" and tested(first) == 2
    assert recorded() == 1

    second = build("c.csv", "TON", 20)  # nothing changed in the seed: left out
    assert seed not in second and not any(node.startswith(seed_tests) for node in second)
    assert second["model.pidc_fixture.mart_movement_totals"] == "success"
    # The model's test that also reads the seed still ran, on the model just built.
    relationships = [node for node in second if node.startswith("test.pidc_fixture.relation")]
    assert len(relationships) == 1 and second[relationships[0]] == "pass"
    assert seed_rows() == [("FJI", "Fiji"), ("TON", "Tonga")]

    # The seed's file changed: loaded and tested again.
    members = project / "seeds" / "reference" / "members.csv"
    members.write_text(members.read_text() + "WSM,Samoa\n", encoding="utf-8")
    # A run of some of the assets (as the automation sensor starts after intake) passes without
    # loading the seed: it must not record the edited file as loaded.
    for name, value in {**dbt_env(platform_home), "PIDC_HOME": str(platform_home.root)}.items():
        monkeypatch.setenv(name, value)
    definitions = build_definitions(home_root=platform_home.root, dbt_project_dir=project)
    with dg.instance_for_test() as instance:
        subset = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey(["marts", "mart_movement_totals"])]
        )
    assert subset.success and seed not in _newest_build_nodes(target)
    third = build("d.csv", "FJI", 1)
    assert third[seed] == "success" and tested(third) == 2
    assert seed_rows() == [("FJI", "Fiji"), ("TON", "Tonga"), ("WSM", "Samoa")]

    # Its table dropped by hand: loaded again rather than a failed build.
    assert seed not in build("e.csv", "TON", 1)
    with duckdb.connect(str(platform_home.warehouse)) as connection:
        connection.execute("drop table main.members")
    assert build("f.csv", "FJI", 1)[seed] == "success"
    assert len(seed_rows()) == 3

    # The record cannot be written (the disk, a lock): the build still passes and publishes, and
    # the next one loads the seeds again.
    import orchestration.transform

    recorder = orchestration.transform.record_loaded_seeds

    def unwritable(*_args):
        raise duckdb.IOException("IO Error: could not write the record")

    monkeypatch.setattr(orchestration.transform, "record_loaded_seeds", unwritable)
    members.write_text(members.read_text() + "TUV,Tuvalu\n", encoding="utf-8")
    assert build("g.csv", "TON", 1)[seed] == "success"
    monkeypatch.setattr(orchestration.transform, "record_loaded_seeds", recorder)
    assert build("h.csv", "FJI", 1)[seed] == "success"
    assert len(seed_rows()) == 4
    # The nightly build and a full refresh load and test them whatever the record says.
    assert DbtBuildConfig().may_leave_out_seeds()
    assert not DbtBuildConfig(full_checks=True).may_leave_out_seeds()
    assert not DbtBuildConfig(full_refresh=True).may_leave_out_seeds()


@pytest.mark.slow
def test_a_failing_raw_expectation_suite_blocks_dbt_and_publish(
    tmp_path, fixture_dbt_project, monkeypatch
):
    from orchestration.runner import PipelineError, run_pipeline

    fake = types.ModuleType("ingestion.intake")
    fake.ingest_path = _fake_ingest_path
    monkeypatch.setitem(sys.modules, "ingestion.intake", fake)
    platform_home = home(tmp_path).ensure()
    _drop(platform_home.landing / "FJI" / "m1.csv", f"FJI,{_last_month()},60")
    run_pipeline(platform_home, dbt_project_dir=fixture_dbt_project)
    before = platform_home.serving.read_bytes()

    # A negative count that bypassed intake (loaded by hand): the blocking suite must catch it.
    connection = duckdb.connect(str(platform_home.warehouse))
    try:
        connection.execute("update raw.movements set count = -5")
    finally:
        connection.close()
    with pytest.raises(PipelineError, match=r"raw/movements:rows_meet_contract") as failure:
        run_pipeline(platform_home, dbt_project_dir=fixture_dbt_project)
    assert "ExpectColumnValuesToBeBetween" in str(failure.value)
    assert platform_home.serving.read_bytes() == before


@pytest.mark.slow
def test_run_pipeline_on_an_empty_landing_folder_publishes_empty_marts(tmp_path):
    from orchestration.runner import run_pipeline

    summary = run_pipeline(home(tmp_path).ensure())
    assert summary["files_accepted"] == 0
    assert summary["models_built"] > 0
    assert Path(summary["published_path"]).exists()


class _RecordingReporter:
    """A progress reporter (``orchestration.progress``) that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, step: str, total: int | None = None) -> None:
        self.calls.append(("start", step))

    def advance(self, amount: int = 1) -> None:
        self.calls.append(("advance", amount))

    def finish(self, step: str, summary: str = "") -> None:
        self.calls.append(("finish", step))


@pytest.mark.slow
def test_a_rebuild_of_several_months_is_one_run_with_the_window_in_dbt_vars(
    tmp_path, fixture_dbt_project
):
    """What a backfill was: six months rebuilt, launched as the UI launches ``refresh_job``
    with the window in the dbt step's config. It is one run: one dbt build whose vars carry the
    window, one publish; the models' columns reach Dagster and the progress bar moves.
    """
    from orchestration import progress

    platform_home = home(tmp_path / "home").ensure()
    # One return loaded as intake loads it, so the raw suites (run first) pass.
    _fake_ingest_path(
        _drop(platform_home.landing / "FJI" / "m1.csv", f"FJI,{_last_month()},12"), platform_home
    )
    definitions = build_definitions(
        home_root=platform_home.root, dbt_project_dir=fixture_dbt_project
    )
    window = {"first_month": "2026-01", "last_month": "2026-06"}
    reporter = _RecordingReporter()
    with (
        dg.instance_for_test() as instance,
        progress.reporting(reporter),
    ):
        result = definitions.resolve_job_def("refresh_job").execute_in_process(
            run_config={"ops": {DBT_ASSETS_NAME: {"config": window}}},
            instance=instance,
            raise_on_error=False,
        )
        runs = instance.get_runs()
    # What went wrong, if anything: each failed or retried step's error.
    failures = [
        f"{event.step_key}: {event.message}"
        for event in result.all_events
        if event.is_failure or event.is_step_up_for_retry
    ]
    assert result.success, "\n".join(failures)
    assert len(runs) == 1
    reader = duckdb.connect(str(platform_home.serving), read_only=True)
    try:
        published = reader.execute(
            "select distinct window_start, window_end from marts.mart_movement_totals"
        ).fetchall()
    finally:
        reader.close()
    assert published == [("2026-01-01", "2026-06-01")]
    # fetch_column_metadata(): every model's columns, as DuckDB has them after the build.
    [mart] = [
        materialization
        for materialization in result.asset_materializations_for_node(DBT_ASSETS_NAME)
        if materialization.asset_key == dg.AssetKey(["marts", "mart_movement_totals"])
    ]
    schema = mart.metadata["dagster/column_schema"].value
    assert [column.name for column in schema.columns] == [
        "member",
        "total_count",
        "window_start",
        "window_end",
    ]
    dbt_calls = reporter.calls[
        reporter.calls.index(("start", "dbt build")) : reporter.calls.index(("finish", "dbt build"))
    ]
    assert dbt_calls.count(("advance", 1)) >= 3  # seed, two models and their tests


def test_the_dagster_instance_runs_offline_without_sign_up_prompts(tmp_path):
    import yaml

    from orchestration.instance import write_instance_config
    from pidc.settings import home as make_home

    platform_home = make_home(tmp_path / "home")
    config = yaml.safe_load(write_instance_config(platform_home).read_text())
    assert config["telemetry"] == {"enabled": False}
    assert config["nux"] == {"enabled": False}
    assert config["freshness"] == {"enabled": True}
    # An older home's file keeps its edits and gains the keys added since.
    older = platform_home.dagster_home / "dagster.yaml"
    older.write_text("telemetry:\n  enabled: false\n# mine\n")
    updated = write_instance_config(platform_home).read_text()
    assert "# mine" in updated and yaml.safe_load(updated)["nux"] == {"enabled": False}
    assert yaml.safe_load(updated)["freshness"] == {"enabled": True}


def test_dbt_events_are_read_to_the_end_before_the_metadata_step_and_an_error_comes_last():
    """The dbt step reads dbt's whole event stream in its own thread before dagster-dbt's
    metadata step starts (whose wait in a thread polled without pause, taking a core from dbt):
    the events keep their order, and a failure the stream raised is raised after them."""
    read: list[int] = []

    def stream(fail: bool):
        for number in range(3):
            read.append(number)
            yield number
        if fail:
            raise RuntimeError("dbt failed")

    events = read_to_the_end(stream(fail=False))
    assert read == [0, 1, 2]  # all read at the call, before anything was asked of it
    assert list(events) == [0, 1, 2]
    read.clear()
    failing = read_to_the_end(stream(fail=True))
    assert read == [0, 1, 2]
    assert [next(failing) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(RuntimeError, match="dbt failed"):
        next(failing)


def test_the_offline_guard_refuses_and_records_outside_lookups_in_a_started_process(tmp_path):
    """The guard the session's CLI run is checked with (tests/support/offline) reaches the
    processes a run starts, refuses what leaves the machine and lets loopback through."""
    from support.offline.sitecustomize import FOLDER, LOG_VARIABLE

    log = tmp_path / "attempts.log"
    probe = (
        "import socket, urllib.request\n"
        "socket.getaddrinfo('localhost', 80)\n"
        "try:\n"
        "    urllib.request.urlopen('https://pypi.org/pypi/dbt-core/json', timeout=2)\n"
        "except OSError as error:\n"
        "    print('refused:', error)\n"
    )
    env = {**os.environ, LOG_VARIABLE: str(log), "PYTHONPATH": str(FOLDER)}
    ran = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert "refused:" in ran.stdout and "offline" in ran.stdout, ran.stdout
    [attempt] = log.read_text().splitlines()  # localhost passed unrecorded
    assert attempt.endswith(": name lookup of 'pypi.org'"), attempt


def test_the_dbt_resource_knows_dbt_s_version_without_asking_the_internet(monkeypatch):
    """dagster-dbt ran `dbt --version` to learn dbt's version, and that command asks pypi.org
    for the latest releases: the platform's resource reads the installed version instead."""
    import importlib.metadata

    import dagster_dbt.core.resource as dagster_dbt_resource

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_process)
    resource = dbt_cli(pidc_dbt_project())
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._cli_version.major == 1  # dbt-core, not Fusion: dagster-dbt's one question


# --- automation after intake, freshness, the asset specs --------------------------------------

BUILT_AFTER_INTAKE = {
    dg.AssetKey(["staging", "stg_raw__movements"]),
    dg.AssetKey(["marts", "mart_movement_totals"]),
    dg.AssetKey("serving_database"),
}


def _intake_finished(instance: dg.DagsterInstance, *, suites_pass: bool = True) -> None:
    """What an intake run leaves behind: every raw table updated, its blocking suites run."""
    for table in raw_tables():
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["raw", table])))
    for name in load_contract().dataset_names:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey(["raw", name]),
                check_name="rows_meet_contract",
                passed=suites_pass,
                severity=dg.AssetCheckSeverity.ERROR,
            )
        )
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(["raw", "submissions"]),
            check_name="ledger_reconciles",
            passed=True,
        )
    )


def _build_ran(instance: dg.DagsterInstance) -> None:
    """A build run over the assets an intake sets off (stand-ins with the same keys), recording
    its asset selection as an automation run does."""

    @dg.multi_asset(specs=[dg.AssetSpec(key) for key in BUILT_AFTER_INTAKE], can_subset=True)
    def build(context: dg.AssetExecutionContext):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)

    job = dg.Definitions(
        assets=[build], jobs=[dg.define_asset_job("build", selection=list(BUILT_AFTER_INTAKE))]
    ).resolve_job_def("build")
    result = job.execute_in_process(instance=instance, asset_selection=list(BUILT_AFTER_INTAKE))
    assert result.success


def _requested_keys(definitions: dg.Definitions, result) -> set[dg.AssetKey]:
    return {
        key
        for key in definitions.resolve_asset_graph().get_all_asset_keys()
        if result.get_requested_partitions(key)
    }


def test_one_landing_batch_requests_one_build_and_publish(fixture_defs):
    from dagster._core.definitions.automation_tick_evaluation_context import build_run_requests

    selection = dg.AssetSelection.all() - dg.AssetSelection.groups("intake", "reports")

    def tick(cursor=None):
        return dg.evaluate_automation_conditions(
            fixture_defs, instance=instance, asset_selection=selection, cursor=cursor
        )

    with dg.instance_for_test() as instance:
        first = tick()
        assert first.total_requested == 0  # turning automation on builds nothing by itself

        _intake_finished(instance)
        after_batch = tick(first.cursor)
        # Everything downstream of the raw tables, and the publish, in the same tick (one run);
        # the seed does not depend on raw data and is left to the nightly build.
        assert _requested_keys(fixture_defs, after_batch) == BUILT_AFTER_INTAKE
        # ... launched as one run (what the sensor does with one tick's requests).
        [run_request] = build_run_requests(
            after_batch._requested_subsets,
            fixture_defs.resolve_asset_graph(),
            run_tags={},
            emit_backfills=True,
        )
        assert set(run_request.asset_selection) == BUILT_AFTER_INTAKE

        again = tick(after_batch.cursor)
        assert again.total_requested == 0  # the batch asked for one build, not one per tick
        _build_ran(instance)
        built = tick(again.cursor)
        assert built.total_requested == 0  # the build does not set off another

        # The next build ran, then a batch that had waited for the warehouse was loaded, all
        # before the next tick: the batch still gets its own build.
        _intake_finished(instance)
        second = tick(built.cursor)
        assert _requested_keys(fixture_defs, second) == BUILT_AFTER_INTAKE
        third = tick(second.cursor)
        _build_ran(instance)
        _intake_finished(instance)
        assert _requested_keys(fixture_defs, tick(third.cursor)) == BUILT_AFTER_INTAKE


def test_a_raw_table_failing_its_suite_starts_no_build(fixture_defs):
    selection = dg.AssetSelection.all() - dg.AssetSelection.groups("intake", "reports")
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(
            fixture_defs, instance=instance, asset_selection=selection
        )
        _intake_finished(instance, suites_pass=False)
        after = dg.evaluate_automation_conditions(
            fixture_defs, instance=instance, asset_selection=selection, cursor=first.cursor
        )
        assert after.total_requested == 0


def _condition_tree(condition: dg.AutomationCondition, depth: int = 0) -> list[str]:
    label = condition.get_label()
    lines = ["  " * depth + condition.name + (f" [{label}]" if label else "")]
    for child in condition.children:
        lines += _condition_tree(child, depth + 1)
    return lines


def test_asset_specs_snapshot(fixture_defs, snapshot):
    """Every asset's key, group, parents, automation condition, partitions and freshness, and
    the after-intake condition itself: a change to any shows here (``--snapshot-update``)."""
    graph = fixture_defs.resolve_asset_graph()
    specs = {}
    for node in sorted(graph.asset_nodes, key=lambda node: node.key.to_user_string()):
        condition = node.automation_condition
        specs[node.key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(key.to_user_string() for key in node.parent_keys),
            "automation_condition": condition.get_label() if condition else None,
            "partitions": str(node.partitions_def) if node.partitions_def else None,
            "freshness_policy": repr(node.freshness_policy) if node.freshness_policy else None,
        }
    conditions = {node.automation_condition for node in graph.asset_nodes} - {None}
    assert [condition.get_label() for condition in conditions] == [AFTER_INTAKE_LABEL]
    (condition,) = conditions
    assert {"specs": specs, "after_intake": _condition_tree(condition)} == snapshot


@pytest.mark.slow
def test_an_intake_run_sets_off_one_build_that_publishes(
    tmp_path, fixture_dbt_project, monkeypatch
):
    """End to end on an instance: the intake job (with the raw suites), the automation's tick,
    and the one run it asks for, launched with the selection it names."""
    from dagster._core.definitions.automation_tick_evaluation_context import build_run_requests

    fake = types.ModuleType("ingestion.intake")
    fake.ingest_path = _fake_ingest_path
    monkeypatch.setitem(sys.modules, "ingestion.intake", fake)
    platform_home = home(tmp_path / "home").ensure()
    for name, value in {**dbt_env(platform_home), "PIDC_HOME": str(platform_home.root)}.items():
        monkeypatch.setenv(name, value)
    definitions = build_definitions(
        home_root=platform_home.root, dbt_project_dir=fixture_dbt_project
    )
    selection = dg.AssetSelection.all() - dg.AssetSelection.groups("intake", "reports")
    with dg.instance_for_test() as instance:
        # Built once before (the seed is left to the nightly build after that).
        assert (
            definitions.resolve_implicit_global_asset_job_def()
            .execute_in_process(instance=instance, asset_selection=[dg.AssetKey("members")])
            .success
        )
        start = dg.evaluate_automation_conditions(
            definitions, instance=instance, asset_selection=selection
        )
        _drop(platform_home.landing / "FJI" / "m1.csv", f"FJI,{_last_month()},12")
        intake = definitions.resolve_job_def("intake_job").execute_in_process(instance=instance)
        assert intake.success
        suites = {evaluation.check_name for evaluation in intake.get_asset_check_evaluations()}
        assert {"rows_meet_contract", "ledger_reconciles"} <= suites  # the intake run ran them
        tick = dg.evaluate_automation_conditions(
            definitions, instance=instance, asset_selection=selection, cursor=start.cursor
        )
        [request] = build_run_requests(
            tick._requested_subsets, definitions.resolve_asset_graph(), {}, emit_backfills=True
        )
        build = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=list(request.asset_selection), raise_on_error=False
        )
        failures = [
            f"{event.step_key}: {event.message}" for event in build.all_events if event.is_failure
        ]
        assert build.success, "\n".join(failures)
        built = {event.asset_key for event in build.get_asset_materialization_events()}
        assert built == BUILT_AFTER_INTAKE
        after = dg.evaluate_automation_conditions(
            definitions, instance=instance, asset_selection=selection, cursor=tick.cursor
        )
        assert after.total_requested == 0
    reader = duckdb.connect(str(platform_home.serving), read_only=True)
    try:
        published = reader.execute("select member, total_count from marts.mart_movement_totals")
        assert published.fetchall() == [("FJI", 12)]
    finally:
        reader.close()


def test_a_python_models_lineage_warning_is_dropped_and_other_warnings_kept(caplog):
    """dagster-dbt parses every model as SQL for column lineage; the Python models are not SQL,
    and their 40-line tracebacks on every build looked like failures on the terminal."""
    from dagster_dbt.core import dbt_event_iterator

    lineage = (
        "An error occurred while building column lineage metadata for the dbt resource "
        "`models/{path}`. Lineage metadata will not be included in the event.\n\nException: x"
    )
    with caplog.at_level(logging.WARNING, logger=dbt_event_iterator.logger.name):
        dbt_event_iterator.logger.warning(lineage.format(path="audits/int_audit.py"))
        dbt_event_iterator.logger.warning(lineage.format(path="marts/fct_movements.sql"))
        dbt_event_iterator.logger.warning("some other warning")
    messages = [record.getMessage() for record in caplog.records]
    assert not any("int_audit.py" in message for message in messages)
    assert any("fct_movements.sql" in message for message in messages)
    assert "some other warning" in messages


def test_only_the_newest_per_run_dbt_target_folders_are_kept(tmp_path):
    """Every build gets its own ~25 MB target folder; a nightly platform must not fill its disk."""
    from orchestration.transform import RUN_TARGETS_KEPT, prune_run_targets

    runs = []
    for age in range(RUN_TARGETS_KEPT + 3):
        run = tmp_path / f"dbt_models-{age:07d}-abc"
        (run / "compiled").mkdir(parents=True)
        (run / "manifest.json").write_text("{}")
        os.utime(run, ns=(10**18 - age * 10**9, 10**18 - age * 10**9))
        runs.append(run)
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "dbt_docs").mkdir()

    removed = prune_run_targets(tmp_path)

    assert sorted(removed) == sorted(runs[RUN_TARGETS_KEPT:])
    assert all(run.exists() for run in runs[:RUN_TARGETS_KEPT])
    assert (tmp_path / "manifest.json").exists() and (tmp_path / "dbt_docs").exists()


def test_column_lineage_is_asked_for_only_when_wanted(monkeypatch):
    """sqlglot's column lineage costs seconds per build: on only with PIDC_COLUMN_LINEAGE."""
    from orchestration.transform import column_lineage_wanted

    monkeypatch.delenv("PIDC_COLUMN_LINEAGE", raising=False)
    assert not column_lineage_wanted()
    for value, wanted in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("PIDC_COLUMN_LINEAGE", value)
        assert column_lineage_wanted() is wanted


@pytest.mark.slow
def test_a_pipeline_writes_dbt_files_under_dbt_target_path_only(tmp_path, monkeypatch):
    """Two pipelines sharing one checkout (two homes, two test workers) each set DBT_TARGET_PATH:
    the manifest, partial parsing and the build's own folder go there, and the project's
    ``target/`` folder is never written, so neither rewrites a manifest the other reads."""
    from orchestration.runner import run_pipeline
    from orchestration.transform import manifest_is_current

    project = tmp_path / "dbt_project"
    for relative, text in FIXTURE_DBT_FILES.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text.lstrip(), encoding="utf-8")
    elsewhere = tmp_path / "worker_target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(elsewhere))
    fake = types.ModuleType("ingestion.intake")
    fake.ingest_path = _fake_ingest_path
    monkeypatch.setitem(sys.modules, "ingestion.intake", fake)
    platform_home = home(tmp_path / "home").ensure()
    _drop(platform_home.landing / "FJI" / "m1.csv", f"FJI,{_last_month(2)},600")

    summary = run_pipeline(platform_home, dbt_project_dir=project)

    assert summary["tables_published"] == 1
    assert dbt_target_path() == elsewhere
    assert (elsewhere / "manifest.json").exists()
    assert (elsewhere / "partial_parse.msgpack").exists()
    assert list(elsewhere.glob("dbt_models-*/dbt.log"))
    assert not (project / "target").exists()
    assert manifest_is_current(project)
    # A relative DBT_TARGET_PATH is relative to the project, as for dbt itself; the project's
    # own files are still compared with the manifest there.
    monkeypatch.setenv("DBT_TARGET_PATH", "target/other")
    assert not manifest_is_current(project)
