"""Read the regional template workbook with calamine (values only; formulas are never run).

English and French editions read alike (issue 16): a drop-down label in either language is read
as its code, oui/non as yes/no, and a French month name in the period as its month, so the same
figures give the same records whichever edition the officer filled in.
"""

from __future__ import annotations

import functools
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
from babel import dates
from python_calamine import CalamineWorkbook

from ingestion.errors import UnreadableFileError
from ingestion.parsers.common import (
    LINEAGE,
    TEXT,
    ParsedSubmission,
    PeriodError,
    fill_defaults,
    is_blank,
    parse_period,
    text_array,
)
from ingestion.parsers.csv_returns import header_name
from ingestion.report import ERROR, Problem
from pidc.contract import Column, Contract, Dataset, load_contract
from pidc.normalise import normalise_label

RETURN_SHEET = "Return"
YES = {"yes", "y", "x", "true", "1", "nil", "✓", "✔", "oui", "o", "néant"}
# The French edition's yes/no choices, read as the English edition writes them.
BOOLEAN_WORDS = {"oui": "yes", "non": "no", "vrai": "yes", "faux": "no"}


def cell_text(value: object) -> str:
    """A cell as text: whole floats lose their ``.0``, blanks become ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# How many stray cells one problem names; the rest are counted.
STRAY_CELLS_NAMED = 5


def _column_letters(index: int) -> str:
    """The spreadsheet letters of a 0-based column index: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _stray_cells(rows: list[list[object]], width: int, first_row: int) -> list[tuple[str, str]]:
    """(cell reference, text) of every non-blank cell right of the first ``width`` columns, from
    the 0-based row ``first_row`` down; ``rows`` must start at A1 (``skip_empty_area=False``)."""
    found = []
    for row_index in range(first_row, len(rows)):
        row = rows[row_index]
        for column_index in range(width, len(row)):
            text = cell_text(row[column_index])
            if text:
                found.append((f"{_column_letters(column_index)}{row_index + 1}", text))
    return found


def _report_stray_cells(
    parsed: ParsedSubmission, sheet: str, cells: list[tuple[str, str]], columns: list[str]
) -> None:
    """One error naming the cells of ``sheet`` outside the template's ``columns``.

    An error, not a warning: a value outside the columns has no column, so the platform cannot
    tell what it is. Most often it is a figure typed one column too far or a side total; read as
    nothing, the published figures would silently differ from what the officer sent.
    """
    if not cells:
        return
    shown = ", ".join(
        f"{reference} ({text[:40]!r})" for reference, text in cells[:STRAY_CELLS_NAMED]
    )
    more = f" and {len(cells) - STRAY_CELLS_NAMED} more" if cells[STRAY_CELLS_NAMED:] else ""
    first_reference = cells[0][0]
    parsed.problems.append(
        Problem(
            ERROR,
            f"Sheet {sheet!r} has {len(cells)} value{'s' if len(cells) != 1 else ''} outside the "
            f"template's columns: {shown}{more}. Nothing outside the columns is read, so the "
            "file is not loaded rather than loaded without them.",
            "Delete these cells, or move each figure into its row's own columns "
            f"({', '.join(columns)}); notes go in the observations sheet.",
            dataset=sheet if sheet != RETURN_SHEET else None,
            sheet=sheet,
            row=int(first_reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
            column=first_reference.rstrip("0123456789"),
            value=cells[0][1][:40],
            rule="stray_cells",
        )
    )


def _read_return_sheet(rows: list[list[object]]) -> tuple[dict[str, object], dict[str, bool]]:
    fields: dict[str, object] = {}
    nil_flags: dict[str, bool] = {}
    in_nil_block = False
    for row in rows[1:]:
        key = cell_text(row[0] if row else "").lower()
        value = row[1] if len(row) > 1 else ""
        if not key:
            continue
        if key == "dataset":
            in_nil_block = True
            continue
        if in_nil_block:
            nil_flags[key] = cell_text(value).lower() in YES
        else:
            fields[key] = value
    return fields, nil_flags


@functools.cache
def _french_months() -> dict[str, int]:
    """normalise_label(French month name, wide and abbreviated) -> month number."""
    months: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for number, name in dates.get_month_names(width, locale="fr").items():
            months[normalise_label(name)] = number
    return months


_FRENCH_MONTH_YEAR = re.compile(r"^([^\d]+?)\s*[-/ ]?\s*(\d{4})$")


def _period_cell(value: object) -> object:
    """``value``, or ``YYYY-MM`` when it is a French month and year ("octobre 2026", "oct. 2026",
    "févr.-2026"), which :func:`parse_period` reads in English only."""
    if not isinstance(value, str):
        return value
    match = _FRENCH_MONTH_YEAR.match(value.strip())
    month = _french_months().get(normalise_label(match[1])) if match else None
    return f"{match[2]}-{month:02d}" if match and month else value


# "12,5" or "3,0": a decimal comma (one or two decimals; "1,019" stays a thousands separator).
_DECIMAL_COMMA = re.compile(r"^(\d[\d\s\u00a0\u202f]*),(\d{1,2})$")


def _entered_as(contract: Contract, column: Column):
    """The function reading one of ``column``'s cell texts as the English edition holds it: a
    drop-down label (English or French) becomes its code, oui/non become yes/no, a count typed
    with a decimal comma gets a decimal point; anything else is left to validation."""
    if column.type == "code" and column.code_list:
        code_list = column.code_list
        return lambda text: contract.code_for_label(code_list, text) or text
    if column.type == "boolean":
        return lambda text: BOOLEAN_WORDS.get(text.strip().lower(), text)
    if column.type == "count":
        # Only a text with a comma can match.
        return lambda text: _DECIMAL_COMMA.sub(r"\1.\2", text) if "," in text else text
    return None


def _texts(cells: tuple[object, ...], texts: dict[tuple[type, object], str]) -> list[str]:
    """:func:`cell_text` of each of ``cells`` (one column), each distinct value converted once.

    Keyed by value alone when no cell is a boolean: among the types a sheet holds, values of
    different types are equal only when numbers (1 and 1.0, both "1"), except booleans (True is
    1 but reads "True"), which are looked up by (type, value) in ``texts`` instead.
    """
    if bool in set(map(type, cells)):

        def text_of(value: object) -> str:
            key = (value.__class__, value)
            found = texts.get(key)
            if found is None:
                found = texts[key] = cell_text(value)
            return found

        return list(map(text_of, cells))
    read = {value: cell_text(value) for value in dict.fromkeys(cells)}
    return list(map(read.__getitem__, cells))


def _sheet_columns(
    contract: Contract, dataset: Dataset, columns: list[str], rows: list[list[object]]
) -> tuple[dict[str, list[str]], list[int]]:
    """The data rows of a sheet (``rows`` from its header row down) as text columns read as
    entered (:func:`_entered_as`), and the 1-based row number of each; blank rows are skipped.

    Columnar and cached: each distinct cell value of a column is converted once, since a
    return repeats the same codes and small counts down thousands of rows.
    """
    width = len(columns)
    body = rows[1:]
    # (type, value): 1, 1.0 and True are equal as keys but not as cells ("1", "1", "True").
    texts: dict[tuple[type, object], str] = {}
    if not body:
        return {name: [] for name in columns}, []
    lengths = set(map(len, body))
    if len(lengths) == 1 and lengths.pop() >= width:  # calamine's rows are all as wide
        cells_by_column = itertools.islice(zip(*body, strict=True), width)
    else:  # each row cut or padded to the width
        body = [
            row[:width] if len(row) >= width else [*row, *([None] * (width - len(row)))]
            for row in body
        ]
        cells_by_column = zip(*body, strict=True)
    by_column = [_texts(cells, texts) for cells in cells_by_column]
    filled = list(map(any, zip(*by_column, strict=True)))
    kept = None if all(filled) else [index for index, full in enumerate(filled) if full]
    read: dict[str, list[str]] = {}
    for name, cells in zip(columns, by_column, strict=True):
        convert = _entered_as(contract, dataset.column(name))
        if convert is not None:
            converted = {text: convert(text) for text in set(cells) if text}
            cells = list(map(converted.get, cells, cells))
        read[name] = cells if kept is None else list(map(cells.__getitem__, kept))
    if kept is None:
        return read, list(range(2, len(body) + 2))
    return read, [index + 2 for index in kept]


def _sheet_frame(
    dataset: Dataset,
    read: dict[str, list[str]],
    row_numbers: list[int],
    sheet: str,
    member: str,
    period: str,
) -> pd.DataFrame:
    """A sheet's records: member, period, its columns as read (:func:`_sheet_columns`) and
    the lineage, with a blank optional cell, or an optional column an older template lacks,
    standing for the column's default (:func:`fill_defaults`), as in every other format.

    Built as one frame: the defaults are filled in the lists, which gives the values, column
    order and dtypes (text columns ``str``, source_row int64, source_column object) that
    filling the frame column by column gave.
    """
    count = len(row_numbers)
    # One record per row: the lineage names the sheet and row, no column.
    lineage = [sheet] * count, row_numbers, [None] * count
    columns = {"member": [member] * count, "period": [period] * count, **read}
    columns.update(zip(LINEAGE, lineage, strict=True))
    if not count:  # typed as an empty sheet always was: text member and period, else object
        text = pd.array([], dtype=TEXT)
        frame = pd.DataFrame(
            {
                column: text if column in ("member", "period") else np.array([], dtype=object)
                for column in columns
            },
            index=pd.RangeIndex(0),
        )
        # No cell is blank: only an optional column an older template lacks is filled in.
        return frame if set(dataset.defaults) <= set(read) else fill_defaults(frame, dataset)
    for column, default in dataset.defaults.items():
        if column not in read:  # after the lineage, where fill_defaults adds it
            columns[column] = [default] * count
            continue
        cells = read[column]
        blank = {text: default for text in set(cells) if is_blank(text)}
        if blank:
            columns[column] = list(map(blank.get, cells, cells))
    # The arrays pandas would infer from the lists (text, int64 and object), built directly.
    arrays = {
        name: np.array(values, dtype=np.int64)
        if name == "source_row"
        else np.full(count, None, dtype=object)
        if name == "source_column"
        else text_array(values)
        for name, values in columns.items()
    }
    return pd.DataFrame(arrays, copy=False)


def parse_template(
    path: Path, member: str | None, workbook: CalamineWorkbook | None = None
) -> ParsedSubmission:
    """Parse a filled regional template into a :class:`ParsedSubmission`; ``workbook`` is
    ``path`` already opened with calamine, if the caller has it."""
    contract = load_contract()
    if workbook is None:
        try:
            workbook = CalamineWorkbook.from_path(str(path))
        except Exception as error:  # calamine raises its own error types for broken files
            raise UnreadableFileError(
                f"{path.name} could not be opened as an Excel workbook ({error}).",
                "Open it in Excel, check it is not password-protected, and save it as .xlsx.",
            ) from None
    sheets = workbook.sheet_names
    if RETURN_SHEET not in sheets:
        raise UnreadableFileError(
            f"{path.name} has no {RETURN_SHEET!r} sheet, so it is not the regional template.",
            "Download the template with `pidc template` or from the Submit page and fill that in.",
        )
    return_rows = workbook.get_sheet_by_name(RETURN_SHEET).to_python(skip_empty_area=False)
    fields, nil_flags = _read_return_sheet(return_rows)
    stray_on_return = _stray_cells(return_rows, 2, 0)
    file_member = cell_text(fields.get("member")).upper() or None
    # The submitter is who the caller says (member folder, --member, signed-in officer); the
    # Return sheet's member is only checked against it, never taken instead of it.
    parsed = ParsedSubmission(file_format="xlsx template", member=member or file_member)
    if member and file_member and file_member != member:
        parsed.error(
            f"The Return sheet says member {file_member}, but the file was submitted by {member}.",
            f"Submit only your own returns: set member to {member}, or submit as {file_member}.",
            sheet=RETURN_SHEET,
            column="member",
            value=file_member,
        )
    _report_stray_cells(parsed, RETURN_SHEET, stray_on_return, ["field", "value"])
    try:
        period = parse_period(_period_cell(fields.get("period")))
    except PeriodError as error:
        parsed.error(
            f"The Return sheet's period cannot be read: {error}.",
            "Write the month as YYYY-MM, for example 2026-10.",
            sheet=RETURN_SHEET,
            column="period",
            value=cell_text(fields.get("period")),
        )
        return parsed
    version = cell_text(fields.get("version"))
    parsed.version = int(version) if version.isdigit() else None
    for name in [*contract.dataset_names, "observations"]:
        if name not in sheets:
            parsed.error(
                f"The sheet {name!r} is missing.",
                "Use the unchanged template: do not delete or rename its sheets.",
                dataset=name,
                sheet=name,
            )
            continue
        dataset = contract.dataset(name)
        sheet_columns = [c for c in dataset.column_names if c not in ("member", "period")]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header = [header_name(cell_text(c)) for c in (rows[0] if rows else [])]
        while header and not header[-1]:
            header.pop()
        # A template from before a breakdown became optional (sex, age_group) lacks its column.
        older = [c for c in sheet_columns if c in header or c not in dataset.defaults]
        if header not in (sheet_columns, older):
            parsed.error(
                f"The header row of sheet {name!r} is {header}, expected {sheet_columns}.",
                "Do not change the template's header row; put data from row 2 down.",
                dataset=name,
                sheet=name,
                row=1,
            )
            continue
        sheet_columns = header
        _report_stray_cells(parsed, name, _stray_cells(rows, len(header), 1), header)
        read, row_numbers = _sheet_columns(contract, dataset, sheet_columns, rows)
        frame = _sheet_frame(dataset, read, row_numbers, name, parsed.member or "", period)
        is_nil = nil_flags.get(name, False)
        if is_nil and not frame.empty and name != "observations":
            parsed.error(
                f"The {name} return is ticked as a nil return but its sheet has {len(frame)} rows.",
                "Either untick 'nil_return' for this dataset or delete its rows.",
                dataset=name,
                sheet=RETURN_SHEET,
                column="nil_return",
                value="yes",
            )
        if is_nil and name != "observations":
            parsed.nil_returns[name] = {period}
        if not frame.empty or is_nil:
            parsed.frames[name] = frame
    return parsed
