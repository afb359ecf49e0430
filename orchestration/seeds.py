"""Seeds are loaded when they change, not at every build.

The seeds (members, code lists, countries, mappings, sharing rules: 13 tables) change with a
release, not with a month's returns, yet ``dbt build`` loaded every one of them again at every
build and ran their 39 data tests: 52 of a new month's 334 nodes, about 3 s of dbt's elapsed time
at any history length (docs/benchmarks.md).

A build now leaves them out when the warehouse already holds exactly what they would load: after
a build that loaded every seed and passed (every seed, model and test; :func:`loaded_every_seed`:
not a run of a subset of the assets that built models only), :func:`record_loaded_seeds`
writes each seed's fingerprint (:func:`seed_fingerprints`: its file's bytes, its dbt config and
dbt's version) into the warehouse itself, so a warehouse restored from a backup carries its own
record. The next build compares the fingerprints of the files on disk with that record
(:func:`seeds_already_loaded`); when every one matches and every seed's table is there, dbt is
told ``--exclude resource_type:seed`` with ``cautious`` indirect selection, which leaves out the
seeds and the tests that read nothing but seeds. A model's test that also reads a seed (a code
checked against a code list) still runs, since its model is built.

Any doubt loads them all, as before: no record, a seed added, removed, edited or re-configured,
a table missing, the warehouse busy, ``--full-refresh``, and the nightly build (full checks),
which also catches a seed table changed by hand.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import duckdb

# Where the record is kept: beside intermediate.pidc_checked_builds (dbt_project/macros).
LOADED_SEEDS_TABLE = "intermediate.pidc_loaded_seeds"
# dbt's arguments that leave the seeds, and the tests that read only seeds, out of a build.
SEEDS_LEFT_OUT = ("--exclude", "resource_type:seed", "--indirect-selection", "cautious")


def seed_fingerprints(manifest: Mapping[str, Any], project_dir: Path) -> dict[str, str]:
    """Each seed's fingerprint by unique id: its file as it is on disk now (not as the manifest
    last saw it), its config (column types, delimiter, schema...) and the dbt that loads it."""
    dbt_version = manifest.get("metadata", {}).get("dbt_version", "")
    found = {}
    for unique_id, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "seed":
            continue
        content = (project_dir / node["original_file_path"]).read_bytes()
        described = json.dumps(
            {
                "file": hashlib.sha256(content).hexdigest(),
                "config": node.get("config", {}),
                "relation": node.get("relation_name"),
                "dbt": dbt_version,
            },
            sort_keys=True,
            default=str,
        )
        found[unique_id] = hashlib.sha256(described.encode()).hexdigest()
    return found


def seeds_already_loaded(
    warehouse: Path, fingerprints: Mapping[str, str], manifest: Mapping[str, Any]
) -> bool:
    """True when ``warehouse`` records exactly ``fingerprints`` and holds every seed's table."""
    if not fingerprints or not warehouse.exists():
        return False
    nodes = manifest["nodes"]
    relations = {
        (nodes[unique_id]["schema"], nodes[unique_id]["alias"]) for unique_id in fingerprints
    }
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            recorded = dict(
                connection.execute(f"select seed, fingerprint from {LOADED_SEEDS_TABLE}").fetchall()
            )
            present = set(
                connection.execute(
                    "select table_schema, table_name from information_schema.tables"
                ).fetchall()
            )
    except duckdb.Error:
        # No record yet (a new or older warehouse), or another process holds the file: load.
        return False
    return recorded == dict(fingerprints) and relations <= present


def record_loaded_seeds(warehouse: Path, fingerprints: Mapping[str, str]) -> None:
    """Write ``fingerprints`` as what ``warehouse``'s seed tables hold (after a build that loaded
    them and passed), replacing the previous record in one transaction."""
    schema = LOADED_SEEDS_TABLE.split(".")[0]
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("begin")
        connection.execute(f"create schema if not exists {schema}")
        connection.execute(
            f"create table if not exists {LOADED_SEEDS_TABLE} "
            "(seed varchar primary key, fingerprint varchar not null, loaded_at timestamp not null)"
        )
        connection.execute(f"delete from {LOADED_SEEDS_TABLE}")
        connection.executemany(
            f"insert into {LOADED_SEEDS_TABLE} values (?, ?, current_timestamp)",
            sorted(fingerprints.items()),
        )
        connection.execute("commit")


def nodes_left_out(manifest: Mapping[str, Any]) -> set[str]:
    """The nodes :data:`SEEDS_LEFT_OUT` leaves out of a build: the seeds, and the tests that read
    nothing but seeds (dbt's ``cautious`` indirect selection)."""
    nodes = manifest.get("nodes", {})
    seeds = {unique_id for unique_id, node in nodes.items() if node["resource_type"] == "seed"}
    return seeds | {
        unique_id
        for unique_id, node in nodes.items()
        if node["resource_type"] == "test"
        and set(node.get("depends_on", {}).get("nodes", [])) <= seeds
    }


def loaded_every_seed(built: Collection[str], fingerprints: Mapping[str, str]) -> bool:
    """True when a dbt run that built (or loaded) the nodes ``built`` (``unique_id``, each one
    dbt reported a success) loaded every seed of ``fingerprints``: only then may they be
    recorded. A run of a subset of the assets (what the automation sensor starts after intake)
    builds models without loading the seeds: recording the files as they are then would leave
    an edited seed out of every later build."""
    return bool(fingerprints) and set(fingerprints) <= set(built)
