"""Warnings (never rejections) for a return far outside the member's own history.

A member's monthly total for a dataset is compared with the same member's previous 24 months by
the modified z-score (median and median absolute deviation), which one past spike cannot distort.
A warning asks the officer to double-check; the return is still accepted.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from ingestion.parsers.common import ParsedReturn
from ingestion.raw_schema import RAW_SCHEMA
from ingestion.report import WARNING, Problem
from pidc.contract import Dataset, load_contract

TOTAL = "_T"
MIN_HISTORY_MONTHS = 6
Z_THRESHOLD = 3.5
MIN_RATIO = 3.0  # and at least three times (or a third of) the usual level


def return_total(rows: pd.DataFrame, dataset: Dataset) -> int:
    """A return's total count, counting once a table broken down more than one way.

    Rows are grouped by which breakdowns are ``_T`` (a cross-section); each cross-section sums
    to the same total, so the largest is taken.
    """
    if rows.empty:
        return 0
    breakdowns = [c.name for c in dataset.breakdowns]
    # Which breakdowns are totals, as one integer per row (a bit per breakdown).
    weights = np.array([1 << position for position in range(len(breakdowns))], dtype="int64")
    pattern = (rows[breakdowns].to_numpy(dtype=object) == TOTAL).astype("int64") @ weights
    _, cross_section = np.unique(pattern, return_inverse=True)
    sums = np.zeros(int(cross_section.max()) + 1, dtype="int64")
    np.add.at(sums, cross_section, rows["count"].to_numpy(dtype="int64"))
    return int(sums.max())


def total_of(parsed_return: ParsedReturn, dataset: Dataset) -> int:
    """:func:`return_total` of ``parsed_return``, worked out once (history, then the load)."""
    if parsed_return.total is None:
        parsed_return.total = return_total(parsed_return.rows, dataset)
    return parsed_return.total


# The newest accepted version of each earlier month; its total was stored at load time.
HISTORY_SQL = f"""
select period, total_count
from {RAW_SCHEMA}.returns r
join {RAW_SCHEMA}.submissions s on s.submission_id = r.submission_id
where s.status in ('accepted', 'superseded') and r.member = ? and r.dataset = ?
  and r.period < ? and r.period >= ? and r.total_count is not null
qualify row_number() over (
    partition by r.period order by r.received_at desc, r.submission_id desc) = 1
order by period
"""


def _months_before(period: str, months: int) -> str:
    year, month = (int(x) for x in period.split("-"))
    index = year * 12 + month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def history_warnings(
    connection: duckdb.DuckDBPyConnection, member: str, returns: list[ParsedReturn]
) -> list[Problem]:
    """Warnings for returns whose total is far from the member's previous 24 months."""
    contract = load_contract()
    warnings: list[Problem] = []
    for parsed_return in returns:
        if parsed_return.dataset == "observations":
            continue
        dataset = contract.dataset(parsed_return.dataset)
        history = connection.execute(
            HISTORY_SQL,
            [member, dataset.name, parsed_return.period, _months_before(parsed_return.period, 24)],
        ).fetchall()
        totals = pd.Series([total for _, total in history], dtype="float64")
        if len(totals) < MIN_HISTORY_MONTHS:
            continue
        value = total_of(parsed_return, dataset)
        median = float(totals.median())
        mad = float((totals - median).abs().median())
        if mad == 0:
            mad = max(1.0, median * 0.05)
        z_score = 0.6745 * (value - median) / mad
        ratio = (value + 1) / (median + 1)
        if abs(z_score) > Z_THRESHOLD and (ratio >= MIN_RATIO or ratio <= 1 / MIN_RATIO):
            direction = "above" if value > median else "below"
            warnings.append(
                Problem(
                    WARNING,
                    f"The {dataset.name} total for {parsed_return.period} is {value:,}, far "
                    f"{direction} {member}'s usual level (median {median:,.0f} over the last "
                    f"{len(totals)} months; modified z-score {z_score:+.1f}).",
                    "Check the figures. If they are right, nothing to do: this is only a warning.",
                    dataset=dataset.name,
                    rule="history",
                )
            )
    return warnings
