"""The session's sample warehouse: a realistic sample ingested and built by dbt, once.

The sample generator writes 14 months of returns for every member (so a 12-month alert baseline
exists); the files received before a cut-off are ingested in arrival order, in one call
(ingestion.intake.ingest_files: the outcomes of one file at a time), and `dbt build` runs; the rest (the last months, late returns, corrections) are ingested and
`dbt build` runs again, so the facts and the harmonised chain take their incremental path. A
copy of that warehouse then has the chain and the facts rebuilt with `--full-refresh`. Shared by every test that only reads it (the ``sample``
fixture of tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pidc.settings import Home
from sample_data import generate_samples
from sample_data.manifest import SampleManifest
from support.dbt_runner import invoke_dbt

SAMPLE_MONTHS = 14
SAMPLE_END = "2026-09"


@dataclass(frozen=True)
class SampleBuild:
    """A sample ingested and built twice (full, then incremental), plus a full-refresh copy."""

    home: Home
    manifest: SampleManifest
    as_of: dt.date
    failures: list[str]
    full_refresh_warehouse: Path

    @property
    def warehouse(self) -> Path:
        return self.home.warehouse

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Rows of ``sql`` on a short read-only connection to the built warehouse."""
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, parameters or []).fetchall()


def dbt_vars(manifest: SampleManifest, as_of: dt.date) -> str:
    """The `--vars` that pin "today" and start expected returns at the sample's first month."""
    return f'{{pidc_as_of: "{as_of.isoformat()}", pidc_first_reporting_month: "{manifest.periods[0]}"}}'


def run_dbt(root: Path, args: list[str], target_path: Path) -> list[str]:
    """Run dbt in-process on the warehouse under ``root``; returns the failed nodes.

    The project is parsed once per session (support.dbt_runner)."""
    result = invoke_dbt(args, target_path, home_root=root)
    failures = [
        f"{node.node.name}: {node.status} {node.message}"
        for node in (result.result or [])
        if str(node.status) in {"error", "fail"}
    ]
    if result.exception is not None:
        failures.append(repr(result.exception))
    if not result.success and not failures:
        failures.append(f"dbt {' '.join(args)} failed")
    return failures


def _ingest(home: Home, files: list[Path]) -> None:
    """Ingest ``files`` in the order given, as one file at a time would (ingest_files)."""
    from ingestion.intake import ingest_files

    outcomes = ingest_files(files, home)
    assert len(outcomes) == len(files)
    for outcome in outcomes:
        assert outcome.status == "accepted", (outcome.file_name, outcome.message)


# The incremental models a --full-refresh copy rebuilds: the harmonised chain (kept by return
# version, dbt_project/macros/harmonised.sql) and the facts (kept by member-month).
HARMONISED_CHAIN = [
    "int_breakdown_values_unpivoted",
    "int_breakdown_values_harmonised",
    "int_*_harmonised",
    "fct_*",
]


def chain_tables() -> list[str]:
    """The tables of HARMONISED_CHAIN, schema-qualified."""
    from pidc.contract import load_contract

    names = load_contract().dataset_names
    return [
        "intermediate.int_breakdown_values_unpivoted",
        "intermediate.int_breakdown_values_harmonised",
        *[f"intermediate.int_{name}_harmonised" for name in names],
        *[f"marts.fct_{name}" for name in names],
    ]


def differences(warehouse: Path, refreshed: Path) -> dict[str, tuple[int, int]]:
    """Per chain table that differs: the rows only in ``warehouse`` and only in ``refreshed``
    (EXCEPT ALL both ways, so a duplicated row counts too), column by column by name (a column
    an incremental run added back comes last, where a full refresh puts it in place). The run
    that built a row (``built_by``, macros/checked_builds.sql) differs by design."""
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute(f"attach '{refreshed}' as refreshed (read_only)")
        for table in chain_tables():
            schema, name = table.split(".")
            columns = ", ".join(
                f'"{row[0]}"'
                for row in connection.execute(
                    "select column_name from information_schema.columns where table_catalog ="
                    " 'refreshed' and table_schema = ? and table_name = ?"
                    " and column_name <> 'built_by' order by ordinal_position",
                    [schema, name],
                ).fetchall()
            )
            counts = tuple(
                connection.execute(
                    f"select count(*) from (select {columns} from {left}"
                    f" except all select {columns} from {right})"
                ).fetchone()[0]
                for left, right in ((table, f"refreshed.{table}"), (f"refreshed.{table}", table))
            )
            rows = connection.execute(f"select count(*) from {table}").fetchone()[0]
            if counts != (0, 0) or rows == 0:
                found[table] = counts
    return found


_BUILDS: dict[str, SampleBuild] = {}


def sample_build_once(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """The session's sample build (made on first call; test_analyst_queries reuses it)."""
    if "sample" in _BUILDS:
        return _BUILDS["sample"]
    home = Home(tmp_path_factory.mktemp("pidc_sample_home")).ensure()
    manifest = generate_samples(home.landing, months=SAMPLE_MONTHS, end_period=SAMPLE_END)
    received = {
        home.landing / entry.path: dt.datetime.fromisoformat(entry.received_at)
        for entry in manifest.files
    }
    as_of = max(received.values()).date() + dt.timedelta(days=1)
    # Everything received before the last three months' deadlines first; the rest afterwards,
    # so the second build is incremental and includes new months, late files and corrections.
    cutoff = dt.datetime.fromisoformat(f"{manifest.periods[-3]}-01")
    ordered = sorted(received, key=lambda path: (received[path], path.name))
    failures: list[str] = []
    variables = dbt_vars(manifest, as_of)
    target = home.root / "dbt_target"
    _ingest(home, [path for path in ordered if received[path] < cutoff])
    failures += run_dbt(home.root, ["build", "--vars", variables], target)
    _ingest(home, [path for path in ordered if received[path] >= cutoff])
    failures += run_dbt(home.root, ["build", "--vars", variables], target)
    # The same warehouse rebuilt from scratch must give the same facts.
    refresh_root = tmp_path_factory.mktemp("pidc_full_refresh_home")
    for path in home.root.glob(f"{home.warehouse.name}*"):  # the file and any WAL beside it
        shutil.copy(path, refresh_root / path.name)
    failures += run_dbt(
        refresh_root,
        ["run", "--full-refresh", "--select", *HARMONISED_CHAIN, "--vars", variables],
        refresh_root / "dbt_target",
    )
    _BUILDS["sample"] = SampleBuild(
        home=home,
        manifest=manifest,  # as the generator returned it (tests/pipeline/test_sample.py)
        as_of=as_of,
        failures=failures,
        full_refresh_warehouse=refresh_root / home.warehouse.name,
    )
    return _BUILDS["sample"]
