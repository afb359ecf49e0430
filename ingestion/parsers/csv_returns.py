"""Read a long-format CSV return: one dataset per file, in the encodings members really produce."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.errors import UnreadableFileError
from ingestion.parsers.common import (
    ParsedSubmission,
    PeriodError,
    blank_cells,
    parse_period,
    text_array,
)
from pidc.contract import Dataset, load_contract
from pidc.i18n import N_

_PERIOD_IN_NAME = re.compile(r"(\d{4})[-_](\d{2})(?!\d)")


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode CSV bytes; returns (text, encoding). BOMs first, then UTF-8, then Windows-1252."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(encoding), encoding
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The field delimiter of the header line: comma, semicolon or tab."""
    header = text.splitlines()[0] if text else ""
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_name(text: str) -> str:
    """A column header as a contract column name: lower case, spaces and dashes to underscores."""
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower())


def dataset_from_file_name(name: str) -> str | None:
    """The contract dataset a CSV file name mentions (longest name wins), or None."""
    lowered = name.lower()
    names = sorted([*load_contract().dataset_names, "observations"], key=len, reverse=True)
    return next((dataset for dataset in names if dataset in lowered), None)


def _return_rows(
    frame: pd.DataFrame, names: list[str], dataset: Dataset, file_name: str
) -> pd.DataFrame:
    """``frame`` (the file as read, its columns called ``names``: the contract's columns, each
    once, or fewer optional ones) as the return's rows: contract columns in order, blanks and
    left-out optional columns as their default (as :func:`fill_defaults` does), then the lineage.

    Built as one frame from its columns: the same values and dtypes as filling and adding the
    columns one by one, for a fraction of pandas' per-column cost.
    """
    defaults = dataset.defaults
    index = frame.index
    columns: dict[str, object] = {}
    read = {name: column for name, (_, column) in zip(names, frame.items(), strict=True)}
    for name in dataset.column_names:
        if name not in read:  # only an optional column can be left out
            columns[name] = text_array([defaults[name]] * len(frame))
            continue
        column = read[name]
        if name in defaults:
            blank = blank_cells(column)
            if blank.any():
                column = column.mask(blank, defaults[name])
        columns[name] = column
    # Data starts on line 2 of the file; pandas already dropped blank lines, so count from index.
    columns["source_sheet"] = text_array([file_name] * len(frame))
    columns["source_row"] = np.arange(2, len(frame) + 2)
    columns["source_column"] = np.full(len(frame), None, dtype=object)  # one record per line
    return pd.DataFrame(columns, index=index, copy=False)


def parse_csv(path: Path, member: str | None) -> ParsedSubmission:
    """Parse ``path`` into a :class:`ParsedSubmission` with one dataset frame.

    A CSV with a header and no data rows is a declared nil return for the month in its name.
    """
    contract = load_contract()
    text, encoding = decode_text(path.read_bytes())
    parsed = ParsedSubmission(file_format=f"csv ({encoding})", member=member)
    dataset_name = dataset_from_file_name(path.name)
    if dataset_name is None:
        names = ", ".join(contract.dataset_names)
        raise UnreadableFileError(
            N_("The file name {file} does not say which dataset it holds."),
            N_("Put the dataset name in the file name, e.g. FJI_refusals_2026-10.csv ({names})."),
            params={"file": repr(path.name), "names": names},
        )
    dataset = contract.dataset(dataset_name)
    delimiter = sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,  # "NA" is Namibia's alpha-2 code, not a missing value
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UnreadableFileError(
            N_("{file} is not a readable CSV table ({error})."),
            N_(
                "Save it again as CSV from Excel (comma- or semicolon-separated) with one header "
                "row."
            ),
            params={"file": path.name, "error": str(error)},
        ) from None
    # The frame keeps the headers as read; its columns are picked by these names.
    names = [header_name(c) for c in frame.columns]
    expected = dataset.column_names
    # Optional breakdowns (sex, age_group) may be left out: an older return means _T for them.
    missing = [c for c in expected if c not in names and c not in dataset.defaults]
    extra = [c for c in names if c not in expected]
    for column in missing:
        parsed.error(
            N_("The column {column} is missing."),
            N_("Add a column headed {column}; the {dataset} columns are: {columns}."),
            params={
                "column": repr(column),
                "dataset": dataset_name,
                "columns": ", ".join(expected),
            },
            dataset=dataset_name,
            sheet=path.name,
            row=1,
            column=column,
        )
    for column in extra:
        parsed.error(
            N_("The column {column} is not part of the {dataset} dataset."),
            N_("Remove it or rename it to one of: {columns}."),
            params={
                "column": repr(column),
                "dataset": dataset_name,
                "columns": ", ".join(expected),
            },
            dataset=dataset_name,
            sheet=path.name,
            row=1,
            column=column,
            value=column,
        )
    repeated = parsed.repeated_columns(names, path.name, dataset_name)
    if missing or extra or repeated:
        return parsed
    frame = _return_rows(frame, names, dataset, path.name)
    if frame.empty:
        match = _PERIOD_IN_NAME.search(path.name)
        try:
            period = parse_period(f"{match[1]}-{match[2]}") if match else None
        except PeriodError:
            period = None
        if period is None:
            raise UnreadableFileError(
                N_(
                    "{file} has no data rows, so it would be a nil return, but its name does not "
                    "say which month it is for."
                ),
                N_(
                    "Name the file with the month, e.g. FJI_removals_2026-10.csv, to declare a nil "
                    "return; or add the rows."
                ),
                params={"file": path.name},
            )
        parsed.nil_returns[dataset_name] = {period}
    parsed.frames[dataset_name] = frame
    return parsed
