"""The raw layer's tables, derived from the data contract.

Raw is append-only with lineage. ``raw.submissions`` is the ledger (one row per file that
entered the platform), ``raw.returns`` has one row per return (member x dataset x month) a
submission carries, nil returns included, and ``raw.<dataset>`` holds the rows exactly as the
member labelled them (codes are harmonised later, in dbt, through editable seeds).
``raw.withdrawals`` records each submission the Secretariat withdrew (``pidc withdraw``): who,
when and why; its rows stay in raw, and its ledger status ``withdrawn`` keeps them out of staging.
"""

from __future__ import annotations

from pidc.contract import Contract, Dataset, load_contract

RAW_SCHEMA = "raw"

LINEAGE_COLUMNS: list[tuple[str, str]] = [
    ("submission_id", "varchar not null"),
    ("source_sheet", "varchar"),
    ("source_row", "integer not null"),
    # The column a record was read from when one spreadsheet row holds several records (a
    # declared layout's category or month columns); null for one record per row. Last, so a
    # table created before it existed and migrated below has the same column order.
    ("source_column", "varchar"),
]

SUBMISSIONS_DDL = f"""
create table if not exists {RAW_SCHEMA}.submissions (
    submission_id varchar primary key,
    member varchar,
    file_name varchar not null,
    file_sha256 varchar not null,
    file_format varchar,
    received_at timestamp not null,
    status varchar not null,
    datasets varchar,
    periods varchar,
    rows_read integer not null,
    rows_loaded integer not null,
    rows_rejected integer not null,
    report_path varchar,
    summary varchar
)
"""

RETURNS_DDL = f"""
create table if not exists {RAW_SCHEMA}.returns (
    submission_id varchar not null,
    member varchar not null,
    dataset varchar not null,
    period varchar not null,
    is_nil boolean not null,
    row_count integer not null,
    received_at timestamp not null,
    total_count bigint,
    primary key (submission_id, dataset, period)
)
"""

# One row per withdrawn submission (ingestion.withdraw): created on connect like every raw table,
# so an existing warehouse gains it. Not a dataset and not filled by intake, so not in
# raw_tables(); dbt reads the withdrawal through the ledger status.
WITHDRAWALS_DDL = f"""
create table if not exists {RAW_SCHEMA}.withdrawals (
    submission_id varchar primary key,
    withdrawn_at timestamp not null,
    withdrawn_by varchar not null,
    reason varchar not null,
    previous_status varchar not null
)
"""

# Columns added after the first release, so that older warehouses gain them on connect.
MIGRATIONS = [
    # The return's total, counting a table broken down two ways once (see ingestion.history).
    f"alter table {RAW_SCHEMA}.returns add column if not exists total_count bigint",
]


def dataset_table_ddl(dataset: Dataset) -> str:
    """``create table`` for the raw table of one dataset (observations included).

    An optional breakdown (``sex``, ``age_group``) defaults to its contract default (``_T``),
    so a row written without it is a total over it, as in a table migrated to have it.
    """
    columns = [
        f"{column.name} {column.sql_type}"
        + (f" default '{column.default}'" if column.default is not None else "")
        for column in dataset.columns
    ]
    columns += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS]
    body = ",\n    ".join(columns)
    return f"create table if not exists {RAW_SCHEMA}.{dataset.name} (\n    {body}\n)"


def optional_column_migrations(dataset: Dataset) -> list[str]:
    """Statements that give an older raw table of ``dataset`` the optional breakdowns added
    since it was created (``sex`` and ``age_group``): its rows take the column's default,
    ``_T``, since they were not broken down that way. Harmless on a table that has them.
    """
    return [
        f"alter table {RAW_SCHEMA}.{dataset.name} add column if not exists {column.name} "
        f"{column.sql_type} default '{column.default}'"
        for column in dataset.columns
        if column.default is not None
    ]


def raw_tables(contract: Contract | None = None) -> list[str]:
    """Names of every raw table, ledger first."""
    contract = contract or load_contract()
    return ["submissions", "returns", *contract.dataset_names, "observations"]


def dataset_table_migrations(dataset: Dataset) -> list[str]:
    """Statements that give an older raw table of ``dataset`` the lineage columns added since."""
    return [
        f"alter table {RAW_SCHEMA}.{dataset.name} add column if not exists source_column varchar"
    ]


def raw_ddl(contract: Contract | None = None) -> list[str]:
    """Every statement that creates the raw schema; safe to run on every connection."""
    contract = contract or load_contract()
    statements = [
        f"create schema if not exists {RAW_SCHEMA}",
        SUBMISSIONS_DDL,
        RETURNS_DDL,
        WITHDRAWALS_DDL,
    ]
    migrations = list(MIGRATIONS)
    for name in [*contract.dataset_names, "observations"]:
        statements.append(dataset_table_ddl(contract.dataset(name)))
        migrations += dataset_table_migrations(contract.dataset(name))
        migrations += optional_column_migrations(contract.dataset(name))
    return statements + migrations
