"""Publish: copy the audited marts into the serving database the dashboard reads.

Write-audit-publish: the marts are copied into a new DuckDB file beside ``Home.serving``, the copy
is checked (every table there, same row counts, and the public figures pass the attacker's audit
of ``pidc.disclosure``), and only then ``os.replace`` swaps it into place
in one atomic step. Readers holding the old file keep reading it; a failure at any point leaves
the previous serving database byte-for-byte untouched. Publishes take turns on a lock of the
serving folder, and each first removes the staging files a killed publish left behind.
"""

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.automation import after_intake_condition
from orchestration.partitions import serving_freshness_policy

try:
    import fcntl
except ImportError:  # not on POSIX: stale files are told apart by age instead of by lock
    fcntl = None
from orchestration.resources import (
    TRANSIENT_RETRY_POLICY,
    WAREHOUSE_POOL,
    HomeResource,
    stopped_for_good,
)
from pidc.disclosure import (
    DisclosureSettings,
    audit_changed,
    recorded_findings,
    recorded_fingerprints,
)
from pidc.escaping import neutralise_formula_sql, sql_string

MARTS_SCHEMA = "marts"
PUBLISH_GROUP = "publish"
SERVING_ASSET_NAME = "serving_database"
# A table in the serving database recording what was published and when (the app shows it).
PUBLICATION_TABLE = "publication"
# Without a folder lock, a staging file untouched this long is taken as left by a killed publish.
STALE_STAGING_SECONDS = 3600
# What the public sees, and the true cells the attacker's audit checks it against.
PUBLIC_MART = "mart_public_aggregates"
PUBLIC_CELLS = ("intermediate", "int_public_cells")
AUDIT_LEDGER = ("intermediate", "int_public_audit_ledger")
SETTINGS_SEED = ("reference", "reporting_settings")


class PublishError(RuntimeError):
    """The marts could not be published; the serving database was left as it was."""


class PublishConflictError(PublishError):
    """The warehouse could not be read just now (locked or busy); trying again may succeed."""


@dataclass(frozen=True)
class PublishedServing:
    """What one publish wrote: the serving file and the row count of every table in it."""

    path: Path
    row_counts: dict[str, int]
    published_at: datetime


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _neutralised_columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """The select list that copies ``table``, every text column neutralised against formulas.

    Publishing is where member-supplied text reaches every reader at once (the dashboard's grids
    and their own "Download as CSV", the Downloads page, analysts' SQL), so a text value that a
    spreadsheet could run as a formula gets its leading apostrophe here, once
    (``pidc.escaping.neutralise_formula_sql``). Numbers, dates and other types are copied as
    they are, so a negative count stays a number.
    """
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'warehouse' and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return ", ".join(
        f"{neutralise_formula_sql(_quote(name))} as {_quote(name)}"
        if data_type == "VARCHAR"
        else _quote(name)
        for name, data_type in columns
    )


def _copy_marts(connection: duckdb.DuckDBPyConnection, schema: str) -> dict[str, int]:
    tables = [
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'warehouse' and table_schema = ? order by table_name",
            [schema],
        ).fetchall()
    ]
    if not tables:
        raise PublishError(
            f"The warehouse has no tables in schema '{schema}'. Build the marts first "
            "(`dbt build`, or `make run`), then publish again."
        )
    connection.execute(f"create schema {_quote(schema)}")
    row_counts: dict[str, int] = {}
    for table in tables:
        # Views are materialised as tables: the serving file must not depend on the warehouse.
        target = f"{_quote(schema)}.{_quote(table)}"
        select_list = _neutralised_columns(connection, schema, table)
        connection.execute(f"create table {target} as select {select_list} from warehouse.{target}")
        source_rows = connection.execute(f"select count(*) from warehouse.{target}").fetchone()
        copied_rows = connection.execute(f"select count(*) from {target}").fetchone()
        if source_rows != copied_rows:
            raise PublishError(
                f"Audit failed for {schema}.{table}: {copied_rows[0]} rows copied but the "
                f"warehouse has {source_rows[0]}. Rerun the pipeline; nothing was published."
            )
        row_counts[table] = int(copied_rows[0])
    return row_counts


def audit_public_figures(connection: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Refuse to publish public figures from which a member's figure could be worked out.

    The attacker's audit of ``pidc.disclosure`` (``dbt build`` runs it too, as
    ``int_public_disclosure_audit``) runs again here on exactly the tables about to be copied,
    so a warehouse built without its tests, or changed since, cannot publish a leak: every
    hidden cell of ``mart_public_aggregates`` is bounded by linear programs from the published
    ones, and every visible cell is checked against the primary rules. Raises ``PublishError``.
    A warehouse without the true cells (``intermediate.int_public_cells``, which every dbt build
    makes) was not built by this project and is published as it is.

    A table set (dataset and month) whose fingerprint, a digest of exactly what its audit reads
    (pidc.disclosure.table_set_fingerprints), is the one the build's audit recorded in
    ``int_public_audit_ledger`` has that audit's findings; every other set, changed since or
    never audited, is audited here.
    """
    present = {
        (row[0], row[1])
        for row in connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'warehouse'"
        ).fetchall()
    }
    if (schema, PUBLIC_MART) not in present or PUBLIC_CELLS not in present:
        return  # no public figures, or a warehouse this dbt project did not build
    settings = DisclosureSettings()
    if SETTINGS_SEED in present:
        rows = connection.execute(
            f"select setting, value from warehouse.{'.'.join(map(_quote, SETTINGS_SEED))}"
        ).fetchall()
        settings = DisclosureSettings.from_settings(dict(rows))
    truth = connection.execute(
        f"select * from warehouse.{'.'.join(map(_quote, PUBLIC_CELLS))}"
    ).df()
    published = connection.execute(
        f"select * from warehouse.{_quote(schema)}.{_quote(PUBLIC_MART)}"
    ).df()
    ledger = None
    if AUDIT_LEDGER in present:
        ledger = connection.execute(
            f"select * from warehouse.{'.'.join(map(_quote, AUDIT_LEDGER))}"
        ).df()
    audited = recorded_fingerprints(ledger) if ledger is not None else {}
    fingerprints, _, findings = audit_changed(published, truth, settings, audited)
    if ledger is not None:
        findings = recorded_findings(ledger, fingerprints) + findings
    if findings:
        first = findings[0]
        raise PublishError(
            f"The public figures would disclose: {len(findings)} finding(s) of the attacker's "
            f"audit, the first {first.dataset} {first.period_month} {first.breakdown} "
            f"{first.breakdown_value}: {first.problem}. Nothing was published; `dbt build` "
            "lists them all in intermediate.int_public_disclosure_audit."
        )


@contextmanager
def _publishing_lock(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on the serving folder while publishing; yields whether it is held.

    Publishes in other processes wait for it, so while it is held every staging file in the
    folder is one that no running publish is writing. The lock is the folder's own (no lock
    file is left behind) and the system releases it when its process dies, even by kill -9.
    """
    if fcntl is None:
        yield False
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock


def remove_stale_staging_files(serving: Path, *, locked: bool) -> list[Path]:
    """Remove the staging files (``.<serving>.<uuid>.publishing`` and their ``.wal``) that a
    killed publish left beside ``serving``; returns what was removed.

    With the publishing lock held (``locked``) none of them can be in use. Without it, only
    files untouched for :data:`STALE_STAGING_SECONDS` are removed.
    """
    removed = []
    now = time.time()
    for pattern in (f".{serving.name}.*.publishing", f".{serving.name}.*.publishing.wal"):
        for leftover in serving.parent.glob(pattern):
            try:
                if not locked and now - leftover.stat().st_mtime < STALE_STAGING_SECONDS:
                    continue
                leftover.unlink()
            except FileNotFoundError:
                continue
            removed.append(leftover)
    return removed


def publish_serving(
    warehouse: Path, serving: Path, *, schema: str = MARTS_SCHEMA
) -> PublishedServing:
    """Copy every table and view of ``schema`` in ``warehouse`` into a fresh ``serving`` file.

    The copy is written to a temporary file in the same folder (so the final rename stays on one
    file system and is atomic), audited, then moved over ``serving``. Raises ``PublishError`` (and
    removes the temporary file) if the warehouse or the schema is missing or the audit fails; in
    every failure the existing serving database is left untouched.
    """
    warehouse, serving = Path(warehouse), Path(serving)
    if not warehouse.exists():
        raise PublishError(
            f"No warehouse at {warehouse}. Run the pipeline (`make run`) to build it first."
        )
    serving.parent.mkdir(parents=True, exist_ok=True)
    with _publishing_lock(serving.parent) as locked:
        # A publish killed mid-copy (kill -9, power cut) could not remove its staging files.
        remove_stale_staging_files(serving, locked=locked)
        return _publish(warehouse, serving, schema)


def _publish(warehouse: Path, serving: Path, schema: str) -> PublishedServing:
    staging_file = serving.with_name(f".{serving.name}.{uuid.uuid4().hex}.publishing")
    published_at = datetime.now(UTC)
    try:
        connection = duckdb.connect(str(staging_file))
        try:
            connection.execute(f"attach {sql_string(str(warehouse))} as warehouse (read_only)")
            audit_public_figures(connection, schema)
            row_counts = _copy_marts(connection, schema)
            connection.execute(
                f"create table main.{PUBLICATION_TABLE} as "
                "select * from (values (?::varchar, ?::timestamptz)) "
                "as published(source_warehouse, published_at)",
                [str(warehouse), published_at],
            )
            connection.execute("detach warehouse")
            connection.execute("checkpoint")
        finally:
            connection.close()
        os.replace(staging_file, serving)
    except duckdb.Error as error:
        raise PublishConflictError(
            f"Could not copy the marts from {warehouse}: {error}. Is another process writing "
            "the warehouse? Nothing was published; try again when it has finished."
        ) from error
    finally:
        for leftover in (staging_file, staging_file.with_name(staging_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return PublishedServing(path=serving, row_counts=row_counts, published_at=published_at)


def build_serving_asset(upstream_marts: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The ``serving_database`` asset, downstream of every mart in ``upstream_marts``."""

    @dg.asset(
        name=SERVING_ASSET_NAME,
        group_name=PUBLISH_GROUP,
        deps=upstream_marts,
        pool=WAREHOUSE_POOL,
        retry_policy=TRANSIENT_RETRY_POLICY,
        # Published in the same run as the dbt build that intake set off.
        automation_condition=after_intake_condition(),
        freshness_policy=serving_freshness_policy(),
        kinds={"duckdb"},
        description=(
            "The audited copy of the marts that the dashboard reads, swapped in atomically."
        ),
    )
    def serving_database(
        context: dg.AssetExecutionContext, home: HomeResource
    ) -> dg.MaterializeResult:
        from orchestration import progress

        platform_home = home.get_home()
        progress.current.start("publish")
        try:
            with stopped_for_good():
                published = publish_serving(platform_home.warehouse, platform_home.serving)
        except PublishConflictError:
            raise  # retried with back-off by the retry policy
        except PublishError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        context.log.info(f"Published {len(published.row_counts)} tables to {published.path}")
        progress.current.finish("publish", f"{len(published.row_counts)} tables")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(published.path)),
                "tables": len(published.row_counts),
                "rows": sum(published.row_counts.values()),
                "row_counts": dg.MetadataValue.json(published.row_counts),
            }
        )

    return serving_database
