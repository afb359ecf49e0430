"""The record that lets a build leave out seeds the warehouse already holds (orchestration/seeds.py).

The whole path (dbt builds that leave the seeds out, load them when a file changes or a table is
missing, record nothing after a failed build) is tested in test_orchestration.py; these tests pin
what decides it, the way someone would slip a changed seed past it.
"""

import copy
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.seeds import (
    LOADED_SEEDS_TABLE,
    loaded_every_seed,
    nodes_left_out,
    record_loaded_seeds,
    seed_fingerprints,
    seeds_already_loaded,
)


def _project(tmp_path: Path) -> tuple[Path, dict]:
    """A project folder with two seed files and the manifest entries dbt would write for them."""
    project = tmp_path / "project"
    (project / "seeds").mkdir(parents=True)
    (project / "seeds" / "members.csv").write_text("member_code\nFJI\n", encoding="utf-8")
    (project / "seeds" / "ports.csv").write_text("port_code\nFJSUV\n", encoding="utf-8")

    def seed(name: str) -> dict:
        return {
            "resource_type": "seed",
            "original_file_path": f"seeds/{name}.csv",
            "relation_name": f'"warehouse"."main"."{name}"',
            "schema": "main",
            "alias": name,
            "config": {"column_types": {}, "delimiter": ","},
            "depends_on": {"nodes": []},
        }

    manifest = {
        "metadata": {"dbt_version": "1.11.2"},
        "nodes": {
            "seed.p.members": seed("members"),
            "seed.p.ports": seed("ports"),
            "model.p.mart": {"resource_type": "model", "depends_on": {"nodes": ["seed.p.members"]}},
            "test.p.unique_members": {
                "resource_type": "test",
                "depends_on": {"nodes": ["seed.p.members"]},
            },
            "test.p.ports_of_members": {
                "resource_type": "test",
                "depends_on": {"nodes": ["seed.p.members", "seed.p.ports"]},
            },
            "test.p.known_codes_mart": {
                "resource_type": "test",
                "depends_on": {"nodes": ["model.p.mart", "seed.p.members"]},
            },
        },
    }
    return project, manifest


def _warehouse(tmp_path: Path, tables=("members", "ports")) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        for table in tables:
            connection.execute(f"create or replace table main.{table} (code varchar)")
    return warehouse


def test_a_recorded_warehouse_holding_every_seed_table_may_leave_them_out(tmp_path):
    project, manifest = _project(tmp_path)
    warehouse = _warehouse(tmp_path)
    fingerprints = seed_fingerprints(manifest, project)
    assert set(fingerprints) == {"seed.p.members", "seed.p.ports"}
    assert not seeds_already_loaded(warehouse, fingerprints, manifest)  # nothing recorded yet
    record_loaded_seeds(warehouse, fingerprints)
    assert seeds_already_loaded(warehouse, fingerprints, manifest)
    record_loaded_seeds(warehouse, fingerprints)  # a second record replaces the first
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(f"select count(*) from {LOADED_SEEDS_TABLE}").fetchone() == (2,)


@pytest.mark.parametrize(
    "change",
    [
        "a byte of a seed file",
        "a seed's column types",
        "dbt's version",
        "a seed added",
        "a seed removed",
        "a seed table dropped",
    ],
)
def test_any_change_a_seed_load_depends_on_loads_them_again(tmp_path, change):
    project, manifest = _project(tmp_path)
    warehouse = _warehouse(tmp_path)
    record_loaded_seeds(warehouse, seed_fingerprints(manifest, project))
    changed = copy.deepcopy(manifest)
    if change == "a byte of a seed file":
        (project / "seeds" / "ports.csv").write_text("port_code\nFJSUW\n", encoding="utf-8")
    elif change == "a seed's column types":
        changed["nodes"]["seed.p.ports"]["config"]["column_types"] = {"port_code": "varchar(5)"}
    elif change == "dbt's version":
        changed["metadata"]["dbt_version"] = "1.11.3"
    elif change == "a seed added":
        (project / "seeds" / "extra.csv").write_text("x\n1\n", encoding="utf-8")
        changed["nodes"]["seed.p.extra"] = {
            **changed["nodes"]["seed.p.ports"],
            "original_file_path": "seeds/extra.csv",
            "relation_name": '"warehouse"."main"."extra"',
            "alias": "extra",
        }
        _warehouse(tmp_path, tables=("extra",))  # even with its table there
    elif change == "a seed removed":
        del changed["nodes"]["seed.p.ports"]
    elif change == "a seed table dropped":
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute("drop table main.ports")
    assert not seeds_already_loaded(warehouse, seed_fingerprints(changed, project), changed)


def test_a_warehouse_another_process_holds_or_a_missing_one_loads_the_seeds(tmp_path):
    project, manifest = _project(tmp_path)
    fingerprints = seed_fingerprints(manifest, project)
    assert not seeds_already_loaded(tmp_path / "none.duckdb", fingerprints, manifest)
    warehouse = _warehouse(tmp_path)
    record_loaded_seeds(warehouse, fingerprints)
    # A read-write connection with another configuration (here: this process's) stands in for
    # the file held elsewhere: the record cannot be read, so the seeds are loaded.
    with duckdb.connect(str(warehouse), config={"threads": 1}):
        assert not seeds_already_loaded(warehouse, fingerprints, manifest)
    assert seeds_already_loaded(warehouse, fingerprints, manifest)


def test_the_nodes_left_out_are_the_seeds_and_the_tests_reading_only_seeds(tmp_path):
    _, manifest = _project(tmp_path)
    assert nodes_left_out(manifest) == {
        "seed.p.members",
        "seed.p.ports",
        "test.p.unique_members",
        "test.p.ports_of_members",
    }
    assert nodes_left_out({"nodes": {}}) == set()


def test_only_a_run_that_loaded_every_seed_may_record_them(tmp_path):
    project, manifest = _project(tmp_path)
    fingerprints = seed_fingerprints(manifest, project)

    assert loaded_every_seed({"seed.p.members", "seed.p.ports", "model.p.mart"}, fingerprints)
    # A subset run that built models only; one that loaded a single seed, or whose other seed
    # failed (dagster-dbt reports no success for it).
    assert not loaded_every_seed({"model.p.mart"}, fingerprints)
    assert not loaded_every_seed({"seed.p.members"}, fingerprints)
    assert not loaded_every_seed(set(), {})


def test_the_nodes_built_are_read_from_dagster_dbt_s_success_events():
    """The seeds' record follows what dagster-dbt reports built: an Output (an
    AssetMaterialization outside an asset) with the node's ``unique_id``, for successes only."""
    from orchestration.transform import built_node

    assert built_node(dg.Output(None, "members", metadata={"unique_id": "seed.p.members"})) == (
        "seed.p.members"
    )
    materialized = dg.AssetMaterialization("ports", metadata={"unique_id": "seed.p.ports"})
    assert built_node(materialized) == "seed.p.ports"
    check = dg.AssetCheckResult(
        asset_key="members", check_name="unique", passed=True, metadata={"unique_id": "test.p.u"}
    )
    assert built_node(check) is None  # a test is not a node built
    assert built_node(dg.Output(None, "members")) is None
