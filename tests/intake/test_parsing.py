"""Parsers: periods, counts and CSV files in the notations and encodings members really use."""

from __future__ import annotations

import datetime as dt

import pytest

from ingestion.errors import UnreadableFileError
from ingestion.parsers.common import CountError, PeriodError, parse_count, parse_period
from ingestion.parsers.csv_returns import dataset_from_file_name, decode_text, parse_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10", "2026-10"),
        ("2026/10", "2026-10"),
        ("10/2026", "2026-10"),
        ("Oct-2026", "2026-10"),
        ("October 2026", "2026-10"),
        ("oct-26", "2026-10"),
        ("Sept 2026", "2026-09"),
        ("2026-10-01", "2026-10"),
        (dt.date(2026, 10, 1), "2026-10"),
        (dt.datetime(2026, 10, 31, 12), "2026-10"),
        (46296, "2026-10"),  # Excel serial for 2026-10-01
    ],
)
def test_parse_period_accepts_member_notations(value, expected):
    assert parse_period(value) == expected


@pytest.mark.parametrize("value", ["", "2026-13", "13/2026", "Octember 2026", 12.5, "FY2026"])
def test_parse_period_refuses_what_is_not_a_month(value):
    with pytest.raises(PeriodError):
        parse_period(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1019, 1019),
        (1019.0, 1019),
        ("1,019", 1019),
        ("1 019", 1019),
        ("-", 0),
        ("0", 0),
        ("12", 12),
        (" 7 ", 7),
        (10**12, 10**12),
        ("1,000,000,000,000", 10**12),
    ],
)
def test_parse_count_reads_spreadsheet_numbers(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "blank"),
        (float("nan"), "blank"),
        ("-3", "negative"),
        (2.5, "whole"),
        ("abc", "not a number"),
        (True, "not a count"),
        ("99999999999999999999", "too large"),
        (1e20, "too large"),
        (10**12 + 1, "too large"),
        (2**63, "too large"),
        (float("inf"), "whole"),
    ],
)
def test_parse_count_never_confuses_blank_with_zero(value, reason):
    with pytest.raises(CountError, match=reason):
        parse_count(value)


def test_dataset_from_file_name_prefers_longest_name():
    assert dataset_from_file_name("FJI_document_fraud_2026-10.csv") == "document_fraud"
    assert dataset_from_file_name("TON-refusals-Oct.csv") == "refusals"
    assert dataset_from_file_name("return.csv") is None


REFUSALS = 'member,period,port,nationality,reason,count\nFJI,2026-10,FJNAN,Chinese,C,"1,019"\n'


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ";"), ("utf-16", ","), ("latin-1", ";")],
)
def test_csv_in_every_encoding_and_delimiter(tmp_path, encoding, delimiter):
    text = REFUSALS.replace("Chinese", "Curaçao") if encoding != "utf-8" else REFUSALS
    if delimiter == ";":
        text = text.replace(",", ";").replace('"1;019"', "1019")
    path = tmp_path / "FJI_refusals_2026-10.csv"
    path.write_bytes(text.encode(encoding))
    parsed = parse_csv(path, "FJI")
    frame = parsed.frames["refusals"]
    assert not parsed.problems
    assert list(frame["nationality"]) == (["Curaçao"] if encoding != "utf-8" else ["Chinese"])
    assert list(frame["count"]) == (["1,019"] if delimiter == "," else ["1019"])
    assert list(frame["source_row"]) == [2]


def test_decode_text_reports_the_encoding_it_used():
    assert decode_text("é".encode("cp1252"))[1] == "cp1252"
    assert decode_text("é".encode())[1] == "utf-8"
    assert decode_text("\ufeffa".encode())[1] == "utf-8-sig"


def test_csv_header_only_is_a_nil_return_for_the_month_in_its_name(tmp_path):
    path = tmp_path / "NIU_irregular_2026-08.csv"
    path.write_text("member,period,category,nationality,sex,age_group,detection_location,count\n")
    parsed = parse_csv(path, "NIU")
    assert parsed.nil_returns == {"irregular": {"2026-08"}}
    assert parsed.frames["irregular"].empty


def test_csv_nil_return_without_month_in_name_is_refused(tmp_path):
    path = tmp_path / "NIU_irregular.csv"
    path.write_text("member,period,category,nationality,sex,age_group,detection_location,count\n")
    with pytest.raises(UnreadableFileError, match="does not say which month"):
        parse_csv(path, "NIU")


def test_csv_missing_and_unknown_columns_are_each_reported(tmp_path):
    path = tmp_path / "FJI_refusals_2026-10.csv"
    path.write_text("member,period,port,citizenship,reason,count\nFJI,2026-10,FJNAN,CHN,C,1\n")
    parsed = parse_csv(path, "FJI")
    messages = [p.message for p in parsed.problems]
    assert "The column 'nationality' is missing." in messages
    assert "The column 'citizenship' is not part of the refusals dataset." in messages


def test_csv_keeps_namibia_alpha2_as_text(tmp_path):
    path = tmp_path / "FJI_refusals_2026-10.csv"
    path.write_text("member,period,port,nationality,reason,count\nFJI,2026-10,FJNAN,NA,C,1\n")
    assert list(parse_csv(path, "FJI").frames["refusals"]["nationality"]) == ["NA"]
