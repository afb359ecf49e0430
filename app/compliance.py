"""Reporting compliance: the member x month grid and the rates (pure pandas)."""

from __future__ import annotations

import pandas as pd

STATUS_SYMBOLS = {
    "on_time": "✅ on time",
    "late": "🕒 late",
    "missing": "❌ missing",
    "not_yet_due": "… not yet due",
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
    """Member (rows) x month (columns 'Oct 2026') grid of one dataset's return statuses."""
    if rows.empty:
        return pd.DataFrame()
    cells = rows.assign(
        cell=rows.apply(cell_text, axis=1),
        member=rows["member_code"].map(lambda code: f"{member_names.get(code, code)} ({code})"),
    )
    grid = cells.pivot_table(index="member", columns="period_month", values="cell", aggfunc="first")
    grid = grid.reindex(sorted(grid.columns), axis=1)
    grid.columns = [f"{pd.Timestamp(month):%b %Y}" for month in grid.columns]
    return grid.fillna("")


def compliance_rates(rows: pd.DataFrame) -> pd.DataFrame:
    """Per member: expected, received, on time, late, missing, nil returns and the two rates.

    Only expected returns that are due count, so neither rate can exceed 1 (the DHIS2 bug of
    rates above 100% comes from counting unexpected returns as received).
    """
    columns = [
        "member_code",
        "expected_returns",
        "received_returns",
        "on_time_returns",
        "late_returns",
        "missing_returns",
        "nil_returns",
        "completeness_rate",
        "timeliness_rate",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    due = rows[rows["is_expected"].astype(bool) & (rows["status"] != "not_yet_due")]
    if due.empty:
        return pd.DataFrame(columns=columns)
    received = due["status"].isin(["on_time", "late"])
    summary = (
        due.assign(
            expected=1,
            received=received.astype(int),
            on_time=(due["status"] == "on_time").astype(int),
            late=(due["status"] == "late").astype(int),
            missing=(due["status"] == "missing").astype(int),
            nil=(received & due["is_nil_return"].fillna(False).astype(bool)).astype(int),
        )
        .groupby("member_code")[["expected", "received", "on_time", "late", "missing", "nil"]]
        .sum()
        .reset_index()
    )
    summary.columns = columns[:7]
    summary["completeness_rate"] = summary["received_returns"] / summary["expected_returns"]
    summary["timeliness_rate"] = summary["on_time_returns"] / summary["expected_returns"]
    return summary
