"""How every page shows a table: labels instead of codes, readable numbers and months.

``show_table`` is the one place a page's table gets its column headers and formats
(``st.dataframe`` column_config): a ``member_code`` column is shown as the member's name, a code
column as its label from ``dim_codes`` or ``dim_countries``, counts with thousands separators,
months as "Oct 2023", nothing as a blank. The codes stay in the frame (hidden from view) and in
every download (the Downloads page and the CSV/SDMX files are left as they are), where analysts
want them.

Headers, labels and status words are in the current language (issue 16). Streamlit's grid
writes numbers and dates the English way only (printf and moment.js formats), so in French the
shown months, counts, rates and times are text written by ``pidc.i18n`` ("oct. 2023",
"4 025 589", "87,5 %"), right-aligned; the English grid keeps its number formats.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from app import data_access
from pidc import i18n
from pidc.contract import load_contract
from pidc.disclosure import CONFIDENTIAL, FREE, SECONDARY, SMALL
from pidc.i18n import N_, _

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
# Friendly headers of columns that appear on several pages (English, shown with ``_``).
HEADERS = {
    "member_code": N_("Member code"),
    "member": N_("Member"),
    "period_month": N_("Month"),
    "observed_count": N_("Count"),
    "total_count": N_("Count"),
    "source_row_count": N_("Rows in the file"),
    "has_unmapped_value": N_("Has an unmapped value"),
    "dataset": N_("Dataset code"),
    "dataset_label": N_("Dataset"),
    "received_at": N_("Received (UTC)"),
    "due_date": N_("Due"),
    "rows_read": N_("Rows read"),
    "rows_loaded": N_("Rows loaded"),
    "rows_rejected": N_("Rows rejected"),
    "row_count": N_("Rows"),
    "person_count": N_("Count"),
    "raw_value": N_("Value as sent"),
    "column_name": N_("Column"),
    "file_name": N_("File"),
    "file_format": N_("Format"),
    "submission_id": N_("Submission"),
    "display_value": N_("Figure"),
    "conf_status_label": N_("Shown or hidden"),
    "expected_returns": N_("Expected"),
    "received_returns": N_("Received"),
    "on_time_returns": N_("On time"),
    "late_returns": N_("Late"),
    "missing_returns": N_("Missing"),
    "nil_returns": N_("Nil returns"),
    "completeness_pct": N_("Completeness"),
    "timeliness_pct": N_("Timeliness"),
}
# The data contract's breakdown columns, in words (English, shown with ``_``).
COLUMN_WORDS = {
    "age_group": N_("Age group"),
    "case_type": N_("Case type"),
    "category": N_("Category"),
    "country": N_("Country"),
    "country_basis": N_("Country basis"),
    "destination_country": N_("Destination country"),
    "detection_location": N_("Detection location"),
    "direction": N_("Direction"),
    "document_type": N_("Document type"),
    "embarkation_country": N_("Embarkation country"),
    "fraud_type": N_("Fraud type"),
    "issuing_country": N_("Issuing country"),
    "mode": N_("Mode"),
    "nationality": N_("Nationality"),
    "permit_type": N_("Permit type"),
    "port": N_("Port"),
    "purpose": N_("Purpose"),
    "reason": N_("Reason"),
    "removal_type": N_("Removal type"),
    "role": N_("Role"),
    "sex": N_("Sex"),
    "traveller_type": N_("Traveller type"),
    "region": N_("Region"),
    "sub_region": N_("Sub-region"),
    "breakdown_value": N_("Breakdown value"),
    "severity": N_("Severity"),
    "alert_type": N_("Alert type"),
    "status": N_("Status"),
    "topic": N_("Topic"),
    "note": N_("Note"),
    "summary": N_("Summary"),
    "datasets": N_("Datasets"),
    "periods": N_("Periods"),
}
# The data contract's special codes (``_T``, ``_U``, ``_Z``), in English: shown with ``_``.
SPECIAL_CODE_LABELS = (N_("Total (all values)"), N_("Unknown"), N_("Not applicable"))
# Regions and sub-regions of the public figures (UN M49 names; dim_countries has no French yet).
REGION_WORDS = {
    "PACIFIC": N_("Pacific"),
    "Melanesia": N_("Melanesia"),
    "Micronesia": N_("Micronesia"),
    "Polynesia": N_("Polynesia"),
    "Australia and New Zealand": N_("Australia and New Zealand"),
}
MONTH_FORMAT = "MMM YYYY"  # "Oct 2023"
COUNT_FORMAT = "%,d"  # "4,025,589"


def status_words() -> dict[str, str]:
    """What a public figure's status flag (``conf_status``) means, in words."""
    small = data_access.disclosure_settings().small_label
    return {
        FREE: _("shown"),
        SMALL: _("hidden: a small count ({label})").format(label=small),
        CONFIDENTIAL: _("hidden: too few members make it up, or one member most of it"),
        SECONDARY: _("hidden: it would let another hidden figure be worked out"),
    }


def special_codes() -> dict[str, str]:
    """The contract's special codes in the current language: '_U' -> 'Unknown' ('Inconnu')."""
    return {code: _(label) for code, label in load_contract().special_codes.items()}


def region_label(value: str) -> str:
    """A region or sub-region of the public figures in the current language."""
    return _(REGION_WORDS[value]) if value in REGION_WORDS else value


def _labels_of(kind: str) -> Mapping[str, str]:
    if kind == MEMBER:
        return data_access.member_names()
    if kind == DATASET:
        return data_access.dataset_titles()
    if kind == PORT:
        ports = data_access.reference("dim_ports")
        named = dict(zip(ports["port_code"], ports["port_name"], strict=False))
        return {**special_codes(), **named}  # '_U': 'Unknown'
    if kind == COUNTRY:
        return {**special_codes(), **data_access.code_labels(COUNTRY)}
    if kind == "conf_status":
        return status_words()
    return data_access.code_labels(kind)


def header(column: str) -> str:
    """A column's header in the current language: a known one, else its name in words
    ('sex_code' -> 'Sex')."""
    if column in HEADERS:
        return _(HEADERS[column])
    name = column.removesuffix("_code").removesuffix("_label")
    return column_words(name)


def column_words(name: str) -> str:
    """A column's name in words in the current language ('age_group' -> 'Age group')."""
    if name in COLUMN_WORDS:
        return _(COLUMN_WORDS[name])
    words = name.replace("_", " ")
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


def _written(values: pd.Series, write) -> pd.Series:
    """``values`` written by ``write``; a missing value stays missing (a blank)."""
    return values.map(lambda value: None if value is None or pd.isna(value) else write(value))


def _month_text(value) -> str:
    return i18n.format_month(pd.Timestamp(value).date())


def _time_text(value) -> str:
    moment = pd.Timestamp(value)
    return f"{i18n.format_date(moment.date())}, {moment:%H:%M}"


def _percent_text(value) -> str:
    return i18n.format_percent(float(value) / 100)


def written_out(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, set[str]]:
    """``frame`` with its month, date, count and rate ``columns`` written as text the current
    language's way ("oct. 2023", "4 025 589", "87,5 %"), and the names of the columns so
    written. English: nothing is written out (the grid's own formats write English)."""
    if i18n.get_language() == i18n.DEFAULT:
        return frame, set()
    out = frame.copy()
    written: set[str] = set()
    for name in columns:
        values = out[name]
        if name in ("completeness_pct", "timeliness_pct"):
            write = _percent_text
        elif name == "period_month":
            write = _month_text
        elif pd.api.types.is_bool_dtype(values):
            continue
        elif pd.api.types.is_datetime64_any_dtype(values):
            write = _time_text
        elif pd.api.types.is_integer_dtype(values):
            write = i18n.format_count
        elif pd.api.types.is_float_dtype(values):
            whole = values.dropna().eq(values.dropna().round()).all()
            write = i18n.format_count if whole else i18n.format_decimal
        else:
            continue
        out[name] = _written(values, write)
        written.add(name)
    return out, written


def column_config(frame: pd.DataFrame, written: set[str] = frozenset()) -> dict[str, object]:
    """Headers and formats for every column of ``frame``, from its names and types; the
    ``written`` columns (text from :func:`written_out`) are right-aligned text."""
    config: dict[str, object] = {}
    for column in frame.columns:
        name = str(column)
        title = header(name)
        values = frame[column]
        if name in written:
            config[name] = st.column_config.TextColumn(title, alignment="right")
        elif name in ("completeness_pct", "timeliness_pct"):
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
    shown = [c for c in table.columns if c not in hidden]
    table, written = written_out(table, shown)
    st.dataframe(
        table,
        column_order=shown,
        column_config={**column_config(table, written), **options.pop("column_config", {})},
        placeholder="",
        **options,
    )
