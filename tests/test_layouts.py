"""Declared layouts and SDMX-CSV: members' own shapes ingest without new Python."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from ingestion.errors import UnreadableFileError
from ingestion.intake import ingest_path, validate_file
from ingestion.parsers.declared_layout import (
    LayoutError,
    declared_layouts,
    load_layout,
    parse_declared,
)
from ingestion.parsers.sdmx_csv import parse_sdmx_csv
from ingestion.validate import validate_submission
from pidc.settings import PROJECT_ROOT
from pidc.settings import home as make_home

REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"
FIJI_WORKBOOK = REAL / "fiji_fbos_visitor_arrivals_tables_2017-2022.xlsx"
PDH_SDMX = REAL / "spc_pdh_sdmx_csv_DF_CLIMATE_CHANGE_TRSM_ARR_fiji.csv"
FIXTURE_LAYOUT = Path(__file__).parent / "fixtures" / "layouts" / "ton_refusals_wide_months.yaml"
TODAY = dt.date(2026, 11, 20)

needs_real = pytest.mark.skipif(not FIJI_WORKBOOK.exists(), reason="shared/data/real is absent")


def write_wide_refusals(path: Path, *, total_for_august: object = 10, fijian_total: object = 5):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Refusals 2026")
    sheet.write_row(0, 0, ["REFUSALS OF ENTRY BY NATIONALITY (1)"])
    sheet.write_row(2, 0, ["NATIONALITY", "Jul", "Aug", "Sep", "TOTAL"])
    sheet.write_row(3, 0, ["", "2026", "2026", "2026", ""])
    sheet.write_row(4, 0, ["China (2)", "1,019", 7, "-", None])
    sheet.write_row(5, 0, ["Fijian", 2, 3, 0, fijian_total])
    sheet.write_row(6, 0, ["% of total", 0.5, 0.3, 0, None])
    sheet.write_row(7, 0, ["TOTAL", None, total_for_august, 0, None])
    sheet.write_row(9, 0, ["Note: (1) provisional (2) incl. Hong Kong"])
    workbook.close()
    return path


def test_wide_month_layout_reads_multirow_headers_dashes_and_thousands(tmp_path):
    layout = load_layout(FIXTURE_LAYOUT)
    parsed = parse_declared(write_wide_refusals(tmp_path / "ton.xlsx"), "TON", layout)
    assert not [p for p in parsed.problems if p.severity == "error"]
    frame = parsed.frames["refusals"]
    assert list(frame["period"].unique()) == ["2026-07", "2026-08", "2026-09"]
    china = frame[frame["nationality"] == "China (2)"]
    assert list(china["count"]) == ["1,019", "7", "-"]
    assert set(frame["nationality"]) == {"China (2)", "Fijian"}  # total and % rows not loaded
    validated = validate_submission(parsed, "TON", today=TODAY)
    assert not validated.problems
    assert sorted(r.period for r in validated.returns) == ["2026-07", "2026-08", "2026-09"]
    july = next(r for r in validated.returns if r.period == "2026-07")
    assert dict(zip(july.rows["nationality"], july.rows["count"], strict=True)) == {
        "China (2)": 1019,
        "Fijian": 2,
    }


def test_totals_that_do_not_reconcile_are_errors(tmp_path):
    layout = load_layout(FIXTURE_LAYOUT)
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "ton.xlsx", total_for_august=11), "TON", layout
    )
    [problem] = [p for p in parsed.problems if p.severity == "error"]
    assert problem.message == "The total for 2026-08 is 11 but the rows above add up to 10."
    assert (problem.sheet, problem.row) == ("Refusals 2026", 8)
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "t2.xlsx", fijian_total=6), "TON", layout
    )
    [problem] = [p for p in parsed.problems if p.severity == "error"]
    assert problem.message == "The row total for 'Fijian' is 6 but its months add up to 5."
    assert (problem.row, problem.column, problem.value) == (6, "total", "6")


def test_layout_file_errors_name_the_key_to_fix(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(FIXTURE_LAYOUT.read_text().replace("      reason: OTH\n", ""))
    with pytest.raises(LayoutError, match="constants must give exactly"):
        load_layout(broken)
    broken.write_text(
        FIXTURE_LAYOUT.read_text().replace(
            "orientation: periods_in_columns", "orientation: diagonal"
        )
    )
    with pytest.raises(LayoutError, match="orientation must be one of"):
        load_layout(broken)


def test_shipped_layouts_load():
    assert [layout.name for layout in declared_layouts()] == ["fji-fbos-visitor-arrivals"]


@needs_real
def test_real_fiji_workbook_ingests_with_counts_matching_its_own_totals(tmp_path):
    home = make_home(tmp_path / "home").ensure()
    landed = home.landing / "FJI" / FIJI_WORKBOOK.name
    landed.parent.mkdir(parents=True)
    landed.write_bytes(FIJI_WORKBOOK.read_bytes())
    [outcome] = ingest_path(landed, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        by_residence = dict(
            connection.execute(
                "select left(period, 4), sum(count) from raw.movements where purpose = '_T' group by 1"
            ).fetchall()
        )
        by_purpose = dict(
            connection.execute(
                "select left(period, 4), sum(count) from raw.movements where country = '_T' group by 1"
            ).fetchall()
        )
        months = connection.execute("select count(*) from raw.returns").fetchone()[0]
        # Each return's stored total counts the two-way table once.
        stored = connection.execute(
            "select sum(total_count) from raw.returns where period like '2020-%'"
        ).fetchone()[0]
    # The workbook's own annual totals (T2 and T3 rows 12-13) and its 2022 months.
    assert by_residence == by_purpose == {"2020": 146905, "2021": 31618, "2022": 354277}
    assert months == 32  # January 2020 to August 2022
    assert stored == 146905
    report = (outcome.report_path.parent / "report.md").read_text()
    assert "32 rows are marked provisional [p]" in report
    assert "annual figures are not loaded" in report


@needs_real
def test_real_fiji_workbook_country_groups_stay_groups():
    layout = declared_layouts()[0]
    parsed = parse_declared(FIJI_WORKBOOK, "FJI", layout)
    validated = validate_submission(parsed, "FJI", today=TODAY)
    assert not [p for p in validated.problems if p.severity == "error"]
    rows = validated.returns[0].rows
    assert {"PACIFIC ISLANDS", "REST OF ASIA", "CONTINENTAL EUROPE"} <= set(rows["country"])


def test_workbook_with_no_template_sheet_and_no_layout_is_refused_plainly(tmp_path):
    path = write_wide_refusals(tmp_path / "ton.xlsx")
    report = validate_file(path, "FJI", today=TODAY)
    assert "neither the regional template" in report.errors[0].message
    assert "declare your workbook's layout" in report.errors[0].fix


SDMX = (
    "DATAFLOW,FREQ,GEO_PICT,TIME_PERIOD,PORT,NATIONALITY,REASON,OBS_VALUE,OBS_STATUS,CONF_STATUS\n"
    "PIDC:DF_REFUSALS(1.0),M,TO,2026-M09,TOTBU,CN,C,4,,\n"
    "PIDC:DF_REFUSALS(1.0),M,TO,2026-09,TOTBU,FJ,A,2,,\n"
)


def test_sdmx_csv_with_alpha2_codes_and_empty_attributes(tmp_path):
    path = tmp_path / "TON_sdmx.csv"
    path.write_text(SDMX)
    parsed = parse_sdmx_csv(path, "TON")
    assert not parsed.problems
    frame = parsed.frames["refusals"]
    assert list(frame["member"]) == ["TON", "TON"]
    assert list(frame["period"]) == ["2026-09", "2026-09"]
    validated = validate_submission(parsed, "TON", today=TODAY)
    assert not validated.problems
    assert list(validated.returns[0].rows["count"]) == [4, 2]


@needs_real
def test_real_pdh_annual_export_is_refused_as_not_monthly():
    with pytest.raises(UnreadableFileError, match=r"holds A \(not monthly\) observations"):
        parse_sdmx_csv(PDH_SDMX, "FJI")
