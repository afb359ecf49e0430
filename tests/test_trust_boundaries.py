"""Trust boundaries of intake (issue 13): the reporting window holds for nil returns, the member
is decided by where a file comes from (never by its content), hostile names, hidden files and
stray cells are reported, and a submission can be withdrawn from the next publication."""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pytest

from ingestion import validate
from ingestion.intake import ingest_path, validate_file
from pidc.contract import load_contract
from pidc.settings import home as make_home

TODAY = dt.date(2026, 11, 20)
PERMITS_HEADER = "member,period,permit_type,nationality,count\n"
REFUSALS_HEADER = "member,period,port,nationality,reason,count\n"


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path / "home").ensure()


def land(home, member: str, name: str, text: str, *, mtime: float | None = None):
    folder = home.landing / member if member else home.landing
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def rows(home, sql: str):
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# --- Time: every return, nil or not, obeys the reporting window -----------------------------


def test_a_header_only_csv_for_a_month_that_has_not_ended_is_refused(home):
    path = land(home, "FJI", "FJI_permits_2099-12.csv", PERMITS_HEADER)
    report = validate_file(path, "FJI", today=TODAY)
    assert not report.accepted
    [error] = report.errors
    assert error.rule == "reporting_window" and error.dataset == "permits"
    assert "2099-12" in error.message and "has not ended" in error.message
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected"
    assert rows(home, "select count(*) from raw.returns") == [(0,)]


def test_a_template_ticked_nil_for_a_future_month_is_refused(home, tmp_path):
    from ingestion.template import write_template

    datasets = set(load_contract().dataset_names)
    path = home.landing / "FJI" / "FJI_2030-06.xlsx"
    path.parent.mkdir(parents=True)
    write_template(path, "FJI", "2030-06", nil_datasets=datasets)
    report = validate_file(path, "FJI", today=TODAY)
    assert not report.accepted
    assert {p.dataset for p in report.errors if p.rule == "reporting_window"} == datasets
    assert all("2030-06" in p.message for p in report.errors)
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected"
    assert rows(home, "select count(*) from raw.returns") == [(0,)]


def test_nil_returns_before_the_history_floor_are_refused_and_back_issues_load(home, monkeypatch):
    back_issue = land(home, "FJI", "FJI_permits_2014-03.csv", PERMITS_HEADER)
    [outcome] = ingest_path(back_issue, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    assert rows(home, "select period, is_nil from raw.returns") == [("2014-03", True)]
    # With a later floor, an older nil return is refused like an older row.
    monkeypatch.setattr(validate, "reporting_window", lambda today=None: ("2000-01", "2026-10"))
    old = land(home, "FJI", "FJI_permits_1995-05.csv", PERMITS_HEADER)
    report = validate_file(old, "FJI", today=TODAY)
    [error] = report.errors
    assert error.rule == "reporting_window"
    assert "1995-05" in error.message and "2000-01" in error.message


def test_a_current_nil_return_beside_rows_is_still_accepted(home):
    path = land(home, "FJI", "FJI_permits_2026-10.csv", PERMITS_HEADER)
    assert validate_file(path, "FJI", today=TODAY).accepted


# --- Messages say what is actually wrong ----------------------------------------------------


def test_rows_with_different_unresolvable_values_are_not_called_duplicates(home):
    text = REFUSALS_HEADER + (
        "FJI,2026-10,FJNAN,Atlantis,C,1\n"
        "FJI,2026-10,FJNAN,Narnia,C,2\n"
        "FJI,2026-10,FJNAN,CHN,C,1\n"
        "FJI,2026-10,FJNAN,Chinese,C,2\n"  # a real duplicate once harmonised
    )
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", text)
    report = validate_file(path, "FJI", today=TODAY)
    unresolved = [p for p in report.errors if "not guessed" in p.message]
    assert {(p.row, p.value) for p in unresolved} == {(2, "Atlantis"), (3, "Narnia")}
    assert {p.row for p in report.errors if "repeats" in p.message} == {4, 5}


def test_a_blank_member_cell_is_called_blank_and_another_member_is_named(home):
    text = REFUSALS_HEADER + ",2026-10,FJNAN,CHN,C,1\nTON,2026-10,FJNAN,IND,C,1\n"
    path = land(home, "FJI", "FJI_refusals_2026-10.csv", text)
    report = validate_file(path, "FJI", today=TODAY)
    by_row = {p.row: p for p in report.errors if p.column == "member"}
    assert by_row[2].message == "The member is blank."
    assert "not the member submitting" not in by_row[2].message
    assert "TON" in by_row[3].message and "FJI" in by_row[3].message


# --- Stray cells beyond the template's columns are reported, never dropped silently ----------


def _refusals_template(path, extra_cells: dict[tuple[str, str], object]):
    import openpyxl
    import pandas as pd

    from ingestion.template import write_template

    refusals = pd.DataFrame(
        {"port": ["FJNAN"], "nationality": ["Chinese"], "reason": ["C"], "count": [4]}
    )
    write_template(path, "FJI", "2026-10", returns={"refusals": refusals})
    workbook = openpyxl.load_workbook(path)
    for (sheet, cell), value in extra_cells.items():
        workbook[sheet][cell] = value
    workbook.save(path)
    return path


def test_a_stray_cell_beyond_the_template_columns_is_an_error_naming_the_cell(home):
    path = home.landing / "FJI" / "FJI_2026-10.xlsx"
    path.parent.mkdir(parents=True)
    # H2 beside the row's figures; G9 on a row of its own (nothing else on that row)
    _refusals_template(path, {("refusals", "H2"): 17, ("refusals", "G9"): "checked by J."})
    report = validate_file(path, "FJI", today=TODAY)
    assert not report.accepted
    [stray] = [p for p in report.errors if p.rule == "stray_cells"]
    assert stray.sheet == "refusals" and stray.dataset == "refusals"
    assert "H2" in stray.message and "G9" in stray.message
    assert "17" in stray.message and "checked by J." in stray.message
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected"
    assert rows(home, "select count(*) from raw.refusals") == [(0,)]


def test_a_stray_cell_on_the_return_sheet_is_reported_too(home):
    path = home.landing / "FJI" / "FJI_2026-10.xlsx"
    path.parent.mkdir(parents=True)
    _refusals_template(path, {("Return", "C3"): "revised"})
    report = validate_file(path, "FJI", today=TODAY)
    [stray] = [p for p in report.errors if p.rule == "stray_cells"]
    assert stray.sheet == "Return" and "C3" in stray.message and "revised" in stray.message


# --- A killed publish leaves nothing behind for long ------------------------------------------


def test_a_publish_removes_what_a_killed_publish_left(tmp_path):
    from orchestration.publish import publish_serving

    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.m as select 1 as x")
    stale = tmp_path / ".serving.duckdb.0123456789abcdef0123456789abcdef.publishing"
    stale.write_bytes(b"half a database")
    stale_wal = stale.with_name(stale.name + ".wal")
    stale_wal.write_bytes(b"half a log")
    unrelated = tmp_path / ".other.duckdb.0123.publishing"
    unrelated.write_bytes(b"not ours")
    publish_serving(warehouse, serving)
    assert not stale.exists() and not stale_wal.exists()
    assert unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [serving.name, warehouse.name, unrelated.name]
    )
