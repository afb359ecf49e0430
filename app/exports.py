"""Downloads: CSV, Excel and SDMX-CSV bytes, with spreadsheet formula injection neutralised.

Publishing already neutralises every text value in the serving database (so the data grid's own
"Download as CSV" is safe too); the files here apply the same rule again, to the headers as well,
in case a frame reaches them from anywhere else.
"""

from __future__ import annotations

import io

import pandas as pd

from pidc.escaping import neutralise_formula


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet could run as a formula gets a leading apostrophe
    (OWASP: = + - @ tab or carriage return, also after leading spaces or invisible characters)."""
    return neutralise_formula(value)


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(column)) for column in safe.columns]
    return safe


def _plain_dates(frame: pd.DataFrame) -> pd.DataFrame:
    plain = frame.copy()
    for column in plain.columns:
        if pd.api.types.is_datetime64_any_dtype(plain[column]):
            if getattr(plain[column].dt, "tz", None) is not None:
                plain[column] = plain[column].dt.tz_localize(None)
            if column in ("period_month", "due_date"):
                plain[column] = plain[column].dt.strftime("%Y-%m-%d")
    return plain


# CRLF line ends (RFC 4180): the csv writer then quotes every cell holding a CR or an LF, so a
# bare carriage return inside a value cannot start a new row (and a formula) in a spreadsheet.
LINE_END = "\r\n"


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel opens accents right), formula cells neutralised."""
    safe = neutralised(_plain_dates(frame))
    return safe.to_csv(index=False, lineterminator=LINE_END).encode("utf-8-sig")


# One sheet of an .xlsx workbook holds 1,048,576 rows, the header included.
EXCEL_MAX_ROWS = 1_048_576


def to_excel_bytes(frame: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """An .xlsx workbook written by xlsxwriter; text is never turned into formulas."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        neutralised(_plain_dates(frame)).to_excel(writer, sheet_name=sheet_name[:31], index=False)
    return buffer.getvalue()


def to_sdmx_csv_bytes(frame: pd.DataFrame) -> bytes:
    """SDMX-CSV: the ``mart_sdmx_public`` rows as they are, suppressed OBS_VALUE left empty."""
    return neutralised(frame).to_csv(index=False, lineterminator=LINE_END).encode("utf-8")
