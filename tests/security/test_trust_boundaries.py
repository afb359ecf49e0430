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


# --- Identity: the member is where the file comes from, never what it says ------------------


def _template(path, member: str, count: int):
    import pandas as pd

    from ingestion.template import write_template

    refusals = pd.DataFrame(
        {"port": ["_U"], "nationality": ["Chinese"], "reason": ["C"], "count": [count]}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_template(path, member, "2026-10", returns={"refusals": refusals})


def _ton_figures(home):
    return rows(
        home,
        "select r.count from raw.refusals r join raw.submissions s using (submission_id)"
        " where s.status = 'accepted' and r.member = 'TON'",
    )


def test_a_link_in_a_member_folder_is_refused_without_being_read(home, tmp_path):
    _template(home.landing / "TON" / "TON_2026-10.xlsx", "TON", 5)
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["accepted"]
    outside = _template(tmp_path / "elsewhere" / "TON_2026-10_v2.xlsx", "TON", 999)
    link = home.landing / "FJI" / "TON_2026-10_v2.xlsx"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    outcomes = ingest_path(home.landing, home, today=TODAY)
    [refused] = [o for o in outcomes if o.status == "refused"]
    assert refused.file_name == link.name and "link" in refused.message
    assert _ton_figures(home) == [(5,)]
    assert rows(home, "select count(*) from raw.submissions") == [(1,)]
    assert not any(p.name == outside.name for p in home.quarantine.rglob("*"))
    # Given directly (as the landing sensor does), the link is refused too.
    assert [o.status for o in ingest_path(link, home, today=TODAY)] == ["refused"]
    assert _ton_figures(home) == [(5,)]


def test_a_linked_folder_in_landing_is_refused(home, tmp_path):
    outside = tmp_path / "elsewhere"
    _template(outside / "TON_2026-10.xlsx", "TON", 999)
    (home.landing / "TON").symlink_to(outside, target_is_directory=True)
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [(o.file_name, o.status) for o in outcomes] == [("TON", "refused")]
    assert rows(home, "select count(*) from raw.submissions") == [(0,)]
    # A file reached through the linked folder is not TON's either.
    [outcome] = ingest_path(home.landing / "TON" / "TON_2026-10.xlsx", home, today=TODAY)
    assert outcome.status == "refused"
    assert _ton_figures(home) == []


def test_a_file_at_the_landing_root_is_not_anyones(home):
    _template(home.landing / "TON_2026-10.xlsx", "TON", 999)
    [outcome] = ingest_path(home.landing, home, today=TODAY)
    assert outcome.status == "rejected" and outcome.member is None
    assert "not in a member's folder" in outcome.message
    assert _ton_figures(home) == []
    assert rows(home, "select member, status from raw.submissions") == [(None, "rejected")]
    # The next run knows it already (it is not rejected again and again).
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["duplicate"]


def test_content_naming_another_member_is_refused(home):
    _template(home.landing / "FJI" / "TON_2026-10.xlsx", "TON", 999)
    [outcome] = ingest_path(home.landing, home, today=TODAY)
    assert outcome.status == "rejected" and outcome.member == "FJI"
    report = validate_file(home.landing / "FJI" / "TON_2026-10.xlsx", "FJI", today=TODAY)
    assert "says member TON, but the file was submitted by FJI" in report.errors[0].message
    assert _ton_figures(home) == []


def test_a_member_option_must_agree_with_the_member_folder(home):
    path = land(home, "TON", "TON_refusals_2026-10.csv", REFUSALS_HEADER)
    [outcome] = ingest_path(path, home, member="FJI", today=TODAY)
    assert outcome.status == "rejected"
    report = validate_file(path, "FJI", today=TODAY, home=home)
    assert "TON" in report.errors[0].message and "FJI" in report.errors[0].message


def test_a_file_outside_landing_needs_a_member(home, tmp_path):
    path = _template(tmp_path / "inbox" / "TON_2026-10.xlsx", "TON", 999)
    [outcome] = ingest_path(path, home, today=TODAY)
    assert outcome.status == "rejected" and outcome.member is None
    assert "--member" in validate_file(path, today=TODAY).errors[0].fix
    assert validate_file(path, "TON", today=TODAY).accepted


def test_pidc_ingest_refuses_links_in_the_folder_it_is_given(home, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "FJI_refusals_2026-09.csv").write_text(
        REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,3\n"
    )
    secret = tmp_path / "secret.csv"
    secret.write_text(REFUSALS_HEADER + "FJI,2026-08,FJNAN,CHN,C,3\n")
    (folder / "FJI_refusals_2026-08.csv").symlink_to(secret)
    result = CliRunner().invoke(
        app, ["ingest", str(folder), "--member", "FJI", "--home", str(home.root)]
    )
    assert result.exit_code == 0, result.output
    assert "refused FJI_refusals_2026-08.csv" in result.output
    assert "1 accepted, 0 rejected, 0 duplicate, 1 refused" in result.output
    assert rows(home, "select periods from raw.submissions") == [("2026-09",)]


# --- File names that display as something else or read as formulas ------------------------


@pytest.mark.parametrize(
    "name",
    [
        "FJI_refusals_2026-10_\u202egpj.csv",  # shows as FJI_refusals_2026-10_vsc.jpg
        "FJI_refusals_2026-10\u2066.csv",
        "FJI_refusals\u200b_2026-10.csv",
        "=HYPERLINK(1)_refusals_2026-10.csv",
        "+FJI_refusals_2026-10.csv",
        "-FJI_refusals_2026-10.csv",
        "@SUM(1)_refusals_2026-10.csv",
        " =1+1_refusals_2026-10.csv",
        "\u200b=1+1_refusals_2026-10.csv",
    ],
)
def test_names_that_hide_or_compute_are_refused_and_never_reach_the_ledger(home, name):
    path = land(home, "FJI", name, REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,3\n")
    report = validate_file(path, "FJI", today=TODAY)
    assert not report.accepted and report.errors[0].rule == "file_name"
    [outcome] = ingest_path(home.landing, home, today=TODAY)
    assert outcome.status == "rejected"
    [(ledger_name,)] = rows(home, "select file_name from raw.submissions")
    assert ledger_name == outcome.file_name
    assert not any(ord(ch) in (0x200B, 0x202E, 0x2066) for ch in ledger_name)
    assert ledger_name.lstrip()[0] not in "=+-@"
    assert rows(home, "select count(*) from raw.refusals") == [(0,)]
    folder = home.quarantine / outcome.submission_id
    assert ledger_name in {p.name for p in folder.iterdir()}
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["duplicate"]


def test_names_are_shown_neutralised():
    from ingestion.file_names import file_name_problem, shown_file_name

    assert shown_file_name("FJI_\u202egpj.csv") == "FJI_[U+202E]gpj.csv"
    assert shown_file_name("=HYPERLINK(1).csv") == "'=HYPERLINK(1).csv"
    assert shown_file_name("FJI_refusals_2026-10.csv") == "FJI_refusals_2026-10.csv"
    assert file_name_problem("FJI_refusals_2026-10.csv") is None
    assert "U+202E" in file_name_problem("FJI_\u202egpj.csv")
    assert "formula" in file_name_problem("@x.csv")


# --- Hidden and lock files are listed, not loaded --------------------------------------------


def test_hidden_and_lock_files_are_listed_as_skipped(home):
    land(home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,3\n")
    land(home, "FJI", ".FJI_refusals_2026-09.csv", REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,3\n")
    land(home, "FJI", "~$FJI_2026-10.xlsx", "lock")
    land(home, "FJI/.sync", "FJI_refusals_2026-08.csv", REFUSALS_HEADER)
    outcomes = ingest_path(home.landing, home, today=TODAY)
    skipped = {o.file_name: o for o in outcomes if o.status == "skipped"}
    assert set(skipped) == {".FJI_refusals_2026-09.csv", "~$FJI_2026-10.xlsx", ".sync"}
    assert "hidden" in skipped[".FJI_refusals_2026-09.csv"].message
    assert "lock file" in skipped["~$FJI_2026-10.xlsx"].message
    assert [o.status for o in outcomes if o.status != "skipped"] == ["accepted"]
    assert rows(home, "select periods from raw.submissions") == [("2026-10",)]


def test_pidc_ingest_lists_skipped_files(home):
    from typer.testing import CliRunner

    from cli.main import app

    land(home, "FJI", "FJI_refusals_2026-10.csv", REFUSALS_HEADER + "FJI,2026-10,FJNAN,CHN,C,3\n")
    land(home, "FJI", "~$FJI_2026-10.xlsx", "lock")
    result = CliRunner().invoke(app, ["ingest", str(home.landing), "--home", str(home.root)])
    assert result.exit_code == 0, result.output
    assert "skipped ~$FJI_2026-10.xlsx" in result.output
    assert "1 accepted, 0 rejected, 0 duplicate, 1 skipped" in result.output


def test_the_intake_asset_lists_what_it_did_not_read(home, tmp_path):
    import dagster as dg

    from orchestration.intake import build_intake_assets, scan_landing
    from orchestration.resources import HomeResource

    # Run on the real date: a month long past.
    land(home, "FJI", "FJI_refusals_2024-10.csv", REFUSALS_HEADER + "FJI,2024-10,FJNAN,CHN,C,3\n")
    land(home, "FJI", "~$FJI_2026-10.xlsx", "lock")
    outside = tmp_path / "outside.csv"
    outside.write_text(REFUSALS_HEADER)
    (home.landing / "FJI" / "FJI_refusals_2026-09.csv").symlink_to(outside)
    # The sensor does not even hash a link (it could point at anything).
    found, _ = scan_landing(home.landing, None, now=2e9, settle_seconds=0)
    assert [f.relative_path for f in found] == ["FJI/FJI_refusals_2024-10.csv"]
    result = dg.materialize(
        [build_intake_assets()], resources={"home": HomeResource(root=str(home.root))}
    )
    [materialization] = [
        m
        for m in result.asset_materializations_for_node("raw_tables")
        if m.asset_key == dg.AssetKey(["raw", "submissions"])
    ]
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert (metadata["files_accepted"], metadata["files_refused"], metadata["files_skipped"]) == (
        1,
        1,
        1,
    )
    assert "refused FJI/FJI_refusals_2026-09.csv" in metadata["set_aside"]
    assert "skipped FJI/~$FJI_2026-10.xlsx" in metadata["set_aside"]
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and "refused: FJI/FJI_refusals_2026-09.csv" in check.metadata


def test_a_landing_folder_that_is_itself_a_link_is_read(tmp_path):
    """An operator may mount the landing folder elsewhere; only links inside it are refused."""
    real = tmp_path / "mounted_landing"
    (real / "FJI").mkdir(parents=True)
    (real / "FJI" / "FJI_permits_2026-10.csv").write_text(PERMITS_HEADER)
    home = make_home(tmp_path / "home")
    home.root.mkdir()
    home.landing.symlink_to(real, target_is_directory=True)
    home.ensure()
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [(o.member, o.status) for o in outcomes] == [("FJI", "accepted")]


# --- Withdraw: the Secretariat takes a submission back out of publication --------------------


def _two_versions_and_a_single(home):
    """FJI refusals 2026-08 sent twice (5, then corrected to 7) and 2026-09 once (4)."""
    land(
        home,
        "FJI",
        "FJI_refusals_2026-08.csv",
        REFUSALS_HEADER + "FJI,2026-08,FJNAN,CHN,C,5\n",
        mtime=1_788_000_000,
    )
    land(
        home,
        "FJI",
        "FJI_refusals_2026-08_v2.csv",
        REFUSALS_HEADER + "FJI,2026-08,FJNAN,CHN,C,3\nFJI,2026-08,FJNAN,IND,C,4\n",
        mtime=1_788_100_000,
    )
    land(
        home,
        "FJI",
        "FJI_refusals_2026-09.csv",
        REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,4\n",
        mtime=1_790_000_000,
    )
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in outcomes] == ["accepted"] * 3
    return {o.file_name: o.submission_id for o in outcomes}


def test_withdrawing_a_correction_records_it_and_the_earlier_version_counts_again(home):
    from ingestion.loader import connect
    from ingestion.withdraw import withdraw_submission

    ids = _two_versions_and_a_single(home)
    first, second = ids["FJI_refusals_2026-08.csv"], ids["FJI_refusals_2026-08_v2.csv"]
    connection = connect(home.warehouse)
    try:
        done = withdraw_submission(
            connection,
            second,
            reason="figures for another month",
            withdrawn_by="secretariat.data",
            now=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC),
        )
    finally:
        connection.close()
    assert done.returns == [("refusals", "2026-08", first)]
    assert "earlier version" in done.summary()
    assert dict(rows(home, "select submission_id, status from raw.submissions")) == {
        first: "accepted",
        second: "withdrawn",
        ids["FJI_refusals_2026-09.csv"]: "accepted",
    }
    assert rows(home, "select * from raw.withdrawals") == [
        (
            second,
            dt.datetime(2026, 11, 25, 9, 30),
            "secretariat.data",
            "figures for another month",
            "accepted",
        )
    ]
    # Nothing is deleted: raw keeps every row of every version.
    assert rows(home, "select count(*) from raw.refusals") == [(4,)]


def test_what_cannot_be_withdrawn_says_why(home):
    from ingestion.loader import connect
    from ingestion.withdraw import WithdrawalError, withdraw_submission

    ids = _two_versions_and_a_single(home)
    bad = land(home, "FJI", "FJI_refusals_2026-07.csv", REFUSALS_HEADER + "FJI,2026-07,X,Y,Z,1\n")
    [rejected] = ingest_path(bad, home, today=TODAY)
    single = ids["FJI_refusals_2026-09.csv"]
    connection = connect(home.warehouse)
    try:
        with pytest.raises(WithdrawalError, match="reason"):
            withdraw_submission(connection, single, reason="  ", withdrawn_by="me")
        with pytest.raises(WithdrawalError, match="no submission 'nope'"):
            withdraw_submission(connection, "nope", reason="r", withdrawn_by="me")
        with pytest.raises(WithdrawalError, match="was rejected"):
            withdraw_submission(connection, rejected.submission_id, reason="r", withdrawn_by="me")
        done = withdraw_submission(connection, single, reason="sent by mistake", withdrawn_by="me")
        assert done.returns == [("refusals", "2026-09", None)]
        assert "leaves the publication" in done.summary()
        with pytest.raises(WithdrawalError, match=r"already withdrawn .* by me \(sent by mistake"):
            withdraw_submission(connection, single, reason="again", withdrawn_by="me")
    finally:
        connection.close()
    # The same bytes sent again are still the withdrawn file: not loaded again.
    again = land(
        home,
        "FJI",
        "FJI_refusals_2026-09_again.csv",
        REFUSALS_HEADER + "FJI,2026-09,FJNAN,CHN,C,4\n",
    )
    [outcome] = ingest_path(again, home, today=TODAY)
    assert outcome.status == "duplicate" and "withdrawn" in outcome.message


def test_a_later_version_supersedes_but_never_revives_a_withdrawn_one(home):
    from ingestion.loader import connect
    from ingestion.withdraw import withdraw_submission

    ids = _two_versions_and_a_single(home)
    second = ids["FJI_refusals_2026-08_v2.csv"]
    connection = connect(home.warehouse)
    try:
        withdraw_submission(connection, second, reason="wrong", withdrawn_by="me")
    finally:
        connection.close()
    third = land(
        home, "FJI", "FJI_refusals_2026-08_v3.csv", REFUSALS_HEADER + "FJI,2026-08,FJNAN,CHN,C,6\n"
    )
    [outcome] = ingest_path(third, home, today=TODAY)
    assert outcome.status == "accepted"
    assert dict(rows(home, "select submission_id, status from raw.submissions")) == {
        ids["FJI_refusals_2026-08.csv"]: "superseded",
        second: "withdrawn",
        ids["FJI_refusals_2026-09.csv"]: "accepted",
        outcome.submission_id: "accepted",
    }


def test_an_existing_home_gains_the_withdrawals_table(home):
    from ingestion.loader import connect

    _two_versions_and_a_single(home)
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute("drop table raw.withdrawals")  # as a home from before withdrawals
    connect(home.warehouse).close()
    assert rows(home, "select count(*) from raw.withdrawals") == [(0,)]


def test_pidc_withdraw(home):
    from typer.testing import CliRunner

    from cli.main import app

    ids = _two_versions_and_a_single(home)
    second = ids["FJI_refusals_2026-08_v2.csv"]
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "withdraw",
            second,
            "--reason",
            "duplicate of May",
            "--by",
            "ana",
            "--home",
            str(home.root),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Withdrew submission {second}" in result.output
    assert rows(home, "select withdrawn_by, reason from raw.withdrawals") == [
        ("ana", "duplicate of May")
    ]
    again = runner.invoke(app, ["withdraw", second, "--reason", "x", "--home", str(home.root)])
    assert again.exit_code == 1 and "already withdrawn" in again.output
    missing_reason = runner.invoke(app, ["withdraw", second, "--home", str(home.root)])
    assert missing_reason.exit_code == 2


def _run_dbt(home, args: list[str]) -> list[str]:
    from support.warehouse import run_dbt

    return run_dbt(home.root, args, home.root / "dbt_target")


@pytest.mark.slow
def test_withdrawn_figures_leave_the_facts_at_the_next_build(home):
    """Through dbt: the facts drop a withdrawn return, or fall back to its earlier version, on
    an incremental build after the withdrawal."""
    from ingestion.loader import connect
    from ingestion.withdraw import withdraw_submission

    ids = _two_versions_and_a_single(home)
    # An older month (outside the facts' incremental look-back) whose correction has the same
    # row count and total as its first version, only another breakdown.
    march = land(
        home, "FJI", "FJI_refusals_2026-03.csv", REFUSALS_HEADER + "FJI,2026-03,FJNAN,CHN,C,5\n"
    )
    march_v2 = land(
        home, "FJI", "FJI_refusals_2026-03_v2.csv", REFUSALS_HEADER + "FJI,2026-03,FJNAN,IND,C,5\n"
    )
    for path in (march, march_v2):
        [outcome] = ingest_path(path, home, today=TODAY)
        ids[path.name] = outcome.submission_id
    # A nil return for December 2099 accepted before nil returns obeyed the window: withdrawing
    # it is how an existing home is cleaned up, and the calendar must shrink back.
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute(
            "insert into raw.submissions (submission_id, member, file_name, file_sha256,"
            " received_at, status, rows_read, rows_loaded, rows_rejected)"
            " values ('old-2099', 'FJI', 'FJI_permits_2099-12.csv', 'x', '2026-11-01', 'accepted',"
            " 0, 0, 0)"
        )
        connection.execute(
            "insert into raw.returns (submission_id, member, dataset, period, is_nil, row_count,"
            " received_at) values ('old-2099', 'FJI', 'permits', '2099-12', true, 0, '2026-11-01')"
        )
    ids["old-2099"] = "old-2099"
    # cautious: only the tests whose every model is selected (not those reaching other marts)
    select = ["--select", "+fct_refusals", "stg_raw__submissions", "stg_raw__returns"]
    # dim_months reads the seed by name, and the calendar int_months
    select += ["reporting_settings", "int_months", "dim_months"]
    select += ["--indirect-selection", "cautious"]

    def facts():
        return rows(
            home,
            "select period_month, sum(observed_count) from marts.fct_refusals"
            " where member_code = 'FJI' group by all order by all",
        )

    def march_nationalities():
        return rows(
            home,
            "select nationality_code from marts.fct_refusals"
            " where member_code = 'FJI' and period_month = date '2026-03-01'",
        )

    assert _run_dbt(home, ["build", *select]) == []
    assert facts() == [
        (dt.date(2026, 3, 1), 5),
        (dt.date(2026, 8, 1), 7),
        (dt.date(2026, 9, 1), 4),
    ]
    assert march_nationalities() == [("IND",)]
    assert rows(home, "select max(period_month) from marts.dim_months") == [(dt.date(2099, 12, 1),)]
    connection = connect(home.warehouse)
    try:
        for name in (
            "FJI_refusals_2026-08_v2.csv",
            "FJI_refusals_2026-09.csv",
            "FJI_refusals_2026-03_v2.csv",
            "old-2099",
        ):
            withdraw_submission(connection, ids[name], reason="test", withdrawn_by="me")
    finally:
        connection.close()
    assert _run_dbt(home, ["build", *select]) == []
    # 2026-08 falls back to the first version (5); 2026-09 had no other version: gone.
    assert facts() == [(dt.date(2026, 3, 1), 5), (dt.date(2026, 8, 1), 5)]
    # The same total, but the first version's breakdown again, even outside the look-back.
    assert march_nationalities() == [("CHN",)]
    assert rows(home, "select max(period_month) < date '2099-01-01' from marts.dim_months") == [
        (True,)
    ]
    current = rows(
        home,
        "select submission_id from intermediate.int_return_versions where is_current order by all",
    )
    assert current == sorted(
        [(ids["FJI_refusals_2026-08.csv"],), (ids["FJI_refusals_2026-03.csv"],)]
    )


def test_a_pipe_is_refused_without_being_read(home):
    fifo = home.landing / "FJI" / "FJI_refusals_2026-10.csv"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["refused"]
    assert [o.status for o in ingest_path(fifo, home, today=TODAY)] == ["refused"]
    assert not validate_file(fifo, "FJI", today=TODAY, home=home).accepted
