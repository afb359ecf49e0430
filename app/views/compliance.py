"""Reporting compliance: the member x month grid of return statuses (the rates are a mart,
``mart_dashboard_compliance_rates``)."""

from __future__ import annotations

import pandas as pd

from pidc import i18n
from pidc.i18n import N_, _

# Streamlit's bundled Material icons (st.table renders the cells as Markdown): emoji render as
# empty boxes on a machine without an emoji font.
STATUS_ICONS = {
    "on_time": ":green[:material/check_circle:]",
    "late": ":orange[:material/schedule:]",
    "missing": ":red[:material/cancel:]",
    "not_yet_due": ":gray[:material/hourglass_empty:]",
}
# The statuses in words, in English: shown with ``_`` (the current language).
STATUS_WORDS = {
    "on_time": N_("on time"),
    "late": N_("late"),
    "missing": N_("missing"),
    "not_yet_due": N_("not yet due"),
}


def cell_text(row: pd.Series) -> str:
    """What one return's grid cell says, in the current language: status, plus nil and
    corrected marks."""
    status = row["status"]
    if status in STATUS_ICONS:
        text = f"{STATUS_ICONS[status]} {_(STATUS_WORDS[status])}"
    else:
        text = str(status)
    if bool(row.get("is_nil_return")) and status in ("on_time", "late"):
        text += " · " + _("nil")
    if bool(row.get("is_corrected")):
        text += " · " + _("corrected")
    return text


def compliance_grid(rows: pd.DataFrame, member_names: dict[str, str]) -> pd.DataFrame:
    """Member (rows) x month (columns 'Oct 2026', the latest first; 'oct. 2026' in French) grid
    of one dataset's return statuses, each cell Markdown with a Material icon."""
    if rows.empty:
        return pd.DataFrame()
    cells = rows.assign(
        cell=rows.apply(cell_text, axis=1),
        member=rows["member_code"].map(lambda code: f"{member_names.get(code, code)} ({code})"),
    )
    grid = cells.pivot_table(index="member", columns="period_month", values="cell", aggfunc="first")
    grid = grid.reindex(sorted(grid.columns, reverse=True), axis=1)
    grid.columns = [i18n.format_month(pd.Timestamp(month).date()) for month in grid.columns]
    return grid.fillna("").rename_axis(_("Member"), axis=0)
