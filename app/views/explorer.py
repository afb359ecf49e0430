"""Dataset explorer arithmetic (pure pandas): totals that count a two-way table once."""

from __future__ import annotations

import pandas as pd

from pidc.contract import Dataset

TOTAL = "_T"
UNMAPPED_LABEL = "(not mapped)"


def code_columns(dataset: Dataset) -> dict[str, str]:
    """Breakdown column -> its ``<column>_code`` fact column, in contract order."""
    return {column.name: f"{column.name}_code" for column in dataset.breakdowns}


def breakdown_totals(rows: pd.DataFrame, dataset: Dataset, by: str | None = None) -> pd.DataFrame:
    """Monthly totals of ``observed_count``, optionally by one ``<column>_code`` fact column.

    A member may send the same count broken down two ways (rows with ``_T`` in a breakdown
    form cross-sections); summing every row would count it twice. For each member and month the
    largest cross-section is used, as ``ingestion.history.return_total`` does. Rows whose ``by``
    value is ``_T`` cannot be split by it and are left out of a breakdown.
    """
    keys = ["period_month"] + ([by] if by else [])
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "observed_count"])
    columns = [c for c in code_columns(dataset).values() if c in rows.columns]
    chosen = rows if by is None else rows[rows[by] != TOTAL]
    if chosen.empty:
        return pd.DataFrame(columns=[*keys, "observed_count"])
    pattern = chosen[columns].eq(TOTAL).astype(int).astype(str).agg("".join, axis=1)
    chosen = chosen.assign(cross_section=pattern)
    sums = (
        chosen.groupby(["member_code", "period_month", "cross_section"])["observed_count"]
        .sum()
        .reset_index()
        .sort_values("observed_count", ascending=False, kind="stable")
        .drop_duplicates(["member_code", "period_month"])
    )
    kept = chosen.merge(sums[["member_code", "period_month", "cross_section"]])
    if by:
        kept[by] = kept[by].astype("object").where(kept[by].notna(), UNMAPPED_LABEL)
    totals = kept.groupby(keys)["observed_count"].sum().reset_index()
    return totals.sort_values(keys).reset_index(drop=True)


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
