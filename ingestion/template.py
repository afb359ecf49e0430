"""The regional template workbook a member fills in for one month (layout E), from the contract.

Sheets, in order: ``Instructions`` (prose for the reporting officer), ``Return`` (who, which
month, which version, and a nil-return tick per dataset), one sheet per contract dataset plus
``observations`` (row 1 = the dataset's columns without ``member`` and ``period``, data from row
2), and a hidden ``Lists`` sheet holding the code lists behind the drop-downs. Nothing here names
a column or a code by hand: everything comes from :func:`pidc.contract.load_contract`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pidc.contract import Column, Contract, Dataset, load_contract
from pidc.reference.seeds import read_seed, seed_exists

RETURN_SHEET = "Return"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "Lists"
OBSERVATIONS = "observations"
# Columns that come from the Return sheet, so dataset sheets leave them out.
RETURN_LEVEL_COLUMNS = ("member", "period")
NIL_TICK = "yes"
BOOLEAN_CHOICES = ["yes", "no"]
# Drop-downs and number checks cover this many rows beyond the data written.
EMPTY_ROWS_VALIDATED = 2000

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_MEMBER = re.compile(r"^[A-Z]{3}$")


class TemplateError(ValueError):
    """The template cannot be written as asked; the message says what to change."""


def sheet_columns(dataset: Dataset) -> list[Column]:
    """The columns of ``dataset``'s sheet: every contract column except member and period."""
    return [c for c in dataset.columns if c.name not in RETURN_LEVEL_COLUMNS]


def template_sheets(contract: Contract | None = None) -> list[str]:
    """Names of the data sheets of the template: each contract dataset, then observations."""
    contract = contract or load_contract()
    return [*contract.dataset_names, OBSERVATIONS]


def _member_ports(member: str) -> list[str]:
    """Port codes of ``member`` from the ports seed, or none when the seed is not there yet."""
    if not seed_exists("reference/ports"):
        return []
    ports = read_seed("reference/ports")
    return sorted(ports.loc[ports["member_code"] == member, "port_code"])


def _column_help(column: Column, contract: Contract) -> str:
    """What the header comment of ``column`` tells the officer."""
    lines = [column.description]
    if column.type == "code" and column.code_list:
        codes = contract.codes(column.code_list)
        listed = "; ".join(f"{code} = {label}" for code, label in codes.items())
        lines.append(f"Pick a code from the list: {listed}.")
    if column.default is not None:
        lines.append(
            f"Optional: leave it blank (or write {column.default}) when your figures are not "
            "broken down this way."
        )
    elif column.type == "country":
        lines.append(
            "ISO 3166-1 alpha-3 code (e.g. FJI), XXA stateless, XXB/XXC refugee, XXX unknown; "
            "a country name is also accepted."
        )
    elif column.type == "port":
        lines.append("Port code from the list (or _U if unknown); the port name is also accepted.")
    elif column.type == "count":
        lines.append("Whole number, 0 or more. 0 means none were counted; do not leave it blank.")
    elif column.type == "boolean":
        lines.append("yes or no.")
    return "\n".join(lines)


def _check_request(
    member: str,
    period: str,
    version: int,
    returns: Mapping[str, pd.DataFrame | None],
    nil_datasets: set[str] | frozenset[str],
    contract: Contract,
) -> None:
    if not _MEMBER.match(member or ""):
        raise TemplateError(
            f"member {member!r} is not an ISO 3166-1 alpha-3 code; use e.g. 'FJI' (upper case)"
        )
    if not _PERIOD.match(period or ""):
        raise TemplateError(f"period {period!r} is not a calendar month; write it as YYYY-MM")
    if not isinstance(version, int) or version < 1:
        raise TemplateError(f"version {version!r} must be a whole number, 1 or more")
    known = set(contract.dataset_names)
    for name in [*returns, *nil_datasets]:
        if name not in known:
            raise TemplateError(
                f"dataset {name!r} is not in the contract; use one of {', '.join(sorted(known))}"
            )
    both = sorted(
        name for name in nil_datasets if returns.get(name) is not None and len(returns[name])
    )
    if both:
        raise TemplateError(
            f"datasets {both} are marked nil but also have rows; a nil return has no rows"
        )


def _frame_for_sheet(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """``frame`` reduced to the sheet's columns, in contract order; refuses missing columns.

    An optional column (``sex``, ``age_group``) the frame leaves out is written as its default
    (``_T``), as a return without it means.
    """
    wanted = [c.name for c in sheet_columns(dataset)]
    frame = frame.assign(
        **{name: default for name, default in dataset.defaults.items() if name not in frame}
    )
    missing = [name for name in wanted if name not in frame.columns]
    unknown = [n for n in frame.columns if n not in wanted and n not in RETURN_LEVEL_COLUMNS]
    if missing or unknown:
        raise TemplateError(
            f"rows for {dataset.name!r} must have the columns {wanted}; "
            f"missing {missing}, not in the contract {unknown}"
        )
    return frame[wanted]


def _write_cell(sheet, row: int, col: int, value: object, column: Column, formats: dict) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return
    if column.type == "count" and isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, value, formats["count"])
    elif column.type == "boolean" and isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no", formats["text"])
    else:
        # Codes like "00" or "2026-10" must stay text; Excel would otherwise reinterpret them.
        sheet.write_string(row, col, str(value), formats["text"])


def _instructions(member: str, period: str, contract: Contract) -> list[tuple[str, str]]:
    """The Instructions sheet as (style, text) lines."""
    datasets = ", ".join(f"{d.name} ({d.title})" for d in contract.datasets.values())
    lines = [
        ("title", f"PIDC monthly return - member {member}, month {period}"),
        ("text", ""),
        ("heading", "What this workbook is"),
        ("text", "One monthly return: your agency's aggregate counts for one calendar month."),
        ("text", f"It has one sheet per dataset: {datasets}; and one for observations."),
        ("text", "Aggregate counts only: never names, document numbers or personal records."),
        ("text", ""),
        ("heading", "How to fill it in"),
        ("text", "1. On the Return sheet check member and period; give a contact name and email."),
        ("text", "2. On each dataset sheet write one row per breakdown combination, from row 2."),
        ("text", "   Use the drop-down codes where a column has them; hover on a header for help."),
        ("text", "   Nationality and country columns take ISO alpha-3 codes (FJI, CHN) or names."),
        ("text", "   count is a whole number. 0 means none were counted: write 0, never a blank."),
        ("text", "   sex and age_group are optional: leave them blank (or write _T) when your"),
        ("text", "   figures are not broken down by sex or age. Age groups come in two bandings,"),
        ("text", "   broad (Y0T17 ... Y_GE55) and five-year (Y0T4 ... Y_GE65): use one, not both."),
        ("text", "   Do not add subtotal or total rows; the platform adds up the rows itself."),
        ("text", "3. Observations: short notes on trends, modus operandi or routes. Say whether"),
        ("text", "   each may be shared with other members (shareable = yes) or not (no)."),
        ("text", ""),
        ("heading", "Nil returns"),
        ("text", "If a dataset has nothing to report this month, choose 'yes' under nil_return"),
        ("text", "next to it on the Return sheet and leave its sheet empty. A nil return is a"),
        ("text", "real answer: an empty sheet without the tick counts as not sent (missing)."),
        ("text", ""),
        ("heading", "Correcting a month you already sent"),
        ("text", "Send the whole return for that month again with the version one higher (2, 3)."),
        ("text", "The newest accepted version replaces the earlier one completely, so include"),
        ("text", "every row again, not only the rows that changed. Old versions stay on file."),
        ("text", ""),
        ("heading", "Deadline"),
        ("text", "Returns are due by the 15th of the month after the month they cover."),
    ]
    return lines


def write_template(
    path: Path,
    member: str,
    period: str,
    *,
    version: int = 1,
    returns: dict[str, pd.DataFrame | None] | None = None,
    nil_datasets: set[str] | frozenset[str] = frozenset(),
    observations: pd.DataFrame | None = None,
    contact_name: str = "",
    contact_email: str = "",
) -> Path:
    """Write the regional template workbook for ``member`` and ``period`` to ``path``.

    Without ``returns`` the dataset sheets are empty (a blank template to fill in). With it,
    each given dataset's sheet holds the frame's rows (columns = the sheet's contract columns;
    ``member``/``period`` columns, if present, are ignored). ``nil_datasets`` are ticked as nil
    returns. The file is byte-for-byte reproducible for the same arguments. Raises
    :class:`TemplateError` for an unknown dataset, a malformed member or period, or rows
    whose columns do not match the contract.
    """
    contract = load_contract()
    returns = dict(returns or {})
    nil_datasets = set(nil_datasets)
    _check_request(member, period, version, returns, nil_datasets, contract)
    if observations is not None:
        returns_with_obs: dict[str, pd.DataFrame | None] = {**returns, OBSERVATIONS: observations}
    else:
        returns_with_obs = returns

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # In memory: xlsxwriter otherwise writes a temporary file per XML part, which is slow.
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    year, month = (int(part) for part in period.split("-"))
    # A fixed creation date keeps the file reproducible (xlsxwriter otherwise stamps "now").
    workbook.set_properties(
        {
            "title": f"PIDC monthly return {member} {period}",
            "subject": "PIDC regional monthly return",
            "author": "PIDC Secretariat",
            "created": datetime(year + month // 12, month % 12 + 1, 1),
        }
    )
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "heading": workbook.add_format({"bold": True, "font_size": 11}),
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": False}
        ),
        "text": workbook.add_format({"num_format": "@"}),
        "count": workbook.add_format({"num_format": "0"}),
        "field": workbook.add_format({"bold": True}),
    }

    instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    instructions.set_column(0, 0, 100)
    for row, (style, text) in enumerate(_instructions(member, period, contract)):
        if text:
            instructions.write_string(row, 0, text, formats.get(style))

    contact = (contact_name, contact_email)
    _write_return_sheet(workbook, formats, contract, member, period, version, nil_datasets, contact)

    lists = _ListsSheet(contract, _member_ports(member))
    for name in template_sheets(contract):
        rows = returns_with_obs.get(name)
        _write_dataset_sheet(workbook, formats, contract, contract.dataset(name), rows, lists)
    lists.write(workbook, formats)
    instructions.activate()
    workbook.close()
    return path


def _write_return_sheet(
    workbook,
    formats: dict,
    contract: Contract,
    member: str,
    period: str,
    version: int,
    nil_datasets: set[str],
    contact: tuple[str, str],
) -> None:
    contact_name, contact_email = contact
    sheet = workbook.add_worksheet(RETURN_SHEET)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 36)
    sheet.write_string(0, 0, "field", formats["header"])
    sheet.write_string(0, 1, "value", formats["header"])
    fields: list[tuple[str, object]] = [
        ("member", member),
        ("period", period),
        ("version", version),
        ("contact_name", contact_name),
        ("contact_email", contact_email),
    ]
    for row, (field, value) in enumerate(fields, start=1):
        sheet.write_string(row, 0, field, formats["field"])
        if isinstance(value, int):
            sheet.write_number(row, 1, value)
        elif value:
            sheet.write_string(row, 1, str(value), formats["text"])
    first = len(fields) + 2  # one empty row after the fields
    sheet.write_string(first, 0, "dataset", formats["header"])
    sheet.write_string(first, 1, "nil_return", formats["header"])
    sheet.write_comment(
        first,
        1,
        "Choose 'yes' when the dataset has nothing to report this month (a nil return). "
        "Leave blank when you fill in its sheet.",
    )
    for offset, name in enumerate(contract.dataset_names, start=1):
        sheet.write_string(first + offset, 0, name, formats["field"])
        if name in nil_datasets:
            sheet.write_string(first + offset, 1, NIL_TICK)
    last = first + len(contract.dataset_names)
    sheet.data_validation(
        first + 1,
        1,
        last,
        1,
        {
            "validate": "list",
            "source": [NIL_TICK],
            "input_title": "Nil return?",
            "input_message": "yes = nothing to report this month; blank = see the dataset sheet.",
        },
    )
    sheet.freeze_panes(1, 0)


class _ListsSheet:
    """The hidden sheet of code lists; remembers which column holds which list."""

    def __init__(self, contract: Contract, ports: list[str]) -> None:
        self.columns: dict[str, list[str]] = {}
        self.contract = contract
        self.ports = ports

    def reference(self, column: Column) -> str | None:
        """Excel range of the drop-down values for ``column``, or None when it has none."""
        if column.type == "code" and column.code_list:
            name = column.code_list
            values = list(self.contract.codes(name))
        elif column.type == "port" and self.ports:
            name = "port"
            values = [*self.ports, "_U"]
        else:
            return None
        if name not in self.columns:
            self.columns[name] = values
        index = list(self.columns).index(name)
        letter = xl_col_to_name(index)
        return f"={LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"

    def write(self, workbook, formats: dict) -> None:
        sheet = workbook.add_worksheet(LISTS_SHEET)
        for index, (name, values) in enumerate(self.columns.items()):
            sheet.write_string(0, index, name, formats["header"])
            for row, value in enumerate(values, start=1):
                sheet.write_string(row, index, value, formats["text"])
            sheet.set_column(index, index, max(12, len(name) + 2))
        sheet.hide()


def _write_dataset_sheet(
    workbook,
    formats: dict,
    contract: Contract,
    dataset: Dataset,
    frame: pd.DataFrame | None,
    lists: _ListsSheet,
) -> None:
    sheet = workbook.add_worksheet(dataset.name)
    columns = sheet_columns(dataset)
    rows = _frame_for_sheet(frame, dataset) if frame is not None else None
    last_row = (0 if rows is None else len(rows)) + EMPTY_ROWS_VALIDATED
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.name, formats["header"])
        sheet.write_comment(0, index, _column_help(column, contract), {"x_scale": 2, "y_scale": 2})
        width = max(len(column.name) + 4, 14 if column.type != "text" else 60)
        sheet.set_column(index, index, width)
        source = lists.reference(column)
        if source:
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {
                    "validate": "list",
                    "source": source,
                    # A warning, not a stop: officers may type their own label, which the
                    # platform maps through the Secretariat's mapping table.
                    "error_type": "warning",
                    "error_title": f"Not a {column.name} code",
                    "error_message": "Pick a code from the list, or keep your own label.",
                },
            )
        elif column.type == "boolean":
            sheet.data_validation(
                1, index, last_row, index, {"validate": "list", "source": BOOLEAN_CHOICES}
            )
        elif column.type == "count":
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {
                    "validate": "integer",
                    "criteria": ">=",
                    "value": 0,
                    "error_title": "Not a count",
                    "error_message": "count is a whole number, 0 or more.",
                },
            )
    sheet.freeze_panes(1, 0)
    if rows is None:
        return
    for row_index, record in enumerate(rows.itertuples(index=False, name=None), start=1):
        for col_index, (column, value) in enumerate(zip(columns, record, strict=True)):
            _write_cell(sheet, row_index, col_index, _plain(value), column, formats)


def _plain(value: object) -> object:
    """numpy scalars as plain Python values, so xlsxwriter writes them as numbers or text."""
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value
