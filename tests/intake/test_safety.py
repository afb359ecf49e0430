"""Hostile files are refused before any parser opens them, each with a plain message."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.workbooks import far_cell_workbook, hand_written_workbook

from ingestion.errors import HostileFileError
from ingestion.safety import Limits, check_file, safe_file_name


def _xlsx_like(path, extra: dict[str, bytes] | None = None, content_types: bytes = b"<Types/>"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_plain_csv_and_xlsx_pass(tmp_path):
    csv_file = tmp_path / "FJI_refusals_2026-10.csv"
    csv_file.write_text("member,period\n")
    assert check_file(csv_file) == "csv"
    utf16 = tmp_path / "FJI_permits_2026-10.csv"
    utf16.write_bytes("member,period\n".encode("utf-16"))
    assert check_file(utf16) == "csv"
    assert check_file(_xlsx_like(tmp_path / "ok.xlsx")) == "xlsx"


@pytest.mark.parametrize("suffix", [".xlsm", ".xlsb", ".xltm"])
def test_macro_enabled_extensions_are_refused(tmp_path, suffix):
    path = tmp_path / f"return{suffix}"
    path.write_bytes(b"PK\x03\x04whatever")
    with pytest.raises(HostileFileError, match="macro-enabled or binary workbook"):
        check_file(path)


def test_macros_hidden_in_an_xlsx_are_refused(tmp_path):
    path = _xlsx_like(tmp_path / "return.xlsx", {"xl/vbaProject.bin": b"\x00" * 10})
    with pytest.raises(HostileFileError, match="contains macros"):
        check_file(path)
    typed = _xlsx_like(
        tmp_path / "typed.xlsx",
        content_types=b'<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
    )
    with pytest.raises(HostileFileError, match="contains macros"):
        check_file(typed)


def test_a_file_that_lies_about_its_type_is_refused(tmp_path):
    fake_xlsx = tmp_path / "return.xlsx"
    fake_xlsx.write_text("member,period\nFJI,2026-10\n")
    with pytest.raises(HostileFileError, match=r"is named \.xlsx but is not an Excel workbook"):
        check_file(fake_xlsx)
    fake_csv = tmp_path / "FJI_refusals_2026-10.csv"
    fake_csv.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(HostileFileError, match=r"is named \.csv but is not a text file"):
        check_file(fake_csv)
    zip_not_excel = tmp_path / "other.xlsx"
    with zipfile.ZipFile(zip_not_excel, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(HostileFileError, match="is a zip file but not an Excel workbook"):
        check_file(zip_not_excel)


def test_zip_bomb_is_refused(tmp_path):
    path = _xlsx_like(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b"0" * 50_000_000})
    with pytest.raises(HostileFileError, match="looks like a zip bomb"):
        check_file(path)


def test_absurd_sheet_dimensions_are_refused(tmp_path):
    sheet = b'<worksheet><dimension ref="A1:XFD1048576"/></worksheet>'
    path = _xlsx_like(tmp_path / "huge.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    with pytest.raises(HostileFileError, match="1,048,576 rows x 16,384 columns"):
        check_file(path)


def test_oversize_files_are_refused_with_the_configurable_limit(tmp_path, monkeypatch):
    path = tmp_path / "FJI_refusals_2026-10.csv"
    path.write_text("member,period\n" + "FJI,2026-10\n" * 200_000)
    with pytest.raises(HostileFileError, match="over the 1 MB limit"):
        check_file(path, Limits(max_file_mb=1))
    monkeypatch.setenv("PIDC_MAX_FILE_MB", "1")
    with pytest.raises(HostileFileError, match="PIDC_MAX_FILE_MB"):
        check_file(path)


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "..", "a/b.csv", "a\\b.csv", ".hidden.csv", "x\x00.csv", "C:evil.csv"],
)
def test_path_tricks_in_file_names_are_refused(name):
    with pytest.raises(HostileFileError, match="is not allowed"):
        safe_file_name(name)


@pytest.mark.parametrize("suffix", [".xls", ".exe", ".pdf", ""])
def test_other_file_types_are_refused(tmp_path, suffix):
    path = tmp_path / f"return{suffix}"
    path.write_bytes(b"data")
    with pytest.raises(HostileFileError):
        check_file(path)


def test_formula_cells_are_read_as_values_never_evaluated(tmp_path):
    """calamine returns the cached value of a formula cell; nothing is computed."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("refusals")
    sheet.write_formula("A1", '=WEBSERVICE("http://example.invalid")', None, "cached")
    sheet.write_formula("A2", "=1+1", None, 7)  # a deliberately wrong cached value
    workbook.close()
    path = tmp_path / "formulas.xlsx"
    path.write_bytes(buffer.getvalue())
    assert check_file(path) == "xlsx"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("refusals").to_python()
    assert [row[0] for row in rows] == ["cached", 7.0]


def test_a_far_cell_is_measured_whatever_the_dimension_says(tmp_path):
    path = far_cell_workbook(tmp_path / "FJI_2026-10.xlsx")
    with pytest.raises(HostileFileError) as refused:
        check_file(path)
    message = str(refused.value)
    assert "1,048,576 rows x 16,384 columns" in message
    assert "sheet 'Return' reaches row 1,048,576 and column XFD" in message
    assert "Delete the unused rows and columns" in message
    # Just inside the limits is fine; one column further is not.
    assert check_file(far_cell_workbook(tmp_path / "edge.xlsx", "SF200000")) == "xlsx"
    with pytest.raises(HostileFileError, match="200,000 rows x 501 columns"):
        check_file(far_cell_workbook(tmp_path / "over.xlsx", "SG200000"))
    with pytest.raises(HostileFileError, match="200,001 rows x 3 columns"):
        check_file(far_cell_workbook(tmp_path / "down.xlsx", "A200001"))


@pytest.mark.parametrize(
    ("sheet_data", "extent"),
    [
        # Rows and cells without r are placed by position.
        ("<row><c><v>1</v></c>" + "<c/>" * 599 + "</row><row/><row><c/></row>", (3, 600)),
        # A namespace prefix on the grid's tags.
        ('<x:row r="7"><x:c r="B7"/><x:c r="AB9"/></x:row>', (9, 28)),
        # A '>' inside an attribute value, and single quotes hiding an r="..." in a value.
        ('<row r="1"><c r="A1"/><c s="a>b" r="XFD1"/></row>', (1, 16384)),
        ("<row r='1'><c s='x r=\"A1\"' r='C1048576'/></row>", (1048576, 3)),
        # Leading zeros, and a cell whose own row is past its row's.
        ('<row r="0007"><c r="B00003"/></row><row r="8"><c r="A20"/></row>', (20, 2)),
        # Lower-case letters are read as the same column.
        ('<row r="1"><c r="xfd1"/></row>', (1, 16384)),
    ],
)
def test_sheet_extent_reads_every_row_and_cell(sheet_data, extent):
    from ingestion.safety import sheet_extent

    sheet = f"<worksheet><dimension ref='A1'/><sheetData>{sheet_data}</sheetData></worksheet>"
    assert sheet_extent(io.BytesIO(sheet.encode())) == extent


@pytest.mark.parametrize(
    ("sheet_data", "extent"),
    [
        # Other tags starting "<c" (<col>, <cfRule>) or "<row" (<rowBreaks>) beside the grid.
        ('<cols><col min="1" max="3"/></cols><row r="1"><c r="A1"/><c r="C2"/></row>', (2, 3)),
        ('<row r="1"><c r="B1"/></row><cfRule type="x"/>', (1, 2)),
        ('<row r="4"><c r="A4"/></row><rowBreaks count="1"/>', (4, 1)),
        # A cell or a row without r among ones with it: placed by position.
        ('<cols><col min="1"/></cols><row r="2"><c r="C2"/><c/></row>', (2, 4)),
        ('<row r="1"/><row><c r="A5"/></row>', (5, 1)),
    ],
)
def test_sheet_extent_of_plain_xml_counts_only_grid_tags(sheet_data, extent):
    """Without quotes or prefixes a part is measured from its r attributes when every row and
    cell tag has one; the counts that decide it must not take other tags for grid tags."""
    from ingestion.safety import sheet_extent

    sheet = f'<worksheet><dimension ref="A1"/><sheetData>{sheet_data}</sheetData></worksheet>'
    assert sheet_extent(io.BytesIO(sheet.encode())) == extent


def test_sheet_extent_streams_a_large_part_and_sees_a_cell_across_a_chunk_boundary():
    from ingestion import safety

    filler = '<row r="{0}"><c r="A{0}" t="s"><v>0</v></c></row>'
    head = "".join(filler.format(n) for n in range(1, 60_000)).encode()
    # Put the far cell's tag across the first megabyte boundary.
    cut = safety._CHUNK - len(head) % safety._CHUNK - 8
    sheet = head + b" " * cut + b'<row r="60000"><c r="ZZ60000"/></row>'
    assert len(sheet) > 2 * safety._CHUNK
    assert safety.sheet_extent(io.BytesIO(sheet)) == (60_000, 702)
    # A tag longer than any real one is refused, never buffered.
    endless = b'<row r="1"><c ' + b'a="1" ' * (safety._MAX_TAG_BYTES // 3) + b'r="A1"/></row>'
    with pytest.raises(ValueError, match="malformed"):
        safety.sheet_extent(io.BytesIO(endless))


def _column(number: int, case: str) -> str:
    from ingestion.safety import column_letters

    letters = column_letters(number)
    return letters.lower() if case == "lower" else letters


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(0, 3_000_000),
    number=st.integers(0, 999_999_999),
    case=st.sampled_from(["upper", "lower"]),
)
def test_the_patterns_for_numbers_up_to_a_limit_match_exactly_those(limit, number, case):
    import re

    from ingestion.safety import _at_most

    rows_within = re.compile(_at_most(limit, "0123456789"))
    assert bool(rows_within.fullmatch(str(number).encode())) == (1 <= number <= limit)
    column, column_limit = 1 + number % 400_000, limit % 20_000
    columns_within = re.compile(_at_most(column_limit, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    letters = _column(column, case).encode()
    assert bool(columns_within.fullmatch(letters)) == (column <= column_limit)


def _reference(draw, kinds: list[str], max_rows: int, max_columns: int) -> str:
    """A cell reference as a writer, a careless program or an attacker may write it: mostly
    within the limits, at them, or one past them."""
    kind = draw(st.sampled_from(kinds))
    column = draw(st.integers(1, max_columns + 1))
    row = draw(st.integers(0, max_rows + 1))
    case = draw(st.sampled_from(["upper", "lower"]))
    if kind == "past":  # one row or one column past the limits
        past_row = draw(st.booleans())
        column, row = (column, max_rows + 1) if past_row else (max_columns + 1, row)
        return f"{_column(column, case)}{min(row, max_rows + 1)}"
    if kind == "zeros":
        return f"{_column(column, case)}{'0' * draw(st.integers(1, 4))}{row}"
    if kind == "far":
        return draw(st.sampled_from(["XFD1048576", "A1048576", "XFD1", "ZZZZZZZ1", "A1234567890"]))
    if kind == "odd":
        return draw(st.sampled_from(["", "A", "1", "1A", "A 1", " A1", "A-1", "A1A", "$A$1"]))
    return f"{_column(column, case)}{row}"


@st.composite
def _sheet_data(draw) -> tuple[str, int, int]:
    """Rows and cells in every form sheet_extent reads, among other tags and broken ones: only
    in the forms real writers use (which the fast check must clear), in those with one odd
    tag slipped in (as an attacker would), or any mix."""
    mode = draw(st.sampled_from(["writer", "one odd tag", "any"]))
    kinds = ["plain"] * 8 + ["zeros", "far"] + ["odd"] * (mode != "writer")
    max_rows, max_columns = draw(st.integers(1, 300)), draw(st.integers(1, 60))

    def tag(odd: bool) -> str:
        # The attacker's one odd tag reaches past the limits, or sits at them (so a row or
        # cell placed by position after it is past them).
        reference = _reference(draw, ["past"] if odd else kinds, max_rows, max_columns)
        row = draw(
            st.sampled_from([max_rows, max_rows + 1]) if odd else st.integers(0, max_rows + 1)
        )
        written = [
            f'<row r="{row}">',
            f'<row r="00{row}" spans="1:3">',
            "</row>",
            f'<c r="{reference}"/>',
            f'<c r="{reference}" t="s"><v>1</v></c>',
            '<col min="1" max="700"/>',
            "text",
        ]
        odd_ones = [
            f'<row spans="1:3" r="{row}">',
            "<row>",
            "<row/>",
            f"<row r='{row}'>",
            f'<x:row r="{row}">',
            f'<c s="1" r="{reference}"/>',
            f'<c\tr="{reference}"/>',
            f'<c r = "{reference}"/>',
            f'<c r="A1" r="{reference}"/>',
            f'<c s="<c r=&quot;" r="{reference}"/>',
            f"<c r='{reference}'/>",
            f'<x:c r="{reference}"/>',
            "<c/>",
            "<c>",
            '<cfRule type="x"/>',
            '<rowBreaks count="1"/>',
            f'<dimension ref="A1:{reference}"/>',
        ]
        return draw(st.sampled_from(odd_ones if odd else written + odd_ones * (mode == "any")))

    tags = [tag(odd=False) for _ in range(draw(st.integers(0, 30)))]
    if mode == "one odd tag":
        tags.insert(draw(st.integers(0, len(tags))), tag(odd=True))
    return "".join(tags), max_rows, max_columns


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=_sheet_data(), chunk=st.sampled_from([16, 64, 1 << 20]))
def test_a_part_cleared_without_measuring_is_within_the_limits_when_measured(grid, chunk):
    """The fast check (sheet_within) may only clear a part that sheet_extent, the measure
    that decides, reads without error and finds within the limits; whatever a writer or an
    attacker puts in the part, and wherever the pieces are cut."""
    from unittest import mock

    from ingestion import safety

    sheet_data, max_rows, max_columns = grid
    sheet = f"<worksheet><sheetData>{sheet_data}</sheetData></worksheet>".encode()
    with mock.patch.object(safety, "_CHUNK", chunk):
        cleared = safety.sheet_within(io.BytesIO(sheet), max_rows, max_columns)
        if cleared:
            rows, columns = safety.sheet_extent(io.BytesIO(sheet))
            assert rows <= max_rows and columns <= max_columns, (rows, columns)


@pytest.mark.parametrize(
    ("cells", "limits", "cleared"),
    [
        # As Excel, openpyxl and xlsxwriter write a grid: cleared by the search alone.
        ('<row r="3" spans="1:2"><c r="A3" t="s"><v>0</v></c><c r="B3"/></row>', (3, 2), True),
        ('<cols><col min="1" max="2"/></cols><row r="1"><c r="b00001"/></row>', (1, 2), True),
        # Other tags that begin as a cell's or a row's does are no cells or rows.
        (
            '<row r="1"><c r="A1"/></row><rowBreaks count="1"/><conditionalFormatting>'
            '<cfRule type="x"/></conditionalFormatting><customSheetViews/>',
            (3, 2),
            True,
        ),
        # One row or one column past the limits.
        ('<row r="4"><c r="A4"/></row>', (3, 2), False),
        ('<row r="3"/><row r="0004"/>', (3, 2), False),
        ('<row r="3"><c r="C3"/></row>', (3, 2), False),
        ('<row r="3"><c r="A4"/></row>', (3, 2), False),
        # A reference sheet_extent must read for itself: measured, not cleared.
        ('<row r="1"><c s="1" r="A1"/></row>', (3, 2), False),
        ('<row r="1"><c/></row>', (3, 2), False),
        ('<row><c r="A1"/></row>', (3, 2), False),
        ('<row r="1"><c r="A1"/><x:c r="XFD1"/></row>', (3, 2), False),
        ('<row r="3"><c r="B3"/></row><row/>', (3, 2), False),
        ('<row r="1"><c\nr="A1"/></row>', (3, 2), False),
        ('<row\tr="1"><c r="A1"/></row>', (3, 2), False),
        ('<row r="1"><c r="A1"><v>1</v></c><c>2</c></row>', (3, 2), False),
    ],
)
def test_sheet_within_clears_plain_grids_inside_the_limits_only(cells, limits, cleared):
    from ingestion.safety import sheet_within

    sheet = f'<worksheet><dimension ref="A1"/><sheetData>{cells}</sheetData></worksheet>'
    assert sheet_within(io.BytesIO(sheet.encode()), *limits) is cleared


def test_a_malformed_grid_is_refused_with_a_plain_message(tmp_path):
    path = hand_written_workbook(tmp_path / "broken.xlsx", '<row r="1"><c r="1A"/></row>')
    with pytest.raises(HostileFileError, match="could not be read safely: its part"):
        check_file(path)


def test_the_patterns_for_numbers_up_to_a_limit_are_exact_around_every_small_limit():
    import re

    from ingestion.safety import _at_most, column_letters

    for limit in range(0, 1100):
        rows_within = re.compile(_at_most(limit, "0123456789"))
        columns_within = re.compile(_at_most(limit, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        for number in range(0, 1200):
            assert bool(rows_within.fullmatch(str(number).encode())) == (1 <= number <= limit)
            if number:
                letters = column_letters(number)
                assert bool(columns_within.fullmatch(letters.encode())) == (number <= limit)
                assert bool(columns_within.fullmatch(letters.lower().encode())) == (number <= limit)
