"""Read a member's own publication (workbook or CSV) through its declared layouts.

The layout (see :mod:`ingestion.layout_schema`) says where each table is; this module reads it
cell by cell and accounts for every non-empty cell inside a declared table: it is loaded, checked
as a total, skipped by a declared rule (and listed in the report), or reported. Problems only the
Secretariat can fix (the layout, a missing label mapping) say so, once per label; problems in the
member's figures (a total that does not add up) go to the member.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ingestion.errors import UnreadableFileError
from ingestion.layout_schema import (
    PERIOD_PARTS,
    Layout,
    Table,
    column_index,
    column_letter,
    column_span,
    declared_layouts,
)
from ingestion.messages import either, phrase
from ingestion.messages import number as count_param
from ingestion.parsers.common import CountError, ParsedSubmission, PeriodError, parse_count
from ingestion.parsers.common import parse_period as parse_period_text
from ingestion.report import ERROR, NOTE, SECRETARIAT, WARNING, Problem
from pidc.contract import load_contract
from pidc.i18n import N_

TOTAL = "_T"
HEADER_SCAN_ROWS = 15

_MONTH_NAMES = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_FLAG = re.compile(r"\[\s*[a-z]\s*\]|\(\s*[a-z]\s*\)|\*+", re.IGNORECASE)
_FOOTNOTE = re.compile(r"\s*\(\s*\d+\s*\)\s*$|\s*\[\s*\w\s*\]\s*$|\*+$")


def cell_text(value: object) -> str:
    """A cell as text: whole floats lose their ``.0``, blanks become ``""``."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer():
            return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


def normalise(text: str) -> str:
    """A label as compared: case, spacing, footnote markers and flags ignored."""
    text = _FOOTNOTE.sub("", cell_text(text))
    return re.sub(r"\s+", " ", text).strip().casefold()


def month_number(text: str, *, prefix: bool = True) -> int | None:
    """The month a label names: ``January``, ``Jan``, ``Jul[p]``, ``Ap``, ``November month``, ``3``."""
    cleaned = _FLAG.sub(" ", cell_text(text)).casefold()
    cleaned = re.sub(r"\bmonth\b|[^a-z0-9 ]", " ", cleaned).strip()
    if not cleaned:
        return None
    if cleaned.isdigit():
        number = int(cleaned)
        return number if 1 <= number <= 12 else None
    word = cleaned.split()[0]
    if word == "sept":
        return 9
    for number, name in enumerate(_MONTH_NAMES, start=1):
        if word in (name, name[:3]):
            return number
    if prefix and len(word) >= 2:
        found = [n for n, name in enumerate(_MONTH_NAMES, start=1) if name.startswith(word)]
        if len(found) == 1:
            return found[0]
    return None


def quarter_number(text: str) -> int | None:
    """The quarter a label names: ``Q1``, ``1st quarter``, ``Jan-Mar``, ``Oct - Dec``."""
    cleaned = _FLAG.sub(" ", cell_text(text)).casefold().strip()
    if match := re.fullmatch(r"q\s*([1-4])|([1-4])(?:st|nd|rd|th)?\s*(?:quarter|qtr)", cleaned):
        return int(match[1] or match[2])
    if match := re.fullmatch(r"([a-z]+)\s*[-–]\s*([a-z]+)", cleaned):
        first, last = month_number(match[1]), month_number(match[2])
        if first and last and last == first + 2 and first % 3 == 1:
            return (first - 1) // 3 + 1
    return None


def year_number(value: object) -> int | None:
    """A cell as a year (``2020``, ``2020.0``, ``"2020 [p]"``), or None."""
    text = _FLAG.sub("", cell_text(value)).strip()
    match = re.fullmatch(r"(\d{4})(?:\.0+)?", text)
    year = int(match[1]) if match else None
    return year if year and 1900 <= year <= 2100 else None


def period_in_text(text: str) -> str | None:
    """The month a free text names (a file name, a title): ``03-March-Report-2015`` -> 2015-03."""
    tokens = re.findall(r"[A-Za-z]+|\d+", text)
    years = [int(t) for t in tokens if t.isdigit() and len(t) == 4 and 1900 <= int(t) <= 2100]
    months = [m for t in tokens if t.isalpha() and (m := month_number(t, prefix=False))]
    if not years or not months:
        return None
    return f"{years[0]:04d}-{months[0]:02d}"


def read_count(value: object) -> int:
    """A figure as printed, PDF-extraction noise included: ``"1 ,019"``, ``"2,317 "``, ``"-"``."""
    if isinstance(value, str):
        value = re.sub(r"(?<=\d)\s*([,.])\s*(?=\d{3}\b)", r"\1", value.strip())
        value = _FOOTNOTE.sub("", value)
    return parse_count(value)


def is_figure(value: object) -> bool:
    """Whether a cell holds a number (not a label, note or punctuation)."""
    text = cell_text(value)
    return bool(re.search(r"\d", text)) and bool(re.fullmatch(r"[\d\s,.%\-\[\]pr()*]+", text))


def read_grid(path: Path, sheet: str | None = None, rows: int | None = None) -> list[list[object]]:
    """The cells of a CSV file, or of one sheet of a workbook, as rows of values (the first
    ``rows`` of a CSV only, when given: matching a header never reads a whole file)."""
    if path.suffix.lower() == ".csv":
        from ingestion.parsers.csv_returns import decode_text, sniff_delimiter

        with path.open("rb") as handle:
            data = handle.read(64 * 1024) if rows else handle.read()
        text, _ = decode_text(data)
        if rows:
            text = "\n".join(text.splitlines()[:rows])
        reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
        return [list(row) for row in reader]
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


@dataclass
class TableSummary:
    """What one table gave: for ``pidc layout check`` and the tests."""

    layout: str
    sheet: str | None
    dataset: str
    use: str
    months: list[str] = field(default_factory=list)
    records: int = 0
    loaded_total: int = 0
    file_total: int | None = None
    skipped_rows: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    preview: list[dict] = field(default_factory=list)


@dataclass
class _Column:
    """One column of a table, classified."""

    index: int
    role: str  # detail | total | skip | empty
    labels: tuple[str, ...] = ()
    dims: dict[str, str] = field(default_factory=dict)
    covers: list[int] | None = None


class _TableReader:
    """Reads one declared table from a grid into records; problems go into ``parsed``."""

    def __init__(self, layout: Layout, table: Table, grid, path: Path, member: str, parsed):
        self.layout, self.table, self.grid, self.path = layout, table, grid, path
        self.member, self.parsed = member, parsed
        self.dataset = load_contract().dataset(table.dataset)
        self.where = {"dataset": table.dataset, "sheet": table.sheet or path.name}
        self.summary = TableSummary(layout.name, table.sheet, table.dataset, table.use)
        # Where each unresolved label was met: message params (row 5, column C).
        self.unresolved: dict[tuple[str, str], list[dict]] = defaultdict(list)
        breakdowns = {c.name for c in self.dataset.breakdowns}
        self.labels = {
            normalise(k): v
            for k, v in table.labels.items()
            if not (k in breakdowns and isinstance(v, dict))
        }
        self.labels_by_dimension = {
            k: {normalise(label): code for label, code in v.items()}
            for k, v in table.labels.items()
            if k in breakdowns and isinstance(v, dict)
        }
        self._resolved: dict[tuple[str, str], dict[str, str] | None] = {}
        self.within_tolerance: list[dict] = []  # message params, one per total
        self.read_rows: list[int] = []
        self.unreadable: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        self.headerless: set[int] = set()

    # -- problems ---------------------------------------------------------------------------
    def secretariat(self, message: str, fix: str, params: dict, **where: object) -> None:
        """A problem only the Secretariat can fix: the layout or a mapping (``message`` and
        ``fix``: English templates marked with ``N_``, filled in with ``params``)."""
        where = {**self.where, **where, "layout": self.layout_name}
        params = {**params, "layout": self.layout_name}
        where.pop("layout")
        self.parsed.problems.append(
            Problem.of(ERROR, message, fix, params, rule="layout", audience=SECRETARIAT, **where)
        )

    def note(self, message: str, params: dict, **where: object) -> None:
        """What was read and how (nothing to do): an English template and its ``params``."""
        self.parsed.problems.append(
            Problem.of(NOTE, message, N_("Nothing to do."), params, rule="layout_note",
                       **{**self.where, **where})
        )  # fmt: skip

    @property
    def layout_name(self) -> str:
        return self.layout.source.name if self.layout.source else self.layout.name

    # -- labels -----------------------------------------------------------------------------
    def resolve(self, dimension: str, label: str, place: dict) -> dict[str, str] | None:
        """The codes a row or column label gives, or None (reported once per label)."""
        key = (dimension, normalise(label))
        if key not in self._resolved:
            mapped = self.labels_by_dimension.get(dimension, {}).get(key[1])
            if mapped is None:
                mapped = self.labels.get(key[1])
            if isinstance(mapped, dict):
                self._resolved[key] = dict(mapped)
            elif mapped is not None:
                self._resolved[key] = {dimension: mapped}
            else:
                from ingestion.validate import resolve_label

                text = _FOOTNOTE.sub("", cell_text(label)).strip()
                code, hints = resolve_label(self.table.dataset, dimension, text, self.member)
                self._resolved[key] = {dimension: code} if code else None
                if not code:
                    self._hints = getattr(self, "_hints", {})
                    self._hints[key] = hints
        if self._resolved[key] is None:
            self.unresolved[(dimension, label)].append(place)
        return self._resolved[key]

    def report_unresolved(self) -> None:
        hints = getattr(self, "_hints", {})
        for (dimension, label), places in self.unresolved.items():
            near = hints.get((dimension, normalise(label))) or []
            shown: list | dict = places[:5]
            if len(places) > 5:
                shown = phrase(
                    N_("{rows} and {more} more"), rows=shown, more=count_param(len(places) - 5)
                )
            fix = N_("Secretariat: add `{label}: CODE` under `labels` in {layout}.")
            if near:
                fix = N_(
                    "Secretariat: add `{label}: CODE` under `labels` in {layout}. Did you mean "
                    "{suggestions}?"
                )
            self.secretariat(
                N_(
                    "The {dimension} label {quoted} ({places}) has no code: the layout {layout} "
                    "does not map it and it matches no known {dimension}."
                ),
                fix,
                {"dimension": dimension, "quoted": repr(label), "label": label,
                 "places": shown, "suggestions": either(near[:3])},
                value=label,
            )  # fmt: skip

    # -- structure --------------------------------------------------------------------------
    def row_label_columns(self) -> list[int]:
        return [column_index(letter) for letter in self.table.rows.keys.values()]

    def header_text(self, rows: list[int], column: int) -> str:
        parts = []
        for number in rows:
            row = self.grid[number - 1] if 0 < number <= len(self.grid) else []
            parts.append(cell_text(row[column]) if column < len(row) else "")
        return re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()

    def data_end(self) -> tuple[int, int | None]:
        """The last data row (1-based) and the stop row, if any."""
        stop = self.table.rows.stop
        for number in range(self.table.rows.first, len(self.grid) + 1):
            first_text = next((cell_text(c) for c in self.grid[number - 1] if cell_text(c)), "")
            if stop and any(re.search(p, first_text, re.IGNORECASE) for p in stop):
                return number - 1, number
        return len(self.grid), None

    def columns(self, last_row: int) -> list[_Column]:
        table, spec = self.table, self.table.columns
        taken = set(self.row_label_columns())
        if table.rows.flag:
            taken.add(column_index(table.rows.flag))
        ignored = {column_index(letter) for letter in spec.ignore}
        if spec.cells:
            found = []
            for letter, cell in spec.cells.items():
                index = column_index(letter)
                if "total" in cell:
                    covers = [i for part in re.split(r"[,\s]+", cell["total"]) if part
                              for i in column_span(part)]  # fmt: skip
                    found.append(_Column(index, "total", (letter,), covers=covers))
                else:
                    found.append(_Column(index, "detail", (letter,), dims=dict(cell)))
            return self.summarise_columns(sorted(found, key=lambda c: c.index))
        start = column_index(spec.first) if spec.first else max(taken, default=-1) + 1
        width = max((len(r) for r in self.grid[: last_row or 1]), default=0)
        if spec.last:
            end = column_index(spec.last)
        else:
            end = start - 1
            header_rows = [r for level in table.header_levels for r in level]
            for index in range(start, width):
                if index in taken or index in ignored:
                    continue
                has_header = any(self.header_text([r], index) for r in header_rows)
                has_value = any(
                    index < len(self.grid[n - 1]) and cell_text(self.grid[n - 1][index])
                    for n in range(table.rows.first, last_row + 1)
                )
                if has_header or has_value:
                    end = index
        levels = table.header_levels
        labels_by_level: list[dict[int, str]] = []
        for depth, rows in enumerate(levels):
            labels = {i: self.header_text(rows, i) for i in range(start, end + 1)}
            if depth < len(levels) - 1:
                # Outer headers are written once over merged cells: carry them right, within
                # the span of the header above.
                previous = ""
                for i in range(start, end + 1):
                    parent_same = depth == 0 or (
                        i > start and labels_by_level[-1][i] == labels_by_level[-1][i - 1]
                    )
                    if not labels[i] and previous and parent_same:
                        labels[i] = previous
                    previous = labels[i]
            labels_by_level.append(labels)
        result = []
        for index in range(start, end + 1):
            if index in taken or index in ignored:
                continue
            texts = tuple(level[index] for level in labels_by_level) or ("",)

            def matches(patterns: list[str], texts: tuple[str, ...] = texts) -> bool:
                return any(re.search(p, t, re.IGNORECASE) for p in patterns for t in texts if t)

            if matches(spec.skip):
                result.append(_Column(index, "skip", texts))
            elif matches(spec.totals):
                result.append(_Column(index, "total", texts))
            elif not any(texts):
                cells = [
                    cell_text(self.grid[n - 1][index]) if index < len(self.grid[n - 1]) else ""
                    for n in range(table.rows.first, last_row + 1)
                ]
                if all(c in {"", "-", "0", "–", "—"} for c in cells):
                    result.append(_Column(index, "empty", texts))
                elif spec.codes:
                    result.append(_Column(index, "detail", texts))
                else:
                    self.headerless.add(index)
                    self.secretariat(
                        N_(
                            "Column {letter} has figures but no header, so the layout cannot "
                            "say what they count."
                        ),
                        N_(
                            "Secretariat: give the column's code with `columns.codes` or "
                            "`columns.cells`, or `columns.ignore: [{letter}]` in {layout}."
                        ),
                        {"letter": column_letter(index)},
                        column=column_letter(index),
                    )
            else:
                result.append(_Column(index, "detail", texts))
        details = [c for c in result if c.role == "detail"]
        if spec.codes:
            if len(details) != len(spec.codes):
                self.secretariat(
                    N_(
                        "The table has {columns} figure columns ({letters}) but the layout "
                        "gives {codes} codes."
                    ),
                    N_(
                        "Secretariat: check `columns.codes` in {layout} against this edition "
                        "(`pidc layout check`)."
                    ),
                    {
                        "columns": len(details),
                        "letters": ", ".join(column_letter(c.index) for c in details),
                        "codes": len(spec.codes),
                    },
                )
                return []
            for column, code in zip(details, spec.codes, strict=True):
                column.dims = {table.column_keys[0]: code}
        else:
            for column in details:
                for key, text in zip(table.column_keys, column.labels, strict=False):
                    if key in PERIOD_PARTS:
                        column.dims[key] = text
                        continue
                    place = phrase(N_("column {letter}"), letter=column_letter(column.index))
                    codes = self.resolve(key, text, place)
                    if codes:
                        column.dims.update(codes)
        for column in result:
            if column.role == "total" and column.covers is None:
                # A total covers the detail columns that agree with it on every header level
                # it names besides the word "total" (e.g. TOTAL / M covers every M column).
                keep = [
                    (depth, text)
                    for depth, text in enumerate(column.labels)
                    if text and not any(re.search(p, text, re.IGNORECASE) for p in spec.totals)
                ]
                column.covers = [
                    d.index
                    for d in details
                    if all(d.labels[depth] == text for depth, text in keep if depth < len(d.labels))
                ]
        return self.summarise_columns(result)

    def summarise_columns(self, result: list[_Column]) -> list[_Column]:
        for column in result:
            name = column_letter(column.index)
            if column.role == "detail":
                self.summary.columns[name] = ", ".join(f"{k}={v}" for k, v in column.dims.items())
            elif column.role == "total":
                covered = [column_letter(i) for i in column.covers or []]
                self.summary.columns[name] = f"total of {','.join(covered) or 'nothing'}"
            else:
                self.summary.columns[name] = column.role
                if column.role == "empty":
                    self.summary.ignored_columns.append(name)
        return result

    # -- rows -------------------------------------------------------------------------------
    def fixed_period(self) -> str | None:
        source = self.table.period
        if not source:
            return None
        if source == "file_name":
            found = period_in_text(self.path.stem)
            what = phrase(N_("the file name {name}"), name=repr(self.path.name))
        elif source == "title":
            text = " ".join(
                cell_text(c) for row in self.grid[: self.table.rows.first - 1] for c in row
            )
            found = period_in_text(text)
            what = phrase(N_("the title rows above the table"))
        else:
            return source
        if not found:
            raise UnreadableFileError(
                N_(
                    "No month could be read from {what}; the layout {layout} takes the table's "
                    "month from there."
                ),
                N_(
                    "Name the file with its month and year (e.g. Migration-Report-March-2026.csv), "
                    "or ask the Secretariat to set the layout's `period`."
                ),
                params={"what": what, "layout": self.layout_name},
            )
        return found

    def read(self) -> list[dict]:
        table = self.table
        if table.title:
            above = " ".join(
                cell_text(c).casefold() for row in self.grid[: table.rows.first - 1] for c in row
            )
            if normalise(table.title) not in re.sub(r"\s+", " ", above):
                self.secretariat(
                    N_(
                        "The table does not carry the title {title}: the publication has "
                        "changed shape since its layout was declared."
                    ),
                    N_(
                        "Secretariat: update the layout {layout} to this edition "
                        "(`pidc layout check`). The member has nothing to correct."
                    ),
                    {"title": repr(table.title)},
                )
                return []
        last_row, stop_row = self.data_end()
        fixed = self.fixed_period()
        columns = self.columns(last_row)
        details = [c for c in columns if c.role == "detail"]
        totals = [c for c in columns if c.role == "total"]
        keys = table.rows.keys
        year: int | None = None
        records: list[dict] = []
        provisional = 0
        blank_cells: list[str] = []
        detail_rows: list[tuple[int, str | None, dict[int, int]]] = []
        annual: list[tuple[int, int, dict[int, int]]] = []
        total_rows: list[tuple[int, str, dict[int, int], int]] = []
        base = self.base_dims()
        file_total = 0
        printed = True
        for number in range(table.rows.first, last_row + 1):
            row = self.grid[number - 1]
            if not any(cell_text(c) for c in row):
                continue
            texts = {k: cell_text(row[column_index(c)]) if column_index(c) < len(row) else ""
                     for k, c in keys.items()}  # fmt: skip
            label = " ".join(t for k, t in texts.items() if t)
            values = {c.index: (row[c.index] if c.index < len(row) else None) for c in columns}
            if "year" in texts and year_number(texts["year"]):
                year = year_number(texts["year"])
            if not label:
                if any(is_figure(values[c.index]) for c in details + totals):
                    self.secretariat(
                        N_(
                            "Row {row} has figures but no label, so the layout cannot say what "
                            "they count."
                        ),
                        N_(
                            "Secretariat: add the row's label pattern to `rows.skip` in {layout} "
                            "if it is not data."
                        ),
                        {"row": number},
                        row=number,
                    )
                else:
                    self.summary.skipped_rows.append(f"{number} (no label)")
                continue
            if any(re.search(p, label, re.IGNORECASE) for p in table.rows.skip):
                self.summary.skipped_rows.append(f"{number} ({label})")
                continue
            self.read_rows.append(number)
            is_total = any(re.search(p, label, re.IGNORECASE) for p in table.rows.totals)
            is_subtotal = any(re.search(p, label, re.IGNORECASE) for p in table.rows.subtotals)
            figures = {}
            for column in details + totals:
                value = values[column.index]
                if not cell_text(value):
                    if is_total or is_subtotal or column.role == "total":
                        continue  # a total left blank is not printed: nothing to reconcile
                    if table.blanks == "zero":
                        figures[column.index] = 0
                    else:
                        blank_cells.append(f"{column_letter(column.index)}{number}")
                    continue
                try:
                    figures[column.index] = read_count(value)
                except CountError as error:
                    self.unreadable[column.index].append((number, cell_text(value), error))
            if is_total or is_subtotal:
                total_rows.append(
                    (number, "total" if is_total else "subtotal", figures, len(detail_rows))
                )
                continue
            # Where the month comes from: the row, or the table.
            period = fixed
            row_dims = dict(base)
            reconciling = table.use == "reconcile"
            if "month" in keys or ("year" in keys and reconciling):
                month_text = texts.get("month", "")
                quarter = quarter_number(month_text)
                if not month_text and year is not None and not reconciling:
                    annual.append((number, year, figures))
                    continue
                if reconciling and year is not None and (quarter or not month_text):
                    # A calendar-year or quarterly table, read only to check the months.
                    period = f"{year:04d}" + (f"-Q{quarter}" if quarter else "")
                    month = 0
                else:
                    month = month_number(month_text)
                if month is None or year is None:
                    self.secretariat(
                        N_("Row {row}: {month} is not a month the layout can read.")
                        if year
                        else N_(
                            "Row {row}: {month} is not a month the layout can read (no year "
                            "above it)."
                        ),
                        N_("Secretariat: check `rows.keys` in {layout}."),
                        {"row": number, "month": repr(texts["month"])},
                        row=number, value=texts["month"],
                    )  # fmt: skip
                    continue
                if month:
                    period = f"{year:04d}-{month:02d}"
                if re.search(r"\[\s*p\s*\]", month_text, re.IGNORECASE):
                    provisional += 1
            elif "period" in keys:
                try:
                    period = parse_period_text(row[column_index(keys["period"])])
                except PeriodError as error:
                    self.parsed.error(
                        error.template, N_("Write the month as YYYY-MM."), params=error.params,
                        **self.where, row=number, value=texts["period"],
                    )  # fmt: skip
                    continue
            unresolved = False
            for key, text in texts.items():
                if key in PERIOD_PARTS:
                    continue
                codes = self.resolve(key, text, phrase(N_("row {row}"), row=number))
                if codes is None:
                    unresolved = True
                else:
                    row_dims.update(codes)
            # A row's own constants win over its columns' (cruise passengers all came by sea).
            own: dict[str, str] = {}
            for pattern, values_set in table.rows.set.items():
                if re.search(pattern, label, re.IGNORECASE):
                    own.update(values_set)
            row_dims.update(own)
            if table.rows.flag:
                flag_column = column_index(table.rows.flag)
                if flag_column < len(row) and "p" in cell_text(row[flag_column]).lower():
                    provisional += 1
            detail_rows.append((number, period, figures))
            grand_column = next((c for c in totals if self.is_grand(c, totals)), None)
            if grand_column is not None and grand_column.index in figures:
                file_total += figures[grand_column.index]
            else:
                printed = False  # some row has no printed total: the column is not the total
            if unresolved:
                continue
            for column in details:
                if column.index not in figures:
                    continue
                dims = {
                    **row_dims,
                    **{k: v for k, v in column.dims.items() if k not in PERIOD_PARTS},
                    **own,
                }
                cell_period = period
                if any(k in column.dims for k in PERIOD_PARTS):
                    cell_period = self.column_period(column, number)
                    if cell_period is None:
                        continue
                records.append(
                    self.record(dims, cell_period, figures[column.index], number, column.index)
                )
            self.check_row_totals(
                number, label, figures, details, totals, row_dims, period, records
            )
        if blank_cells:
            shown = ", ".join(blank_cells[:8]) + (" ..." if len(blank_cells) > 8 else "")
            self.parsed.error(
                N_(
                    "1 cell among the figures is blank ({cells}); blank is not zero on this platform."
                )
                if len(blank_cells) == 1
                else N_(
                    "{count} cells among the figures are blank ({cells}); blank is not zero on "
                    "this platform."
                ),
                N_("Write 0 (or -) where there was nothing to count, then resubmit."),
                params={"count": count_param(len(blank_cells)), "cells": shown},
                **self.where,
            )
        records += self.check_total_rows(total_rows, detail_rows, details, base, fixed)
        self.check_annual(annual, detail_rows, details + totals)
        self.check_below_stop(stop_row, columns)
        self.check_unaccounted(columns, last_row)
        self.report_unreadable()
        self.report_unresolved()
        self.report_tolerated()
        if provisional:
            self.parsed.problems.append(
                Problem.of(
                    WARNING,
                    N_("1 row is marked provisional [p].") if provisional == 1
                    else N_("{count} rows are marked provisional [p]."),
                    N_("Send a corrected version of those months when the figures are final."),
                    {"count": count_param(provisional)},
                    rule="provisional", **self.where,
                )
            )  # fmt: skip
        # The table's own total: its grand-total column when every row prints one, else its
        # grand-total row when it prints every column, else it prints none.
        if not printed or not detail_rows:
            grand = [f for _, kind, f, _ in total_rows if kind == "total"]
            printed = bool(grand) and all(c.index in grand[-1] for c in details)
            file_total = sum(grand[-1].get(c.index, 0) for c in details) if printed else 0
        self.summary.file_total = file_total if printed else None
        return records

    def base_dims(self) -> dict[str, str]:
        """Constants, with ``_T`` for every breakdown the table does not name that admits it."""
        contract = load_contract()
        named = set(self.table.rows.keys) | set(self.table.column_keys)
        named |= {k for cell in self.table.columns.cells.values() for k in cell}
        named |= {
            k
            for label, v in self.table.labels.items()
            if isinstance(v, dict) and label not in self.labels_by_dimension
            for k in v
        }
        dims: dict[str, str] = {}
        missing = []
        for column in self.dataset.breakdowns:
            if column.name in self.table.constants:
                dims[column.name] = self.table.constants[column.name]
            elif column.name in named:
                continue
            elif column.type in ("country", "port") or TOTAL in contract.codes(column.code_list):
                dims[column.name] = TOTAL
            else:
                missing.append(column.name)
        if missing:
            raise UnreadableFileError(
                N_(
                    "The layout {layout} does not say the {missing} of its {dataset} figures, "
                    "and those have no total code."
                ),
                N_("Secretariat: add them under `constants` in {layout}."),
                audience=SECRETARIAT,
                params={
                    "layout": self.layout_name,
                    "missing": ", ".join(missing),
                    "dataset": self.table.dataset,
                },
            )
        return dims

    def is_grand(self, column: _Column, totals: list[_Column]) -> bool:
        widest = max((len(c.covers or []) for c in totals), default=0)
        return len(column.covers or []) == widest and column is next(
            c for c in totals if len(c.covers or []) == widest
        )

    def column_period(self, column: _Column, number: int) -> str | None:
        dims = column.dims
        if "period" in dims:
            try:
                return parse_period_text(dims["period"])
            except PeriodError:
                pass
        else:
            year, month = year_number(dims.get("year")), month_number(dims.get("month", ""))
            if year and month:
                return f"{year:04d}-{month:02d}"
        self.secretariat(
            N_("Column {letter}'s header {header} is not a month the layout can read."),
            N_("Secretariat: check `columns.header_rows` and `columns.key` in {layout}."),
            {"letter": column_letter(column.index), "header": repr(" ".join(column.labels))},
            column=column_letter(column.index),
        )
        return None

    def record(self, dims: dict, period: str, count: int, row: int, column: int) -> dict:
        return {
            **dims, "member": self.member, "period": period, "count": count,
            "source_sheet": self.table.sheet or self.path.name, "source_row": row,
            "source_column": column_letter(column),
        }  # fmt: skip

    # -- reconciliation ---------------------------------------------------------------------
    def check_row_totals(self, number, label, figures, details, totals, row_dims, period, records):
        for column in totals:
            if column.index not in figures or any(i not in figures for i in column.covers or []):
                continue
            stated = figures[column.index]
            detail = sum(figures[i] for i in column.covers or [])
            grand = self.is_grand(column, totals)
            key = self.table.column_keys[0] if self.table.column_keys else None
            if self.table.load_totals and grand and key and period:
                records.append(
                    self.record({**row_dims, key: TOTAL}, period, stated, number, column.index)
                    | {"printed_total": True}
                )
            if stated == detail:
                continue
            if self.table.remainder and stated > detail and grand and key and period:
                records.append(
                    self.record({**row_dims, key: self.table.remainder}, period,
                                stated - detail, number, column.index)
                )  # fmt: skip
                continue
            if abs(stated - detail) <= self.table.tolerance:
                self.within_tolerance.append(
                    phrase(
                        N_("{label} ({cell}: {stated} printed, {detail} in detail)"),
                        label=label, cell=f"{column_letter(column.index)}{number}",
                        stated=count_param(stated), detail=count_param(detail),
                    )
                )  # fmt: skip
                continue
            self.parsed.error(
                N_("The total for {label} is {stated} but its detail adds up to {detail}."),
                N_("Correct the detail or the total so that they agree, then resubmit."),
                params={"label": repr(label), "stated": count_param(stated), "detail": count_param(detail)},
                **self.where, row=number, column=column_letter(column.index), value=str(stated),
            )  # fmt: skip

    def report_unreadable(self) -> None:
        """Figures that are not whole numbers: one problem per column, not one per cell."""
        for index, cells in sorted(self.unreadable.items()):
            letter = column_letter(index)
            row, value, error = cells[0]
            shown = ", ".join(f"{letter}{n} {v!r}" for n, v, _ in cells[:5])
            shown += " ..." if len(cells) > 5 else ""
            self.parsed.error(
                N_("1 figure in column {letter} cannot be read ({cells}): {reason}")
                if len(cells) == 1
                else N_("{count} figures in column {letter} cannot be read ({cells}): {reason}"),
                N_(
                    "Write whole numbers of zero or more (or - for none). If the column is not "
                    "counts (percentages, rates), the Secretariat adds its header to "
                    "`columns.skip` in {layout}."
                ),
                params={
                    "count": count_param(len(cells)), "letter": letter, "cells": shown,
                    "reason": phrase(error.template, **error.params),
                    "layout": self.layout_name,
                },
                **self.where, row=row, column=letter, value=value,
            )  # fmt: skip

    def report_tolerated(self) -> None:
        if not self.within_tolerance:
            return
        shown = self.within_tolerance[:6]
        more = len(self.within_tolerance) - 6
        self.parsed.problems.append(
            Problem.of(
                WARNING,
                N_(
                    "{count} printed totals differ from their detail by at most {tolerance} "
                    "(rounding in the publication): {totals}."
                ),
                N_(
                    "Nothing to correct if the publication prints these figures; the detail is "
                    "loaded as printed and so are the totals."
                )
                if self.table.load_totals
                else N_(
                    "Nothing to correct if the publication prints these figures; the detail is "
                    "loaded as printed."
                ),
                {
                    "count": count_param(len(self.within_tolerance)),
                    "tolerance": count_param(self.table.tolerance),
                    "totals": phrase(N_("{rows} and {more} more"), rows=shown, more=count_param(more))
                    if more > 0 else shown,
                },
                rule="total_rounding", **self.where,
            )
        )  # fmt: skip

    def check_total_rows(self, total_rows, detail_rows, details, base, fixed) -> list[dict]:
        """Total and subtotal rows against the rows above; a declared remainder takes what a
        grand-total row has beyond its rows (a records list, for a table with one row key)."""
        remainders = []
        row_keys = [k for k in self.table.rows.keys if k not in PERIOD_PARTS]
        by_index = {c.index: c for c in details}
        for number, kind, figures, upto in total_rows:
            start = 0
            if kind == "subtotal":
                earlier = [u for n, k, _, u in total_rows if n < number]
                start = max(earlier, default=0)
            block = detail_rows[start:upto]
            for index, stated in figures.items():
                detail = sum(f.get(index, 0) for _, _, f in block)
                column = by_index.get(index)
                if (
                    kind == "total" and self.table.remainder and len(row_keys) == 1
                    and column is not None and stated >= detail
                ):  # fmt: skip
                    period = fixed
                    if any(k in column.dims for k in PERIOD_PARTS):
                        period = self.column_period(column, number)
                    if period:
                        dims = {
                            **base,
                            **{k: v for k, v in column.dims.items() if k not in PERIOD_PARTS},
                            row_keys[0]: self.table.remainder,
                        }
                        remainders.append(self.record(dims, period, stated - detail, number, index))
                        continue
                if stated != detail and not (
                    kind == "total" and self.table.remainder and stated > detail
                    and index not in by_index
                ):  # fmt: skip
                    self.parsed.error(
                        N_("The total in column {letter} is {stated} but the rows above add up "
                           "to {detail}.")
                        if kind == "total"
                        else N_("The subtotal in column {letter} is {stated} but the rows above "
                                "add up to {detail}."),
                        N_("Correct the rows or the total so that they agree, then resubmit."),
                        params={"letter": column_letter(index), "stated": count_param(stated),
                                "detail": count_param(detail)},
                        **self.where, row=number, column=column_letter(index), value=str(stated),
                    )  # fmt: skip
        return remainders

    def check_annual(self, annual, detail_rows, columns) -> None:
        unreconciled = []
        for number, year, figures in annual:
            months = [(p, f) for _, p, f in detail_rows if p and p.startswith(f"{year:04d}-")]
            if len({p for p, _ in months}) != 12:
                unreconciled.append(
                    phrase(N_("{year} (row {row}, {months} months)"), year=str(year), row=number,
                           months=len({p for p, _ in months}))
                )  # fmt: skip
                continue
            for column in columns:
                if column.index not in figures:
                    continue
                total = sum(f.get(column.index, 0) for _, f in months)
                if total != figures[column.index]:
                    self.parsed.error(
                        N_("The {year} annual total in column {letter} is {stated} but its "
                           "months add up to {total}."),
                        N_("Correct the months or the annual total so that they agree."),
                        params={"year": str(year), "letter": column_letter(column.index),
                                "stated": count_param(figures[column.index]), "total": count_param(total)},
                        **self.where, row=number, column=column_letter(column.index),
                        value=str(figures[column.index]),
                    )  # fmt: skip
        if unreconciled:
            self.note(
                N_(
                    "Annual totals of years whose 12 months are not all in this table were not "
                    "reconciled (never loaded): {years}."
                ),
                {"years": unreconciled},
            )

    def check_unaccounted(self, columns: list[_Column], last_row: int) -> None:
        """Every column with values in the rows read is read, skipped by a rule or ignored."""
        known = {c.index for c in columns} | set(self.row_label_columns()) | self.headerless
        known |= {column_index(letter) for letter in self.table.columns.ignore}
        if self.table.rows.flag:
            known.add(column_index(self.table.rows.flag))
        found: dict[int, list[str]] = defaultdict(list)
        for number in self.read_rows:
            row = self.grid[number - 1]
            for index, value in enumerate(row):
                if index not in known and cell_text(value):
                    found[index].append(f"{column_letter(index)}{number}")
        for index, cells in sorted(found.items()):
            letter = column_letter(index)
            self.secretariat(
                N_(
                    "Column {letter} has {count} values in the table's rows ({cells}) that the "
                    "layout does not read: they would be dropped."
                ),
                N_(
                    "Secretariat: widen `columns` (remove `to`, or add the column to `cells`) in "
                    "{layout}, or list it under `columns.ignore: [{letter}]` if it is not data."
                ),
                {
                    "letter": letter,
                    "count": count_param(len(cells)),
                    "cells": ", ".join(cells[:4]) + (" ..." if len(cells) > 4 else ""),
                },
                column=letter,
            )

    def check_below_stop(self, stop_row: int | None, columns: list[_Column]) -> None:
        if stop_row is None:
            return
        read = [c.index for c in columns if c.role in ("detail", "total")]
        for number in range(stop_row + 1, len(self.grid) + 1):
            row = self.grid[number - 1]
            if any(i < len(row) and is_figure(row[i]) for i in read):
                first = next((cell_text(c) for c in self.grid[stop_row - 1] if cell_text(c)), "")
                self.secretariat(
                    N_(
                        "Row {row} holds figures below the row that ends the table (row "
                        "{stop_row}, {first}): they would be dropped."
                    ),
                    N_(
                        "Secretariat: narrow `rows.stop` in {layout} so the table ends after its "
                        "last figures."
                    ),
                    {"row": number, "stop_row": stop_row, "first": repr(first[:40])},
                    row=number,
                )
                return


def _aggregate(records: list[dict], dataset_name: str) -> pd.DataFrame:
    """Records as the dataset's frame; labels that map to one code are summed into one row."""
    dataset = load_contract().dataset(dataset_name)
    columns = [*dataset.column_names, "source_sheet", "source_row", "source_column"]
    frame = pd.DataFrame(records, columns=columns)
    keys = [c for c in dataset.column_names if c != "count"]
    frame = frame.groupby(keys, sort=False, dropna=False, as_index=False).agg(
        count=("count", "sum"),
        source_sheet=("source_sheet", "first"),
        source_row=("source_row", "first"),
        source_column=("source_column", "first"),
    )[columns]
    frame["count"] = frame["count"].astype(str)
    return frame.astype({c: "string" for c in columns if c != "source_row"}).astype(object)


def _periods_holding(month: str) -> list[str]:
    """The periods a month counts in: itself, its quarter and its year."""
    quarter = (int(month[5:7]) - 1) // 3 + 1
    return [month, f"{month[:4]}-Q{quarter}", month[:4]]


def _months_in(period: str) -> int:
    return 12 if len(period) == 4 else 3 if "-Q" in period else 1


def _reconcile(reader: _TableReader, records: list[dict], loaded: list[dict]) -> None:
    """A ``use: reconcile`` table's month totals against the loaded figures it must equal."""
    target = {**reader.base_dims(), **reader.table.against}
    breakdowns = [c.name for c in reader.dataset.breakdowns]
    for column in breakdowns:
        target.setdefault(column, TOTAL)
    own: dict[str, int] = defaultdict(int)
    for record in records:
        own[record["period"]] += record["count"]
    # A breakdown the target totals (`_T`) is matched exactly where the loaded figures carry
    # that total, and summed over where they carry only its detail.
    exact = [c for c in breakdowns if target[c] != TOTAL]
    totalled = [c for c in breakdowns if target[c] == TOTAL]
    carried = {c for c in totalled if any(r.get(c) == TOTAL for r in loaded)}
    theirs: dict[str, int] = defaultdict(int)
    months: dict[str, set[str]] = defaultdict(set)
    for record in loaded:
        if all(record.get(c) == target[c] for c in exact) and all(
            (record.get(c) == TOTAL) == (c in carried) for c in totalled
        ):
            for key in _periods_holding(record["period"]):
                theirs[key] += record["count"]
                months[key].add(record["period"])
    described = ", ".join(f"{k}={v}" for k, v in reader.table.against.items())
    unchecked = []
    for period, total in sorted(own.items()):
        expected = _months_in(period)
        if period not in theirs or len(months[period]) < expected:
            unchecked.append(
                phrase(N_("{period} ({found} of {expected} months)"), period=period,
                       found=len(months[period]), expected=expected)
            )  # fmt: skip
        elif theirs[period] != total:
            reader.parsed.error(
                N_(
                    "{period}: this table adds up to {total} but the loaded figures with "
                    "{described} add up to {loaded}."
                ),
                N_("Correct the tables so that they agree, then resubmit."),
                params={"period": period, "total": count_param(total), "described": described,
                        "loaded": count_param(theirs[period])},
                **reader.where,
            )  # fmt: skip
    if unchecked:
        reader.note(
            N_(
                "Not reconciled with the loaded figures with {described}, whose months are not "
                "all in this file: {periods}."
            ),
            {"described": described, "periods": unchecked},
        )


def matching_layouts(
    path: Path, member: str | None, sheets: list[str] | None, folder: Path | None = None
) -> list[Layout]:
    """The declared layouts (of ``member``, if given) that read this file."""
    found = []
    grids: dict[str | None, list] = {}
    for layout in declared_layouts(folder):
        if member and layout.member != member:
            continue
        for_workbook = any(t.sheet for t in layout.tables)
        if for_workbook != (sheets is not None):
            continue
        match = layout.match
        if match.files and not any(
            fnmatch.fnmatch(path.name.casefold(), p.casefold()) for p in match.files
        ):
            continue
        if match.sheets and not set(match.sheets) <= set(sheets or []):
            continue
        if sheets is not None and not {t.sheet for t in layout.tables} <= set(sheets):
            continue
        if match.header:
            texts = []
            for sheet in {t.sheet for t in layout.tables}:
                if sheet not in grids:
                    grids[sheet] = read_grid(path, sheet, HEADER_SCAN_ROWS)[:HEADER_SCAN_ROWS]
                texts += [normalise(cell_text(c)) for row in grids[sheet] for c in row]
            blob = " | ".join(texts)
            if not all(normalise(h) in blob for h in match.header):
                continue
        found.append(layout)
    return found


def parse_declared(
    path: Path, member: str | None, layouts: Layout | list[Layout]
) -> ParsedSubmission:
    """Parse ``path`` through its layouts into a :class:`ParsedSubmission`.

    ``parsed.summaries`` says, per table, what was found (for ``pidc layout check``).
    """
    layouts = [layouts] if isinstance(layouts, Layout) else list(layouts)
    owner = layouts[0].member
    names = ", ".join(layout.name for layout in layouts)
    parsed = ParsedSubmission(file_format=f"declared layout {names}", member=owner)
    if member and member != owner:
        parsed.error(
            N_("This file's layout belongs to {owner}, but it was submitted by {member}."),
            N_("Submit only your own returns."),
            params={"owner": owner, "member": member},
        )
        return parsed
    grids: dict[str | None, list] = {}
    loaded: dict[str, list[dict]] = defaultdict(list)
    to_reconcile = []
    for layout in layouts:
        for table in layout.tables:
            if table.sheet not in grids:
                grids[table.sheet] = read_grid(path, table.sheet)
            reader = _TableReader(layout, table, grids[table.sheet], path, owner, parsed)
            records = reader.read()
            summary = reader.summary
            summary.records = len(records)
            # What the marts will show as the table's total: its printed totals where the
            # layout loads them (load_totals), else the sum of its detail.
            printed = [r["count"] for r in records if r.get("printed_total")]
            summary.loaded_total = sum(printed) if printed else sum(r["count"] for r in records)
            summary.months = sorted({r["period"] for r in records})
            summary.preview = records[:5]
            parsed.summaries.append(summary)
            if table.use == "reconcile":
                to_reconcile.append((reader, records))
            else:
                loaded[table.dataset].extend(records)
    for reader, records in to_reconcile:
        _reconcile(reader, records, loaded[reader.table.dataset])
    for name, records in loaded.items():
        if records:
            parsed.frames[name] = _aggregate(records, name)
    return parsed
