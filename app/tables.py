"""How every page shows a table: labels instead of codes, readable numbers and months.

``show_table`` is the one place a page's table gets its column headers and formats
(``st.dataframe`` column_config): a ``member_code`` column is shown as the member's name, a code
column as its label from ``dim_codes`` or ``dim_countries``, counts with thousands separators,
months as "Oct 2023", nothing as a blank. The codes stay in the frame (hidden from view) and in
every download (the Downloads page and the CSV/SDMX files are left as they are), where analysts
want them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from app import data_access
from pidc.contract import load_contract
from pidc.disclosure import CONFIDENTIAL, FREE, SECONDARY, SMALL

# Column -> what its codes are: "member", "dataset", "country", "port" or a contract code list.
MEMBER = "member"
DATASET = "dataset"
COUNTRY = "country"
PORT = "port"
KNOWN_CODE_COLUMNS = {
    "member_code": MEMBER,
    "dataset": DATASET,
    "nationality_code": COUNTRY,
    "embarkation_country_code": COUNTRY,
    "conf_status": "conf_status",
}
# Friendly headers of columns that appear on several pages.
HEADERS = {
    "member_code": "Member code",
    "member": "Member",
    "period_month": "Month",
    "observed_count": "Count",
    "total_count": "Count",
    "source_row_count": "Rows in the file",
    "has_unmapped_value": "Has an unmapped value",
    "dataset": "Dataset code",
    "dataset_label": "Dataset",
    "received_at": "Received (UTC)",
    "due_date": "Due",
    "rows_read": "Rows read",
    "rows_loaded": "Rows loaded",
    "rows_rejected": "Rows rejected",
    "row_count": "Rows",
    "person_count": "Count",
    "raw_value": "Value as sent",
    "column_name": "Column",
    "file_name": "File",
    "file_format": "Format",
    "submission_id": "Submission",
    "display_value": "Figure",
    "conf_status_label": "Shown or hidden",
    "expected_returns": "Expected",
    "received_returns": "Received",
    "on_time_returns": "On time",
    "late_returns": "Late",
    "missing_returns": "Missing",
    "nil_returns": "Nil returns",
    "completeness_pct": "Completeness",
    "timeliness_pct": "Timeliness",
}
MONTH_FORMAT = "MMM YYYY"  # "Oct 2023"
COUNT_FORMAT = "%,d"  # "4,025,589"


def status_words() -> dict[str, str]:
    """What a public figure's status flag (``conf_status``) means, in words."""
    small = data_access.disclosure_settings().small_label
    return {
        FREE: "shown",
        SMALL: f"hidden: a small count ({small})",
        CONFIDENTIAL: "hidden: too few members make it up, or one member most of it",
        SECONDARY: "hidden: it would let another hidden figure be worked out",
    }


def _labels_of(kind: str) -> Mapping[str, str]:
    if kind == MEMBER:
        members = data_access.reference("dim_members")
        return dict(zip(members["member_code"], members["member_name"], strict=False))
    if kind == DATASET:
        datasets = data_access.reference("dim_datasets")
        return dict(zip(datasets["dataset"], datasets["title"], strict=False))
    if kind == PORT:
        ports = data_access.reference("dim_ports")
        named = dict(zip(ports["port_code"], ports["port_name"], strict=False))
        return {**load_contract().special_codes, **named}  # '_U': 'Unknown'
    if kind == COUNTRY:
        return {**load_contract().special_codes, **data_access.code_labels(COUNTRY)}
    if kind == "conf_status":
        return status_words()
    return data_access.code_labels(kind)


def header(column: str) -> str:
    """A column's header: a known one, else its name in words ('sex_code' -> 'Sex')."""
    if column in HEADERS:
        return HEADERS[column]
    words = column.removesuffix("_code").removesuffix("_label").replace("_", " ")
    return words[:1].upper() + words[1:]


def labelled(frame: pd.DataFrame, codes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` with a ``<column>_label`` column after each code column (``member_code`` gets
    ``member``): the label of the code, or the code itself when it has none.

    ``codes`` adds or overrides column -> kind ("member", "dataset", "country" or a code list);
    :data:`KNOWN_CODE_COLUMNS` covers the columns shared by several marts.
    """
    kinds = {**KNOWN_CODE_COLUMNS, **(codes or {})}
    out = frame.copy()
    for column, kind in kinds.items():
        if column not in out.columns:
            continue
        labels = _labels_of(kind)
        name = label_column(column)
        values = out[column].map(lambda code, labels=labels: labels.get(code, code))
        out.insert(out.columns.get_loc(column) + 1, name, values)
    return out


def label_column(column: str) -> str:
    """The column a code column's labels go in."""
    return "member" if column == "member_code" else f"{column.removesuffix('_code')}_label"


def column_config(frame: pd.DataFrame) -> dict[str, object]:
    """Headers and formats for every column of ``frame``, from its names and types."""
    config: dict[str, object] = {}
    for column in frame.columns:
        name = str(column)
        title = header(name)
        values = frame[column]
        if name in ("completeness_pct", "timeliness_pct"):
            config[name] = st.column_config.ProgressColumn(
                title, format="%.1f%%", min_value=0, max_value=100
            )
        elif name == "period_month":
            config[name] = st.column_config.DateColumn(title, format=MONTH_FORMAT)
        elif name in ("conf_status_label", "summary", "note"):
            config[name] = st.column_config.TextColumn(title, width="large")
        elif pd.api.types.is_datetime64_any_dtype(values):
            config[name] = st.column_config.DatetimeColumn(title, format="D MMM YYYY, HH:mm")
        elif pd.api.types.is_bool_dtype(values):
            config[name] = st.column_config.CheckboxColumn(title)
        elif pd.api.types.is_integer_dtype(values):
            config[name] = st.column_config.NumberColumn(title, format=COUNT_FORMAT)
        elif pd.api.types.is_float_dtype(values):
            whole = values.dropna().eq(values.dropna().round()).all()
            config[name] = st.column_config.NumberColumn(
                title, format=COUNT_FORMAT if whole else "%,.1f"
            )
        else:
            config[name] = st.column_config.TextColumn(title)
    return config


def show_table(
    frame: pd.DataFrame,
    *,
    codes: Mapping[str, str] | None = None,
    hide: tuple[str, ...] = (),
    percent: tuple[str, ...] = (),
    **options,
) -> None:
    """Show ``frame`` as people read it: labels for codes, separators, "Oct 2023", blanks.

    Code columns stay in the data but are hidden, their labels shown in their place; ``hide``
    hides more columns; ``percent`` columns (rates 0..1) are shown as "87.5%" bars (a
    ``<name>_pct`` column beside the rate, which stays in the data). ``options`` go to
    ``st.dataframe``.
    """
    table = labelled(frame, codes)
    kinds = {**KNOWN_CODE_COLUMNS, **(codes or {})}
    hidden = {column for column in kinds if column in table.columns} | set(hide)
    for column in percent:
        if column in table.columns:
            shown = f"{column.removesuffix('_rate')}_pct"
            table.insert(table.columns.get_loc(column) + 1, shown, table[column] * 100)
            hidden.add(column)
    options.setdefault("hide_index", True)
    options.setdefault("width", "stretch")
    st.dataframe(
        table,
        column_order=[c for c in table.columns if c not in hidden],
        column_config={**column_config(table), **options.pop("column_config", {})},
        placeholder="",
        **options,
    )
