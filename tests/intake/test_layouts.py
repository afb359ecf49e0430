"""Declared layouts and SDMX-CSV: members' own publications ingest without new Python.

The real national publications are read from ``../shared/data/real`` (never committed here);
tests that need them skip cleanly when that folder is absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
import xlsxwriter

from ingestion.errors import UnreadableFileError
from ingestion.intake import ingest_path, validate_file
from ingestion.layout_schema import (
    LayoutError,
    declared_layouts,
    layouts_dir,
    layouts_version,
    load_layout,
)
from ingestion.parsers import parse_file
from ingestion.parsers.declared_layout import (
    matching_layouts,
    month_number,
    parse_declared,
    period_in_text,
    read_count,
)
from ingestion.parsers.sdmx_csv import parse_sdmx_csv
from ingestion.validate import validate_submission
from pidc.escaping import escape_markdown
from pidc.settings import PROJECT_ROOT
from pidc.settings import home as make_home

REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"
FIJI_WORKBOOK = REAL / "fiji_fbos_visitor_arrivals_tables_2017-2022.xlsx"
TONGA = sorted((REAL / "tonga_migration_reports").glob("*.csv"))
VANUATU = sorted((REAL / "vanuatu_visitor_arrivals").glob("*.csv"))
PDH_SDMX = REAL / "spc_pdh_sdmx_csv_DF_CLIMATE_CHANGE_TRSM_ARR_fiji.csv"
FIXTURE_LAYOUT = Path(__file__).parent / "fixtures" / "layouts" / "ton_refusals_wide_months.yaml"
TODAY = dt.date(2026, 11, 20)

needs_real = pytest.mark.skipif(not FIJI_WORKBOOK.exists(), reason="shared/data/real is absent")


def write_wide_refusals(
    path: Path,
    *,
    total_for_august: object = 10,
    fijian_total: int = 5,
    october: bool = False,
    first_label: str = "China (2)",
):
    """A publication with months across: month and year on two header rows."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Refusals 2026")
    months = ["Jul", "Aug", "Sep"] + (["October"] if october else [])
    extra = [1] if october else []
    sheet.write_row(0, 0, ["REFUSALS OF ENTRY BY NATIONALITY (1)"])
    sheet.write_row(2, 0, ["NATIONALITY", *months, "TOTAL"])
    sheet.write_row(3, 0, ["", *["2026"] * len(months), ""])
    sheet.write_row(4, 0, [first_label, "1,019", 7, "-", *extra, 1026 + len(extra)])
    sheet.write_row(5, 0, ["Fijian", 2, 3, 0, *extra, fijian_total + len(extra)])
    sheet.write_row(6, 0, ["% of total", 0.5, 0.3, 0, *extra, None])
    sheet.write_row(7, 0, ["TOTAL", None, total_for_august, 0, *([2] if october else []), None])
    sheet.write_row(9, 0, ["Note: (1) provisional (2) incl. Hong Kong"])
    workbook.close()
    return path


def errors(parsed, audience: str | None = None):
    return [
        p
        for p in parsed.problems
        if p.severity == "error" and (audience is None or p.audience == audience)
    ]


def with_layout(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "layout.yaml"
    path.write_text(text)
    return path


# -- reading ---------------------------------------------------------------------------------


def test_wide_month_layout_reads_multirow_headers_dashes_thousands_and_footnotes(tmp_path):
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "ton.xlsx"), "TON", load_layout(FIXTURE_LAYOUT)
    )
    assert not errors(parsed)
    frame = parsed.frames["refusals"]
    assert sorted(frame["period"].unique()) == ["2026-07", "2026-08", "2026-09"]
    # Labels resolve in the parser: footnote markers and demonyms included.
    assert set(frame["nationality"]) == {"CHN", "FJI"}
    china = frame[frame["nationality"] == "CHN"].sort_values("period")
    assert list(china["count"]) == ["1019", "7", "0"]
    # One record per cell: the lineage tells the cells of one row apart.
    assert sorted(china["source_column"]) == ["B", "C", "D"]
    validated = validate_submission(parsed, "TON", today=TODAY)
    assert not validated.problems
    july = next(r for r in validated.returns if r.period == "2026-07")
    assert dict(zip(july.rows["nationality"], july.rows["count"], strict=True)) == {
        "CHN": 1019,
        "FJI": 2,
    }
    [summary] = parsed.summaries
    assert summary.loaded_total == summary.file_total == 1019 + 7 + 2 + 3
    assert summary.skipped_rows == ["7 (% of total)"]


def test_next_months_column_loads_with_no_edit_to_the_layout(tmp_path):
    path = write_wide_refusals(tmp_path / "ton.xlsx", october=True)
    parsed = parse_declared(path, "TON", load_layout(FIXTURE_LAYOUT))
    assert not errors(parsed)
    assert "2026-10" in set(parsed.frames["refusals"]["period"])


def test_totals_that_do_not_reconcile_are_the_members_errors(tmp_path):
    layout = load_layout(FIXTURE_LAYOUT)
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "ton.xlsx", total_for_august=11), "TON", layout
    )
    [problem] = errors(parsed)
    assert problem.message == "The total in column C is 11 but the rows above add up to 10."
    assert (problem.sheet, problem.row, problem.audience) == ("Refusals 2026", 8, "member")
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "t2.xlsx", fijian_total=6), "TON", layout
    )
    [problem] = errors(parsed)
    assert problem.message == "The total for 'Fijian' is 6 but its detail adds up to 5."
    assert (problem.row, problem.column, problem.value) == (6, "E", "6")


def test_a_column_range_narrower_than_the_sheet_reports_the_months_it_would_drop(tmp_path):
    text = FIXTURE_LAYOUT.read_text().replace("      from: B\n", "      from: B\n      to: C\n")
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "ton.xlsx"), "TON", load_layout(with_layout(tmp_path, text))
    )
    [problem] = [p for p in errors(parsed) if p.column == "D"]
    assert "does not read: they would be dropped" in problem.message
    assert problem.audience == "secretariat"


def test_a_stop_word_that_ends_the_table_early_is_the_secretariats_error(tmp_path):
    text = FIXTURE_LAYOUT.read_text().replace('stop: ["^note"', 'stop: ["^fij", "^note"')
    parsed = parse_declared(
        write_wide_refusals(tmp_path / "ton.xlsx"), "TON", load_layout(with_layout(tmp_path, text))
    )
    [problem] = errors(parsed, "secretariat")
    assert "below the row that ends the table" in problem.message
    assert "narrow `rows.stop`" in problem.fix
    assert not errors(parsed, "member")


def test_an_unmapped_label_is_reported_once_to_the_secretariat_with_what_to_add(
    tmp_path, monkeypatch
):
    path = write_wide_refusals(tmp_path / "ton.xlsx", first_label="Ruritania")
    parsed = parse_declared(path, "TON", load_layout(FIXTURE_LAYOUT))
    [problem] = errors(parsed)
    assert problem.audience == "secretariat"
    assert "'Ruritania'" in problem.message and "row 5" in problem.message
    assert "add `Ruritania: CODE` under `labels`" in problem.fix
    monkeypatch.setenv("PIDC_LAYOUTS_DIR", str(FIXTURE_LAYOUT.parent))
    report = validate_file(path, "TON", today=TODAY)
    markdown = report.to_markdown()
    assert "For the Secretariat" in markdown
    assert "The member has nothing to correct" in markdown


@pytest.mark.parametrize(
    ("text", "month"),
    [("January", 1), ("Jan", 1), ("Jul[p]", 7), ("Ap", 4), ("November month", 11), ("Sept", 9)],
)
def test_month_headers_as_publications_write_them(text, month):
    assert month_number(text) == month


def test_period_from_a_file_name_and_noisy_pdf_figures():
    assert period_in_text("03-March-Migration-Report-2015") == "2015-03"
    assert period_in_text("06-Migration-Report-Jun-2016") == "2016-06"
    assert period_in_text("Migration-January-Report-2020") == "2020-01"
    assert [read_count(v) for v in ("1 ,019", "2,317 ", "-", "12.0")] == [1019, 2317, 0, 12]


# -- the layout files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "right"),
    [('      totals: ["^total$"]\n    rows', None), ("skip", "skiprows"), ("from", "form")],
)
def test_misspelt_layout_keys_are_refused_with_the_nearest_valid_key(tmp_path, wrong, right):
    text = FIXTURE_LAYOUT.read_text()
    if right is None:  # `totals_column` instead of `totals` under columns
        text = text.replace('      totals: ["^total$"]\n', '      totals_column: ["^total$"]\n')
        with pytest.raises(
            LayoutError, match=r"unknown key 'totals_column'; did you mean 'totals'"
        ):
            load_layout(with_layout(tmp_path, text))
        return
    text = text.replace(f"      {wrong}:", f"      {right}:", 1)
    with pytest.raises(LayoutError, match=rf"unknown key '{right}'; did you mean '{wrong}'"):
        load_layout(with_layout(tmp_path, text))


def test_a_layout_naming_a_breakdown_the_dataset_lacks_is_refused(tmp_path):
    text = FIXTURE_LAYOUT.read_text().replace("reason: OTH", "raeson: OTH")
    with pytest.raises(LayoutError, match=r"'raeson' is not a breakdown of refusals; did you mean"):
        load_layout(with_layout(tmp_path, text))


def test_shipped_layouts_are_discovered_valid_and_short():
    shipped = sorted(layouts_dir().glob("*.yaml"))
    assert shipped, f"no layouts in {layouts_dir()}"
    layouts = declared_layouts()
    assert len(layouts) == len(shipped)
    for path in shipped:
        assert len(path.read_text().splitlines()) < 40, f"{path.name} is 40 lines or more"


def test_the_layout_folder_is_a_setting_and_changes_apply_without_a_restart(tmp_path, monkeypatch):
    folder = tmp_path / "layouts"
    folder.mkdir()
    monkeypatch.setenv("PIDC_LAYOUTS_DIR", str(folder))
    path = write_wide_refusals(tmp_path / "ton.xlsx")
    assert layouts_dir() == folder.resolve()
    assert matching_layouts(path, "TON", ["Refusals 2026"]) == []
    target = folder / "ton.yaml"
    target.write_text(FIXTURE_LAYOUT.read_text())
    [found] = matching_layouts(path, "TON", ["Refusals 2026"])
    assert found.name == "ton-refusals-wide-months"
    time.sleep(0.01)
    target.write_text(FIXTURE_LAYOUT.read_text().replace("name: ton-", "name: tonga-"))
    os.utime(target, ns=(time.time_ns(), time.time_ns()))
    [found] = matching_layouts(path, "TON", ["Refusals 2026"])
    assert found.name == "tonga-refusals-wide-months"


# -- file routing ----------------------------------------------------------------------------


def test_workbook_with_no_template_sheet_and_no_layout_is_refused_plainly(tmp_path):
    path = write_wide_refusals(tmp_path / "ton.xlsx")
    report = validate_file(path, "FJI", today=TODAY)
    assert "neither the regional template" in report.errors[0].message
    assert "declare a layout for this publication" in report.errors[0].fix


def test_a_csv_named_without_a_dataset_and_no_layout_points_to_layouts(tmp_path):
    path = tmp_path / "Monthly-Report-March-2026.csv"
    path.write_text("Country,Total\nFiji,3\n")
    with pytest.raises(UnreadableFileError) as raised:
        parse_file(path, "csv", "TON")
    assert "no declared layout of TON matches" in raised.value.message
    assert "declare a layout for this publication" in raised.value.fix


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


# -- the real publications, file by file (the whole path is in test_real_publications.py) ----


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def tonga_printed_total(path: Path) -> int:
    """The sum of the report's own Total column, read independently of the layout code."""
    return sum(int(row[2].replace(" ", "").replace(",", "")) for row in csv_rows(path)[1:] if row)


def vanuatu_printed_total(path: Path) -> int:
    """The Total column of the monthly rows (a month given), read independently."""
    return sum(int(row[-1]) for row in csv_rows(path)[1:] if row and row[2].strip())


@needs_real
@pytest.mark.parametrize("path", TONGA, ids=lambda p: p.name)
def test_every_tonga_edition_reads_through_one_layout(path):
    [layout] = matching_layouts(path, "TON", None)
    assert layout.name == "ton-migration-report"
    parsed = parse_file(path, "csv", "TON")
    assert not errors(parsed), errors(parsed)
    [summary] = parsed.summaries
    assert summary.months == [period_in_text(path.stem)]
    assert summary.loaded_total == summary.file_total == tonga_printed_total(path)


@needs_real
@pytest.mark.parametrize("path", VANUATU, ids=lambda p: p.name)
def test_both_vanuatu_editions_read_through_one_layout(path):
    [layout] = matching_layouts(path, "VUT", None)
    assert layout.name == "vut-visitor-arrivals"
    parsed = parse_file(path, "csv", "VUT")
    assert not errors(parsed), errors(parsed)
    [summary] = parsed.summaries
    assert summary.loaded_total == summary.file_total == vanuatu_printed_total(path)


@needs_real
def test_real_fiji_workbook_reads_every_table_with_its_own_totals():
    parsed = parse_file(FIJI_WORKBOOK, "xlsx", "FJI")
    assert not errors(parsed), errors(parsed)
    by_sheet = {s.sheet: s for s in parsed.summaries}
    assert set(by_sheet) == {"T1", "T2", "T3", "T4", "T5", "T6"}
    assert by_sheet["T4"].use == "reconcile"
    for sheet in ("T1", "T2", "T3", "T5", "T6"):
        summary = by_sheet[sheet]
        assert summary.loaded_total == summary.file_total, sheet
    # T2 and T3 count the same visitors two ways; T1's visitor arrivals are the same people.
    assert by_sheet["T2"].loaded_total == by_sheet["T3"].loaded_total == 532800
    assert by_sheet["T5"].months == by_sheet["T6"].months == ["2022-08"]
    report = validate_file(FIJI_WORKBOOK, "FJI", today=TODAY)
    assert not report.errors, report.errors
    assert escape_markdown("rows are marked provisional [p]") in report.to_markdown()


@needs_real
def test_real_fiji_workbook_ingests_as_one_accepted_submission(tmp_path):
    home = make_home(tmp_path / "home").ensure()
    landed = home.landing / "FJI" / FIJI_WORKBOOK.name
    landed.parent.mkdir(parents=True)
    landed.write_bytes(FIJI_WORKBOOK.read_bytes())
    [outcome] = ingest_path(landed, home, today=TODAY)
    assert outcome.status == "accepted", outcome.message


def test_a_broken_layout_file_never_stops_the_others_and_is_named(tmp_path, monkeypatch):
    folder = tmp_path / "layouts"
    folder.mkdir()
    (folder / "good.yaml").write_text(FIXTURE_LAYOUT.read_text())
    (folder / "broken.yaml").write_text(FIXTURE_LAYOUT.read_text().replace("rows:", "rowz:"))
    monkeypatch.setenv("PIDC_LAYOUTS_DIR", str(folder))
    [found] = matching_layouts(write_wide_refusals(tmp_path / "t.xlsx"), "TON", ["Refusals 2026"])
    assert found.name == "ton-refusals-wide-months"
    other = tmp_path / "Monthly-Report-March-2026.csv"
    other.write_text("Country,Total\nFiji,3\n")
    with pytest.raises(UnreadableFileError) as raised:
        parse_file(other, "csv", "TON")
    assert "broken.yaml" in raised.value.fix and "'rowz'" in raised.value.fix


def test_a_file_held_for_the_secretariat_is_read_again_once_its_layout_changes(
    tmp_path, monkeypatch
):
    folder = tmp_path / "layouts"
    folder.mkdir()
    layout = folder / "ton.yaml"
    layout.write_text(FIXTURE_LAYOUT.read_text())
    monkeypatch.setenv("PIDC_LAYOUTS_DIR", str(folder))
    home = make_home(tmp_path / "home").ensure()
    landed = home.landing / "TON" / "refusals-2026.xlsx"
    landed.parent.mkdir(parents=True)
    write_wide_refusals(landed, first_label="Ruritania")
    [first] = ingest_path(home.landing, home, today=TODAY)
    assert first.status == "rejected"
    # The report records the layouts the file was read with: the ones now in the folder.
    recorded = json.loads((first.report_path.parent / "report.json").read_text())
    assert recorded["layouts_version"] == layouts_version(folder)
    report = (first.report_path.parent / "report.md").read_text()
    assert "The member has nothing to correct" in report
    # Nothing changed: the held file is not read again.
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["duplicate"]
    layout.write_text(
        FIXTURE_LAYOUT.read_text().replace(
            "    constants:", "    labels: {Ruritania: G_OTHER_COUNTRIES}\n    constants:"
        )
    )
    outcomes = ingest_path(home.landing, home, today=TODAY)
    assert [o.status for o in outcomes] == ["duplicate", "accepted"]
    assert [o.status for o in ingest_path(home.landing, home, today=TODAY)] == ["duplicate"]


def test_the_docs_key_reference_is_generated_from_the_schema():
    from ingestion.layout_schema import with_reference

    document = (PROJECT_ROOT / "docs" / "layouts.md").read_text(encoding="utf-8")
    assert document == with_reference(document), "run `make contract` to regenerate it"


ARRIVALS_CSV = """Arrivals by country,,,
Country,Air,Sea,Total
Australia,10,2,12
New Zealand,5,1,6
Pacific subtotal,15,3,18
Cruise passengers,0,40,40
All countries,70,43,113
Source: immigration unit,,,
"""

ARRIVALS_LAYOUT = """
name: test-arrivals
member: TON
match: {files: ["*arrivals*.csv"]}
tables:
  - dataset: movements
    period: "2026-09"
    constants: {direction: ARR, traveller_type: VIS, country_basis: RES}
    remainder: G_REST_OF_WORLD
    labels: {Cruise passengers: _U}
    rows:
      first: 3
      keys: {country: A}
      subtotals: ["subtotal$"]
      totals: ["^All countries$"]
      stop: ["^source"]
      set: {"(?i)cruise": {traveller_type: VIS, mode: SEA}}
    columns:
      header_rows: [2]
      key: mode
      from: B
      totals: ["^Total$"]
"""


def test_subtotals_per_row_constants_and_a_declared_remainder(tmp_path, monkeypatch):
    folder = tmp_path / "layouts"
    folder.mkdir()
    (folder / "arrivals.yaml").write_text(ARRIVALS_LAYOUT)
    monkeypatch.setenv("PIDC_LAYOUTS_DIR", str(folder))
    path = tmp_path / "arrivals-september.csv"
    path.write_text(ARRIVALS_CSV)
    parsed = parse_file(path, "csv", "TON")
    assert not errors(parsed), errors(parsed)
    frame = parsed.frames["movements"]
    cruise = frame[frame["country"] == "_U"]
    # The row's own constant wins over the column's: cruise passengers all came by sea.
    assert set(cruise["mode"]) == {"SEA"} and list(cruise["count"]) == ["40"]
    # The grand total covers more than the rows shown: the rest is the declared remainder.
    rest = frame[frame["country"] == "G_REST_OF_WORLD"]
    assert sorted(rest["count"].astype(int)) == [0, 55]
    assert sum(frame["count"].astype(int)) == 113
    # A subtotal that does not add up is the member's error.
    path.write_text(ARRIVALS_CSV.replace("Pacific subtotal,15,3,18", "Pacific subtotal,16,3,19"))
    found = [p.message for p in errors(parse_file(path, "csv", "TON"))]
    assert "The subtotal in column B is 16 but the rows above add up to 15." in found


QUARTERLY_LAYOUT = """
name: test-quarterly
member: TON
match: {sheets: [Monthly, Quarterly]}
tables:
  - sheet: Monthly
    dataset: refusals
    constants: {port: TOTBU, reason: OTH}
    rows: {first: 2, keys: {year: A, month: B}}
    columns: {header_rows: [1], key: nationality, from: C}
  - sheet: Quarterly
    dataset: refusals
    use: reconcile
    against: {nationality: _T}
    constants: {port: TOTBU, reason: OTH}
    rows: {first: 2, keys: {year: A, month: B}}
    columns: {header_rows: [1], cells: {C: {nationality: _T}}}
"""


def write_quarterly(path: Path, second_quarter: int) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    monthly = workbook.add_worksheet("Monthly")
    monthly.write_row(0, 0, ["Year", "Month", "China", "Fiji"])
    for row, (month, china, fiji) in enumerate(
        [("Jan", 1, 2), ("Feb", 3, 4), ("Mar", 5, 6), ("Apr", 1, 1), ("May", 1, 1), ("Jun", 1, 1)]
    ):
        monthly.write_row(row + 1, 0, [2025 if row == 0 else None, month, china, fiji])
    quarterly = workbook.add_worksheet("Quarterly")
    quarterly.write_row(0, 0, ["Year", "Quarter", "All nationalities"])
    quarterly.write_row(1, 0, [2025, "Q1", 21])
    quarterly.write_row(2, 0, [None, "Apr-Jun", second_quarter])
    quarterly.write_row(3, 0, [2024, None, 99])  # a year whose months are not loaded
    workbook.close()
    return path


def test_a_quarterly_sheet_is_only_reconciled_against_the_loaded_months(tmp_path):
    layout = load_layout(with_layout(tmp_path, QUARTERLY_LAYOUT))
    parsed = parse_declared(write_quarterly(tmp_path / "q.xlsx", 6), "TON", layout)
    assert not errors(parsed), errors(parsed)
    assert sorted(parsed.frames["refusals"]["period"].unique()) == [
        f"2025-{m:02d}" for m in range(1, 7)
    ]
    assert any("2024 (0 of 12 months)" in p.message for p in parsed.problems)
    parsed = parse_declared(write_quarterly(tmp_path / "q2.xlsx", 7), "TON", layout)
    [problem] = errors(parsed)
    assert "2025-Q2: this table adds up to 7 but the loaded figures" in problem.message


def test_layout_check_refuses_an_unsafe_file_before_reading_it(tmp_path):
    from ingestion.layout_check import check_layout

    macro = tmp_path / "report.xlsm"
    macro.write_bytes(b"PK\x03\x04 not read")
    result = check_layout(macro, "TON")
    assert not result.ok and not result.tables
    assert result.problems and "macro" in result.problems[0].message.lower()


def test_layout_check_speaks_french(tmp_path):
    """`pidc --lang fr layout check`: what was read and every problem, for the Secretariat."""
    from ingestion.layout_check import check_layout
    from pidc import i18n

    path = write_wide_refusals(tmp_path / "ton.xlsx", total_for_august=11, first_label="Ruritania")
    result = check_layout(path, "TON", FIXTURE_LAYOUT, today=TODAY)
    with i18n.language("en"):
        english = result.to_text()
    with i18n.language("fr"):
        french = result.to_text()
    assert "The total in column C is 11 but the rows above add up to 10." in english
    assert "Le total de la colonne C est de 11 mais les lignes au-dessus s’élèvent à 10." in french
    assert "The Ruritania" not in french and "nationality label 'Ruritania' (row 5)" in english
    assert "Le libellé nationality 'Ruritania' (ligne 5) n’a pas de code" in french
    assert "Secrétariat : ajoutez `Ruritania: CODE` sous `labels`" in french
    assert "## Problèmes" in french and "PAS OK : voir ci-dessus." in french
    assert "- mois : 2026-07, 2026-08, 2026-09" in french and "- months:" not in french
