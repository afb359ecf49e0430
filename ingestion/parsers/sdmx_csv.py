"""Read SDMX-CSV (1.0 and 2.0) as exported by the Pacific Data Hub (.Stat) and by this platform.

Columns named after contract columns (any case) map straight onto them; ``GEO_PICT`` or
``REF_AREA`` carries the member (alpha-2, as the Pacific Data Hub writes it, or alpha-3);
``TIME_PERIOD`` the month; ``OBS_VALUE`` the count. Attribute columns (OBS_STATUS, UNIT_MEASURE,
CONF_STATUS ...) are allowed and ignored. The dataset comes from the dataflow id
(``DF_PIDC_REFUSALS``, ``PIDC:DF_REFUSALS(1.0)``) or, failing that, the file name.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from ingestion.errors import UnreadableFileError
from ingestion.parsers.common import ParsedSubmission, fill_defaults
from ingestion.parsers.csv_returns import dataset_from_file_name, decode_text, sniff_delimiter
from pidc.contract import load_contract
from pidc.i18n import N_
from pidc.reference.seeds import read_seed

MEMBER_COLUMNS = ("GEO_PICT", "REF_AREA")
IGNORED = {
    "DATAFLOW",
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "FREQ",
    "OBS_STATUS",
    "UNIT_MEASURE",
    "UNIT_MULT",
    "CONF_STATUS",
    "OBS_COMMENT",
    "ERROR_TYPE",
    "ERROR_VAL",
    "REPORTING_TYPE",
    "DECIMALS",
    "DATA_SOURCE",
}
_SDMX_MONTH = re.compile(r"^(\d{4})-M(\d{2})$")


def is_sdmx_csv(header_line: str) -> bool:
    """Whether a CSV header line is SDMX-CSV (first column DATAFLOW or STRUCTURE)."""
    first = re.split(r"[,;\t]", header_line.strip().lstrip("\ufeff"), maxsplit=1)[0]
    return first.strip().upper() in {"DATAFLOW", "STRUCTURE"}


def _member_code(value: str) -> str:
    alpha2 = read_seed("reference/countries")
    by_alpha2 = dict(zip(alpha2["alpha2"], alpha2["country_code"], strict=True))
    cleaned = value.strip().upper()
    return by_alpha2.get(cleaned, cleaned)


def _dataset(dataflow: str, path: Path) -> str | None:
    names = sorted(load_contract().dataset_names, key=len, reverse=True)
    lowered = dataflow.lower()
    return next((n for n in names if n in lowered), None) or dataset_from_file_name(path.name)


def parse_sdmx_csv(path: Path, member: str | None) -> ParsedSubmission:
    """Parse an SDMX-CSV file into a :class:`ParsedSubmission` with one dataset frame."""
    contract = load_contract()
    text, encoding = decode_text(path.read_bytes())
    frame = pd.read_csv(
        io.StringIO(text), sep=sniff_delimiter(text), dtype=str, keep_default_na=False
    )
    frame.columns = [c.strip().upper() for c in frame.columns]
    parsed = ParsedSubmission(file_format=f"sdmx-csv ({encoding})", member=member)
    # Two headers read as one column (OBS_VALUE and obs_value): which one holds the figures?
    if parsed.repeated_columns(list(frame.columns), path.name, None):
        return parsed
    if "FREQ" in frame:
        frequencies = sorted(set(frame["FREQ"]) - {"M"})
        if frequencies:
            raise UnreadableFileError(
                N_(
                    "{file} holds {frequencies} (not monthly) observations; the platform takes "
                    "monthly returns (FREQ M)."
                ),
                N_(
                    "Export the monthly series (FREQ=M), one month per TIME_PERIOD such as 2026-10."
                ),
                params={"file": path.name, "frequencies": ", ".join(frequencies)},
            )
    flow_column = "DATAFLOW" if "DATAFLOW" in frame else "STRUCTURE_ID"
    dataflow = str(frame[flow_column].iloc[0]) if len(frame) and flow_column in frame else ""
    name = _dataset(dataflow, path)
    if name is None:
        raise UnreadableFileError(
            N_("{file}: the dataflow {dataflow} is not one of the regional datasets."),
            N_(
                "Export one of the PIDC dataflows (DF_PIDC_<DATASET>), or name the dataset in "
                "the file name ({names})."
            ),
            params={
                "file": path.name,
                "dataflow": repr(dataflow),
                "names": ", ".join(contract.dataset_names),
            },
        )
    dataset = contract.dataset(name)
    member_column = next((c for c in MEMBER_COLUMNS if c in frame), None)
    renamed = {"TIME_PERIOD": "period", "OBS_VALUE": "count"}
    if member_column:
        renamed[member_column] = "member"
    renamed.update({c.upper(): c for c in dataset.key if c not in ("member", "period")})
    # SDMX data structures (the Pacific Data Hub's included) call the age dimension AGE.
    if "age_group" in dataset.key and "AGE" in frame and "AGE_GROUP" not in frame:
        renamed["AGE"] = "age_group"
    unknown = [c for c in frame.columns if c not in renamed and c not in IGNORED]
    present = {renamed[c] for c in frame.columns if c in renamed}
    # Optional breakdowns (sex, age_group) may be left out: the export is then _T over them.
    missing = [c for c in dataset.column_names if c not in present and c not in dataset.defaults]
    for column in missing:
        parsed.error(
            N_("The SDMX column for {column} is missing."),
            N_("Add a column {header} (or GEO_PICT/REF_AREA for the member)."),
            params={"column": repr(column), "header": column.upper()},
            dataset=name,
            sheet=path.name,
            row=1,
            column=column,
        )
    for column in unknown:
        parsed.error(
            N_("The SDMX column {column} is not a dimension of {dataset}."),
            N_("Remove it; the dimensions are {dimensions}."),
            params={
                "column": repr(column),
                "dataset": name,
                "dimensions": ", ".join(c.upper() for c in dataset.key[2:]),
            },
            dataset=name,
            sheet=path.name,
            row=1,
            column=column,
        )
    # Two columns for one dimension (AGE and AGE_GROUP, or GEO_PICT and REF_AREA) likewise.
    if parsed.repeated_columns(
        [renamed[c] for c in frame.columns if c in renamed], path.name, name
    ):
        return parsed
    if missing or unknown:
        return parsed
    rows = fill_defaults(frame.rename(columns=renamed), dataset)[dataset.column_names].copy()
    rows["member"] = rows["member"].map(_member_code)
    rows["period"] = rows["period"].str.replace(_SDMX_MONTH, r"\1-\2", regex=True)
    rows["source_sheet"] = path.name
    rows["source_row"] = range(2, len(rows) + 2)
    rows["source_column"] = None  # one observation per line
    parsed.member = member or (rows["member"].iloc[0] if len(rows) else None)
    parsed.frames[name] = rows
    return parsed
