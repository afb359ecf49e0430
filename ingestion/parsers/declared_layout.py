"""Read a member's own spreadsheet through a declared layout (YAML), without new Python.

A layout file in ``ingestion/layouts/`` says, for one member's legacy workbook, which sheets hold
which dataset, where the header rows and data start, which columns are periods or categories,
which rows and columns are totals (reconciled against the detail, never loaded), and the fixed
values of the breakdowns the table does not show. The Secretariat onboards a member's format by
writing one such file; see docs/layouts.md.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import yaml
from python_calamine import CalamineWorkbook

from ingestion.errors import UnreadableFileError
from ingestion.parsers.common import (
    CountError,
    ParsedSubmission,
    PeriodError,
    parse_count,
    parse_period,
)
from ingestion.parsers.template_workbook import cell_text
from ingestion.report import ERROR, WARNING, Problem
from pidc.contract import load_contract

LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "layouts"
ORIENTATIONS = {"periods_in_rows", "periods_in_columns"}


class LayoutError(ValueError):
    """A layout file is wrong; the message names the file and the key to fix."""


def column_index(letter: str) -> int:
    """Spreadsheet column letters as a 0-based index: A -> 0, AA -> 26."""
    index = 0
    for char in letter.strip().upper():
        if not "A" <= char <= "Z":
            raise LayoutError(f"{letter!r} is not a column letter")
        index = index * 26 + (ord(char) - 64)
    return index - 1


def column_range(spec: str) -> list[int]:
    """``"C:P"`` as the list of 0-based indexes from C to P."""
    first, _, last = spec.partition(":")
    return list(range(column_index(first), column_index(last or first) + 1))


@dataclass(frozen=True)
class Table:
    """One table of a declared layout: a sheet region holding one dataset."""

    sheet: str
    dataset: str
    orientation: str
    header_rows: tuple[int, ...]
    first_data_row: int
    category: str
    constants: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    year_column: int | None = None
    month_column: int | None = None
    period_column: int | None = None
    category_columns: tuple[int, ...] = ()
    label_column: int | None = None
    period_columns: tuple[int, ...] = ()
    total_column: int | None = None
    flag_column: int | None = None
    total_rows: tuple[str, ...] = ()
    skip_rows: tuple[str, ...] = ()
    stop_rows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """A member's declared workbook layout."""

    name: str
    description: str
    member: str
    sheets: tuple[str, ...]
    tables: tuple[Table, ...]
    source: Path


def _table(raw: dict, where: str) -> Table:
    contract = load_contract()
    try:
        dataset = contract.dataset(raw["dataset"])
        orientation = raw["orientation"]
        if orientation not in ORIENTATIONS:
            raise LayoutError(f"{where}: orientation must be one of {sorted(ORIENTATIONS)}")
        category = raw["category"]
        constants = {k: str(v) for k, v in (raw.get("constants") or {}).items()}
        expected = set(dataset.key) - {"member", "period", category}
        if set(constants) != expected:
            raise LayoutError(
                f"{where}: constants must give exactly {sorted(expected)} (got {sorted(constants)})"
            )

        def letter(key: str) -> int | None:
            return column_index(raw[key]) if raw.get(key) else None

        return Table(
            sheet=str(raw["sheet"]),
            dataset=dataset.name,
            orientation=orientation,
            header_rows=tuple(int(r) for r in raw["header_rows"]),
            first_data_row=int(raw["first_data_row"]),
            category=category,
            constants=constants,
            labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
            title=raw.get("title"),
            year_column=letter("year_column"),
            month_column=letter("month_column"),
            period_column=letter("period_column"),
            category_columns=tuple(column_range(raw["category_columns"]))
            if raw.get("category_columns")
            else (),
            label_column=letter("label_column"),
            period_columns=tuple(column_range(raw["period_columns"]))
            if raw.get("period_columns")
            else (),
            total_column=letter("total_column"),
            flag_column=letter("flag_column"),
            total_rows=tuple(str(x).lower() for x in raw.get("total_rows", ())),
            skip_rows=tuple(raw.get("skip_rows", ())),
            stop_rows=tuple(str(x).lower() for x in raw.get("stop_rows", ())),
        )
    except KeyError as missing:
        raise LayoutError(f"{where}: the key {missing} is required") from None


def load_layout(path: Path) -> Layout:
    """Read and check one layout file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        tables = tuple(_table(t, f"{path.name}: tables[{i}]") for i, t in enumerate(raw["tables"]))
        return Layout(
            name=raw["name"],
            description=raw.get("description", ""),
            member=str(raw["member"]).upper(),
            sheets=tuple(raw.get("match", {}).get("sheets", [t.sheet for t in tables])),
            tables=tables,
            source=path,
        )
    except KeyError as missing:
        raise LayoutError(f"{path.name}: the key {missing} is required") from None


@cache
def declared_layouts(folder: Path = LAYOUTS_DIR) -> tuple[Layout, ...]:
    """Every layout in ``folder``, sorted by name."""
    return tuple(load_layout(p) for p in sorted(folder.glob("*.yaml")))


def find_layout(sheet_names: list[str], member: str | None, folder: Path = LAYOUTS_DIR):
    """The declared layout for this member whose sheets the workbook has, or None."""
    for layout in declared_layouts(folder):
        if member and layout.member != member:
            continue
        if set(layout.sheets) <= set(sheet_names):
            return layout
    return None


def _header_labels(rows: list[list[object]], table: Table, columns: tuple[int, ...]) -> dict:
    labels = {}
    for column in columns:
        parts = [
            cell_text(rows[r - 1][column])
            for r in table.header_rows
            if r - 1 < len(rows) and column < len(rows[r - 1])
        ]
        labels[column] = re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()
    return labels


def _row_cell(row: list[object], column: int | None) -> object:
    return row[column] if column is not None and column < len(row) else ""


def _constants_row(table: Table, member: str) -> dict[str, object]:
    return {"member": member, **table.constants}


def _read_periods_in_rows(
    rows: list[list[object]], table: Table, member: str, parsed: ParsedSubmission
) -> list[dict]:
    headers = _header_labels(rows, table, table.category_columns)
    records: list[dict] = []
    year: object = None
    monthly_sums: dict[str, int] = {}
    annual_rows: list[tuple[int, int, int]] = []
    provisional = 0
    for number in range(table.first_data_row, len(rows) + 1):
        row = rows[number - 1]
        label_column = table.period_column if table.year_column is None else table.year_column
        first_label = cell_text(_row_cell(row, label_column)) or cell_text(
            _row_cell(row, table.month_column)
        )
        if first_label.lower().startswith(table.stop_rows) and table.stop_rows:
            break
        if not any(cell_text(c) for c in row):
            continue
        if table.period_column is not None:
            period_text = _row_cell(row, table.period_column)
            month_text = ""
        else:
            if cell_text(_row_cell(row, table.year_column)):
                year = _row_cell(row, table.year_column)
            month_text = cell_text(_row_cell(row, table.month_column))
            period_text = f"{month_text} {cell_text(year)}" if month_text else ""
        total_value = _row_cell(row, table.total_column)
        if not month_text and table.period_column is None:
            # A year with no month: an annual total, reconciled later, never loaded.
            with contextlib.suppress(ValueError, CountError):
                annual_rows.append((number, int(float(cell_text(year))), parse_count(total_value)))
            continue
        try:
            period = parse_period(period_text)
        except PeriodError as error:
            parsed.error(
                f"The period cannot be read: {error}.",
                "Check the year and month labels of this row.",
                dataset=table.dataset,
                sheet=table.sheet,
                row=number,
                value=str(period_text),
            )
            continue
        if cell_text(_row_cell(row, table.flag_column)).lower() in {"[p]", "p"}:
            provisional += 1
        detail = 0
        detail_ok = True
        for column in table.category_columns:
            value = _row_cell(row, column)
            record = _constants_row(table, member)
            record.update(
                period=period,
                count=cell_text(value),
                source_sheet=table.sheet,
                source_row=number,
            )
            record[table.category] = table.labels.get(headers[column], headers[column])
            records.append(record)
            try:
                detail += parse_count(value)
            except CountError:
                detail_ok = False
        if table.total_column is not None and detail_ok:
            try:
                stated = parse_count(total_value)
            except CountError:
                stated = None
            if stated is not None and stated != detail:
                parsed.error(
                    f"The row total is {stated:,} but its detail adds up to {detail:,}.",
                    "Correct the detail or the total so that they agree, then resubmit.",
                    dataset=table.dataset,
                    sheet=table.sheet,
                    row=number,
                    column=headers.get(table.total_column) or "total",
                    value=str(stated),
                )
            monthly_sums[period] = stated if stated is not None else detail
    for number, annual_year, stated in annual_rows:
        months = [p for p in monthly_sums if p.startswith(f"{annual_year:04d}-")]
        if len(months) == 12:
            total = sum(monthly_sums[p] for p in months)
            if total != stated:
                parsed.error(
                    f"The {annual_year} annual total is {stated:,} but its months add up to "
                    f"{total:,}.",
                    "Correct the months or the annual total so that they agree.",
                    dataset=table.dataset,
                    sheet=table.sheet,
                    row=number,
                    value=str(stated),
                )
        else:
            parsed.problems.append(
                Problem(
                    WARNING,
                    f"The {annual_year} row is an annual total with "
                    f"{len(months)} of 12 months beside it; annual figures are not loaded.",
                    "Nothing to do, unless the monthly figures for that year should be sent too.",
                    dataset=table.dataset,
                    sheet=table.sheet,
                    row=number,
                    rule="annual_total",
                )
            )
    if provisional:
        parsed.problems.append(
            Problem(
                WARNING,
                f"{provisional} rows are marked provisional [p].",
                "Send a corrected version of those months when the figures are final.",
                dataset=table.dataset,
                sheet=table.sheet,
                rule="provisional",
            )
        )
    return records


def _read_periods_in_columns(
    rows: list[list[object]], table: Table, member: str, parsed: ParsedSubmission
) -> list[dict]:
    headers = _header_labels(rows, table, table.period_columns)
    periods: dict[int, str] = {}
    for column, label in headers.items():
        try:
            periods[column] = parse_period(label)
        except PeriodError as error:
            raise UnreadableFileError(
                f"Sheet {table.sheet!r}: the header {label!r} is not a month ({error}).",
                "Ask the Secretariat to check the declared layout's period_columns.",
            ) from None
    records: list[dict] = []
    column_sums = dict.fromkeys(periods, 0)
    total_rows: list[tuple[int, list[object]]] = []
    for number in range(table.first_data_row, len(rows) + 1):
        row = rows[number - 1]
        label = cell_text(_row_cell(row, table.label_column))
        lowered = label.lower()
        if table.stop_rows and lowered.startswith(table.stop_rows):
            break
        if not any(cell_text(c) for c in row):
            continue
        if any(re.search(pattern, label, re.IGNORECASE) for pattern in table.skip_rows):
            continue
        if lowered in table.total_rows:
            total_rows.append((number, row))
            continue
        row_sum, row_ok = 0, True
        for column, period in periods.items():
            value = _row_cell(row, column)
            record = _constants_row(table, member)
            record.update(
                period=period, count=cell_text(value), source_sheet=table.sheet, source_row=number
            )
            record[table.category] = table.labels.get(label, label)
            records.append(record)
            try:
                amount = parse_count(value)
                row_sum += amount
                column_sums[column] += amount
            except CountError:
                row_ok = False
        if table.total_column is not None and row_ok:
            try:
                stated = parse_count(_row_cell(row, table.total_column))
            except CountError:
                continue
            if stated != row_sum:
                parsed.error(
                    f"The row total for {label!r} is {stated:,} but its months add up to "
                    f"{row_sum:,}.",
                    "Correct the months or the total so that they agree.",
                    dataset=table.dataset,
                    sheet=table.sheet,
                    row=number,
                    column="total",
                    value=str(stated),
                )
    for number, row in total_rows:
        for column, period in periods.items():
            try:
                stated = parse_count(_row_cell(row, column))
            except CountError:
                continue
            if stated != column_sums[column]:
                parsed.error(
                    f"The total for {period} is {stated:,} but the rows above add up to "
                    f"{column_sums[column]:,}.",
                    "Correct the rows or the total so that they agree.",
                    dataset=table.dataset,
                    sheet=table.sheet,
                    row=number,
                    column=headers[column],
                    value=str(stated),
                )
    return records


def parse_declared(path: Path, member: str | None, layout: Layout) -> ParsedSubmission:
    """Parse ``path`` through ``layout`` into a :class:`ParsedSubmission`."""
    contract = load_contract()
    workbook = CalamineWorkbook.from_path(str(path))
    parsed = ParsedSubmission(file_format=f"declared layout {layout.name}", member=layout.member)
    if member and member != layout.member:
        parsed.error(
            f"This workbook's layout belongs to {layout.member}, but it was submitted by {member}.",
            "Submit only your own returns.",
        )
        return parsed
    records_by_dataset: dict[str, list[dict]] = {}
    for table in layout.tables:
        rows = workbook.get_sheet_by_name(table.sheet).to_python(skip_empty_area=False)
        if table.title and not any(
            table.title.lower() in " ".join(cell_text(c) for c in row).lower()
            for row in rows[: max(table.header_rows)]
        ):
            parsed.problems.append(
                Problem(
                    ERROR,
                    f"Sheet {table.sheet!r} does not carry the title {table.title!r}: the "
                    "workbook has changed shape since its layout was declared.",
                    "Send the table in its usual shape, or ask the Secretariat to update the "
                    f"layout {layout.source.name}.",
                    dataset=table.dataset,
                    sheet=table.sheet,
                    rule="layout",
                )
            )
            continue
        reader = (
            _read_periods_in_rows
            if table.orientation == "periods_in_rows"
            else _read_periods_in_columns
        )
        records_by_dataset.setdefault(table.dataset, []).extend(
            reader(rows, table, layout.member, parsed)
        )
    for name, records in records_by_dataset.items():
        columns = [*contract.dataset(name).column_names, "source_sheet", "source_row"]
        parsed.frames[name] = (
            pd.DataFrame(records, columns=columns)
            .astype({c: "string" for c in columns if c != "source_row"})
            .astype(object)
        )
    return parsed
