"""The contract's expectation suites as Dagster asset checks on the warehouse.

Intake validates every file with the suites of ``expectations/suites.py`` before loading it; these
checks run the same contract rules again over what is actually in the raw tables (rows loaded by
hand, by an older loader or by a bug would otherwise flow straight into the marts). They guard
correctness, so they are blocking: when one fails, dbt and publish do not run and the serving
database stays as it was. A second, non-blocking check reports breakdown values of current
returns that no mapping seed harmonises (``int_unmapped_values``): the Secretariat adds a mapping
row; one member's odd label must not stop the regional publication.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from expectations.suites import Rule, dataset_rules, month_index
from ingestion.raw_schema import RAW_SCHEMA
from orchestration.intake import LEDGER_KEY
from orchestration.resources import WAREHOUSE_POOL
from pidc.contract import Dataset, load_contract
from pidc.settings import SEEDS_DIR

RAW_SUITE_CHECKS_NAME = "raw_expectation_suites"
RAW_SUITE_CHECK = "rows_meet_contract"
LEDGER_CHECK = "ledger_reconciles"
UNMAPPED_MODEL_KEY = dg.AssetKey(["intermediate", "int_unmapped_values"])
UNMAPPED_CHECK = "current_codes_harmonised"
_PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# How many offending rows a failed check lists in its metadata (enough to find the file).
SAMPLE_ROWS = 10


@dataclass(frozen=True)
class SuiteOutcome:
    """One suite run over one table: rows checked and, per failed rule, the offending rows."""

    rows_checked: int
    failures: list[tuple[Rule, pd.DataFrame]]

    @property
    def passed(self) -> bool:
        """True when every rule held on every row."""
        return not self.failures


def _member_codes() -> list[str]:
    members = pd.read_csv(SEEDS_DIR / "reference" / "members.csv", dtype=str)
    return sorted(members["member_code"])


def raw_table_rules(
    dataset: Dataset, *, member_codes: list[str], first_period: str, last_period: str
) -> list[Rule]:
    """The contract rules that hold on a raw table as loaded (values still as members wrote them).

    From the contract's own suite: counts present and not negative, months present and inside
    the reporting window, each row's member the member who submitted its file. Code lists are not checked here (raw keeps the member's labels; dbt
    maps them) but every breakdown must hold a value, the member must be a member, and every row
    must name the submission it came from.
    """
    contract_rules = dataset_rules(
        dataset,
        admissible=defaultdict(list),
        first_period=first_period,
        last_period=last_period,
    )
    kept_types = {"count", "period", "member"}
    rules = [
        rule
        for rule in contract_rules
        if rule.column and dataset.column(rule.column).type in kept_types
    ]
    member_column = next(c.name for c in dataset.columns if c.type == "member")
    rules += [
        Rule(
            "ExpectColumnValuesToBeInSet",
            {"column": "member__code", "value_set": member_codes},
            member_column,
            "The member is not a PIDC member.",
            "Load returns only through intake, which checks the member.",
        ),
        Rule(
            "ExpectColumnValuesToNotBeNull",
            {"column": "member__code"},
            member_column,
            "The member is blank.",
            "Load returns only through intake, which checks the member.",
        ),
        Rule(
            "ExpectColumnValuesToNotBeNull",
            {"column": "submission_id"},
            "submission_id",
            "The row does not name the submission it came from (lineage lost).",
            "Reload the file through intake.",
        ),
    ]
    for column in dataset.breakdowns:
        rules.append(
            Rule(
                "ExpectColumnValuesToNotBeNull",
                {"column": column.name},
                column.name,
                f"The {column.name} breakdown is blank.",
                "Correct the file and resubmit it; use _T for a total over the breakdown.",
            )
        )
    return rules


def checkable_raw_frame(rows: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """Raw rows with the derived columns the contract's suite checks (as intake derives them)."""
    frame = rows.copy()
    measure = dataset.measure.name if dataset.measure else "count"
    period_column = next(c.name for c in dataset.columns if c.type == "period")
    member_column = next(c.name for c in dataset.columns if c.type == "member")
    frame["count__value"] = pd.to_numeric(frame[measure], errors="coerce")
    frame["period__index"] = [
        month_index(value) if isinstance(value, str) and _PERIOD_PATTERN.match(value) else None
        for value in frame[period_column]
    ]
    frame["member__code"] = frame[member_column]
    return frame


def run_raw_suite(frame: pd.DataFrame, rules: list[Rule], suite_name: str) -> SuiteOutcome:
    """Run ``rules`` over ``frame`` with Great Expectations; keep the rows that broke each rule."""
    # Imported here: expectations.suites imports Great Expectations lazily, and so do we.
    from expectations.suites import run_rules

    failures = []
    for rule, index_labels in run_rules(frame, rules, suite_name):
        failures.append((rule, frame.loc[index_labels] if index_labels else frame.iloc[0:0]))
    return SuiteOutcome(rows_checked=len(frame), failures=failures)


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _failure_metadata(outcome: SuiteOutcome) -> dict[str, object]:
    metadata: dict[str, object] = {"rows_checked": outcome.rows_checked}
    lines = []
    for rule, offending in outcome.failures:
        where = ""
        if not offending.empty and {"submission_id", "source_row"} <= set(offending.columns):
            sample = offending[["submission_id", "source_row"]].head(SAMPLE_ROWS)
            where = "; e.g. " + ", ".join(
                f"{row.submission_id} row {row.source_row}" for row in sample.itertuples()
            )
        lines.append(
            f"- `{rule.expectation}` on `{rule.column}`: {len(offending)} row(s). "
            f"{rule.message or 'Contract rule broken.'} Fix: {rule.fix}{where}"
        )
    if lines:
        metadata["failed_rules"] = dg.MetadataValue.md("\n".join(lines))
    return metadata


# Rows of a raw table its suite checks at once (DuckDB hands them over in vectors of 2,048)
RAW_CHECK_ROWS = 250_000


def check_raw_dataset(
    connection: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    *,
    member_codes: list[str],
    first_period: str,
    last_period: str,
) -> SuiteOutcome:
    """Run the raw-table suite of ``dataset`` over ``raw.<dataset>`` (no table: nothing to check)."""
    if not _table_exists(connection, RAW_SCHEMA, dataset.name):
        return SuiteOutcome(rows_checked=0, failures=[])
    columns = ", ".join(f"rows.{name}" for name in [*dataset.column_names, "submission_id"])
    member_column = next(c.name for c in dataset.columns if c.type == "member")
    # The submitter is the ledger's member of the row's submission (as intake compares them).
    result = connection.execute(
        f"select {columns}, rows.source_row, "
        f"coalesce(rows.{member_column} = ledger.member, false) as member__is_submitter "
        f"from {RAW_SCHEMA}.{dataset.name} as rows "
        f"left join {RAW_SCHEMA}.submissions as ledger "
        "on ledger.submission_id = rows.submission_id"
    )
    rules = raw_table_rules(
        dataset, member_codes=member_codes, first_period=first_period, last_period=last_period
    )
    # Every rule concerns one row at a time, so the table is checked in slices of RAW_CHECK_ROWS
    # rows: memory stays bounded however many years and members the raw table holds (all of it
    # at once took 3.4 GB at ten times the members), and the verdicts are the same.
    checked = 0
    broken: dict[str, tuple[Rule, list[pd.DataFrame]]] = {}  # rule key -> rule, offending rows
    while not (rows := result.fetch_df_chunk(max(1, RAW_CHECK_ROWS // 2048))).empty:
        rows.index += checked  # row labels unique over the whole table
        outcome = run_raw_suite(checkable_raw_frame(rows, dataset), rules, f"raw_{dataset.name}")
        checked += len(rows)
        for rule, offending in outcome.failures:
            broken.setdefault(rule.key, (rule, []))[1].append(offending)
    order = {rule.key: position for position, rule in enumerate(rules)}  # the rules' own order
    return SuiteOutcome(
        rows_checked=checked,
        failures=[
            (rule, pd.concat(parts))
            for rule, parts in sorted(broken.values(), key=lambda found: order[found[0].key])
        ],
    )


def ledger_problems(connection: duckdb.DuckDBPyConnection, datasets: Iterable[str]) -> list[str]:
    """What breaks the ledger's promises: rows read = loaded + rejected, no row without a ledger
    entry, no loaded row from a rejected file. Empty when it reconciles.
    """
    if not _table_exists(connection, RAW_SCHEMA, "submissions"):
        return []
    problems = []
    unbalanced = connection.execute(
        f"select submission_id, rows_read, rows_loaded, rows_rejected from {RAW_SCHEMA}.submissions "
        "where rows_read <> rows_loaded + rows_rejected order by submission_id limit ?",
        [SAMPLE_ROWS],
    ).fetchall()
    for submission_id, read, loaded, rejected in unbalanced:
        problems.append(
            f"Submission {submission_id}: {read} rows read but {loaded} loaded + {rejected} "
            "rejected."
        )
    for name in datasets:
        if not _table_exists(connection, RAW_SCHEMA, name):
            continue
        orphans = connection.execute(
            f"select rows.submission_id, count(*) from {RAW_SCHEMA}.{name} as rows "
            f"left join {RAW_SCHEMA}.submissions as ledger "
            "on ledger.submission_id = rows.submission_id "
            "where ledger.submission_id is null or ledger.status = 'rejected' "
            "group by rows.submission_id order by 1 limit ?",
            [SAMPLE_ROWS],
        ).fetchall()
        for submission_id, row_count in orphans:
            problems.append(
                f"raw.{name} holds {row_count} row(s) of submission {submission_id}, which the "
                "ledger does not list as accepted."
            )
    return problems


def _raw_dataset_specs(datasets: list[str]) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            RAW_SUITE_CHECK,
            asset=dg.AssetKey([RAW_SCHEMA, name]),
            blocking=True,
            description=(
                f"The contract's expectation suite holds on every row of raw.{name}: counts "
                "present and not negative, months in the reporting window, breakdowns present, "
                "member and submission named."
            ),
        )
        for name in datasets
    ]
    specs.append(
        dg.AssetCheckSpec(
            LEDGER_CHECK,
            asset=LEDGER_KEY,
            blocking=True,
            description=(
                "Every submission's rows read = rows loaded + rows rejected, and every raw row "
                "belongs to an accepted submission."
            ),
        )
    )
    return specs


def raw_suite_check_keys() -> list[dg.AssetCheckKey]:
    """Keys of the blocking checks on the raw tables."""
    return [spec.key for spec in _raw_dataset_specs(load_contract().dataset_names)]


def build_raw_suite_checks() -> dg.AssetChecksDefinition:
    """One blocking check per raw dataset table (the contract's suite) and one on the ledger."""
    contract = load_contract()
    datasets = contract.dataset_names

    @dg.multi_asset_check(
        name=RAW_SUITE_CHECKS_NAME,
        specs=_raw_dataset_specs(datasets),
        pool=WAREHOUSE_POOL,
        description="The contract's expectation suites over the raw tables.",
    )
    def raw_expectation_suites(warehouse: DuckDBResource):
        # Imported here: ingestion.validate loads the reference seeds and resolvers.
        from ingestion.validate import reporting_window

        first_period, last_period = reporting_window()
        member_codes = _member_codes()
        if not Path(warehouse.database).exists():
            for spec in _raw_dataset_specs(datasets):
                yield dg.AssetCheckResult(
                    asset_key=spec.asset_key,
                    check_name=spec.name,
                    passed=True,
                    metadata={"rows_checked": 0},
                    description="No warehouse yet: nothing loaded, nothing to check.",
                )
            return
        # closing(): the resource does not close the connection when the block raises.
        with warehouse.get_connection() as connection, closing(connection):
            for name in datasets:
                outcome = check_raw_dataset(
                    connection,
                    contract.dataset(name),
                    member_codes=member_codes,
                    first_period=first_period,
                    last_period=last_period,
                )
                yield dg.AssetCheckResult(
                    asset_key=dg.AssetKey([RAW_SCHEMA, name]),
                    check_name=RAW_SUITE_CHECK,
                    passed=outcome.passed,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata=_failure_metadata(outcome),
                )
            problems = ledger_problems(connection, datasets)
        yield dg.AssetCheckResult(
            asset_key=LEDGER_KEY,
            check_name=LEDGER_CHECK,
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "problems": len(problems),
                **(
                    {"details": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))}
                    if problems
                    else {}
                ),
            },
        )

    return raw_expectation_suites


def unmapped_summary(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Unmapped breakdown values of current returns, largest first (empty when all map)."""
    return connection.execute(
        "select member_code, dataset, column_name, raw_value, "
        "sum(row_count) as row_count, sum(person_count) as person_count "
        "from intermediate.int_unmapped_values group by all "
        "order by person_count desc nulls last, row_count desc, member_code, raw_value"
    ).df()


def build_unmapped_values_check() -> dg.AssetChecksDefinition:
    """A warning check on ``int_unmapped_values``: every current breakdown value maps to a code."""

    @dg.asset_check(
        asset=UNMAPPED_MODEL_KEY,
        name=UNMAPPED_CHECK,
        pool=WAREHOUSE_POOL,
        blocking=False,
        description=(
            "Every breakdown value of current returns maps to a regional code; what does not is "
            "listed so the Secretariat can add a mapping row."
        ),
    )
    def current_codes_harmonised(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as connection, closing(connection):
            unmapped = unmapped_summary(connection)
        metadata: dict[str, object] = {
            "unmapped_values": len(unmapped),
            "rows_affected": int(unmapped["row_count"].sum()) if len(unmapped) else 0,
        }
        if len(unmapped):
            metadata["largest"] = dg.MetadataValue.md(
                "\n".join(
                    f"- {row.member_code} {row.dataset}.{row.column_name} "
                    f"'{row.raw_value}': {row.row_count} row(s), {row.person_count} counted"
                    for row in unmapped.head(20).itertuples()
                )
            )
        return dg.AssetCheckResult(
            passed=unmapped.empty,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )

    return current_codes_harmonised


def checks_definitions(dbt_asset_keys: Iterable[dg.AssetKey]) -> dg.Definitions:
    """The raw-table suite checks, plus the harmonisation check when the dbt project has
    ``int_unmapped_values``.
    """
    checks = [build_raw_suite_checks()]
    if UNMAPPED_MODEL_KEY in set(dbt_asset_keys):
        checks.append(build_unmapped_values_check())
    return dg.Definitions(asset_checks=checks)
