"""Reporting compliance: the member x month grid of return statuses (the rates are a mart,
``mart_dashboard_compliance_rates``)."""

from __future__ import annotations

import pandas as pd

# Streamlit's bundled Material icons (st.table renders the cells as Markdown): emoji render as
# empty boxes on a machine without an emoji font.
STATUS_SYMBOLS = {
    "on_time": ":green[:material/check_circle:] on time",
    "late": ":orange[:material/schedule:] late",
    "missing": ":red[:material/cancel:] missing",
    "not_yet_due": ":gray[:material/hourglass_empty:] not yet due",
}


def cell_text(row: pd.Series) -> str:
    """What one return's grid cell says: status, plus nil and corrected marks."""
    text = STATUS_SYMBOLS.get(row["status"], str(row["status"]))
    if bool(row.get("is_nil_return")) and row["status"] in ("on_time", "late"):
        text += " · nil"
    if bool(row.get("is_corrected")):
        text += " · corrected"
    return text


def compliance_grid(rows: pd.DataFrame, member_names: dict[str, str]) -> pd.DataFrame:
    """Member (rows) x month (columns 'Oct 2026', the latest first) grid of one dataset's
    return statuses, each cell Markdown with a Material icon."""
    if rows.empty:
        return pd.DataFrame()
    cells = rows.assign(
        cell=rows.apply(cell_text, axis=1),
        member=rows["member_code"].map(lambda code: f"{member_names.get(code, code)} ({code})"),
    )
    grid = cells.pivot_table(index="member", columns="period_month", values="cell", aggfunc="first")
    grid = grid.reindex(sorted(grid.columns, reverse=True), axis=1)
    grid.columns = [f"{pd.Timestamp(month):%b %Y}" for month in grid.columns]
    return grid.fillna("").rename_axis("Member", axis=0)
