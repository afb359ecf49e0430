"""The harmonised chain kept by return version (dbt_project/macros/harmonised.sql), the adversary's way.

int_breakdown_values_unpivoted, int_breakdown_values_harmonised and every int_<dataset>_harmonised
are incremental: a run harmonises only the current return versions that are not in the table yet,
after a pre-hook deleted the rows of versions that are no longer current, and every row when a
mapping seed changed. On a copy of the session's sample warehouse:

1. a correction of an old month (one row dropped, one count changed, one nationality nobody can
   map), a withdrawal that hands a month back to the version before it, and the withdrawal of a
   submission whose returns have no other version, then an incremental build of the chain and
   the facts;
2. then an alias for the unmappable nationality added to reference.country_aliases (as the
   Secretariat would), and another incremental build.

After each, the tables must hold what a --full-refresh of the same warehouse builds, row for row.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from support.warehouse import (
    HARMONISED_CHAIN,
    SampleBuild,
    chain_tables,
    dbt_vars,
    differences,
    run_dbt,
)

pytestmark = pytest.mark.slow

UNMAPPED_NATIONALITY = "Freedonian Republic"
ALIAS_CODE = "FJI"


@dataclass(frozen=True)
class Scenario:
    """Warehouses after each incremental build, each beside a full refresh of itself."""

    after_versions: Path
    refreshed_versions: Path
    after_mapping: Path
    refreshed_mapping: Path
    corrected: tuple[str, str, dt.date, str]  # member, dataset, month, superseded submission
    handed_back: tuple[str, str, dt.date, str, str]  # ..., withdrawn, earlier submission
    withdrawn_alone: str  # a submission whose returns have no other version
    failures: list[str]


def _copy(warehouse: Path, root: Path) -> Path:
    root.mkdir(parents=True)
    for path in warehouse.parent.glob(f"{warehouse.name}*"):
        shutil.copy(path, root / path.name)
    return root / warehouse.name


def _one(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None):
    row = connection.execute(sql, parameters or []).fetchone()
    assert row is not None, sql
    return row


def _change_versions(warehouse: Path) -> tuple[tuple, tuple, str]:
    """Correct an old permits return, withdraw a correction, withdraw a lone submission."""
    with duckdb.connect(str(warehouse)) as connection:
        versions = "intermediate.int_return_versions"
        # an old month, so the facts' lookback does not rebuild it anyway
        member, period, superseded = _one(
            connection,
            f"select member_code, period, submission_id from {versions}"
            " where dataset = 'permits' and is_current and not is_nil and row_count >= 2"
            " order by period_month, member_code limit 1",
        )
        latest = _one(connection, "select max(received_at) from raw.submissions")[0]
        received = latest + dt.timedelta(days=1)
        connection.execute(
            "insert into raw.submissions (submission_id, member, file_name, file_sha256,"
            " received_at, status, rows_read, rows_loaded, rows_rejected)"
            " values ('T-CORR', ?, 'T-CORR.xlsx', 'T-CORR', ?, 'accepted', 0, 0, 0)",
            [member, received],
        )
        connection.execute(
            "insert into raw.returns (submission_id, member, dataset, period, is_nil, row_count,"
            " received_at) values ('T-CORR', ?, 'permits', ?, false, 0, ?)",
            [member, period, received],
        )
        connection.execute(
            "insert into raw.permits select * replace ('T-CORR' as submission_id)"
            " from raw.permits where submission_id = ? and member = ? and period = ?",
            [superseded, member, period],
        )
        last_row = _one(
            connection,
            "select max(source_row) from raw.permits where submission_id = 'T-CORR'",
        )[0]
        connection.execute(
            "delete from raw.permits where submission_id = 'T-CORR' and source_row = ?",
            [last_row],
        )
        connection.execute(
            "update raw.permits set count = count + 1 where submission_id = 'T-CORR'"
            " and source_row = (select min(source_row) from raw.permits"
            " where submission_id = 'T-CORR')"
        )
        connection.execute(
            "insert into raw.permits (member, period, permit_type, nationality, count,"
            " submission_id, source_sheet, source_row) values (?, ?, '_T', ?, 3, 'T-CORR',"
            " 'permits', 99999)",
            [member, period, UNMAPPED_NATIONALITY],
        )
        connection.execute(
            "update raw.returns set row_count = rows.row_count, total_count = rows.total_count"
            " from (select count(*) as row_count, sum(count) as total_count from raw.permits"
            " where submission_id = 'T-CORR') as rows where raw.returns.submission_id = 'T-CORR'"
        )
        # a correction withdrawn: the version before it counts again
        handed_back = _one(
            connection,
            f"select current.member_code, current.dataset, current.period_month,"
            f" current.submission_id, earlier.submission_id"
            f" from {versions} as current inner join {versions} as earlier"
            "   on current.member_code = earlier.member_code"
            "   and current.dataset = earlier.dataset and current.period = earlier.period"
            "   and earlier.accepted_version_number = current.accepted_version_number - 1"
            " where current.is_current and not current.is_nil and not earlier.is_nil"
            "   and current.row_count > 0 and earlier.row_count > 0"
            "   and current.member_code <> ?"
            " order by current.period_month, current.member_code, current.dataset limit 1",
            [member],
        )
        # a submission whose every return has no other version, with rows
        alone = _one(
            connection,
            "select submission_id from (select *, count(*) filter (where is_accepted) over"
            f" (partition by member_code, dataset, period) as accepted_versions from {versions})"
            " group by submission_id"
            " having bool_and(accepted_versions = 1 and is_current)"
            "   and sum(row_count) > 0 and bool_and(member_code not in (?, ?))"
            " order by min(period_month), submission_id limit 1",
            [member, handed_back[0]],
        )[0]
        connection.execute(
            "update raw.submissions set status = 'withdrawn' where submission_id in (?, ?)",
            [handed_back[3], alone],
        )
    corrected = (member, "permits", dt.date.fromisoformat(f"{period}-01"), superseded)
    return corrected, tuple(handed_back), alone


def _add_alias(warehouse: Path) -> None:
    """What the Secretariat's new row in country_aliases.csv loads into reference."""
    with duckdb.connect(str(warehouse)) as connection:
        columns = [
            row[0]
            for row in connection.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'reference' and table_name = 'country_aliases'"
            ).fetchall()
        ]
        values = {
            "alias": UNMAPPED_NATIONALITY,
            "alias_normalised": UNMAPPED_NATIONALITY.lower(),
            "country_code": ALIAS_CODE,
            "alias_kind": "name",
        }
        connection.execute(
            f"insert into reference.country_aliases ({', '.join(columns)})"
            f" values ({', '.join('?' for _ in columns)})",
            [values.get(column) for column in columns],
        )


@pytest.fixture(scope="module")
def scenario(sample: SampleBuild, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("harmonised_incremental")
    variables = dbt_vars(sample.manifest, sample.as_of)
    failures: list[str] = []

    def build(warehouse: Path, *args: str) -> None:
        failures.extend(
            run_dbt(
                warehouse.parent,
                [*args, "--select", *HARMONISED_CHAIN, "--vars", variables],
                warehouse.parent / "dbt_target",
            )
        )

    after_versions = _copy(sample.warehouse, root / "versions")
    corrected, handed_back, alone = _change_versions(after_versions)
    build(after_versions, "build", "--exclude-resource-type", "unit_test")
    refreshed_versions = _copy(after_versions, root / "versions_refreshed")
    build(refreshed_versions, "run", "--full-refresh")

    after_mapping = _copy(after_versions, root / "mapping")
    _add_alias(after_mapping)
    build(after_mapping, "build", "--exclude-resource-type", "unit_test")
    refreshed_mapping = _copy(after_mapping, root / "mapping_refreshed")
    build(refreshed_mapping, "run", "--full-refresh")
    return Scenario(
        after_versions=after_versions,
        refreshed_versions=refreshed_versions,
        after_mapping=after_mapping,
        refreshed_mapping=refreshed_mapping,
        corrected=corrected,
        handed_back=handed_back,
        withdrawn_alone=alone,
        failures=failures,
    )


def query(warehouse: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def test_every_build_and_data_test_passes(scenario: Scenario) -> None:
    assert scenario.failures == []


def test_version_changes_give_what_a_full_refresh_gives(scenario: Scenario) -> None:
    assert differences(scenario.after_versions, scenario.refreshed_versions) == {}


def test_a_correction_replaces_the_rows_of_the_version_before(scenario: Scenario) -> None:
    member, _, month, superseded = scenario.corrected
    where = "where member_code = ? and period_month = ?"
    for table in (
        "int_breakdown_values_unpivoted",
        "int_breakdown_values_harmonised",
        "int_permits_harmonised",
    ):
        submissions = query(
            scenario.after_versions,
            f"select distinct submission_id from intermediate.{table} {where}"
            + (" and dataset = 'permits'" if "breakdown" in table else ""),
            [member, month],
        )
        assert submissions == [("T-CORR",)], table
    raw = query(
        scenario.after_versions,
        "select count(*), sum(count) from raw.permits where submission_id = 'T-CORR'",
    )[0]
    harmonised = query(
        scenario.after_versions,
        f"select count(*), sum(person_count) from intermediate.int_permits_harmonised {where}",
        [member, month],
    )[0]
    fact = query(
        scenario.after_versions,
        f"select sum(source_row_count), sum(observed_count) from marts.fct_permits {where}",
        [member, month],
    )[0]
    assert harmonised == raw == fact
    assert superseded != "T-CORR"  # the version before it no longer counts


def test_a_withdrawn_correction_hands_the_month_back(scenario: Scenario) -> None:
    member, dataset, month, withdrawn, earlier = scenario.handed_back
    rows = query(
        scenario.after_versions,
        f"select submission_id, count(*), sum(person_count) from intermediate.int_{dataset}_harmonised"
        " where member_code = ? and period_month = ? group by submission_id",
        [member, month],
    )
    raw = query(
        scenario.after_versions,
        f"select submission_id, count(*), sum(count) from raw.{dataset}"
        " where submission_id = ? and member = ? and period = strftime(?, '%Y-%m')"
        " group by submission_id",
        [earlier, member, month],
    )
    assert rows == raw
    assert withdrawn not in {row[0] for row in rows}


def test_a_return_whose_only_version_is_withdrawn_leaves_no_row(scenario: Scenario) -> None:
    returns = query(
        scenario.after_versions,
        "select member_code, dataset, period_month from intermediate.int_return_versions"
        " where submission_id = ?",
        [scenario.withdrawn_alone],
    )
    assert returns
    for table in chain_tables():
        if table.startswith("marts."):
            continue
        left = query(
            scenario.after_versions,
            f"select count(*) from {table} where submission_id = ?",
            [scenario.withdrawn_alone],
        )
        assert left == [(0,)], table
    for member, dataset, month in returns:
        left = query(
            scenario.after_versions,
            f"select count(*) from marts.fct_{dataset} where member_code = ? and period_month = ?",
            [member, month],
        )
        assert left == [(0,)], (dataset, member, month)


def test_a_new_alias_harmonises_old_months_again(scenario: Scenario) -> None:
    """The value the correction brought was unmapped; once an alias maps it, the next
    incremental build gives it its code in every table of the chain and in the fact, in a month
    no new return touched (a mapping fingerprint, not new data, triggers it)."""
    member, _, month, _ = scenario.corrected
    value = "select code from intermediate.int_breakdown_values_harmonised where raw_value = ?"
    nationality = (
        "select nationality_code from intermediate.int_permits_harmonised"
        " where submission_id = 'T-CORR' and person_count = 3 and permit_type_code = '_T'"
        " and nationality_code is distinct from '_T'"
    )
    fact = (
        "select count(*) from marts.fct_permits where member_code = ? and period_month = ?"
        " and permit_type_code = '_T' and has_unmapped_value"
    )
    assert query(scenario.after_versions, value, [UNMAPPED_NATIONALITY]) == [(None,)]
    assert query(scenario.after_versions, fact, [member, month]) == [(1,)]
    assert query(scenario.after_mapping, value, [UNMAPPED_NATIONALITY]) == [(ALIAS_CODE,)]
    assert (ALIAS_CODE,) in query(scenario.after_mapping, nationality)
    assert (None,) not in query(scenario.after_mapping, nationality)
    assert query(scenario.after_mapping, fact, [member, month]) == [(0,)]
    assert differences(scenario.after_mapping, scenario.refreshed_mapping) == {}


def test_an_older_table_and_a_backfill_window_are_built_again(
    sample: SampleBuild, tmp_path: Path
) -> None:
    """A chain table built by an older version of the project (without a column its YAML now
    documents) is harmonised again whole by the next incremental build, as by --full-refresh;
    a backfill window (pidc_period_start..pidc_period_end) harmonises its months again: a row
    tampered with inside the window is put right, so the result equals a full refresh."""
    warehouse = _copy(sample.warehouse, tmp_path / "home")
    month = dt.date.fromisoformat(f"{sample.manifest.periods[1]}-01")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "alter table intermediate.int_breakdown_values_unpivoted drop column submission_id"
        )
        connection.execute(
            "alter table intermediate.int_movements_harmonised drop column build_fingerprint"
        )
        tampered = connection.execute(
            "update intermediate.int_permits_harmonised set nationality_code = 'ZZZ'"
            " where period_month = ?",
            [month],
        ).fetchone()[0]
    assert tampered > 0
    window = (
        f'{{pidc_as_of: "{sample.as_of.isoformat()}",'
        f' pidc_first_reporting_month: "{sample.manifest.periods[0]}",'
        f' pidc_period_start: "{month.isoformat()}", pidc_period_end: "{month.isoformat()}"}}'
    )
    failures = run_dbt(
        warehouse.parent,
        ["run", "--select", *HARMONISED_CHAIN, "--vars", window],
        tmp_path / "dbt_target",
    )
    assert failures == []
    assert differences(warehouse, sample.full_refresh_warehouse) == {}
