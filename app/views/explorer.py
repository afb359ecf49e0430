"""Dataset explorer: breakdown columns, and public cells laid out for a line chart (the totals
are summed by the data layer, ``app.data_access.fact_totals``)."""

from __future__ import annotations

import pandas as pd

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
