"""Append accepted submissions to raw, with their ledger rows, in one transaction per batch.

Intake keeps what a batch of files writes in a :class:`Batch` (each file's ledger row, its returns
and its rows) as each file is settled, in arrival order, then writes it all in one transaction:
the ledger rows, the returns, and the rows, one insert per dataset. Either every file of the batch, its rows and its
ledger entry are in the warehouse, or none is: a crash or error mid-load rolls everything back,
and the files can simply be ingested again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from ingestion.history import total_of
from ingestion.parsers.common import ParsedReturn, rows_between
from ingestion.raw_schema import RAW_SCHEMA, raw_ddl
from pidc.contract import load_contract

LEDGER_COLUMNS = [
    "submission_id",
    "member",
    "file_name",
    "file_sha256",
    "file_format",
    "received_at",
    "status",
    "datasets",
    "periods",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "report_path",
    "summary",
]

# A return ``mine`` (a row of raw.returns) that no accepted or superseded version received later
# replaces: the current version of its member x dataset x month. Used inside ``where``.
HAS_NO_NEWER_VERSION = f"""      and not exists (
        select 1
        from {RAW_SCHEMA}.returns newer
        join {RAW_SCHEMA}.submissions ns on ns.submission_id = newer.submission_id
        where ns.status in ('accepted', 'superseded')
          and newer.member = mine.member
          and newer.dataset = mine.dataset
          and newer.period = mine.period
          and (newer.received_at, newer.submission_id) > (mine.received_at, mine.submission_id)
      )"""

# An accepted submission is superseded once a newer accepted version exists for every return it
# carried (member x dataset x month); its rows stay in raw for audit, staging ignores them.
_MARK_SUPERSEDED = f"""
update {RAW_SCHEMA}.submissions as s
set status = 'superseded'
where s.status = 'accepted'
  -- only submissions that share a return with one just loaded can have become superseded
  and s.submission_id in (
    select older.submission_id
    from {RAW_SCHEMA}.returns older
    join {RAW_SCHEMA}.returns latest on latest.member = older.member
        and latest.dataset = older.dataset and latest.period = older.period
    where list_contains(?, latest.submission_id) and older.submission_id <> latest.submission_id
  )
  and exists (select 1 from {RAW_SCHEMA}.returns r where r.submission_id = s.submission_id)
  and not exists (
    select 1
    from {RAW_SCHEMA}.returns mine
    where mine.submission_id = s.submission_id
{HAS_NO_NEWER_VERSION}
  )
"""


def connect(path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the warehouse with the raw schema in place."""
    connection = duckdb.connect(str(path))
    # One call for every statement (each statement a call of its own cost 20% more), in one
    # transaction (each statement committing on its own: 5 ms more for a new warehouse).
    try:
        with transaction(connection):
            connection.execute(";\n".join(raw_ddl()))
    except BaseException:
        connection.close()  # the caller never gets it to close
        raise
    return connection


def known_submission(
    connection: duckdb.DuckDBPyConnection, sha256: str, member: str | None, file_name: str
) -> tuple | None:
    """(submission_id, status) of an earlier arrival of the same file, if any.

    The same bytes from the same member are the same file, except when the file carried no
    rows: a header-only CSV (a nil return) says its month only in its name, so identical bytes
    under another name are another return.
    """
    return connection.execute(
        f"select submission_id, status from {RAW_SCHEMA}.submissions "
        "where file_sha256 = ? and member is not distinct from ? "
        "and (rows_read > 0 or file_name = ?) order by received_at limit 1",
        [sha256, member, file_name],
    ).fetchone()


def known_submissions(
    connection: duckdb.DuckDBPyConnection, wanted: list[tuple[str, str | None, str]]
) -> dict[tuple[str, str | None, str], tuple]:
    """:func:`known_submission` of each (sha256, member, file name) in ``wanted``, in one query:
    those with an earlier arrival, by the same triple."""
    if not wanted:
        return {}
    rows = connection.execute(
        f"select submission_id, status, file_sha256, member, rows_read, file_name "
        f"from {RAW_SCHEMA}.submissions where list_contains(?, file_sha256) "
        "order by received_at",
        [sorted({sha256 for sha256, _, _ in wanted})],
    ).fetchall()
    found = {}
    for sha256, member, file_name in wanted:
        for submission_id, status, sha, who, rows_read, name in rows:
            if sha == sha256 and who == member and (rows_read > 0 or name == file_name):
                found[(sha256, member, file_name)] = (submission_id, status)
                break
    return found


def _insert_rows(connection: duckdb.DuckDBPyConnection, table: str, columns, rows) -> None:
    """Insert ``rows`` (lists of values in ``columns``' order): as one Arrow table (a batch's
    returns are hundreds of rows; a statement with a parameter per value is slow to bind), or,
    should a column's values not make one Arrow type, with multi-row statements."""
    import pyarrow as pa

    if not rows:
        return
    try:
        arrow = pa.table([pa.array(values) for values in zip(*rows, strict=True)], columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arrow = None
    if arrow is not None:
        connection.register("incoming_records", arrow)
        try:
            connection.execute(
                f"insert into {RAW_SCHEMA}.{table} ({', '.join(columns)}) "
                "select * from incoming_records"
            )
        finally:
            connection.unregister("incoming_records")
        return
    width = len(columns)
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        values = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
        connection.execute(
            f"insert into {RAW_SCHEMA}.{table} ({', '.join(columns)}) values {values}",
            [value for row in chunk for value in row],
        )


def _insert_ledger(connection: duckdb.DuckDBPyConnection, ledger: dict) -> None:
    _insert_rows(connection, "submissions", LEDGER_COLUMNS, [_ledger_row(ledger)])


def _ledger_row(ledger: dict) -> list:
    return [ledger.get(column) for column in LEDGER_COLUMNS]


RETURN_COLUMNS = [
    "submission_id",
    "member",
    "dataset",
    "period",
    "is_nil",
    "row_count",
    "received_at",
    "total_count",
]


@dataclass
class Batch:
    """What a batch of files writes, kept until :func:`append_batch` writes it all at once: the
    ledger rows, the returns, and the accepted rows by dataset."""

    ledger: list[list] = field(default_factory=list)
    returns: list[list] = field(default_factory=list)
    # dataset -> (submission id, rows, where the rows come from: ParsedReturn.source) of each
    # accepted return with rows, in arrival order
    rows: dict[str, list[tuple[str, pd.DataFrame, tuple | None]]] = field(default_factory=dict)
    submissions: list[str] = field(default_factory=list)


def record_rejection(connection: duckdb.DuckDBPyConnection, ledger: dict) -> None:
    """Write the ledger row of a rejected file (no data rows are loaded)."""
    _insert_ledger(connection, ledger)


def stage_rejection(batch: Batch, ledger: dict) -> None:
    """Keep the ledger row of a rejected file for :func:`append_batch`."""
    batch.ledger.append(_ledger_row(ledger))


def stage_accepted(
    batch: Batch, ledger: dict, returns: list[ParsedReturn], received_at: dt.datetime
) -> int:
    """Keep the ledger row, the returns and the rows of an accepted file for
    :func:`append_batch`; the number of rows it loads."""
    contract = load_contract()
    loaded = 0
    for parsed_return in returns:
        total = (
            None
            if parsed_return.dataset == "observations"
            else total_of(parsed_return, contract.dataset(parsed_return.dataset))
        )
        batch.returns.append(
            [
                ledger["submission_id"],
                ledger["member"],
                parsed_return.dataset,
                parsed_return.period,
                parsed_return.is_nil,
                parsed_return.row_count,
                received_at,
                total,
            ]
        )
        if parsed_return.rows.empty:
            continue
        batch.rows.setdefault(parsed_return.dataset, []).append(
            (ledger["submission_id"], parsed_return.rows, parsed_return.source)
        )
        loaded += parsed_return.row_count
    batch.submissions.append(ledger["submission_id"])
    batch.ledger.append(_ledger_row({**ledger, "rows_loaded": loaded}))
    return loaded


def _stacked(frames: list[pd.DataFrame], sources: list[tuple | None]) -> pd.DataFrame:
    """``frames`` one after the other, as a new frame (:func:`_one_slice` when they are)."""
    whole = _one_slice(frames, sources)
    if whole is not None:
        return whole
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()


def _one_slice(frames: list[pd.DataFrame], sources: list[tuple | None]) -> pd.DataFrame | None:
    """``frames`` one after the other as one slice of the table they are consecutive slices of
    (``sources``: ParsedReturn.source, as validation makes a batch's returns), or None. Stacking
    the files' slices again cost more than taking the slice (a batch of 32 workbooks: 9 ms, and
    7 ms more to turn the stacked columns into Arrow)."""
    first = sources[0]
    if first is None or not all(
        source is not None
        and source[0] is first[0]
        and source[2] - source[1] == len(frame)
        and (place == 0 or source[1] == sources[place - 1][2])
        for place, (frame, source) in enumerate(zip(frames, sources, strict=True))
    ):
        return None
    return rows_between(first[0], first[1], sources[-1][2])


@contextmanager
def one_thread(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread for the block, then as many as before.

    Its inserts of a batch's rows into the raw tables are faster on one thread than on two
    (measured on a 2-core machine, one insert from an Arrow table: 13,809 rows 6.9 against
    11.6 ms, 276,180 rows 111 against 308 ms; 130 ms with two threads and insertion order not
    kept): the threads' parts of a table are merged, and each statement pays to start them.
    """
    [(threads,)] = connection.execute("select current_setting('threads')").fetchall()
    connection.execute("set threads = 1")
    try:
        yield
    finally:
        connection.execute(f"set threads = {int(threads)}")


def append_batch(connection: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Write the batch (inside the caller's transaction): the ledger rows, the returns, then the
    accepted rows, one insert per dataset; then mark the versions they supersede. On one thread
    (:func:`one_thread`)."""
    with one_thread(connection):
        _append_batch(connection, batch)


def _append_batch(connection: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    import pyarrow as pa

    _insert_rows(connection, "submissions", LEDGER_COLUMNS, batch.ledger)
    _insert_rows(connection, "returns", RETURN_COLUMNS, batch.returns)
    for dataset, parts in batch.rows.items():
        incoming = _stacked([frame for _, frame, _ in parts], [source for *_, source in parts])
        incoming["submission_id"] = np.repeat(
            [submission for submission, *_ in parts], [len(frame) for _, frame, _ in parts]
        ).astype(object)
        try:
            table = pa.Table.from_pandas(pd.DataFrame(incoming), preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column of mixed types: DuckDB reads it
            table = pd.DataFrame(incoming)
        connection.register("incoming_rows", table)
        connection.execute(
            f"insert into {RAW_SCHEMA}.{dataset} by name select * from incoming_rows"
        )
        connection.unregister("incoming_rows")
    if batch.submissions:
        connection.execute(_MARK_SUPERSEDED, [batch.submissions])


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction around the block: committed when it ends, rolled back when it raises
    (whatever it raises, an interrupt included)."""
    connection.execute("begin transaction")
    try:
        yield
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise


def load_accepted(
    connection: duckdb.DuckDBPyConnection,
    ledger: dict,
    returns: list[ParsedReturn],
    received_at: dt.datetime,
) -> int:
    """Append ``returns`` and the ledger row atomically; return the number of rows loaded."""
    batch = Batch()
    with transaction(connection):
        loaded = stage_accepted(batch, ledger, returns, received_at)
        append_batch(connection, batch)
    return loaded
