"""Orchestration: the shape of the Dagster definitions, the landing sensor, publishing, runs.

Most tests use a tiny dbt project written by a fixture, so they pin the orchestration's own
behaviour without depending on the real models; the tests on the real dbt project skip until it
exists.
"""

import json
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

from ingestion.raw_schema import raw_ddl, raw_tables
from orchestration.definitions import build_definitions
from orchestration.intake import (
    INTAKE_ASSET_NAME,
    build_intake_job,
    build_landing_sensor,
    file_sha256,
    scan_landing,
)
from orchestration.publish import PublishError, publish_serving
from orchestration.resources import WAREHOUSE_POOL, HomeResource
from orchestration.transform import DBT_ASSETS_NAME, PidcDbtTranslator, dbt_build_args
from pidc.settings import DBT_PROJECT_DIR, PROJECT_ROOT, home

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
select movements.member, sum(movements.count) as total_count
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
    }
    groups = _groups(fixture_defs)
    assert {groups[key] for key in raw_keys} == {"intake"}
    assert groups["members"] == "seeds"
    assert groups["staging/stg_raw__movements"] == "staging"
    assert groups["marts/mart_movement_totals"] == "marts"
    assert groups["serving_database"] == "publish"
    checks = {key.to_user_string() for key in fixture_defs.resolve_asset_graph().asset_check_keys}
    assert checks == {
        "marts/mart_movement_totals:not_null_mart_movement_totals_member",
        "marts/mart_movement_totals:unique_mart_movement_totals_member",
        "marts/mart_movement_totals:dbt_utils_free_range_check_mart_movement_totals_total_count",
    }


def test_definitions_wire_lineage_from_intake_to_serving(fixture_defs):
    graph = fixture_defs.resolve_asset_graph()
    # The source without meta is bound to raw/<table> too, so both raw tables feed dbt.
    staging = graph.get(dg.AssetKey(["staging", "stg_raw__movements"]))
    assert dg.AssetKey(["raw", "movements"]) in staging.parent_keys
    serving = graph.get(dg.AssetKey("serving_database"))
    assert serving.parent_keys == {dg.AssetKey(["marts", "mart_movement_totals"])}


def test_definitions_pin_jobs_sensors_schedules(fixture_defs):
    jobs = {job.name for job in fixture_defs.resolve_all_job_defs()} - {"__ASSET_JOB"}
    assert jobs == {"intake_job", "refresh_job", "pipeline_job"}
    assert {sensor.name for sensor in fixture_defs.sensors} == {
        "landing_sensor",
        "refresh_after_intake",
    }
    assert {schedule.name for schedule in fixture_defs.schedules} == {"daily_refresh"}
    intake_job = fixture_defs.resolve_job_def("intake_job")
    assert {key.to_user_string() for key in intake_job.asset_layer.executable_asset_keys} == {
        f"raw/{table}" for table in raw_tables()
    }


def test_every_warehouse_writer_shares_one_pool(fixture_defs):
    job = fixture_defs.resolve_job_def("pipeline_job")
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools == {
        INTAKE_ASSET_NAME: WAREHOUSE_POOL,
        DBT_ASSETS_NAME: WAREHOUSE_POOL,
        "serving_database": WAREHOUSE_POOL,
    }


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
    assert dbt_build_args() == ["build"]
    assert dbt_build_args(full_refresh=True) == ["build", "--full-refresh"]


@pytest.mark.skipif(
    not (DBT_PROJECT_DIR / "dbt_project.yml").exists(), reason="dbt project not written yet"
)
def test_real_definitions_load_and_bind_every_source_to_intake():
    from orchestration.definitions import defs

    definitions = defs()
    keys = _keys(definitions)
    assert {f"raw/{table}" for table in raw_tables()} <= keys
    assert "serving_database" in keys
    assert "marts/mart_regional_trends" in keys or "mart_regional_trends" in keys
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


def test_landing_sensor_requests_one_run_per_new_file(tmp_path):
    landing = home(tmp_path).landing
    first = _drop(landing / "FJI" / "FJI_refusals_2026-10.csv", "member,period,count\n")
    second = _drop(landing / "TON" / "return_2026-10.xlsx", "not really a workbook")
    _drop(landing / "TON" / "~$return_2026-10.xlsx", "excel lock file")
    sensor = build_landing_sensor(build_intake_job())
    resources = {"home": HomeResource(root=str(tmp_path))}

    result = sensor(dg.build_sensor_context(resources=resources))
    assert sorted(request.run_key for request in result.run_requests) == sorted(
        [
            f"{file_sha256(first)}:FJI/FJI_refusals_2026-10.csv",
            f"{file_sha256(second)}:TON/return_2026-10.xlsx",
        ]
    )
    configured = {
        request.run_config["ops"][INTAKE_ASSET_NAME]["config"]["paths"][0]
        for request in result.run_requests
    }
    assert configured == {str(first), str(second)}

    again = sensor(dg.build_sensor_context(resources=resources, cursor=result.cursor))
    assert again.run_requests == []
    assert again.cursor == result.cursor


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


def _fake_ingest_path(path: Path, platform_home) -> list[_Outcome]:
    """Stand-in for ingestion.intake.ingest_path: each CSV is one 'member,period,count' row."""
    connection = duckdb.connect(str(platform_home.warehouse))
    outcomes = []
    try:
        for statement in raw_ddl():
            connection.execute(statement)
        files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
        for file in files:
            member, period, count = file.read_text(encoding="utf-8").strip().split(",")
            connection.execute(
                "insert into raw.movements (member, period, count, submission_id, source_row) "
                "values (?, ?, ?, ?, 1)",
                [member, period, int(count), file.name],
            )
            outcomes.append(
                _Outcome(file.name, file.name, "-", "accepted", member, 1, 1, 0, None, "ok")
            )
    finally:
        connection.close()
    return outcomes


@pytest.mark.slow
def test_run_pipeline_publishes_and_a_failing_check_blocks_publish(
    tmp_path, fixture_dbt_project, monkeypatch
):
    from orchestration.runner import PipelineError, run_pipeline

    fake = types.ModuleType("ingestion.intake")
    fake.ingest_path = _fake_ingest_path
    monkeypatch.setitem(sys.modules, "ingestion.intake", fake)
    platform_home = home(tmp_path).ensure()
    _drop(platform_home.landing / "FJI" / "m1.csv", "FJI,2026-09,600")
    _drop(platform_home.landing / "TON" / "m1.csv", "TON,2026-09,40")

    summary = run_pipeline(platform_home, dbt_project_dir=fixture_dbt_project)
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
    _drop(platform_home.landing / "FJI" / "m2.csv", "FJI,2026-10,700")
    with pytest.raises(PipelineError, match="dbt_utils_free_range_check"):
        run_pipeline(platform_home, dbt_project_dir=fixture_dbt_project)
    assert platform_home.serving.read_bytes() == before


@pytest.mark.slow
@pytest.mark.skipif(
    not (DBT_PROJECT_DIR / "dbt_project.yml").exists()
    or not (PROJECT_ROOT / "ingestion" / "intake.py").exists(),
    reason="needs the real dbt project and ingestion.intake",
)
def test_run_pipeline_on_an_empty_landing_folder_publishes_empty_marts(tmp_path):
    from orchestration.runner import run_pipeline

    summary = run_pipeline(home(tmp_path).ensure())
    assert summary["files_accepted"] == 0
    assert summary["models_built"] > 0
    assert Path(summary["published_path"]).exists()
