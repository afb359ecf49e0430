"""What every parser produces: returns as long, typed frames with lineage, plus parse problems.

Counts and periods arrive in many notations; the helpers here turn them into whole numbers and
``YYYY-MM`` strings, or say exactly why they could not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ingestion.report import ERROR, Problem, count_unlisted, max_problems
from pidc.contract import Dataset
from pidc.i18n import N_

# Where each record came from: sheet (or file), spreadsheet row and, when one row holds several
# records (a declared layout's category or month columns), the column; None for one record a row.
LINEAGE = ["source_sheet", "source_row", "source_column"]

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        dt.date(2000, number, 1).strftime("%b").lower(),
        dt.date(2000, number, 1).strftime("%B").lower(),
    )
}
_MONTHS["sept"] = 9
_ISO_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR_NUM = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_MONTH_NAME_YEAR = re.compile(r"^([a-z]+)[\s\-/.,]*(\d{4}|\d{2})$")
_YEAR_MONTH_NAME = re.compile(r"^(\d{4})[\s\-/.,]*([a-z]+)$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})([ T].*)?$")
# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug included).
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class PeriodError(ValueError):
    """A period value could not be read as a calendar month.

    ``str(error)`` says why in English; ``template`` and ``params`` are the whole sentence a
    report shows, in its reader's language (ingestion.messages).
    """

    def __init__(self, reason: str, template: str = "", **params: object) -> None:
        super().__init__(reason)
        self.template = template or N_("The period cannot be read: {reason}.")
        self.params = params if template else {"reason": reason}


def parse_period(value: object) -> str:
    """The calendar month ``value`` names, as ``YYYY-MM``.

    Accepts ``2026-10``, ``2026/10``, ``10/2026``, ``Oct-2026``, ``October 2026``, ``Oct-26``,
    ISO dates, Excel date cells and Excel date serial numbers. Raises :class:`PeriodError`.
    """
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= float(value) <= 80000 and float(value).is_integer():
            day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
            return f"{day.year:04d}-{day.month:02d}"
        raise PeriodError(
            f"{value!r} is a number, not a month",
            N_("The period cannot be read: {value} is a number, not a month."),
            value=repr(value),
        )
    text = str(value or "").strip().lower()
    if not text:
        raise PeriodError("the period is blank", N_("The period is blank."))
    year = month = None
    if match := _ISO_MONTH.match(text):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_YEAR_NUM.match(text):
        year, month = int(match[2]), int(match[1])
    elif match := _ISO_DATE.match(text):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_NAME_YEAR.match(text):
        month = _MONTHS.get(match[1])
        year = int(match[2]) + (2000 if len(match[2]) == 2 else 0)
    elif match := _YEAR_MONTH_NAME.match(text):
        year, month = int(match[1]), _MONTHS.get(match[2])
    if not year or not month or not 1 <= month <= 12 or not 1990 <= year <= 2100:
        raise PeriodError(
            f"{value!r} is not a month this platform can read",
            N_("The period cannot be read: {value} is not a month this platform can read."),
            value=repr(value),
        )
    return f"{year:04d}-{month:02d}"


class CountError(ValueError):
    """A count cell is not a whole number of zero or more.

    ``str(error)`` says why in English; ``template`` and ``params`` are the whole sentence a
    report shows, in its reader's language (ingestion.messages).
    """

    def __init__(self, reason: str, template: str, **params: object) -> None:
        super().__init__(reason)
        self.template = template
        self.params = params


# No month's figure comes near it (it is over the world's population), and every count up to it
# is exact as a float64 and as a BIGINT: a larger one is a typing or export error.
MAX_COUNT = 10**12

_ZERO_MARKERS = {"-", "–", "—", "nil", "none"}


def parse_count(value: object) -> int:
    """A cell as a whole count: ``1019``, ``1019.0``, ``"1,019"``, ``"1 019"``; ``"-"`` is zero.

    Blank is not zero (zero and missing must never be confused): it raises :class:`CountError`,
    as do negative, fractional and non-numeric values and counts over :data:`MAX_COUNT`.
    """
    if isinstance(value, bool):
        raise CountError(
            f"{value!r} is not a count", N_("The count {value} is not a count."), value=repr(value)
        )
    if isinstance(value, int):
        number: float = value
    elif isinstance(value, float):
        if value != value:  # NaN: an empty cell read by pandas
            raise CountError("the count is blank", N_("The count is blank."))
        number = value
    else:
        text = str(value or "").strip()
        if not text:
            raise CountError("the count is blank", N_("The count is blank."))
        if text.lower() in _ZERO_MARKERS:
            return 0
        cleaned = re.sub(r"(?<=\d)[,\s\u00a0'](?=\d{3}\b)", "", text)
        try:
            number = float(cleaned)
        except ValueError:
            raise CountError(
                f"{text!r} is not a number",
                N_("The count {value} is not a number."),
                value=repr(text),
            ) from None
    if number < 0:
        raise CountError(
            f"{value!r} is negative", N_("The count {value} is negative."), value=repr(value)
        )
    if not float(number).is_integer():
        raise CountError(
            f"{value!r} is not a whole number",
            N_("The count {value} is not a whole number."),
            value=repr(value),
        )
    if number > MAX_COUNT:
        raise CountError(
            f"{value!r} is too large to be a count",
            N_("The count {value} is too large to be a month's figure."),
            value=repr(value),
        )
    return int(number)


def fill_defaults(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """``frame`` with every optional column of ``dataset`` present, blanks as its default.

    A return that leaves out a breakdown it does not report (``sex`` and ``age_group`` in an
    older template, a CSV or an SDMX-CSV export) means the contract column's default (``_T``,
    a total over it); so does a blank cell in such a column. Other columns are left as they are.
    """
    defaults = dataset.defaults
    blanks = {name: blank_cells(frame[name]) for name in defaults if name in frame.columns}
    if all(name in blanks and not blanks[name].any() for name in defaults):
        return frame
    filled = frame.copy()
    for name, default in defaults.items():
        if name not in filled.columns:
            filled[name] = default
        else:
            filled[name] = filled[name].mask(blanks[name], default)
    return filled


def blank_cells(column: pd.Series) -> pd.Series:
    """Which cells of ``column`` are blank (:func:`is_blank`), each distinct value looked at
    once: a column of codes holds a handful of them over thousands of rows."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    blank = np.fromiter((is_blank(value) for value in uniques), dtype=bool, count=len(uniques))
    return pd.Series(blank[codes], index=column.index)


def is_blank(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


# The dtype pandas gives text ("str"), looked up once: by name, each use searches the registry.
TEXT = pd.api.types.pandas_dtype("str")


def text_array(values: list) -> object:
    """``values`` as a column: when all are ``str``, the ``str`` array pandas infers for them,
    built from a pyarrow array (pandas' own conversion checks each value in Python first);
    otherwise the list itself, left to pandas' inference."""
    if not set(map(type, values)) <= {str}:
        return values
    return pd.array(pa.array(values, type=pa.large_string()), dtype=TEXT)


def rows_between(table: pd.DataFrame, first: int, past_last: int) -> pd.DataFrame:
    """``table``'s rows from ``first`` up to ``past_last``, numbered from 0: as
    ``reset_index(drop=True)`` gives them, without copying the rows (``ParsedReturn.source``)."""
    part = table.iloc[first:past_last]
    part.index = pd.RangeIndex(past_last - first)
    return part


@dataclass
class ParsedReturn:
    """One return as read: dataset, month, nil flag and the rows (contract columns + lineage)."""

    dataset: str
    period: str
    is_nil: bool
    rows: pd.DataFrame
    # The return's total (ingestion.history.total_of), once worked out.
    total: int | None = field(default=None, compare=False, repr=False)
    # (table, first, past last): ``rows`` are ``table.iloc[first:past last]``, rows of the batch's
    # table of the dataset (ingestion.validate). The loader takes the rows of returns that follow
    # each other in one table as one slice of it, instead of stacking them again.
    source: tuple[pd.DataFrame, int, int] | None = field(default=None, compare=False, repr=False)

    @property
    def row_count(self) -> int:
        return len(self.rows)


@dataclass
class ParsedSubmission:
    """Everything read from one file, before validation."""

    file_format: str
    member: str | None
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    nil_returns: dict[str, set[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    version: int | None = None
    # Per declared-layout table: what was found (for `pidc layout check`).
    summaries: list = field(default_factory=list)
    # Problems past PIDC_MAX_PROBLEMS, only counted per kind (ingestion.report.keep_within).
    unlisted: list[dict] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(len(frame) for frame in self.frames.values())

    def repeated_columns(self, names: list[str], sheet: str, dataset: str | None) -> bool:
        """Record an error for each header ``names`` holds more than once (two headers read as
        one name, "Count" and "count": which one holds the figures?); whether there was one."""
        repeated = sorted(name for name, times in Counter(names).items() if times > 1)
        for column in repeated:
            self.error(
                N_("The column {column} appears more than once."),
                N_("Keep one column headed {column} and remove or rename the others."),
                params={"column": repr(column)},
                dataset=dataset,
                sheet=sheet,
                row=1,
                column=column,
                value=column,
            )
        return bool(repeated)

    def error(self, message: str, fix: str, *, params: dict | None = None, **where: object) -> None:
        """Record a parse error at ``where`` (dataset, sheet, row, column, value); past
        ``PIDC_MAX_PROBLEMS`` it is only counted, so a file of bad rows costs bounded memory.

        With ``params`` (even empty), ``message`` and ``fix`` are English templates marked with
        ``N_``, shown in the reader's language (:meth:`Problem.of`); without, finished English.
        """
        if params is None:
            problem = Problem(ERROR, message, fix, rule="parse", **where)  # type: ignore[arg-type]
        else:
            problem = Problem.of(ERROR, message, fix, params, rule="parse", **where)
        if len(self.problems) < max_problems():
            self.problems.append(problem)
        else:
            count_unlisted(self.unlisted, problem)
