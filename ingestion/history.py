"""Warnings (never rejections) for a return far outside the member's own history.

A member's monthly total for a dataset is compared with the same member's previous 24 months by
the modified z-score (median and median absolute deviation), which one past spike cannot distort.
A warning asks the officer to double-check; the return is still accepted.
"""

from __future__ import annotations

import bisect

import duckdb
import numpy as np
import pandas as pd

from ingestion.messages import number
from ingestion.parsers.common import ParsedReturn
from ingestion.raw_schema import RAW_SCHEMA
from ingestion.report import WARNING, Problem
from pidc.contract import Dataset, load_contract
from pidc.i18n import N_

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
    # Which breakdowns are totals, as one integer per row (a bit per breakdown); read column by
    # column, as selecting several columns of a frame copies them.
    pattern = np.zeros(len(rows), dtype="int64")
    for position, column in enumerate(dataset.breakdowns):
        pattern |= (rows[column.name].to_numpy(dtype=object) == TOTAL).astype("int64") << position
    _, cross_section = np.unique(pattern, return_inverse=True)
    sums = np.zeros(int(cross_section.max()) + 1, dtype="int64")
    np.add.at(sums, cross_section, rows["count"].to_numpy(dtype="int64"))
    return int(sums.max())


def group_totals(rows: pd.DataFrame, dataset: Dataset, groups: np.ndarray, count: int) -> list:
    """:func:`return_total` of each of ``count`` returns at once: ``groups`` gives, for each of
    ``rows``, which return (0 to ``count`` - 1) it belongs to; a return without rows totals 0.

    Intake works out the totals of a whole batch's returns of a dataset in one pass instead of
    one return at a time.
    """
    totals = np.zeros(count, dtype="int64")
    if rows.empty:
        return totals.tolist()
    breakdowns = dataset.breakdowns
    pattern = np.zeros(len(rows), dtype="int64")
    for position, column in enumerate(breakdowns):
        pattern |= (rows[column.name].to_numpy(dtype=object) == TOTAL).astype("int64") << position
    # One sum per return and cross-section, then the largest of each return's sums.
    key = np.asarray(groups, dtype="int64") * (1 << len(breakdowns)) + pattern
    unique, inverse = np.unique(key, return_inverse=True)
    sums = np.zeros(len(unique), dtype="int64")
    np.add.at(sums, inverse, rows["count"].to_numpy(dtype="int64"))
    owner = unique >> len(breakdowns)
    # Sums of one return are next to each other (``unique`` is sorted); each return's largest.
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    totals[owner[starts]] = np.maximum.reduceat(sums, starts)
    return totals.tolist()


def total_of(parsed_return: ParsedReturn, dataset: Dataset) -> int:
    """:func:`return_total` of ``parsed_return``, worked out once (history, then the load)."""
    if parsed_return.total is None:
        parsed_return.total = return_total(parsed_return.rows, dataset)
    return parsed_return.total


# Every accepted (or since superseded) return of the given member x dataset pairs with its total,
# which was stored at load time; :class:`History` keeps the newest version of each month.
HISTORY_SQL = f"""
select r.member, r.dataset, r.period, r.received_at, r.submission_id, r.total_count
from {RAW_SCHEMA}.returns r
join {RAW_SCHEMA}.submissions s on s.submission_id = r.submission_id
where s.status in ('accepted', 'superseded') and r.total_count is not null
  and list_contains(?, r.member || '/' || r.dataset)
"""


def _months_before(period: str, months: int) -> str:
    year, month = (int(x) for x in period.split("-"))
    index = year * 12 + month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class History:
    """The monthly totals of some members' datasets: what the warehouse had when it was read
    (one query), plus the returns accepted since in the same batch (:meth:`add`), in arrival
    order, so each file of a batch is compared with what was loaded before it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, pairs: set[tuple[str, str]]):
        # (member, dataset) -> period -> (received_at, submission_id, total) of the newest version
        self._months: dict[tuple[str, str], dict[str, tuple]] = {}
        # (member, dataset) -> its periods in order, sorted again only once a month is added
        self._ordered: dict[tuple[str, str], list[str]] = {}
        if not pairs:
            return
        wanted = sorted(f"{member}/{dataset}" for member, dataset in pairs)
        for member, dataset, period, received, submission, total in connection.execute(
            HISTORY_SQL, [wanted]
        ).fetchall():
            self.add(member, dataset, period, received, submission, total)

    def add(self, member, dataset, period, received_at, submission_id, total) -> None:
        """A version of one return (accepted): kept if it is the month's newest."""
        months = self._months.setdefault((member, dataset), {})
        current = months.get(period)
        if current is None or (received_at, submission_id) > current[:2]:
            months[period] = (received_at, submission_id, total)

    def totals(self, member: str, dataset: str, period: str) -> list[int]:
        """The newest totals of the 24 months before ``period``, oldest first."""
        months = self._months.get((member, dataset), {})
        ordered = self._ordered.get((member, dataset))
        if ordered is None or len(ordered) != len(months):  # a month was added since
            ordered = self._ordered[(member, dataset)] = sorted(months)
        low = bisect.bisect_left(ordered, _months_before(period, 24))
        high = bisect.bisect_left(ordered, period)
        return [months[p][2] for p in ordered[low:high]]


def history_warnings(
    connection: duckdb.DuckDBPyConnection,
    member: str,
    returns: list[ParsedReturn],
    history: History | None = None,
) -> list[Problem]:
    """Warnings for returns whose total is far from the member's previous 24 months.

    ``history`` (read once for a batch) saves a query per file; without it, it is read here.
    """
    contract = load_contract()
    if history is None:
        pairs = {(member, r.dataset) for r in returns if r.dataset != "observations"}
        history = History(connection, pairs)
    warnings: list[Problem] = []
    for parsed_return in returns:
        if parsed_return.dataset == "observations":
            continue
        dataset = contract.dataset(parsed_return.dataset)
        totals = np.array(history.totals(member, dataset.name, parsed_return.period), "float64")
        if len(totals) < MIN_HISTORY_MONTHS:
            continue
        value = total_of(parsed_return, dataset)
        median = float(np.median(totals))
        mad = float(np.median(np.abs(totals - median)))
        if mad == 0:
            mad = max(1.0, median * 0.05)
        z_score = 0.6745 * (value - median) / mad
        ratio = (value + 1) / (median + 1)
        if abs(z_score) > Z_THRESHOLD and (ratio >= MIN_RATIO or ratio <= 1 / MIN_RATIO):
            message = (
                N_(
                    "The {dataset} total for {period} is {value}, far above {member}'s usual "
                    "level (median {median} over the last {months} months; modified z-score "
                    "{z_score})."
                )
                if value > median
                else N_(
                    "The {dataset} total for {period} is {value}, far below {member}'s usual "
                    "level (median {median} over the last {months} months; modified z-score "
                    "{z_score})."
                )
            )
            warnings.append(
                Problem.of(
                    WARNING,
                    message,
                    N_(
                        "Check the figures. If they are right, nothing to do: this is only a "
                        "warning."
                    ),
                    {
                        "dataset": dataset.name,
                        "period": parsed_return.period,
                        "value": number(int(value)),
                        "member": member,
                        "median": number(round(median)),
                        "months": len(totals),
                        "z_score": f"{z_score:+.1f}",
                    },
                    dataset=dataset.name,
                    rule="history",
                )
            )
    return warnings
