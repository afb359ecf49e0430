"""The dbt project end to end: hand-made raw returns in, regional marts out.

One session-scoped build: a temporary PIDC_HOME gets the raw schema from
ingestion.raw_schema.raw_ddl(), a handful of raw rows (two versions of one return, a nil return,
aliases such as "Chinese" and "CN", a value nobody can map), then `dbt build` (seeds, models,
unit tests and data tests) runs through dbt's Python API and the tests read the marts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from support.dbt_runner import invoke_dbt
from support.dbt_scripts import dbt_script

from ingestion.raw_schema import raw_ddl
from orchestration.transform import scoped_environ
from pidc.contract import load_contract
from pidc.escaping import sql_string
from pidc.normalise import normalise_label
from pidc.settings import DBT_PROJECT_DIR, SEEDS_DIR

# The reference seeds are written by another part of the project; without them there is
# nothing to build against, so the build tests skip rather than fail for the wrong reason.
REFERENCE_SEEDS = (
    "members",
    "membership",
    "countries",
    "country_groups",
    "country_aliases",
    "ports",
    "label_mappings",
    "member_label_mappings",
)

SUBMISSIONS = [
    # submission_id, member, received_at, status
    ("S0", "FJI", "2026-01-10 09:00:00", "accepted"),
    ("S1", "FJI", "2026-02-05 09:00:00", "accepted"),
    ("S2", "FJI", "2026-03-20 09:00:00", "accepted"),
    ("S3", "FJI", "2026-03-25 09:00:00", "rejected"),
    ("S4", "TON", "2026-02-10 09:00:00", "accepted"),
    ("S5", "NZL", "2025-02-10 09:00:00", "accepted"),
    ("S6", "WSM", "2026-02-12 09:00:00", "accepted"),
]

RETURNS = [
    # submission_id, member, dataset, period, is_nil, row_count
    ("S0", "FJI", "movements", "2025-12", False, 1),
    ("S1", "FJI", "movements", "2026-01", False, 3),
    ("S2", "FJI", "movements", "2026-01", False, 3),
    ("S3", "FJI", "movements", "2026-01", False, 1),
    ("S4", "TON", "movements", "2026-01", True, 0),
    ("S4", "TON", "permits", "2026-01", False, 1),
    ("S5", "NZL", "movements", "2025-01", False, 1),
    # a back issue of a national publication: history, before the first reporting month
    ("S6", "WSM", "permits", "2014-03", False, 2),
]

# One spreadsheet row read as two records (a declared layout's Work and Student columns).
HISTORY_PERMITS = [
    # permit_type, count, source_column
    ("Work", 6, "C"),
    ("Student", 2, "D"),
]

MOVEMENT = ("ARR", "Visitor", "Nationality", "{country}", "Holiday", "AIR", "FJNAN")
MOVEMENTS = [
    # submission_id, country as written, count
    ("S0", "Chinese", 24),
    # the first version of FJI 2026-01: three rows, all replaced by S2
    ("S1", "Chinese", 10),
    ("S1", "CN", 5),
    ("S1", "Fijian", 100),
    # the correction: fewer distinct codes, one value no seed maps
    ("S2", "Chinese", 20),
    ("S2", "CN", 7),
    ("S2", "Atlantis", 3),
    # rejected later file: must never count
    ("S3", "Chinese", 999),
    ("S5", "New Zealand", 15),
]


@dataclass(frozen=True)
class Build:
    """The outcome of the session's dbt build."""

    home: Path
    success: bool
    failures: list[str]

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def compile_inline(self, sql: str) -> str:
        """``sql`` compiled by dbt in this project (macros expanded)."""
        with _pidc_home(self.home):
            result = _dbt(["compile", "--inline", sql], self.home / "dbt_target")
        assert result.success, result.exception
        return result.result.results[0].node.compiled_code

    def query(self, sql: str) -> list[tuple]:
        """Rows of ``sql`` run on a short read-only connection to the built warehouse."""
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def _reference_seeds_missing() -> list[str]:
    return [
        name for name in REFERENCE_SEEDS if not (SEEDS_DIR / "reference" / f"{name}.csv").exists()
    ]


def _load_raw_rows(warehouse: Path) -> None:
    period_of = {(r[0], r[2]): r[3] for r in RETURNS}
    member_of = {s[0]: s[1] for s in SUBMISSIONS}
    received_of = {s[0]: s[2] for s in SUBMISSIONS}
    with duckdb.connect(str(warehouse)) as connection:
        for statement in raw_ddl():
            connection.execute(statement)
        for submission_id, member, received_at, status in SUBMISSIONS:
            connection.execute(
                "insert into raw.submissions (submission_id, member, file_name, file_sha256,"
                " received_at, status, rows_read, rows_loaded, rows_rejected)"
                " values (?, ?, ?, ?, ?, ?, 0, 0, 0)",
                [
                    submission_id,
                    member,
                    f"{submission_id}.xlsx",
                    submission_id,
                    received_at,
                    status,
                ],
            )
        for submission_id, member, dataset, period, is_nil, row_count in RETURNS:
            connection.execute(
                "insert into raw.returns (submission_id, member, dataset, period, is_nil,"
                " row_count, received_at) values (?, ?, ?, ?, ?, ?, ?)",
                [
                    submission_id,
                    member,
                    dataset,
                    period,
                    is_nil,
                    row_count,
                    received_of[submission_id],
                ],
            )
        for row_number, (submission_id, country, count) in enumerate(MOVEMENTS, start=2):
            values = [value.format(country=country) for value in MOVEMENT]
            connection.execute(
                "insert into raw.movements (member, period, direction, traveller_type,"
                " country_basis, country, purpose, mode, port, count, submission_id,"
                " source_sheet, source_row) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    member_of[submission_id],
                    period_of[(submission_id, "movements")],
                    *values,
                    count,
                    submission_id,
                    "movements",
                    row_number,
                ],
            )
        connection.execute(
            "insert into raw.permits (member, period, permit_type, nationality, count,"
            " submission_id, source_sheet, source_row)"
            " values ('TON', '2026-01', 'Work', 'Tongan', 4, 'S4', 'permits', 2)"
        )
        for permit_type, count, column in HISTORY_PERMITS:
            connection.execute(
                "insert into raw.permits (member, period, permit_type, nationality, count,"
                " submission_id, source_sheet, source_row, source_column)"
                " values ('WSM', '2014-03', ?, 'Samoan', ?, 'S6', 'Table 3', 7, ?)",
                [permit_type, count, column],
            )


def _dbt(args: list[str], target_path: Path, *, write_json: bool = False) -> object:
    """dbt in this process on the home PIDC_HOME names (the project parsed once per session);
    ``write_json``: dbt writes ``run_results.json`` and ``manifest.json`` into ``target_path``."""
    return invoke_dbt(args, target_path, write_json=write_json)


def _pidc_home(root: Path):
    """PIDC_HOME set to ``root`` for dbt's profile, restored afterwards."""
    return scoped_environ({"PIDC_HOME": str(root)})


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    """Raw rows loaded into a temporary home and `dbt build` run once over them."""
    missing = _reference_seeds_missing()
    assert not missing, f"reference seeds missing (run make seeds): {', '.join(missing)}"
    home = tmp_path_factory.mktemp("pidc_home")
    warehouse = home / "warehouse.duckdb"
    _load_raw_rows(warehouse)
    with _pidc_home(home):
        result = _dbt(["build"], home / "dbt_target", write_json=True)
    failures = [
        f"{node.node.name}: {node.status} {node.message}"
        for node in (result.result or [])
        if str(node.status) in {"error", "fail"}
    ]
    if result.exception is not None:
        failures.append(repr(result.exception))
    yield Build(home=home, success=result.success, failures=failures)


def test_build_passes_every_model_unit_test_and_data_test(build: Build) -> None:
    assert build.failures == []
    assert build.success
    # CI's build runs the unit tests that scheduled pipeline builds leave out (dbt_build_args).
    results = json.loads((build.home / "dbt_target" / "run_results.json").read_text())
    ran = {result["unique_id"] for result in results["results"]}
    unit_tests = set(_manifest(build)["unit_tests"])
    assert unit_tests and unit_tests <= ran


def _manifest(build: Build) -> dict:
    return json.loads((build.home / "dbt_target" / "manifest.json").read_text())


def _enforced(node: dict) -> bool:
    return bool(node["config"].get("contract", {}).get("enforced"))


def _data_checks(test: dict) -> list[dict]:
    metadata = test.get("test_metadata") or {}
    return metadata["kwargs"]["checks"] if metadata.get("name") == "data_checks" else []


def test_a_dbt_run_in_this_process_leaves_the_warehouse_closed(tmp_path: Path) -> None:
    """dbt keeps the warehouse open for the whole build (``keep_open: true``), and a test's dbt
    runs in this process: once the run ends, this process (with another configuration) and
    another process must both be able to open the file."""
    warehouse = tmp_path / "warehouse.duckdb"
    with _pidc_home(tmp_path):
        result = _dbt(["seed", "--select", "members"], tmp_path / "target")
    assert result.success, result.exception
    # Still open here, DuckDB refuses a second configuration of the same file in one process.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from reference.members").fetchone()[0] > 0
    writer = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(warehouse)!r}).close()"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert writer.returncode == 0, writer.stderr


def test_each_model_seed_and_source_costs_one_data_test_node(build: Build) -> None:
    """Every data check of a model (or seed, or source table) is in its one data_checks test
    (dbt_project/scripts/data_checks.py): never a test node per column and rule. Each checked
    column is a column of the built table or view; a column that may not be null is a `not_null`
    constraint where the model's contract is enforced (no test at all), and a not_null check
    elsewhere. The one exception: a seed's relationships to a model stays a test of its own, so
    the seed's other checks wait for no model."""
    manifest = _manifest(build)
    nodes = manifest["nodes"]
    seeds = {node["name"] for node in nodes.values() if node["resource_type"] == "seed"}
    in_warehouse: dict[str, set[str]] = {}
    for table, column in build.query(
        "select table_name, column_name from information_schema.columns"
    ):
        in_warehouse.setdefault(table, set()).add(column)
    per_owner: dict[str, list[str]] = {}
    for test in nodes.values():
        if test["resource_type"] != "test" or not test.get("test_metadata"):
            continue
        owner = test.get("attached_node") or test["depends_on"]["nodes"][0]
        name = test["test_metadata"]["name"]
        if name == "relationships":
            assert owner.startswith("seed."), test["name"]
            assert {ref["name"] for ref in test["refs"]} - seeds, test["name"]
            continue
        per_owner.setdefault(owner, []).append(test["name"])
        assert name == "data_checks", f"{test['name']}: fold it (scripts/data_checks.py)"
        model = nodes.get(owner) or manifest["sources"][owner]
        table = model.get("alias") or model.get("identifier") or model["name"]
        for check in _data_checks(test):
            assert set(dbt_script("data_checks").checked_columns(check)) <= in_warehouse.get(
                table, set()
            ), (
                test["name"],
                check,
            )
            if "not_null" in check and model["resource_type"] == "model":
                assert not _enforced(model), f"{model['name']}: use not_null constraints"
    assert {owner: names for owner, names in per_owner.items() if len(names) > 1} == {}
    assert len(per_owner) >= 80
    # named after what they check (a Dagster asset check keeps its history under that name)
    assert {names[0] for owner, names in per_owner.items() if not owner.startswith("source.")} == {
        f"data_checks_{owner.split('.')[-1]}"
        for owner in per_owner
        if not owner.startswith("source.")
    }
    constrained = [
        (node["name"], column)
        for node in nodes.values()
        if node["resource_type"] == "model" and _enforced(node)
        for column, spec in node["columns"].items()
        if {"type": "not_null"} in [{"type": c["type"]} for c in spec.get("constraints", [])]
    ]
    # The constraint is real in the warehouse, facts (incremental) included.
    enforced_in_duckdb = set(
        build.query(
            "select table_name, unnest(constraint_column_names) from duckdb_constraints()"
            " where constraint_type = 'NOT NULL'"
        )
    )
    assert len(constrained) > 150
    assert set(constrained) <= enforced_in_duckdb


def test_a_null_in_a_required_column_fails_the_build_either_way(
    build: Build, tmp_path: Path
) -> None:
    """The attacker's view of the folded checks: a null slipped into a required column is still
    caught, by the constraint of a contract model and by the one test of a view."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(build.warehouse, home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            connection.execute(
                "insert into marts.fct_movements by name"
                " select * replace (null as member_code) from marts.fct_movements limit 1"
            )
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            connection.execute("update marts.dim_members set member_name_fr = null")
        connection.execute("update raw.movements set count = null where source_row = 2")
    with _pidc_home(home):
        result = _dbt(
            ["test", "--select", "stg_raw__movements,test_name:data_checks"],
            home / "dbt_target",
        )
    assert not result.success
    [failed] = [node for node in result.result if str(node.status) == "fail"]
    assert failed.failures >= 1
    # and the failing rows name the column (dbt stores them with --store-failures; here the
    # test's own SQL is run on the same warehouse)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute(failed.node.compiled_code).fetchall()
    assert ("not_null", "person_count") in [row[:2] for row in rows]


def test_an_unknown_code_in_any_checked_column_fails_the_one_test_of_its_model(
    build: Build, tmp_path: Path
) -> None:
    """The attacker's view of the folded code checks (dbt_project/scripts/data_checks.py): a code
    outside its code list, a country or port outside its dimension and a month outside the
    calendar, each slipped into the facts, are all caught by the model's one data_checks test,
    which names each column and code; the totals (_T), unknown ports (_U) and the unmapped
    (null) stay allowed. Every code column the generator checks is still checked."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(build.warehouse, home / "warehouse.duckdb")
    facts = load_contract().dataset("movements")
    code_columns = {f"{column.name}_code" for column in facts.breakdowns}
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            "insert into marts.fct_movements by name select * replace ("
            " 'ZZ' as direction_code, 'XYZ' as country_code, 'NOPORT' as port_code,"
            " date '1900-01-01' as period_month, md5('forged') as movements_key)"
            " from marts.fct_movements limit 1"
        )
        connection.execute(
            "insert into marts.fct_movements by name select * replace ("
            " '_T' as direction_code, '_T' as country_code, '_U' as port_code,"
            " null as mode_code, md5('allowed') as movements_key)"
            " from marts.fct_movements limit 1"
        )
    with _pidc_home(home):
        result = _dbt(
            ["test", "--select", "fct_movements,test_name:data_checks"], home / "dbt_target"
        )
    assert not result.success
    [failed] = [node for node in result.result if str(node.status) == "fail"]
    checked = {
        check["known_code"]
        for check in failed.node.test_metadata.kwargs["checks"]
        if "known_code" in check
    }
    assert code_columns | {"member_code", "period_month"} <= checked
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute(failed.node.compiled_code).fetchall()
    assert sorted(row[1:3] for row in rows if row[0] == "known_code") == [
        ("country_code", "XYZ"),
        ("direction_code", "ZZ"),
        ("period_month", "1900-01-01"),
        ("port_code", "NOPORT"),
    ]
    assert failed.failures == 4


def test_each_kind_of_folded_check_names_what_an_attacker_slipped_in(
    build: Build, tmp_path: Path
) -> None:
    """The attacker's view of the other folded checks: a repeated key, a repeated combination, a
    value outside the accepted ones and a rate above 1, each slipped into a published mart, fail
    the mart's one data_checks test, with one failing row per offence naming its check, column
    and value; a rate of exactly 1 and the untouched rows pass."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(build.warehouse, home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        [(trend_key, dataset, month)] = connection.execute(
            "select trend_key, dataset, period_month from marts.mart_regional_trends"
            " order by all limit 1"
        ).fetchall()
        connection.execute(
            "insert into marts.mart_regional_trends select * from marts.mart_regional_trends"
            " where trend_key = ?",
            [trend_key],
        )
        connection.execute(
            "update marts.mart_regional_trends set completeness_status = 'bogus'"
            " where trend_key = (select max(trend_key) from marts.mart_regional_trends)"
        )
        [(member, compliance_month)] = connection.execute(
            "select member_code, period_month from marts.mart_compliance_summary"
            " order by all limit 1"
        ).fetchall()
        connection.execute(
            "update marts.mart_compliance_summary set completeness_rate = 1.5,"
            " timeliness_rate = 1.0 where member_code = ? and period_month = ?",
            [member, compliance_month],
        )
    with _pidc_home(home):
        result = _dbt(
            ["test", "--select", "mart_regional_trends mart_compliance_summary"],
            home / "dbt_target",
        )
    failed = {
        node.node.name: node for node in result.result if str(node.status) in {"fail", "error"}
    }
    assert set(failed) == {
        "data_checks_mart_regional_trends",
        "data_checks_mart_compliance_summary",
    }, {name: str(node.message) for name, node in failed.items()}
    found = {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        for name, node in failed.items():
            found[name] = sorted(connection.execute(node.node.compiled_code).fetchall())
            assert node.failures == len(found[name])
    assert found["data_checks_mart_regional_trends"] == sorted(
        [
            ("accepted_values", "completeness_status", "bogus", 1),
            (
                "unique",
                "dataset, period_month",
                f"{{'dataset': {dataset}, 'period_month': {month}}}",
                2,
            ),
            ("unique", "trend_key", trend_key, 2),
        ]
    )
    assert found["data_checks_mart_compliance_summary"] == [("rate", "completeness_rate", "1.5", 1)]


def _failing(result) -> dict[str, int]:
    """Each failed or errored test of a dbt result, with its failing rows."""
    return {
        node.node.name: node.failures
        for node in (result.result or [])
        if str(node.status) in {"fail", "error"}
    }


def _checked_runs(warehouse: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return set(
            connection.execute(
                "select model_name, built_by from intermediate.pidc_checked_builds"
            ).fetchall()
        )


def test_a_duplicate_built_by_any_unchecked_run_fails_until_fixed_and_nightly_checks_all(
    build: Build, tmp_path: Path
) -> None:
    """The attacker's view of the checks that read only the rows built since they last passed
    (macros/checked_builds.sql): an incremental build that appends a submission's rows a second
    time is caught, and caught again at every later build until it is fixed (a failed run is
    never recorded as checked); a duplicate slipped among rows already checked is not read by a
    new month's build (the price of the scope), and the nightly build's full checks catch it."""
    model = "intermediate.int_breakdown_values_unpivoted"
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(build.warehouse, home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        [(built_by,)] = connection.execute(f"select distinct built_by from {model}").fetchall()
        [(submission, rows)] = connection.execute(
            f"select submission_id, count(*) from {model} group by all order by all limit 1"
        ).fetchall()
    # The fixture's build passed, so its run is recorded for both models.
    assert _checked_runs(home / "warehouse.duckdb") == {
        ("int_breakdown_values_unpivoted", built_by),
        ("int_breakdown_values_harmonised", built_by),
    }
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            f"insert into {model} select * replace ('a later run' as built_by)"
            f" from {model} where submission_id = ?",
            [submission],
        )
    test_unpivoted = ["test", "--select", "int_breakdown_values_unpivoted"]
    for attempt in range(2):
        with _pidc_home(home):
            result = _dbt(test_unpivoted, home / f"dbt_target_{attempt}")
        failing = _failing(result)
        assert [name == "data_checks_int_breakdown_values_unpivoted" for name in failing] == [
            True
        ], failing
        assert list(failing.values()) == [rows]
        assert ("int_breakdown_values_unpivoted", "a later run") not in _checked_runs(
            home / "warehouse.duckdb"
        )
    # Fixed: the copy deleted and the submission built again by a new run. Its rows pass, and
    # that run is recorded as checked.
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(f"delete from {model} where built_by = 'a later run'")
        connection.execute(
            f"update {model} set built_by = 'a fixed run' where submission_id = ?", [submission]
        )
    with _pidc_home(home):
        result = _dbt(test_unpivoted, home / "dbt_target_fixed")
    assert _failing(result) == {}
    assert ("int_breakdown_values_unpivoted", "a fixed run") in _checked_runs(
        home / "warehouse.duckdb"
    )
    # A duplicate among checked rows only: out of a new month's scope, inside the nightly one.
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            f"insert into {model} select * from {model}"
            f" where submission_id <> ? order by all limit 1",
            [submission],
        )
    with _pidc_home(home):
        scoped = _dbt(test_unpivoted, home / "dbt_target_scoped")
        full = _dbt(
            [*test_unpivoted, "--vars", '{"pidc_full_checks": true}'], home / "dbt_target_full"
        )
    assert _failing(scoped) == {}
    assert [name == "data_checks_int_breakdown_values_unpivoted" for name in _failing(full)] == [
        True
    ]


def test_models_land_in_their_named_schemas(build: Build) -> None:
    schemas = {
        schema
        for (schema,) in build.query(
            "select distinct table_schema from information_schema.tables"
            " where table_schema not in ('raw', 'main')"
        )
    }
    assert schemas == {"reference", "staging", "intermediate", "marts"}


def test_correction_replaces_the_first_version_wholesale(build: Build) -> None:
    rows = build.query(
        "select submission_id, country, person_count from intermediate.int_movements_current_rows"
        " where member_code = 'FJI' and period = '2026-01' order by source_row"
    )
    assert rows == [("S2", "Chinese", 20), ("S2", "CN", 7), ("S2", "Atlantis", 3)]
    # staging keeps every version as loaded (renamed only); the choice is intermediate's
    staged = build.query(
        "select submission_id, count(*) from staging.stg_raw__movements"
        " where member_code = 'FJI' and period = '2026-01' group by all order by all"
    )
    assert staged == [("S1", 3), ("S2", 3), ("S3", 1)]


def test_aliases_add_up_under_one_code_and_unmapped_values_are_kept(build: Build) -> None:
    rows = build.query(
        "select country_code, observed_count, source_row_count, has_unmapped_value,"
        " direction_code, traveller_type_code, country_basis_code, purpose_code, mode_code,"
        " port_code from marts.fct_movements"
        " where member_code = 'FJI' and period_month = date '2026-01-01'"
        " order by country_code nulls last"
    )
    assert rows == [
        ("CHN", 27, 2, False, "ARR", "VIS", "NAT", "HOL", "AIR", "FJNAN"),
        (None, 3, 1, True, "ARR", "VIS", "NAT", "HOL", "AIR", "FJNAN"),
    ]


def test_records_of_one_row_read_from_two_columns_have_their_own_keys(build: Build) -> None:
    """A declared layout's records share a sheet row; the column keeps their keys apart, and a
    row with no column keeps the key it had before the column existed."""
    rows = build.query(
        "select row_key, source_row, source_column, permit_type from staging.stg_raw__permits"
        " order by row_key"
    )
    assert rows == [
        ("permits|S4|permits|2", 2, None, "Work"),
        ("permits|S6|Table 3|7|C", 7, "C", "Work"),
        ("permits|S6|Table 3|7|D", 7, "D", "Student"),
    ]
    facts = build.query(
        "select permit_type_code, observed_count from marts.fct_permits"
        " where member_code = 'WSM' order by permit_type_code"
    )
    assert facts == [("STUDENT", 2), ("WORK", 6)]


def test_history_loads_into_facts_but_is_never_expected(build: Build) -> None:
    """A month before the first reporting month (2017-01) is in the facts and the trends, but
    compliance neither lists it nor starts expecting returns earlier because of it."""
    assert build.query(
        "select period_month, sum(observed_count) from marts.fct_permits"
        " where member_code = 'WSM' group by period_month"
    ) == [(date(2014, 3, 1), 8)]
    assert build.query(
        "select total_count from marts.mart_member_trends"
        " where member_code = 'WSM' and dataset = 'permits'"
    ) == [(8,)]
    assert build.query("select min(period_month) from marts.dim_months") == [(date(2014, 3, 1),)]
    compliance = build.query(
        "select min(period_month), count(*) filter (where period_month < date '2017-01-01')"
        " from marts.mart_reporting_compliance"
    )
    # the first return the platform received (NZL, January 2025) still starts what is expected
    assert compliance == [(date(2025, 1, 1), 0)]
    assert build.query(
        "select count(*) from marts.mart_compliance_summary where period_month < date '2025-01-01'"
    ) == [(0,)]


def test_unmapped_values_are_listed_for_the_secretariat(build: Build) -> None:
    rows = build.query(
        "select member_code, dataset, column_name, raw_value, row_count, person_count"
        " from intermediate.int_unmapped_values"
    )
    assert rows == [("FJI", "movements", "country", "Atlantis", 1, 3)]


def test_regional_trends_keep_nil_and_missing_apart(build: Build) -> None:
    rows = build.query(
        "select period_month, member_count_reporting, total_count, previous_month_total,"
        " mom_change_pct, same_month_last_year_total, yoy_change_pct, yoy_members_compared,"
        " members_expected, coverage_pct, completeness_status"
        " from marts.mart_regional_trends where dataset = 'movements' order by period_month"
    )
    assert rows == [
        # NZL alone, nobody with history yet: 1 of 21 members by number
        (date(2025, 1, 1), 1, 15, None, None, None, None, 0, 21, 4.8, "incomplete"),
        # FJI has no history of its own: it covers none of the usual volume (NZL's 15)
        (date(2025, 12, 1), 1, 24, None, None, None, None, 0, 21, 0.0, "incomplete"),
        # FJI's correction (30) plus TON's nil return (0); NZL sent nothing, so it is absent.
        # Month on month compares FJI with itself (24 -> 30); year on year would compare FJI
        # and TON with NZL, so there is no change: nobody reported both months.
        (date(2026, 1, 1), 2, 30, 24, 25.0, 15, None, 0, 21, 61.5, "incomplete"),
    ]


def test_regional_trends_cover_every_dataset_with_returns(build: Build) -> None:
    rows = build.query(
        "select dataset, member_count_reporting, total_count from marts.mart_regional_trends"
        " where period_month = date '2026-01-01' order by dataset"
    )
    assert rows == [("movements", 2, 30), ("permits", 1, 4)]


def test_dim_countries_keeps_codes_as_text(build: Build) -> None:
    types = dict(
        build.query(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'reference' and table_name = 'countries'"
        )
    )
    assert types["alpha2"] == "VARCHAR"
    assert types["numeric_code"] == "VARCHAR"
    nulls = build.query(
        "select count(*) from marts.dim_countries where code_kind = 'iso' and alpha2 is null"
    )
    assert nulls == [(0,)]


def test_normalise_label_macro_matches_python(build: Build) -> None:
    """The dbt macro and pidc.normalise agree on ASCII labels (they match seeds to raw values)."""
    labels = [
        "New Zealand (8)",
        "Fiji*",
        "Tonga [p]",
        "  People's Republic of China ",
        "USA/Canada",
        "Visiting friends & relatives",
        "HOL",
    ]
    selects = " union all ".join(
        f'select {position} as position, {{{{ normalise_label("{sql_string(label)}") }}}} as v'
        for position, label in enumerate(labels)
    )
    compiled = build.compile_inline(selects)
    with duckdb.connect() as connection:
        rows = connection.execute(f"select v from ({compiled}) order by position").fetchall()
    assert [row[0] for row in rows] == [normalise_label(label) for label in labels]


def test_datasets_are_listed_only_by_the_generated_models() -> None:
    """pidc/contract.yaml is the one list of datasets and columns: dbt has no variable, macro or
    seed lookup restating it, and reads no columns from the database (a fact only looks at its
    own table, to rebuild it whole when it was built without one of its columns)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert "pidc_datasets" not in project["vars"]
    sql_files = [
        path
        for folder in ("models", "macros", "tests")
        for path in (DBT_PROJECT_DIR / folder).rglob("*.sql")
    ]
    for path in sql_files:
        text = path.read_text(encoding="utf-8")
        text = text.replace("get_columns_in_relation(this)", "")
        for listing in ("get_columns_in_relation", "contract_datasets", "pidc_datasets"):
            assert listing not in text, f"{path.name} lists datasets or columns with {listing}"
        assert "ref('dataset_columns')" not in text, path.name


def test_staging_models_exist_for_every_raw_table() -> None:
    from ingestion.raw_schema import raw_tables

    staging = DBT_PROJECT_DIR / "models" / "staging"
    assert {f"stg_raw__{name}.sql" for name in raw_tables()} <= {p.name for p in staging.iterdir()}
    sources = yaml.safe_load((staging / "_raw__sources.yml").read_text(encoding="utf-8"))
    declared = {table["name"] for table in sources["sources"][0]["tables"]}
    assert declared == set(raw_tables())


def test_generated_staging_yaml_is_up_to_date() -> None:
    module = dbt_script("generate_staging_yaml")
    committed = module.STAGING_DATASETS_YAML.read_text(encoding="utf-8")
    assert committed == module.staging_datasets_yaml(load_contract())


def test_generated_dataset_models_are_up_to_date() -> None:
    module = dbt_script("generate_dataset_models")
    generated = module.generated_files(load_contract())
    for path, text in generated.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"run {module.SCRIPT}: {path.name} is stale"
        )
    # and no file it once wrote is left behind (a dataset removed from the contract)
    marker = f"GENERATED by {module.SCRIPT}"
    for folder in ("models", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.suffix in {".sql", ".yml"} and marker in path.read_text(encoding="utf-8"):
                assert path in generated, f"{path.name} was generated but no longer is: remove it"


# The marts interface the app and analysts rely on (issue 4): table -> columns, in order.
MARTS_INTERFACE = {
    "dim_members": "member_code member_name member_name_fr sub_region capital latitude longitude"
    " member_since member_until is_current_member",
    "dim_countries": "country_code alpha2 numeric_code country_name country_name_fr official_name"
    " region sub_region code_kind is_group",
    "dim_ports": "port_code member_code port_name port_mode latitude longitude",
    "dim_months": "period_month year month quarter month_label due_date",
    "dim_datasets": "dataset title description title_fr description_fr has_nationality has_route",
    "dim_codes": "code_list code label label_fr sort_order",
    "dim_member_groups": "group_code group_name group_name_fr member_code",
    "mart_return_totals": "dataset member_code period_month total_count is_nil_return",
    "mart_reporting_compliance": "member_code dataset period_month due_date is_expected status"
    " is_nil_return is_corrected version_count first_received_at last_received_at",
    "mart_compliance_summary": "member_code period_month expected_returns received_returns"
    " on_time_returns late_returns missing_returns nil_returns completeness_rate timeliness_rate",
    "mart_regional_trends": "trend_key dataset period_month member_count_reporting total_count"
    " previous_month_total mom_change_pct same_month_last_year_total yoy_change_pct"
    " rolling_3m_total rolling_12m_total members_expected coverage_pct completeness_status"
    " is_latest_month mom_members_compared mom_compared_total mom_compared_base_total"
    " yoy_members_compared yoy_compared_total yoy_compared_base_total",
    "mart_regional_completeness": "trend_key dataset period_month due_date members_expected"
    " members_reporting usual_volume_expected usual_volume_reporting coverage_pct is_complete"
    " is_due is_released completeness_status is_latest_month",
    "mart_public_regional_trends": "dataset period_month total_count display_value is_suppressed"
    " members_reporting members_expected coverage_at_least_pct completeness_status"
    " is_latest_month previous_month_total mom_change_pct is_mom_same_members"
    " same_month_last_year_total yoy_change_pct is_yoy_same_members",
    "mart_member_trends": "dataset member_code period_month total_count previous_month_total"
    " mom_change_pct same_month_last_year_total yoy_change_pct rolling_3m_total"
    " rolling_12m_total share_of_regional_pct",
    "mart_nationality_trends": "dataset member_code nationality_code period_month total_count"
    " rolling_3m_total rolling_12m_total",
    "mart_route_trends": "member_code embarkation_country_code period_month total_count",
    "mart_alerts": "alert_id dataset member_code alert_type dimension_value period_month"
    " observed_count baseline_median baseline_mad modified_z_score baseline_months severity"
    " message series_kind",
    "mart_alert_series": "alert_id dataset member_code period_month observed_count has_return"
    " is_alert_month is_baseline_month",
    "mart_observations": "member_code dataset period_month topic note is_shareable",
    "mart_submissions": "submission_id member_code file_name file_format received_at status"
    " datasets periods rows_read rows_loaded rows_rejected report_path summary",
    "mart_unmapped_values": "member_code dataset column_name raw_value row_count person_count",
    "mart_sharing_access": "viewer owner_member_code dataset can_view",
    "mart_public_aggregates": "dataset period_month breakdown breakdown_value obs_value"
    " display_value is_suppressed conf_status contributing_members",
    "mart_sdmx_public": "DATAFLOW FREQ REF_AREA TIME_PERIOD INDICATOR BREAKDOWN BREAKDOWN_VALUE"
    " OBS_VALUE CONF_STATUS",
}


def test_marts_follow_the_interface(build: Build) -> None:
    columns: dict[str, list[str]] = {}
    for table, column in build.query(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' order by table_name, ordinal_position"
    ):
        columns.setdefault(table, []).append(column)
    for table, expected in MARTS_INTERFACE.items():
        assert columns.get(table) == expected.split(), table
    for dataset in load_contract().dataset_names:
        fact = columns[f"fct_{dataset}"]
        breakdowns = [f"{c.name}_code" for c in load_contract().dataset(dataset).breakdowns]
        assert fact == [
            f"{dataset}_key",
            "member_code",
            "period_month",
            *breakdowns,
            "observed_count",
            "source_row_count",
            "has_unmapped_value",
            "is_counted_cross_section",
        ]


def test_nil_return_is_a_zero_total_and_a_received_return(build: Build) -> None:
    totals = build.query(
        "select member_code, dataset, total_count, is_nil_return from marts.mart_return_totals"
        " where period_month = date '2026-01-01' order by member_code, dataset"
    )
    assert totals == [
        ("FJI", "movements", 30, False),
        ("TON", "movements", 0, True),
        ("TON", "permits", 4, False),
    ]
    compliance = build.query(
        "select status, is_nil_return, version_count, is_corrected"
        " from marts.mart_reporting_compliance where period_month = date '2026-01-01'"
        " and dataset = 'movements' and member_code in ('FJI', 'TON') order by member_code"
    )
    assert compliance == [("on_time", False, 2, True), ("on_time", True, 1, False)]


def test_every_dashboard_page_is_an_exposure() -> None:
    exposures = yaml.safe_load(
        (DBT_PROJECT_DIR / "models" / "exposures.yml").read_text(encoding="utf-8")
    )["exposures"]
    names = {exposure["name"] for exposure in exposures}
    pages = {
        "overview",
        "explorer",
        "member_profile",
        "compliance",
        "alerts",
        "data_quality",
        "bulletin",
        "downloads",
    }
    assert {f"{page}_page" for page in pages} <= names


def _compiled_staging(home: Path, target: Path) -> dict[str, str]:
    """The SQL `dbt compile` writes for every staging model on the warehouse under ``home``."""
    with _pidc_home(home):
        result = _dbt(["compile", "--select", "staging"], target)
    assert result.success, result.exception
    return {
        node.node.name: node.node.compiled_code
        for node in result.result.results
        if node.node.resource_type == "model"
    }


def test_staging_sql_comes_from_the_contract_not_the_database(build: Build, tmp_path: Path) -> None:
    """`dbt compile` on an empty home (no raw tables at all) gives exactly the staging SQL of a
    loaded one: the columns come from the contract, never from what the database holds."""
    empty_home = tmp_path / "empty_home"
    empty_home.mkdir()
    empty = _compiled_staging(empty_home, tmp_path / "empty_target")
    loaded = _compiled_staging(build.home, tmp_path / "loaded_target")
    assert set(empty) == {f"stg_raw__{name}" for name in _raw_table_names()}
    assert empty == loaded
    movements = load_contract().dataset("movements")
    for column in movements.breakdowns:
        assert f"        {column.name},\n" in empty["stg_raw__movements"], column.name


def _raw_table_names() -> list[str]:
    from ingestion.raw_schema import raw_tables

    return [
        name
        for name in raw_tables()
        if (DBT_PROJECT_DIR / "models" / "staging" / f"stg_raw__{name}.sql").exists()
    ]


APP_DIR = DBT_PROJECT_DIR.parent / "app"
# a mart named in app/'s code: a quoted name ("mart_alerts", a reader's table) or a table after
# a schema ("marts.mart_alerts", "{MARTS_SCHEMA}.mart_alerts")
MART_IN_APP = re.compile(r"""(?:["']|marts\.|\}\.)((?:mart|dim|fct)_[a-z0-9_]+)\b""")


def _mart_models() -> set[str]:
    marts = DBT_PROJECT_DIR / "models" / "marts"
    return {path.stem for pattern in ("*.sql", "*.py") for path in marts.rglob(pattern)}


def marts_read_by_app() -> set[str]:
    """The marts app/ reads, found in its source: every mart model it names, and every fact
    when it builds fact names from the dataset (f"fct_{dataset}")."""
    models = _mart_models()
    read: set[str] = set()
    for path in APP_DIR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(MART_IN_APP.findall(text)) & models
        if re.search(r"""f["']fct_\{""", text):
            read |= {name for name in models if name.startswith("fct_")}
    return read


def test_exposures_list_exactly_the_marts_the_app_reads() -> None:
    exposures = yaml.safe_load(
        (DBT_PROJECT_DIR / "models" / "exposures.yml").read_text(encoding="utf-8")
    )["exposures"]
    listed = {
        ref.removeprefix("ref('").removesuffix("')")
        for exposure in exposures
        for ref in exposure["depends_on"]
    }
    read = marts_read_by_app()
    assert read, "found no mart in app/: the pattern no longer matches how app/ names them"
    assert {f"fct_{name}" for name in load_contract().dataset_names} <= read
    assert sorted(listed - read) == [], "exposures list marts that nothing in app/ reads"
    assert sorted(read - listed) == [], "app/ reads marts that no exposure lists"


def test_a_fact_built_without_a_column_is_rebuilt_whole(build: Build, tmp_path: Path) -> None:
    """A warehouse whose fact was built by an older version of the project (here: without
    is_counted_cross_section) needs no --full-refresh: the next incremental run adds the column
    and rebuilds every member-month, so the table equals a fresh build."""
    import shutil

    home = tmp_path / "old_home"
    home.mkdir()
    for path in build.home.glob(f"{build.warehouse.name}*"):
        shutil.copy(path, home / path.name)
    fresh = build.query("select * from marts.fct_movements order by all")
    with duckdb.connect(str(home / build.warehouse.name)) as connection:
        connection.execute("alter table marts.fct_movements drop column is_counted_cross_section")
    with _pidc_home(home):
        result = _dbt(["build", "--select", "fct_movements"], tmp_path / "target")
    assert result.success, result.exception
    with duckdb.connect(str(home / build.warehouse.name), read_only=True) as connection:
        rebuilt = connection.execute("select * from marts.fct_movements order by all").fetchall()
    assert rebuilt == fresh


# Tonga's refusals of January 2026 sent as a table broken down two ways: by nationality (reason
# _T) and by reason (nationality _T), 10 persons each way. source row, nationality, reason, count
TWO_WAY_REFUSALS = [
    (2, "CHN", "_T", 6),
    (3, "IND", "_T", 4),
    (4, "_T", "A", 7),
    (5, "_T", "B", 3),
]


def test_the_documented_sum_over_a_fact_counts_a_two_way_table_once(
    build: Build, tmp_path: Path
) -> None:
    """The sum an analyst writes over a fact with the filter docs/analysts.md documents gives the
    published total of a return sent as a table broken down two ways, where the plain sum of
    every row counts its people twice."""
    import shutil

    home = tmp_path / "two_way_home"
    home.mkdir()
    for path in build.home.glob(f"{build.warehouse.name}*"):
        shutil.copy(path, home / path.name)
    with duckdb.connect(str(home / build.warehouse.name)) as connection:
        connection.execute(
            "insert into raw.submissions (submission_id, member, file_name, file_sha256,"
            " received_at, status, rows_read, rows_loaded, rows_rejected)"
            " values ('S9', 'TON', 'S9.xlsx', 'S9', '2026-02-11 09:00:00', 'accepted', 4, 4, 0)"
        )
        connection.execute(
            "insert into raw.returns (submission_id, member, dataset, period, is_nil, row_count,"
            " received_at) values ('S9', 'TON', 'refusals', '2026-01', false, 4,"
            " '2026-02-11 09:00:00')"
        )
        for row, nationality, reason, count in TWO_WAY_REFUSALS:
            connection.execute(
                "insert into raw.refusals (member, period, port, nationality, reason, count,"
                " submission_id, source_sheet, source_row)"
                " values ('TON', '2026-01', 'FJNAN', ?, ?, ?, 'S9', 'refusals', ?)",
                [nationality, reason, count, row],
            )
    with _pidc_home(home):
        result = _dbt(["build"], tmp_path / "target")
    assert result.success, result.exception
    analysts_doc = (DBT_PROJECT_DIR.parent / "docs" / "analysts.md").read_text(encoding="utf-8")
    assert "where facts.is_counted_cross_section" in analysts_doc
    with duckdb.connect(str(home / build.warehouse.name), read_only=True) as connection:

        def one(sql: str) -> object:
            return connection.execute(sql).fetchone()[0]

        where = "where facts.member_code = 'TON' and facts.period_month = date '2026-01-01'"
        documented = one(
            "select sum(facts.observed_count) from marts.fct_refusals as facts"
            f" {where} and facts.is_counted_cross_section"
        )
        everything = one(
            f"select sum(facts.observed_count) from marts.fct_refusals as facts {where}"
        )
        published = one(
            "select total_count from marts.mart_return_totals as facts"
            f" {where} and facts.dataset = 'refusals'"
        )
        regional = one(
            "select total_count from marts.mart_regional_trends"
            " where dataset = 'refusals' and period_month = date '2026-01-01'"
        )
        regional_sum = one(
            "select sum(observed_count) from marts.fct_refusals"
            " where period_month = date '2026-01-01' and is_counted_cross_section"
        )
    assert (documented, everything, published) == (10, 20, 10)
    assert regional_sum == regional


def test_public_cells_kept_per_table_set_follow_a_withdrawal_as_a_full_rebuild_does(
    build: Build, tmp_path: Path
) -> None:
    """int_public_suppression and the audit ledger protect and audit only the table sets that
    changed. A month whose only return is withdrawn must still leave the public figures at the
    next (incremental) build, and the result must equal a rebuild from scratch."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(build.warehouse, home / "warehouse.duckdb")
    december = ("movements", date(2025, 12, 1))
    public = "select dataset, period_month from marts.mart_public_aggregates"
    sets = "select distinct dataset, cast(period_month as date) from intermediate.int_public_suppression"
    assert december in build.query(sets) and december in build.query(public)
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            "update raw.submissions set status = 'withdrawn' where submission_id = 'S0'"
        )
    select = ["--exclude-resource-type", "unit_test"]  # as a pipeline build runs

    def snapshot() -> list[list[tuple]]:
        queries = (
            "select * exclude (fingerprint) from intermediate.int_public_suppression",
            "select * from intermediate.int_public_disclosure_audit",  # (the ledger keeps
            public,  # a vanished set's audit: the same cells would be judged the same)
        )
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
            return [connection.execute(f"{query} order by all").fetchall() for query in queries]

    with _pidc_home(home):
        assert _dbt(["build", *select], home / "dbt_target").success
        incremental = snapshot()
        assert _dbt(["build", "--full-refresh", *select], home / "dbt_target").success
    assert december not in {(row[0], row[1].date()) for row in incremental[0]}
    assert december not in incremental[2]
    assert incremental == snapshot()
