"""Intake end to end on a temporary home: validation rules, ledger, duplicates, supersession,
quarantine and crash safety."""

from __future__ import annotations

import datetime as dt
import json
import os

import duckdb
import pandas as pd
import pytest

from ingestion import loader
from ingestion.intake import ingest_file, ingest_files, ingest_path, validate_file
from ingestion.parsers.common import ParsedSubmission
from ingestion.validate import validate_submission, validate_submissions
from pidc.settings import home as make_home

TODAY = dt.date(2026, 11, 20)
REFUSALS_HEADER = "member,period,port,nationality,reason,count\n"


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path / "home").ensure()


def land(home, member: str, name: str, text: str, *, mtime: float | None = None, encoding="utf-8"):
    folder = home.landing / member
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def rows(home, sql: str):
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_valid_csv_is_accepted_with_ledger_returns_and_lineage(home):
    path = land(
        home,
        "FJI",
        "FJI_refusals_2026-10.csv",
        REFUSALS_HEADER + 'FJI,2026-10,FJNAN,Chinese,C,"1,019"\nFJI,Oct-2026,FJSUV,PRC,A,-\n',
    )
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (2, 2, 0)
    assert rows(
        home, "select member, status, rows_read, rows_loaded, rows_rejected from raw.submissions"
    ) == [("FJI", "accepted", 2, 2, 0)]
    assert rows(home, "select dataset, period, is_nil, row_count from raw.returns") == [
        ("refusals", "2026-10", False, 2)
    ]
    assert rows(
        home,
        "select nationality, count, source_sheet, source_row, source_column from raw.refusals"
        " order by source_row",
    ) == [
        ("Chinese", 1019, "FJI_refusals_2026-10.csv", 2, None),
        ("PRC", 0, "FJI_refusals_2026-10.csv", 3, None),
    ]
    assert (home.archive / f"{outcome.file_sha256}.csv").exists()
    report = json.loads((outcome.report_path.parent / "report.json").read_text())
    assert report["verdict"] == "accepted"


def test_same_file_twice_is_recognised_and_not_loaded_twice(home):
    text = REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,3\n"
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", text)
    first = ingest_path(path, home, today=TODAY)[0]
    copy = land(home, "FJI", "FJI_refusals_2026-10_copy.csv", text)
    second = ingest_path(copy, home, today=TODAY)[0]
    assert first.status == "accepted"
    assert second.status == "duplicate"
    assert second.submission_id == first.submission_id
    assert rows(home, "select count(*) from raw.submissions") == [(1,)]
    assert rows(home, "select count(*) from raw.refusals") == [(1,)]


def test_every_validation_rule_reports_row_column_value_and_fix(home):
    text = REFUSALS_HEADER + (
        "FJI,2026-10,FJNAN,Fijji,C,1\n"  # unknown nationality (typo): not guessed
        "FJI,2026-10,FJNAN,CHN,Z,1\n"  # reason not in the code list
        "FJI,2026-10,FJNAN,CHN,C,-4\n"  # negative count
        "FJI,2026-10,FJNAN,IND,C,\n"  # blank count is not zero
        "FJI,2026-10,FJNAN,IND,A,2.5\n"  # not a whole number
        "FJI,2026-13,FJNAN,IND,B,1\n"  # not a month
        "FJI,2027-01,FJNAN,IND,D,1\n"  # in the future: not loaded, one summary (a warning)
        "TON,2026-10,FJNAN,IND,E,1\n"  # another member's figures
        "FJI,2026-10,XXNOPE,IND,F,1\n"  # not one of FJI's ports
        "FJI,2026-10,FJNAN,VNM,G,1\n"
        "FJI,2026-10,FJNAN,Vietnam,G,2\n"  # duplicate key once harmonised
    )
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", text)
    report = validate_file(path, "FJI", today=TODAY)
    assert not report.accepted
    by_row = {}
    for problem in report.errors:
        by_row.setdefault(problem.row, []).append(problem)
    assert by_row[2][0].column == "nationality" and by_row[2][0].value == "Fijji"
    assert "not guessed" in by_row[2][0].message and "FJI" in by_row[2][0].fix
    assert by_row[3][0].column == "reason" and "Use one of: A, B" in by_row[3][0].fix
    assert by_row[4][0].column == "count" and "negative" in by_row[4][0].message
    assert by_row[5][0].column == "count" and "blank" in by_row[5][0].message
    assert by_row[6][0].column == "count" and "whole" in by_row[6][0].message
    assert by_row[7][0].column == "period" and "cannot be read" in by_row[7][0].message
    assert 8 not in by_row
    [future] = [p for p in report.warnings if p.rule == "reporting_window"]
    assert "1 value for a month after 2026-10 (2027-01) was not loaded" in future.message
    assert "row 8" in future.message
    assert by_row[9][0].column == "member" and by_row[9][0].value == "TON"
    assert by_row[10][0].column == "port" and "FJNAN" in by_row[10][0].fix
    assert {p.row for p in report.errors if "repeats" in p.message} == {11, 12}
    assert all(p.sheet == "FJI_refusals_2026-10.csv" and p.fix for p in report.errors)
    markdown = report.to_markdown()
    assert "REJECTED" in markdown and "row 2, column nationality" in markdown


def _permits_read_from_columns(periods: list[str], columns: list[str]) -> ParsedSubmission:
    """What a declared layout hands over: one sheet row read as one record per column."""
    records = [
        {
            "member": "FJI",
            "period": period,
            "permit_type": permit_type,
            "nationality": "Samoan",
            "count": "3",
            "source_sheet": "Table 3",
            "source_row": 7 + number,
            "source_column": column,
        }
        for number, period in enumerate(periods)
        for permit_type, column in zip(["Work", "Student"], columns, strict=True)
    ]
    return ParsedSubmission("declared", "FJI", frames={"permits": pd.DataFrame(records)})


def test_records_of_one_row_keep_their_column_from_validation_to_raw(home):
    parsed = _permits_read_from_columns(["2026-09"], ["C", "D"])
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert validated.problems == []
    received = dt.datetime(2026, 11, 1, 9)
    ledger = {
        "submission_id": "S1", "member": "FJI", "file_name": "FJI_permits.xlsx",
        "file_sha256": "0" * 64, "received_at": received, "status": "accepted",
        "rows_read": 2, "rows_loaded": 2, "rows_rejected": 0,
    }  # fmt: skip
    with loader.connect(home.warehouse) as connection:
        assert loader.load_accepted(connection, ledger, validated.returns, received) == 2
    assert rows(
        home,
        "select permit_type, source_sheet, source_row, source_column from raw.permits"
        " order by source_column",
    ) == [("Work", "Table 3", 7, "C"), ("Student", "Table 3", 7, "D")]


def test_back_issues_before_the_first_reporting_month_load_as_history(home):
    path = land(
        home, "FJI", "FJI_refusals_2014-03.csv", REFUSALS_HEADER + "FJI,2014-03,FJNAN,CHN,C,5\n"
    )
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    assert rows(home, "select dataset, period, row_count from raw.returns") == [
        ("refusals", "2014-03", 1)
    ]
    # the floor still holds: nothing older than earliest_history_month (1990-01) is read
    old = land(
        home, "FJI", "FJI_refusals_1989-12.csv", REFUSALS_HEADER + "FJI,1989-12,FJNAN,CHN,C,5\n"
    )
    assert not validate_file(old, "FJI", today=TODAY).accepted


def test_months_that_have_not_ended_are_summarised_once_and_not_loaded(home):
    future = [f"2027-{month:02d}" for month in range(1, 7)]
    parsed = _permits_read_from_columns(["2026-10", *future], ["C", "D"])
    [validated] = validate_submissions([(parsed, "FJI")], today=TODAY)
    [summary] = validated.problems
    assert summary.severity == "warning" and summary.dataset == "permits"
    assert summary.message.startswith(
        "12 values for months after 2026-10 (2027-01 to 2027-06) were not loaded"
    )
    assert "rows 8, 9, 10, 11, 12 and 1 more" in summary.message
    assert [(r.period, r.row_count) for r in validated.returns] == [("2026-10", 2)]
    # a file with nothing but such months has nothing to load: it is refused, still once
    only_future = _permits_read_from_columns(future, ["C", "D"])
    [refused] = validate_submission(only_future, "FJI", today=TODAY).problems
    assert refused.severity == "error" and refused.message.startswith("12 values")


def test_a_future_row_is_counted_as_rejected_in_the_ledger(home):
    path = land(
        home,
        "FJI",
        "FJI_refusals_2026-10.csv",
        REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,5\nFJI,2026-12,FJNAN,CHN,C,5\n",
    )
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (2, 1, 1)
    assert rows(home, "select rows_read, rows_loaded, rows_rejected from raw.submissions") == [
        (2, 1, 1)
    ]
    assert rows(home, "select period from raw.refusals") == [("2026-10",)]


def test_rejected_file_goes_to_quarantine_with_its_report_and_ledger_row(home):
    path = land(
        home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + "FJI,2026-10,FJNAN,Fijji,C,1\n"
    )
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected"
    folder = home.quarantine / outcome.submission_id
    assert sorted(p.name for p in folder.iterdir()) == [
        "FJI_refusals_2026-10.csv",
        "report.html",
        "report.json",
        "report.md",
    ]
    assert rows(
        home, "select status, rows_read, rows_loaded, rows_rejected from raw.submissions"
    ) == [("rejected", 1, 0, 1)]
    assert rows(home, "select count(*) from raw.refusals") == [(0,)]


def test_hostile_file_is_quarantined_with_a_plain_reason(home):
    path = home.landing / "FJI" / "return.xlsm"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04macro")
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected"
    assert "macro-enabled" in outcome.message
    assert (home.quarantine / outcome.submission_id / "return.xlsm").exists()


def test_resubmission_supersedes_the_earlier_version(home):
    first = land(
        home,
        "FJI",
        "FJI_refusals_2026-09.csv",
        REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,5\nFJI,2026-09,FJNAN,IND,C,2\n",
        mtime=1_790_000_000,
    )
    second = land(
        home,
        "FJI",
        "FJI_refusals_2026-09_v2.csv",
        REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,6\n",
        mtime=1_790_100_000,
    )
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.file_name for o in outcomes] == [first.name, second.name]
    statuses = rows(home, "select file_name, status from raw.submissions order by received_at")
    assert statuses == [(first.name, "superseded"), (second.name, "accepted")]
    # History is kept: both versions' rows stay in raw.
    assert rows(home, "select count(*) from raw.refusals") == [(3,)]


def test_nil_return_is_recorded_as_such(home):
    path = land(
        home,
        "NIU",
        "NIU_irregular_2026-08.csv",
        "member,period,category,nationality,sex,age_group,detection_location,count\n",
    )
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    assert rows(home, "select dataset, period, is_nil, row_count from raw.returns") == [
        ("irregular", "2026-08", True, 0)
    ]


def test_crash_mid_load_leaves_raw_and_ledger_unchanged(home):
    good = land(
        home, "FJI", "FJI_refusals_2026-08.csv", REFUSALS_HEADER + "FJI,2026-08,FJNAN,CHN,C,5\n"
    )
    ingest_path(good, home, today=TODAY)
    tables = ("submissions", "returns", "refusals")
    before = {t: rows(home, f"select * from raw.{t} order by all") for t in tables}

    path = land(
        home, "FJI", "FJI_refusals_2026-09.csv", REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,7\n"
    )
    connection = loader.connect(home.warehouse)
    exploding = _Exploding(connection)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            ingest_file(path, home, connection=exploding, today=TODAY)
    finally:
        connection.close()
    # The ledger row and the returns row were written before the failure, then rolled back.
    assert exploding.failed_after_ledger
    after = {t: rows(home, f"select * from raw.{t} order by all") for t in tables}
    assert after == before
    # The file was not recorded, so it simply ingests on the next run.
    assert ingest_path(path, home, today=TODAY)[0].status == "accepted"


def test_ledger_rows_are_written_as_given_whichever_way_they_are_inserted(home):
    # A batch's ledger and returns rows go in as one Arrow table; a column whose values make
    # no single Arrow type (a number among texts) goes in with plain statements instead.
    received = dt.datetime(2026, 10, 3, 4, 5, 6, 789000)
    row = dict.fromkeys(loader.LEDGER_COLUMNS) | {
        "submission_id": "s1", "member": "FJI", "file_name": "a.csv", "file_sha256": "x",
        "file_format": "csv", "received_at": received, "status": "accepted", "rows_read": 3,
        "rows_loaded": 3, "rows_rejected": 0, "summary": "fine",
    }  # fmt: skip
    text = row | {"submission_id": "s2", "report_path": None}
    mixed = row | {"submission_id": "s3", "summary": 5}
    connection = loader.connect(home.ensure().warehouse)
    try:
        for rows_given in ([row], [text, mixed]):
            loader._insert_rows(
                connection,
                "submissions",
                loader.LEDGER_COLUMNS,
                [[given[c] for c in loader.LEDGER_COLUMNS] for given in rows_given],
            )
        stored = connection.execute(
            "select submission_id, received_at, rows_read, summary, periods "
            "from raw.submissions order by submission_id"
        ).fetchall()
    finally:
        connection.close()
    assert stored == [
        ("s1", received, 3, "fine", None),
        ("s2", received, 3, "fine", None),
        ("s3", received, 3, "5", None),
    ]


def test_a_batch_is_inserted_on_one_thread_and_duckdb_gets_its_threads_back(home, monkeypatch):
    # One thread inserts a batch faster than two (ingestion.loader.one_thread); the connection
    # keeps its own setting for everything else, also when the insert fails.
    connection = loader.connect(home.ensure().warehouse)
    seen = []
    real_insert = loader._insert_rows

    def spying(connection, *arguments):
        seen.append(connection.execute("select current_setting('threads')").fetchall()[0][0])
        return real_insert(connection, *arguments)

    monkeypatch.setattr(loader, "_insert_rows", spying)
    row = dict.fromkeys(loader.LEDGER_COLUMNS) | {
        "submission_id": "s1", "member": "FJI", "file_name": "a.csv", "file_sha256": "x",
        "file_format": "csv", "received_at": dt.datetime(2026, 10, 3), "status": "rejected",
        "rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "summary": "",
    }  # fmt: skip
    try:
        connection.execute("set threads = 3")
        batch = loader.Batch()
        loader.stage_rejection(batch, row)
        with loader.transaction(connection):
            loader.append_batch(connection, batch)
        assert seen and set(seen) == {1}
        assert connection.execute("select current_setting('threads')").fetchall() == [(3,)]
        monkeypatch.setattr(loader, "_insert_rows", lambda *_: 1 / 0)
        with pytest.raises(ZeroDivisionError), loader.transaction(connection):
            loader.append_batch(connection, batch)
        assert connection.execute("select current_setting('threads')").fetchall() == [(3,)]
        assert connection.execute("select count(*) from raw.submissions").fetchone() == (1,)
    finally:
        connection.close()


def test_the_raw_schema_is_created_whole_or_not_at_all(home, monkeypatch):
    # Its statements run in one transaction: a warehouse is never left with part of its tables.
    from ingestion import raw_schema

    real = raw_schema.raw_ddl
    monkeypatch.setattr(loader, "raw_ddl", lambda: [*real(), "create table raw.broken (x nope)"])
    with pytest.raises(duckdb.Error):
        loader.connect(home.ensure().warehouse)
    with duckdb.connect(str(home.warehouse)) as connection:
        assert connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw'"
        ).fetchone() == (0,)
    monkeypatch.setattr(loader, "raw_ddl", real)
    loader.connect(home.warehouse).close()  # and the next connection creates all of it
    with duckdb.connect(str(home.warehouse)) as connection:
        names = {name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()}  # fmt: skip
    assert set(raw_schema.raw_tables()) <= names


def _raw_contents(home) -> dict[str, list]:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return {
            table: connection.execute(
                f"select * exclude (submission_id), submission_id from raw.{table} order by all"
            ).fetchall()
            for table in ("refusals", "returns")
        }


_REFUSALS_FILES = {
    ("FJI", "FJI_refusals_2026-10.csv"): "FJI,2026-10,FJNAN,CHN,C,3\nFJI,2026-10,FJSUV,IND,A,4\n",
    ("TON", "TON_refusals_2026-10.csv"): "TON,2026-10,TOTBU,CHN,C,5\n",
    ("VUT", "VUT_refusals_2026-10.csv"): "VUT,2026-10,VUVLI,Atlantis,C,1\n",
    ("PLW", "PLW_refusals_2026-10.csv"): "PLW,2026-10,PWROR,USA,A,7\nPLW,2026-10,PWROR,JPN,A,8\n",
}  # fmt: skip
_TWO_MONTHS = {
    ("WSM", "WSM_refusals_2026-09.csv"): "WSM,2026-09,WSAPW,CHN,C,2\nWSM,2026-10,WSAPW,FJI,B,6\n",
}  # fmt: skip


@pytest.mark.parametrize(
    ("files", "sliced"),
    [(_REFUSALS_FILES, True), ({**_REFUSALS_FILES, **_TWO_MONTHS}, False)],
    ids=["one-month-each", "with-a-file-of-two-months"],
)
def test_a_batchs_rows_load_the_same_taken_as_one_slice_or_stacked(
    files, sliced, tmp_path, monkeypatch
):
    # The returns of a batch are consecutive rows of validation's table of each dataset; the
    # loader takes them as one slice of it (ingestion.loader._one_slice) rather than stacking the
    # files' rows again; a file of two months has a return per month, which it stacks. With a
    # rejected file between accepted ones, the rows loaded are those stacked, submission by
    # submission.
    taken = []
    real = loader._one_slice

    def spying(frames, sources):
        taken.append(real(frames, sources))
        return taken[-1]

    def stacking(frames, sources):
        return None

    loaded = {}
    for way, patched in (("sliced", spying), ("stacked", stacking)):
        home = make_home(tmp_path / way).ensure()
        for (member, name), text in files.items():
            land(home, member, name, REFUSALS_HEADER + text, mtime=1_790_000_000)
        with monkeypatch.context() as patch:
            patch.setattr(loader, "_one_slice", patched)
            outcomes = ingest_path(home.landing, home, today=TODAY)
        assert sorted(o.status for o in outcomes).count("rejected") == 1  # Atlantis
        loaded[way] = _raw_contents(home)
    assert [frame is not None for frame in taken] == [sliced]  # one dataset, one batch
    assert loaded["sliced"] == loaded["stacked"]
    assert len(loaded["sliced"]["refusals"]) == 5 + 2 * (not sliced)


class _Exploding:
    """A connection whose data insert fails after the ledger and returns rows were written."""

    def __init__(self, connection):
        self._connection = connection
        self.failed_after_ledger = False

    def register(self, name, frame):
        if name != "incoming_rows":  # the ledger and returns rows, registered before the data
            return self._connection.register(name, frame)
        ledger = self._connection.execute("select count(*) from raw.submissions").fetchone()[0]
        self.failed_after_ledger = ledger == 2
        raise RuntimeError("power cut")

    def __getattr__(self, name):
        return getattr(self._connection, name)


def test_xlsx_template_round_trip(home):
    from ingestion.template import write_template

    refusals = pd.DataFrame(
        {"port": ["FJNAN"], "nationality": ["Chinese"], "reason": ["C"], "count": [4]}
    )
    path = home.landing / "FJI" / "FJI_2026-10.xlsx"
    path.parent.mkdir(parents=True)
    write_template(
        path, "FJI", "2026-10", returns={"refusals": refusals}, nil_datasets={"removals"}
    )
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    assert rows(home, "select dataset, is_nil, row_count from raw.returns order by dataset") == [
        ("refusals", False, 1),
        ("removals", True, 0),
    ]
    assert rows(home, "select nationality, count, source_sheet, source_row from raw.refusals") == [
        ("Chinese", 4, "refusals", 2)
    ]


def test_template_from_another_member_is_rejected(home):
    from ingestion.template import write_template

    path = home.landing / "FJI" / "TON_2026-10.xlsx"
    path.parent.mkdir(parents=True)
    write_template(path, "TON", "2026-10", nil_datasets={"removals"})
    report = validate_file(path, "FJI", today=TODAY)
    assert not report.accepted
    assert "says member TON, but the file was submitted by FJI" in report.errors[0].message


def test_value_far_outside_the_members_history_is_a_warning_not_a_rejection(home):
    for month, count in enumerate([10, 12, 9, 11, 10, 13, 12, 10], start=1):
        land(
            home,
            "FJI",
            f"FJI_refusals_2026-{month:02d}.csv",
            REFUSALS_HEADER + f"FJI,2026-{month:02d},FJNAN,CHN,C,{count}\n",
            mtime=1_780_000_000 + month * 86_400,
        )
    assert {o.status for o in ingest_path(home.landing, home, today=TODAY)} == {"accepted"}
    spike = land(
        home,
        "FJI",
        "FJI_refusals_2026-09.csv",
        REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,80\nFJI,2026-09,FJNAN,IND,C,20\n",
    )
    dry_run = validate_file(spike, "FJI", today=TODAY, home=home)
    assert dry_run.accepted
    [warning] = dry_run.warnings
    assert warning.message.startswith(
        "The refusals total for 2026-09 is 100, far above FJI's usual level (median 10 over the "
        "last 8 months"
    )
    [outcome] = ingest_path(spike, home, today=TODAY)
    assert outcome.status == "accepted"
    assert "1 warning" in outcome.message and "1 warnings" not in outcome.message
    normal = land(
        home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,14\n"
    )
    assert not validate_file(normal, "FJI", today=TODAY, home=home).warnings


def test_identical_nil_return_files_for_different_months_are_not_duplicates(home):
    header = "member,period,category,nationality,sex,age_group,detection_location,count\n"
    first = land(home, "NIU", "NIU_irregular_2026-07.csv", header)
    second = land(home, "NIU", "NIU_irregular_2026-08.csv", header)
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert rows(home, "select period, is_nil from raw.returns order by period") == [
        ("2026-07", True),
        ("2026-08", True),
    ]
    # The very same nil file dropped again is still a duplicate.
    assert ingest_path(first, home, today=TODAY)[0].status == "duplicate"
    assert second.exists()


def test_a_new_run_does_not_read_files_the_ledger_already_has(home, monkeypatch):
    """A landing folder keeps every file ever sent; a run reads only the new or changed ones."""
    from ingestion import intake

    good = REFUSALS_HEADER + "FJI,2026-10,FJNAN,Chinese,C,3\n"
    land(home, "FJI", "FJI_refusals_2026-10.csv", good, mtime=1_790_000_000)
    land(home, "FJI", "FJI_bad_2026-10.csv", "not,a,return\n1,2,3\n", mtime=1_790_000_100)
    first = {o.file_name: o for o in ingest_path(home.landing, home, today=TODAY)}
    assert {o.status for o in first.values()} == {"accepted", "rejected"}

    hashed = []
    real_sha = intake.file_sha256
    monkeypatch.setattr(
        intake, "file_sha256", lambda path: hashed.append(path.name) or real_sha(path)
    )
    # A correction sent again under the same name arrives later: it is read as a new file.
    corrected = REFUSALS_HEADER + "FJI,2026-10,FJNAN,Chinese,C,4\n"
    land(home, "FJI", "FJI_refusals_2026-10.csv", corrected, mtime=1_790_000_500)
    land(
        home,
        "TON",
        "TON_refusals_2026-10.csv",
        REFUSALS_HEADER + "TON,2026-10,TOTBU,Chinese,C,2\n",
        mtime=1_790_000_600,
    )
    again = {o.file_name: o for o in ingest_path(home.landing, home, today=TODAY)}
    assert sorted(hashed) == ["FJI_refusals_2026-10.csv", "TON_refusals_2026-10.csv"]
    assert again["FJI_bad_2026-10.csv"].status == "duplicate"
    assert again["FJI_bad_2026-10.csv"].unchanged  # the same landing file: not read again
    assert not again["FJI_refusals_2026-10.csv"].unchanged
    assert again["FJI_bad_2026-10.csv"].submission_id == first["FJI_bad_2026-10.csv"].submission_id
    assert again["FJI_refusals_2026-10.csv"].status == "accepted"
    # Nothing changed since: a third run reads nothing and reports every file as received.
    hashed.clear()
    third = ingest_path(home.landing, home, today=TODAY)
    assert hashed == [] and {o.status for o in third} == {"duplicate"}
    assert all(o.unchanged for o in third)


@pytest.mark.parametrize("chunk_files", [None, 2], ids=["one batch", "batches of two"])
def test_a_list_of_files_gets_the_outcomes_it_would_get_one_file_at_a_time(
    home, tmp_path, monkeypatch, chunk_files
):
    """ingest_files: one connection and batch for the list, and, file by file, the outcome and
    ledger row that ingesting the same files one at a time in the same order gives: accepted,
    rejected, a nil return, a correction superseding, a copy of an earlier file of the list (a
    duplicate) and a link (refused, never opened).

    In batches of two, the copy and its original are in different batches, with the link
    between them: the copy is still found to repeat the original's submission."""
    from ingestion import intake

    if chunk_files:
        monkeypatch.setattr(intake, "CHUNK_FILES", chunk_files)

    alone_home = make_home(tmp_path / "alone").ensure()
    nil = "member,period,category,nationality,sex,age_group,detection_location,count\n"
    good = REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,5\nFJI,2026-09,FJNAN,IND,C,2\n"
    landed = [
        ("FJI", "FJI_refusals_2026-09.csv", good, 1_790_000_000),
        ("TON", "TON_refusals_2026-09.csv", REFUSALS_HEADER + "TON,2026-09,TOTBU,CHN,C,4\n",
         1_790_000_100),
        ("FJI", "FJI_bad_2026-09.csv", "not,a,return\n1,2,3\n", 1_790_000_200),
        ("NIU", "NIU_irregular_2026-08.csv", nil, 1_790_000_300),
        ("FJI", "FJI_refusals_2026-09_copy.csv", good, 1_790_000_400),
        ("FJI", "FJI_refusals_2026-09_v2.csv", REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,6\n",
         1_790_000_500),
        ("NIU", "NIU_irregular_2026-07.csv", nil, 1_790_000_600),
    ]  # fmt: skip

    def files(target):
        paths = [land(target, *entry[:3], mtime=entry[3]) for entry in landed]
        link = target.landing / "TON" / "linked.csv"
        link.symlink_to(paths[0])
        return [*paths[:3], link, *paths[3:]]

    one_by_one = [
        o for path in files(alone_home) for o in ingest_path(path, alone_home, today=TODAY)
    ]
    connections = []
    real_connect = intake.connect
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            intake, "connect", lambda path: connections.append(path) or real_connect(path)
        )
        told = []
        batched = ingest_files(files(home), home, today=TODAY, on_file=told.append)
    assert len(connections) == 1
    assert told == batched

    def seen(outcome):
        return (outcome.file_name, outcome.status, outcome.member, outcome.file_sha256,
                outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected)  # fmt: skip

    assert [seen(o) for o in batched] == [seen(o) for o in one_by_one]
    assert [o.status for o in batched] == [
        "accepted", "accepted", "rejected", "refused", "accepted", "duplicate", "accepted",
        "accepted",
    ]  # fmt: skip
    assert sum(o.rows_loaded for o in batched) == 2 + 1 + 0 + 0 + 0 + 0 + 1 + 0
    # The same submission ids for the files recorded, so the same reports, ledger and raw rows,
    # and a copy names the submission it repeats, as it does one file at a time.
    recorded = [
        o.submission_id for o in batched if o.status in {"accepted", "rejected", "duplicate"}
    ]
    assert recorded == [
        o.submission_id for o in one_by_one if o.status in {"accepted", "rejected", "duplicate"}
    ]
    [copy] = [o for o in batched if o.status == "duplicate"]
    assert copy.submission_id == batched[0].submission_id
    assert f"submission {batched[0].submission_id} (accepted)" in copy.message

    ledger = (
        "select submission_id, member, file_name, status, datasets, periods, rows_read, "
        "rows_loaded, rows_rejected, summary from raw.submissions order by received_at"
    )
    assert rows(home, ledger) == rows(alone_home, ledger)
    assert [row[3] for row in rows(home, ledger)] == [
        "superseded", "accepted", "rejected", "accepted", "accepted", "accepted",
    ]  # fmt: skip
    loaded = (
        "select member, period, nationality, count, submission_id from raw.refusals order by all"
    )
    assert rows(home, loaded) == rows(alone_home, loaded)
    returns = (
        "select submission_id, dataset, period, is_nil, row_count from raw.returns order by all"
    )
    assert rows(home, returns) == rows(alone_home, returns)


def test_an_error_writing_a_batch_keeps_the_batches_before_and_writes_none_after(home, monkeypatch):
    """When writing a batch fails, the batches committed before stay, nothing of the failing
    batch or of those after it is in the warehouse, and the next run ingests what is missing."""
    from ingestion import intake

    monkeypatch.setattr(intake, "CHUNK_FILES", 1)
    for number, (member, port) in enumerate((("FJI", "FJNAN"), ("TON", "TOTBU"), ("WSM", "WSAPW"))):
        land(home, member, f"{member}_refusals_2026-10.csv",
             REFUSALS_HEADER + f"{member},2026-10,{port},CHN,C,4\n",
             mtime=1_790_000_000 + number)  # fmt: skip
    real_append, appended = intake.append_batch, []

    def fail_the_second(connection, batch):
        appended.append(batch)
        if len(appended) == 2:
            raise OSError("disk full")
        real_append(connection, batch)

    monkeypatch.setattr(intake, "append_batch", fail_the_second)
    with pytest.raises(OSError, match="disk full"):
        ingest_path(home.landing, home, today=TODAY)
    assert len(appended) == 2  # the third batch is never written
    assert rows(home, "select member from raw.submissions") == [("FJI",)]
    assert rows(home, "select member, count(*) from raw.refusals group by all") == [("FJI", 1)]
    monkeypatch.setattr(intake, "append_batch", real_append)
    again = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in again] == ["duplicate", "accepted", "accepted"]
    assert rows(home, "select count(*) from raw.refusals") == [(3,)]


def test_a_copy_within_one_batch_names_the_submission_it_repeats(home):
    """Two files with the same bytes in one batch: the second is a duplicate that names the
    first's submission id (not its file name), like a copy of a file received earlier."""
    good = REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,5\n"
    land(home, "FJI", "FJI_refusals_2026-09.csv", good, mtime=1_790_000_000)
    land(home, "FJI", "FJI_refusals_2026-09_again.csv", good, mtime=1_790_000_100)
    first, copy = ingest_path(home.landing, home, today=TODAY)
    assert (first.status, copy.status) == ("accepted", "duplicate")
    assert copy.submission_id == first.submission_id != first.file_name
    assert not copy.unchanged  # a new arrival, read, whose bytes repeat an earlier file
    assert f"submission {first.submission_id} (accepted in this batch)" in copy.message
    assert rows(home, "select count(*) from raw.submissions") == [(1,)]


def test_the_next_batch_is_read_while_one_is_validated_and_a_copy_across_them_is_found(
    home, monkeypatch
):
    """A batch's files are read (in the sandbox's workers) while the batch before is validated
    and loaded; a file read that way whose bytes repeat a file of the batch before (not yet in
    the ledger when the reading started) is still a duplicate naming that file's submission,
    and its rows are not loaded twice."""
    from ingestion import intake

    monkeypatch.setattr(intake, "CHUNK_FILES", 1)
    good = REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,5\n"
    land(home, "FJI", "FJI_refusals_2026-09.csv", good, mtime=1_790_000_000)
    land(home, "FJI", "FJI_refusals_2026-09_again.csv", good, mtime=1_790_000_100)
    land(home, "TON", "TON_refusals_2026-09.csv",
         REFUSALS_HEADER + "TON,2026-09,TOTBU,CHN,C,4\n", mtime=1_790_000_200)  # fmt: skip
    events = []
    real_read_ahead, real_validate = intake._read_ahead, intake._validate

    def read_ahead(work):
        events.append(("read", sorted(arguments[0].name for arguments in work.values())))
        return real_read_ahead(work)

    def validate(candidates, today):
        events.append(("validate", [c.path.name for c in candidates]))
        return real_validate(candidates, today)

    monkeypatch.setattr(intake, "_read_ahead", read_ahead)
    monkeypatch.setattr(intake, "_validate", validate)
    first, copy, other = ingest_path(home.landing, home, today=TODAY)
    assert events == [
        ("read", ["FJI_refusals_2026-09.csv"]),
        ("read", ["FJI_refusals_2026-09_again.csv"]),  # before the first is validated
        ("validate", ["FJI_refusals_2026-09.csv"]),
        ("read", ["TON_refusals_2026-09.csv"]),
        ("validate", []),  # the copy, found once the first was loaded: nothing to validate
        ("validate", ["TON_refusals_2026-09.csv"]),
    ]
    assert (first.status, copy.status, other.status) == ("accepted", "duplicate", "accepted")
    assert copy.submission_id == first.submission_id
    assert f"submission {first.submission_id} (accepted)" in copy.message
    assert rows(home, "select member, count(*) from raw.refusals group by all order by 1") == [
        ("FJI", 1), ("TON", 1),
    ]  # fmt: skip
    assert rows(home, "select count(*) from raw.submissions") == [(2,)]


def _land_months(home, months: int, rows_each: int) -> None:
    """``months`` refusals returns from FJI, ``rows_each`` rows each, in month order."""
    for month in range(1, months + 1):
        lines = "".join(
            f"FJI,2025-{month:02d},FJNAN,CHN,{reason},{month}\n"
            for reason in "ABCDEFGH"[:rows_each]
        )
        land(home, "FJI", f"FJI_refusals_2025-{month:02d}.csv", REFUSALS_HEADER + lines,
             mtime=1_780_000_000 + month * 100)  # fmt: skip


def test_big_files_are_loaded_in_batches_of_rows_and_never_read_far_ahead(home, monkeypatch):
    """However many rows the files of a landing folder hold (each within the sandbox's limits),
    intake holds a bounded number in memory: a batch is validated and loaded once its files
    hold ``CHUNK_ROWS`` rows, and the sandbox's workers stop reading ahead once the files read
    and not yet taken hold that many, even while a slow validation lets them run. Every file
    is loaded as in one batch."""
    import threading
    import time

    from ingestion import intake

    monkeypatch.setattr(intake, "CHUNK_ROWS", 10)
    _land_months(home, 12, rows_each=4)
    validated: list[int] = []
    counted = {"read": 0, "taken": 0, "most_ahead": 0}
    lock = threading.Lock()
    real_validate, real_examine, real_take = (
        intake._validate,
        intake._examine,
        intake._ReadAhead.take,
    )

    def validate(candidates, today):
        validated.append(sum(c.report.rows_read for c in candidates))
        time.sleep(0.5)  # the workers read ahead meanwhile, as far as they are let
        return real_validate(candidates, today)

    def examine(*arguments):
        candidate = real_examine(*arguments)
        with lock:
            counted["read"] += candidate.report.rows_read
            ahead = counted["read"] - counted["taken"]
            counted["most_ahead"] = max(counted["most_ahead"], ahead)
        return candidate

    def take(self, key):
        candidate = real_take(self, key)
        with lock:
            counted["taken"] += candidate.report.rows_read
        return candidate

    monkeypatch.setattr(intake, "_validate", validate)
    monkeypatch.setattr(intake, "_examine", examine)
    monkeypatch.setattr(intake._ReadAhead, "take", take)
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in outcomes] == ["accepted"] * 12
    # Three files (12 rows) reach the 10 rows of a batch: four batches, then nothing left.
    assert validated == [12, 12, 12, 12, 0]
    # At most 9 rows read ahead when a worker starts a file, plus a file (4 rows) per worker
    # (two): never the 36 rows left to read during the first validation.
    assert 4 <= counted["most_ahead"] <= 9 + 2 * 4
    assert rows(home, "select count(*), sum(count) from raw.refusals") == [(48, 4 * 78)]
    assert rows(home, "select count(*) from raw.submissions where status = 'accepted'") == [(12,)]


def test_a_file_found_to_repeat_another_no_longer_counts_as_read_ahead(monkeypatch):
    """The files read ahead and then found to repeat earlier ones are never taken; once
    dropped, their rows do not hold the next files back."""
    import time
    from pathlib import Path

    from ingestion import intake
    from ingestion.report import ValidationReport

    def examine(path, member, sha256, refusal=None):
        candidate = intake._Candidate(
            path, ValidationReport(file_name=path.name, file_sha256=sha256)
        )
        candidate.report.rows_read = 6
        return candidate

    monkeypatch.setattr(intake, "_examine", examine)
    monkeypatch.setattr(intake, "CHUNK_ROWS", 10)
    reading = intake._ReadAhead({n: (Path(f"f{n}.csv"), "FJI", str(n), None) for n in range(4)}, 2)
    try:
        reading.drop(0)
        reading.drop(1)
        deadline = time.monotonic() + 30
        while not reading._futures[2].done():  # read without being waited for: 0 rows held
            assert time.monotonic() < deadline, "the dropped files still hold the reading back"
            time.sleep(0.01)
        assert reading.take(2).path == Path("f2.csv")
        assert reading.take(3).path == Path("f3.csv")
    finally:
        reading.release()


def test_a_failed_run_leaves_no_worker_waiting_to_read_ahead(home, monkeypatch):
    """When a run stops (validation fails on every file), the files the workers were holding
    back are read and the reading threads end: the process can exit; nothing is recorded."""
    import threading
    import time

    from ingestion import intake

    monkeypatch.setattr(intake, "CHUNK_ROWS", 10)
    _land_months(home, 12, rows_each=4)

    def broken(batch, today=None):
        raise RuntimeError("validation is broken on this machine")

    monkeypatch.setattr(intake, "validate_submissions", broken)
    with pytest.raises(RuntimeError, match="broken on this machine"):
        ingest_path(home.landing, home, today=TODAY)
    deadline = time.monotonic() + 60
    while any(t.name.startswith("intake-read") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a reading thread is still waiting"
        time.sleep(0.05)
    assert rows(home, "select count(*) from raw.submissions") == [(0,)]


def test_a_files_returns_are_listed_in_its_own_order_whatever_the_batch(home):
    """A file's report lists its returns in the file's order of datasets, whether it is
    checked alone or after a file that gives the datasets in another order."""
    from ingestion.template import write_template

    refusals = pd.DataFrame({"port": ["TOTBU"], "nationality": ["CHN"], "reason": ["C"],
                             "count": [4]})  # fmt: skip
    removals = pd.DataFrame({"removal_type": ["DEPORTATION"], "nationality": ["CHN"],
                             "destination_country": ["CHN"], "count": [2]})  # fmt: skip
    workbook = home.landing / "TON" / "TON_2026-10.xlsx"
    workbook.parent.mkdir(parents=True)
    write_template(workbook, "TON", "2026-10", returns={"refusals": refusals, "removals": removals})
    os.utime(workbook, (1_790_000_100, 1_790_000_100))
    land(home, "FJI", "FJI_removals_2026-10.csv",
         "member,period,removal_type,nationality,destination_country,count\n"
         "FJI,2026-10,DEPORTATION,CHN,CHN,1\n", mtime=1_790_000_000)  # fmt: skip
    alone = [r["dataset"] for r in validate_file(workbook, "TON", today=TODAY).returns]
    csv, template = ingest_path(home.landing, home, today=TODAY)
    assert (csv.status, template.status) == ("accepted", "accepted"), template.message
    report = json.loads((template.report_path.parent / "report.json").read_text())
    assert alone == [r["dataset"] for r in report["returns"]] == ["refusals", "removals"]


def test_two_headers_read_as_one_column_are_reported_and_stop_no_other_file(home):
    """A CSV or SDMX-CSV whose headers name one column twice ("count" and "Count", OBS_VALUE
    and obs_value, NATIONALITY twice) is rejected with a report saying which column, in English
    and French; it neither crashes the batch's validation nor stops the other files with it."""
    land(home, "FJI", "FJI_refusals_2026-09.csv",
         REFUSALS_HEADER.strip() + ",Count\nFJI,2026-09,FJNAN,CHN,C,5,7\n",
         mtime=1_790_000_000)  # fmt: skip
    sdmx = "DATAFLOW,FREQ,GEO_PICT,TIME_PERIOD,REMOVAL_TYPE,NATIONALITY,DESTINATION_COUNTRY"
    land(home, "TON", "TON_removals_2026-09.csv",
         f"{sdmx},OBS_VALUE,obs_value\nPIDC:DF_REMOVALS(1.0),M,TO,2026-M09,REMOVAL,CN,CN,4,5\n",
         mtime=1_790_000_100)  # fmt: skip
    land(home, "TON", "TON_removals_2026-08.csv",
         f"{sdmx},nationality,OBS_VALUE\nPIDC:DF_REMOVALS(1.0),M,TO,2026-M08,REMOVAL,CN,CN,FJ,4\n",
         mtime=1_790_000_200)  # fmt: skip
    land(home, "WSM", "WSM_refusals_2026-09.csv",
         REFUSALS_HEADER + "WSM,2026-09,WSAPW,CHN,C,3\n", mtime=1_790_000_300)  # fmt: skip
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [(o.file_name, o.status) for o in outcomes] == [
        ("FJI_refusals_2026-09.csv", "rejected"),
        ("TON_removals_2026-09.csv", "rejected"),
        ("TON_removals_2026-08.csv", "rejected"),
        ("WSM_refusals_2026-09.csv", "accepted"),
    ]
    said = {}
    for outcome in outcomes[:3]:
        report = json.loads(outcome.report_path.with_suffix(".json").read_text(encoding="utf-8"))
        said[outcome.file_name] = [(p["message"], p["fix"]) for p in report["problems"]]
    assert said == {
        "FJI_refusals_2026-09.csv": [("The column 'count' appears more than once.",
            "Keep one column headed 'count' and remove or rename the others.")],
        "TON_removals_2026-09.csv": [("The column 'OBS_VALUE' appears more than once.",
            "Keep one column headed 'OBS_VALUE' and remove or rename the others.")],
        "TON_removals_2026-08.csv": [("The column 'NATIONALITY' appears more than once.",
            "Keep one column headed 'NATIONALITY' and remove or rename the others.")],
    }  # fmt: skip
    from ingestion.report import ValidationReport
    from pidc import i18n

    document = outcomes[0].report_path.with_suffix(".json").read_text(encoding="utf-8")
    [problem] = ValidationReport.from_dict(json.loads(document)).problems
    with i18n.language("fr"):
        assert problem.text() == "La colonne 'count' figure plusieurs fois."
        assert problem.fix_text().startswith("Gardez une seule colonne intitulée 'count'")
    assert rows(home, "select member, count(*) from raw.refusals group by all") == [("WSM", 1)]


def test_a_file_on_which_validation_itself_fails_is_set_aside_and_the_others_go_on(
    home, monkeypatch
):
    """Should a file's content set off a failure in validation itself (a platform bug: here
    simulated on any batch holding TON's file), that file is quarantined with a report held for
    the Secretariat and the other files of its batch are validated and loaded as usual."""
    from ingestion import intake

    for number, (member, port) in enumerate((("FJI", "FJNAN"), ("TON", "TOTBU"), ("WSM", "WSAPW"))):
        land(home, member, f"{member}_refusals_2026-10.csv",
             REFUSALS_HEADER + f"{member},2026-10,{port},CHN,C,4\n",
             mtime=1_790_000_000 + number)  # fmt: skip
    real_validate = intake.validate_submissions

    def failing_on_tonga(batch, *, today=None):
        if any(member == "TON" for _, member in batch):
            raise KeyError("a bug set off by TON's file")
        return real_validate(batch, today=today)

    monkeypatch.setattr(intake, "validate_submissions", failing_on_tonga)
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [(o.member, o.status) for o in outcomes] == [
        ("FJI", "accepted"), ("TON", "rejected"), ("WSM", "accepted"),
    ]  # fmt: skip
    report = json.loads(outcomes[1].report_path.with_suffix(".json").read_text(encoding="utf-8"))
    [problem] = report["problems"]
    assert problem["message"] == (
        "The platform could not finish checking this file (KeyError), so it was set aside and "
        "nothing in it was loaded."
    )
    assert (problem["rule"], problem["audience"]) == ("internal", "secretariat")
    assert report["held_for_secretariat"]
    assert (home.quarantine / outcomes[1].submission_id / "TON_refusals_2026-10.csv").exists()
    assert rows(home, "select member, count(*) from raw.refusals group by all order by 1") == [
        ("FJI", 1), ("WSM", 1),
    ]  # fmt: skip
    # The next run, same code: the held file is not read again (it would fail again).
    again = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in again] == ["duplicate"] * 3
    # After an upgrade (the code changed, the bug is fixed), it is read again once and loaded.
    monkeypatch.setattr(intake, "validate_submissions", real_validate)
    monkeypatch.setattr(intake, "code_version", lambda: "upgraded")
    upgraded = ingest_path(home.landing, home, today=TODAY)
    assert [(o.member, o.status) for o in upgraded][3:] == [("TON", "accepted")]
    assert rows(home, "select member, count(*) from raw.refusals group by all order by 1") == [
        ("FJI", 1), ("TON", 1), ("WSM", 1),
    ]  # fmt: skip
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["duplicate"] * 3


def test_when_validation_fails_on_every_file_of_a_batch_the_run_stops_and_holds_nothing(
    home, monkeypatch
):
    """A failure every file sets off alone (the platform's or the machine's, not a file's) is
    raised: nothing of the batch is recorded or held, and the next run reads the files again."""
    from ingestion import intake

    for number, (member, port) in enumerate((("FJI", "FJNAN"), ("TON", "TOTBU"))):
        land(home, member, f"{member}_refusals_2026-10.csv",
             REFUSALS_HEADER + f"{member},2026-10,{port},CHN,C,4\n",
             mtime=1_790_000_000 + number)  # fmt: skip
    real_validate = intake.validate_submissions

    def broken(batch, *, today=None):
        raise MemoryError("the machine, not the files")

    monkeypatch.setattr(intake, "validate_submissions", broken)
    with pytest.raises(MemoryError, match="the machine"):
        ingest_path(home.landing, home, today=TODAY)
    assert rows(home, "select count(*) from raw.submissions") == [(0,)]
    assert not any(home.quarantine.iterdir())
    monkeypatch.setattr(intake, "validate_submissions", real_validate)
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["accepted"] * 2


def test_a_count_too_large_for_any_month_is_a_problem_of_the_file_not_a_failure(home):
    """A count of twenty nines (a typing or export error) overflowed the checks' integer columns
    and failed validation itself; it is now the member's problem, reported on its row."""
    land(home, "FJI", "FJI_refusals_2026-09.csv",
         REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,99999999999999999999\n"
         "FJI,2026-09,FJNAN,IND,C,3\n", mtime=1_790_000_000)  # fmt: skip
    [outcome] = ingest_path(home.landing, home, today=TODAY)
    assert outcome.status == "rejected"
    report = json.loads(outcome.report_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert [(p["message"], p["row"], p["audience"]) for p in report["problems"]] == [(
        "The count '99999999999999999999' is too large to be a month's figure.", 2, "member",
    )]  # fmt: skip


def test_the_pipeline_and_the_sensor_pick_the_same_landing_files(home):
    """One predicate (ingestion.landing): `pidc pipeline`, the Dagster sensor and the progress
    counts read the same files; partial, temporary, hidden and lock files and links are left."""
    from ingestion.intake import landing_entries
    from ingestion.landing import is_landing_file, landing_files, not_a_return
    from orchestration.intake import scan_landing

    kept = [
        land(home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER),
        land(home, "TON", "TON_return_2026-10.xlsx", "not really a workbook"),
        land(home, "TON", "notes.txt", "an unknown format is rejected with a report, not skipped"),
    ]
    for name in ("FJI_refusals_2026-11.csv.part", "upload.TMP", "x.crdownload", ".hidden.csv"):
        land(home, "FJI", name, REFUSALS_HEADER)
    land(home, "TON", "~$TON_return_2026-10.xlsx", "lock")
    land(home, ".trash", "FJI_refusals_2026-09.csv", REFUSALS_HEADER)
    (home.landing / "FJI" / "linked.csv").symlink_to(kept[0])
    (home.landing / "LINKED").symlink_to(home.landing / "FJI", target_is_directory=True)

    pipeline_files, aside = landing_entries(home.landing)
    sensor_files, _ = scan_landing(home.landing, None, settle_seconds=0)
    assert sorted(pipeline_files) == sorted(kept)
    assert sorted(f.path for f in sensor_files) == sorted(kept)
    assert sorted(landing_files(home.landing)) == sorted(kept)
    every = [p for p in home.landing.rglob("*") if not p.is_dir() or p.is_symlink()]
    assert sorted(p for p in every if is_landing_file(p, home.landing)) == sorted(kept)
    statuses = {entry.path.name: entry.status for entry in aside}
    assert statuses["FJI_refusals_2026-11.csv.part"] == "skipped"
    assert statuses["upload.TMP"] == "skipped"
    assert statuses["~$TON_return_2026-10.xlsx"] == "skipped"
    assert statuses[".trash"] == "skipped"
    assert statuses["linked.csv"] == statuses["LINKED"] == "refused"
    assert "partial or temporary" in not_a_return("FJI_refusals_2026-11.csv.part")


def test_each_file_of_a_batch_gets_the_report_it_would_get_alone(home):
    """One validation runs over the whole batch (every file and dataset in one table); each
    file's problems are still its own, row by row and in the same order, and a rejected file
    does not keep the others from loading."""
    from ingestion.template import write_template

    movements = (
        "member,period,direction,traveller_type,country_basis,country,purpose,mode,port,count\n"
    )
    files = [
        land(home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + (
            "FJI,2026-10,FJNAN,Fijji,C,1\nFJI,2026-10,FJNAN,CHN,Z,-1\n"
            "FJI,2026-10,FJNAN,VNM,G,1\nFJI,2026-10,FJNAN,Vietnam,G,2\n"
        ), mtime=1_790_000_000),
        land(home, "TON", "TON_refusals_2026-10.csv", REFUSALS_HEADER + (
            "TON,2026-10,TOTBU,CHN,C,4\nTON,2026-10,TOTBU,IND,C,2\n"
        ), mtime=1_790_000_100),
        land(home, "FJI", "FJI_movements_2026-10.csv", movements + (
            "FJI,2026-10,ARR,VIS,NAT,CHN,HOL,AIR,FJNAN,10\n"
            "FJI,2026-10,ARR,VIS,NAT,,HOL,AIR,FJNAN,3\n"
            "FJI,2026-10,DEP,VIS,NAT,CHN,HOL,AIR,FJNAN,\n"
        ), mtime=1_790_000_200),
    ]  # fmt: skip
    template = home.landing / "WSM" / "WSM_2026-10.xlsx"
    template.parent.mkdir(parents=True)
    refusals = pd.DataFrame(
        {"port": ["WSAPW", "WSAPW"], "nationality": ["Chinese", "Chinese"], "reason": ["C"] * 2,
         "count": [4, 1]}
    )  # fmt: skip
    notes = pd.DataFrame(
        {"dataset": ["refusals", "refusals"], "topic": ["TREND", "BOGUS"],
         "note": ["More refusals at the airport", ""], "shareable": ["yes", "no"]}
    )  # fmt: skip
    write_template(template, "WSM", "2026-10", returns={"refusals": refusals}, observations=notes)
    os.utime(template, (1_790_000_300, 1_790_000_300))
    files.append(template)
    alone = {path.name: validate_file(path, today=TODAY, home=home).to_json() for path in files}
    outcomes = {o.file_name: o for o in ingest_path(home.landing, home, today=TODAY)}
    assert {name: o.status for name, o in outcomes.items()} == {
        "FJI_refusals_2026-10.csv": "rejected",
        "TON_refusals_2026-10.csv": "accepted",
        "FJI_movements_2026-10.csv": "rejected",
        "WSM_2026-10.xlsx": "rejected",
    }
    for name, outcome in outcomes.items():
        batched = json.loads((outcome.report_path.parent / "report.json").read_text("utf-8"))
        assert batched["problems"] == json.loads(alone[name])["problems"], name
    assert rows(home, "select member, count(*) from raw.refusals group by all") == [("TON", 2)]


def test_a_process_killed_mid_batch_leaves_no_file_of_the_batch(home, tmp_path):
    """kill -9 between the ledger rows and the commit: none of the batch's files is in the
    warehouse, and the next run ingests them all."""
    import signal
    import subprocess
    import sys
    import time

    for member, port in (("FJI", "FJNAN"), ("TON", "TOTBU")):
        land(home, member, f"{member}_refusals_2026-10.csv",
             REFUSALS_HEADER + f"{member},2026-10,{port},CHN,C,4\n")  # fmt: skip
    signal_file = tmp_path / "ledger-written"
    script = f"""
import datetime as dt, time
from pathlib import Path
from ingestion import intake, loader
from ingestion.intake import ingest_path
from pidc.settings import home

def stall(connection, batch):
    Path({str(signal_file)!r}).write_text("1")
    time.sleep(600)

intake.append_batch = stall
ingest_path(Path({str(home.landing)!r}), home({str(home.root)!r}), today=dt.date(2026, 11, 20))
"""
    child = subprocess.Popen([sys.executable, "-c", script], cwd=os.getcwd())
    try:
        deadline = time.monotonic() + 120
        while not signal_file.exists():
            assert child.poll() is None and time.monotonic() < deadline, "the batch never loaded"
            time.sleep(0.1)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    for table in ("submissions", "returns", "refusals"):
        assert rows(home, f"select count(*) from raw.{table}") == [(0,)], table
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert rows(home, "select count(*) from raw.refusals") == [(2,)]


def test_intake_collects_garbage_less_often_and_restores_the_collector_after(home):
    """pidc.collection around a run's batches: a sixth of intake went to collections."""
    import gc

    from pidc.collection import THRESHOLDS

    land(home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,3\n")
    before = gc.get_threshold()
    seen = []
    ingest_path(
        home.landing,
        home,
        today=TODAY,
        on_file=lambda _: seen.append((gc.get_threshold(), gc.get_freeze_count() > 0)),
    )
    assert seen == [(THRESHOLDS, True)]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    "codes",
    [["FJI", None, "WSM"], ["FJI", "TON"], [None], [None, None], [("2026-01", 1), None]],
    ids=["codes-and-none", "codes", "none", "nones", "not-text"],
)
def test_a_code_column_is_the_one_pandas_infers_from_its_values(codes):
    # Built from the distinct codes (validate._code_column), a column of resolved codes has
    # the values, blanks and dtype of the column pandas infers from every row's code.
    import numpy as np

    from ingestion.validate import _code_column, _objects

    inverse = np.array([i % len(codes) for i in range(7)], dtype=np.int64)
    built = pd.DataFrame({"code": _code_column(codes, inverse)})
    as_inferred = pd.DataFrame({"code": _objects(codes)[inverse]})
    pd.testing.assert_frame_equal(built, as_inferred)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [("_T", "str"), ("-", "str"), (0.0, "float64"), (True, "bool"), ("A", "object")],
)
def test_a_constant_column_is_the_one_pandas_makes(value, dtype):
    from ingestion.validate import _constant

    index = pd.RangeIndex(3, 8)
    dtype = pd.api.types.pandas_dtype(dtype)
    made = _constant(value, dtype, index)
    pd.testing.assert_series_equal(made, pd.Series(value, index=index, dtype=dtype))
