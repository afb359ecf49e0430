"""Dataset explorer: breakdown columns, and public cells laid out for a line chart (the totals
are summed by the data layer, ``app.data_access.fact_totals``)."""

from __future__ import annotations

import pandas as pd

from pidc import i18n
from pidc.contract import Dataset


def code_columns(dataset: Dataset) -> dict[str, str]:
    """Breakdown column -> its ``<column>_code`` fact column, in contract order."""
    return {column.name: f"{column.name}_code" for column in dataset.breakdowns}


def public_series(cells: pd.DataFrame) -> pd.DataFrame:
    """Public cells as one column per breakdown value and one row per month, for a line chart.

    A hidden cell ('<5' or 'x') is NaN, never 0, and so is a month a value has no cell for: the
    chart breaks its line there (a gap), where a 0 would draw a fall that did not happen.
    """
    if cells.empty:
        return pd.DataFrame()
    values = pd.to_numeric(cells["obs_value"], errors="coerce").astype("float64")
    values = values.where(~cells["is_suppressed"].astype(bool))
    wide = cells.assign(obs_value=values).pivot(
        index="period_month", columns="breakdown_value", values="obs_value"
    )
    return wide.sort_index().rename_axis(columns=None)


# The detail table shows at most this many rows, the latest first: the charts' totals are summed
# in SQL over every row, and the Downloads page gives the whole table.
DETAIL_ROWS = 1_000


def code_kinds(dataset: Dataset) -> dict[str, str]:
    """``<column>_code`` fact column -> what labels its codes (``country``, ``port`` or a code
    list; see ``app.tables``)."""
    kinds = {}
    for column in dataset.breakdowns:
        if column.type in ("country", "port"):
            kinds[f"{column.name}_code"] = column.type
        elif column.code_list:
            kinds[f"{column.name}_code"] = column.code_list
    return kinds


def figure_text(cells: pd.DataFrame) -> pd.Series:
    """A public cell as the table shows it: the count with the current language's thousands
    separators, or the mark of a hidden figure ('<5' or 'x') as published."""
    values = pd.to_numeric(cells["obs_value"], errors="coerce")
    shown = values.notna() & ~cells["is_suppressed"].astype(bool)
    return cells["display_value"].where(
        ~shown, values.map(lambda v: "" if pd.isna(v) else i18n.format_count(v))
    )
