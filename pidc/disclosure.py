"""Disclosure control of the public regional figures: the rules, the protection, the attack.

Every figure the public sees (``mart_public_aggregates``, its SDMX-CSV twin and the downloads) is
a cell of one *table set*: a dataset and month, with the Pacific total, the four sub-regions
(which add up to it exactly) and the nationality, sex and age-group cells (which add up to it, or
to less where some members do not break their figures down that way). Three steps keep every
member's figure out of reach:

1. **Primary rules** (:func:`primary_status`), before anything else: a count from 1 to
   ``small_cell_max`` is hidden as '<5' (status ``A``); a cell with fewer than
   ``min_contributors`` contributing members, or one where a single member makes up more than
   ``dominance_pct`` percent, is hidden as 'x' (status ``C``). Zero is a real zero and is shown.
2. **Secondary suppression** (:func:`protect`): an attacker who knows every published cell of a
   table set and how the cells add up can bound each hidden cell. While any hidden cell can be
   pinned closer than its protection, the cheapest complementary cell in the same linked table
   is hidden too (status ``D``, 'x').
3. **The attacker's audit** (:func:`audit`): independent of step 2, for every hidden cell two
   linear programs (HiGHS, through ``highspy``) find the least and the greatest value it can take
   given everything published; a visible cell that breaks a primary rule, or a hidden cell whose
   interval is narrower than its protection, is a finding. ``dbt build`` fails on any finding
   (``int_public_disclosure_audit`` and the test ``assert_public_cells_not_disclosive``), so
   nothing reaches the serving database.

**Protection.** What the public knows of a hidden cell before any arithmetic is its label: '<5'
means 1 to ``small_cell_max``, 'x' means more than that (a hidden zero or small count is never
labelled 'x'). A *sensitive* hidden cell (one a primary rule hides) with true value ``v`` is
protected when the interval the attacker can prove, ``[low, high]``, is at least
``2 * protection_pct`` percent of ``v`` wide: the attacker cannot pin it within +/- 50% of any
guess (a sliding protection range). A '<5' cell need not be wider than its label's 1 to 4, and
no cell is asked to be wider than it would be with every non-zero cell of its table set hidden
(what the labels alone say). A secondary cell (hidden only to protect another; it passes the
primary rules) must not be worked out exactly. So the subtraction "Pacific 19 minus the visible
sub-regions 17" (two hidden cells of 1) pins both, and fails.

Only the public attacker is modelled: a member who also knows its own figures, or those shared
with its group, is held off by the primary rules (at least three contributors, none above 85%).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

REGION = "region"
SUB_REGION = "sub_region"
REGION_CODE = "PACIFIC"
# Breakdowns whose cells add up to the Pacific total, or to less (members that do not break a
# dataset down that way count in the total but in none of the cells).
MARGIN_BREAKDOWNS = ("nationality", "sex", "age_group")
TABLE_SET = ("dataset", "period_month")
CELL = ("breakdown", "breakdown_value")
KEYS = (*TABLE_SET, *CELL)

FREE = "F"
SMALL = "A"  # primary: a count from 1 to small_cell_max, shown '<5'
CONFIDENTIAL = "C"  # primary: too few contributing members, or one member dominates; shown 'x'
SECONDARY = "D"  # secondary: hidden so that another hidden cell cannot be worked out; shown 'x'
STATUSES = (FREE, SMALL, CONFIDENTIAL, SECONDARY)
HIDDEN_LABEL = "x"

# Relative tolerance when comparing an LP bound with a required bound (counts are integers).
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DisclosureSettings:
    """The rules' thresholds (seed ``reference/reporting_settings``)."""

    small_cell_max: int = 4
    min_contributors: int = 3
    dominance_pct: float = 85.0
    protection_pct: float = 50.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> DisclosureSettings:
        """From ``reporting_settings`` rows as ``{setting: value}`` (missing ones default)."""
        default = cls()

        def number(name: str, cast):
            value = settings.get(name)
            return getattr(default, name) if value in (None, "") else cast(value)

        return cls(
            small_cell_max=number("small_cell_max", int),
            min_contributors=number("min_contributors", int),
            dominance_pct=number("dominance_pct", float),
            protection_pct=number("protection_pct", float),
        )

    @property
    def small_label(self) -> str:
        """What a small hidden count shows: '<5' for a threshold of 4."""
        return f"<{self.small_cell_max + 1}"


# --- primary rules ---------------------------------------------------------------------------


def primary_status(cells: pd.DataFrame, settings: DisclosureSettings) -> pd.Series:
    """Status of each cell under the primary rules alone: ``A``, ``C`` or ``F``.

    ``cells`` has ``cell_count``, ``contributing_members`` and ``largest_member_count`` (the
    count of the member contributing most). A zero is free; a count from 1 to
    ``small_cell_max`` is ``A``; otherwise fewer than ``min_contributors`` contributors, or a
    largest member above ``dominance_pct`` percent of the cell, is ``C``.
    """
    count = pd.to_numeric(cells["cell_count"]).astype("float64")
    contributors = pd.to_numeric(cells["contributing_members"]).fillna(0)
    largest = pd.to_numeric(cells["largest_member_count"]).fillna(0).astype("float64")
    small = (count >= 1) & (count <= settings.small_cell_max)
    few = (count > 0) & (contributors < settings.min_contributors)
    dominated = (count > 0) & (largest * 100 > settings.dominance_pct * count)
    status = np.where(small, SMALL, np.where(few | dominated, CONFIDENTIAL, FREE))
    return pd.Series(status, index=cells.index, name="conf_status")


# --- the linked tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """``parent = sum(children)`` when ``exact``, else ``parent >= sum(children)``."""

    parent: int
    children: tuple[int, ...]
    exact: bool


def relations(breakdowns: list[str], codes: list[str], counts: list[float]) -> list[Relation]:
    """How the cells of one table set add up (positions in the given lists).

    The sub-regions add up to the Pacific total. The nationality, sex and age-group cells add up
    to it where every member breaks the dataset down that way, and to less otherwise: a
    relation is taken as exact whenever the true figures are equal, because an attacker may know
    that every member reports the breakdown (and as "at most" otherwise, which is all anyone can
    know then).
    """
    parents = [
        index
        for index, (breakdown, code) in enumerate(zip(breakdowns, codes, strict=True))
        if breakdown == REGION and code == REGION_CODE
    ]
    if not parents:
        return []
    parent = parents[0]
    found = []
    for breakdown in (SUB_REGION, *MARGIN_BREAKDOWNS):
        children = tuple(i for i, name in enumerate(breakdowns) if name == breakdown)
        if not children:
            continue
        total = sum(counts[i] for i in children)
        exact = math.isclose(total, counts[parent])
        found.append(Relation(parent, children, exact))
    return found


def label_bounds(status: str, settings: DisclosureSettings) -> tuple[float, float]:
    """What the label of a hidden cell tells the public: '<5' is 1 to 4, 'x' is 5 or more."""
    if status == SMALL:
        return 1.0, float(settings.small_cell_max)
    return float(settings.small_cell_max + 1), math.inf


def natural_status(value: float, settings: DisclosureSettings) -> str:
    """The label a cell would carry if it were hidden: '<5' for 1 to 4, 'x' otherwise."""
    return SMALL if 1 <= value <= settings.small_cell_max else SECONDARY


def required_width(
    value: float,
    status: str,
    settings: DisclosureSettings,
    floor: tuple[float, float] | None = None,
) -> float:
    """How wide the proven interval of a sensitive cell must be: ``2 * protection_pct`` percent
    of its value (a range of +/- 50% of it, wherever it lies around the value), or as wide as
    the labelling convention allows when that is narrower.

    ``floor`` is what the attacker could prove with every non-zero cell of the table set hidden
    (only the zeros and the '<5' and 'x' labels published, see :func:`convention_bounds`): no
    suppression can do better, so nothing more is asked. Without it, the cell's own label
    ('<5' is 1 to 4: a 3 must not be narrowed below 1 to 4).
    """
    low, high = floor if floor is not None else label_bounds(status, settings)
    return min(high - low, 2 * value * settings.protection_pct / 100)


def _pinned(low: float, high: float, slack: float) -> bool:
    """True when at most one whole number lies in ``[low, high]``."""
    return not math.isinf(high) and math.floor(high + slack) - math.ceil(low - slack) < 1


def is_exposed(
    value: float,
    status: str,
    low: float,
    high: float,
    settings: DisclosureSettings,
    *,
    sensitive: bool = True,
    floor: tuple[float, float] | None = None,
) -> bool:
    """True when the proven interval ``[low, high]`` of a hidden cell is too narrow.

    A sensitive cell (one a primary rule hides) needs its full protection
    (:func:`required_width`). Any other hidden cell (hidden only to protect another) passes
    the primary rules, so it only must not be worked out exactly: at least two whole numbers
    must remain possible (unless the labels alone, ``floor``, already pin it).
    """
    slack = _TOLERANCE * max(1.0, abs(value))
    if not sensitive:
        return _pinned(low, high, slack) and not (floor is not None and _pinned(*floor, slack))
    return high - low < required_width(value, status, settings, floor) - slack


# --- the attack, in closed form (used while protecting) ---------------------------------------


def _room(children: Iterable[int], hidden: list[bool], values, prior) -> tuple[float, float, float]:
    """Sum of the published children, and the least and greatest sum of the hidden ones."""
    visible = low = high = 0.0
    for child in children:
        if hidden[child]:
            low += prior[child][0]
            high += prior[child][1]
        else:
            visible += values[child]
    return visible, low, high


def star_bounds(
    values: list[float],
    hidden: list[bool],
    prior: list[tuple[float, float]],
    links: list[Relation],
) -> dict[int, tuple[float, float]]:
    """The bounds an attacker can prove for every hidden cell of one table set, in closed form.

    The relations of a table set share one cell only, the Pacific total, so the values the total
    can take are the intersection of what each relation allows, and each child's range follows
    from its own relation and the total's range. :func:`audit` solves the same problem with
    linear programs, independently.
    """
    bounds = {i: prior[i] for i in range(len(values)) if hidden[i]}
    if not links:
        return bounds
    parent = links[0].parent
    if hidden[parent]:
        parent_low, parent_high = prior[parent]
        for link in links:
            visible, low, high = _room(link.children, hidden, values, prior)
            parent_low = max(parent_low, visible + low)
            if link.exact:
                parent_high = min(parent_high, visible + high)
        bounds[parent] = (parent_low, parent_high)
    else:
        parent_low = parent_high = values[parent]
    for link in links:
        visible, low, high = _room(link.children, hidden, values, prior)
        unbounded = sum(1 for c in link.children if hidden[c] and math.isinf(prior[c][1]))
        finite_high = sum(
            prior[c][1] for c in link.children if hidden[c] and math.isfinite(prior[c][1])
        )
        for child in link.children:
            if not hidden[child]:
                continue
            child_low, child_high = prior[child]
            upper = parent_high - visible - (low - child_low)
            lower = child_low
            if link.exact:
                if math.isinf(child_high):
                    others_high = math.inf if unbounded > 1 else finite_high
                else:
                    others_high = math.inf if unbounded else finite_high - child_high
                lower = max(child_low, parent_low - visible - others_high)
            bounds[child] = (lower, min(child_high, upper))
    return bounds


def convention_bounds(
    values: list[float], links: list[Relation], settings: DisclosureSettings, *, solver=None
) -> dict[int, tuple[float, float]]:
    """What the attacker could prove of every non-zero cell if all of them were hidden: only
    the zeros and the labels published ('<5' is 1 to 4, 'x' is 5 or more). Several small
    hidden cells under one hidden total give it a floor (three '<5' and an 'x' add up to at
    least 8) that no suppression can remove; protection is asked within these bounds."""
    hidden = [value > 0 for value in values]
    prior = [
        label_bounds(natural_status(value, settings), settings) if value > 0 else (0.0, 0.0)
        for value in values
    ]
    return (solver or star_bounds)(values, hidden, prior, links)


# --- secondary suppression -------------------------------------------------------------------


@dataclass
class _TableSet:
    """One dataset and month while it is being protected: its cells and how they add up."""

    values: list[float]
    links: list[Relation]
    sensitive: list[bool]
    settings: DisclosureSettings

    def __post_init__(self) -> None:
        size = len(self.values)
        self.parent = self.links[0].parent
        self.neighbours: list[set[int]] = [set() for _ in range(size)]
        self.siblings: list[set[int]] = [set() for _ in range(size)]
        for link in self.links:
            members = {link.parent, *link.children}
            for cell in members:
                self.neighbours[cell] |= members - {cell}
            for child in link.children:
                self.siblings[child] |= set(link.children) - {child}
        self.floors = convention_bounds(self.values, self.links, self.settings)

    def exposures(self, statuses: list[str]) -> dict[int, float]:
        """Every hidden cell that is exposed under ``statuses``, with how much wider its proven
        interval must become (0 for a secondary cell, which only must not be pinned)."""
        hidden = [status != FREE for status in statuses]
        prior = [label_bounds(status, self.settings) for status in statuses]
        exposed = {}
        for cell, (low, high) in star_bounds(self.values, hidden, prior, self.links).items():
            status, floor = statuses[cell], self.floors.get(cell)
            value, sensitive = self.values[cell], self.sensitive[cell]
            if is_exposed(
                value, status, low, high, self.settings, sensitive=sensitive, floor=floor
            ):
                width = required_width(value, status, self.settings, floor) if sensitive else 1
                exposed[cell] = width - (high - low)
        return exposed

    def complement(self, cell: int, statuses: list[str]) -> int | None:
        """The published non-zero cell to hide next so that ``cell`` is protected.

        Looked for among the cell's siblings first, then the Pacific total (the headline
        figure: only when no sibling will do), then any cell linked to it, then any cell of the
        table set; within each, the smallest cell that protects ``cell`` on its own. When none
        does, the largest sibling (or, failing that, the next candidate) is hidden and the next
        round asks again.
        """
        values = self.values

        def visible(cells: Iterable[int]) -> list[int]:
            return sorted(
                (c for c in cells if statuses[c] == FREE and values[c] > 0),
                key=lambda c: (values[c], c),
            )

        def protects(candidate: int) -> bool:
            trial = list(statuses)
            trial[candidate] = SECONDARY
            return cell not in self.exposures(trial)

        tiers = [visible(self.siblings[cell])]
        if cell != self.parent:
            tiers.append(visible([self.parent]))
        tiers += [visible(self.neighbours[cell]), visible(range(len(values)))]
        for tier in tiers:
            for candidate in tier:
                if protects(candidate):
                    return candidate
        for tier in tiers:
            if tier:
                return tier[-1]
        return None


def _protect_table_set(
    breakdowns: list[str],
    codes: list[str],
    values: list[float],
    statuses: list[str],
    settings: DisclosureSettings,
) -> list[str]:
    """Hide complementary cells until no hidden cell of the table set is exposed."""
    statuses = list(statuses)
    links = relations(breakdowns, codes, values)
    if not links:
        return statuses
    table = _TableSet(values, links, [status != FREE for status in statuses], settings)
    for _ in range(len(values) + 1):
        exposed = table.exposures(statuses)
        if not exposed:
            return statuses
        # The largest exposed cell first; a cell linked to a new complement waits for the next
        # round, which may find it protected already.
        touched: set[int] = set()
        hid_any = False
        for cell in sorted(exposed, key=lambda c: (-values[c], c)):
            if cell in touched:
                continue
            complement = table.complement(cell, statuses)
            if complement is None:
                continue
            statuses[complement] = SECONDARY
            hid_any = True
            touched |= {complement, cell, *table.neighbours[complement]}
        if not hid_any:
            # Nothing left to hide could help (what the labels alone say): the audit reports it.
            return statuses
    raise RuntimeError("secondary suppression did not converge")  # pragma: no cover


def protect(cells: pd.DataFrame, settings: DisclosureSettings) -> pd.Series:
    """The status of every cell: primary rules, then secondary suppression per table set.

    ``cells`` is ``int_public_cells``: the keys, ``cell_count``, ``contributing_members`` and
    ``largest_member_count``. Returns ``conf_status`` (``F``, ``A``, ``C`` or ``D``) on the
    same index.
    """
    statuses = primary_status(cells, settings)
    result = statuses.copy()
    for _, table in cells.groupby(list(TABLE_SET), sort=False):
        protected = _protect_table_set(
            table["breakdown"].tolist(),
            table["breakdown_value"].tolist(),
            pd.to_numeric(table["cell_count"]).astype("float64").tolist(),
            statuses.loc[table.index].tolist(),
            settings,
        )
        result.loc[table.index] = protected
    return result


def publication(
    cells: pd.DataFrame, statuses: pd.Series, settings: DisclosureSettings
) -> pd.DataFrame:
    """The public rows of ``cells`` under ``statuses``: what ``mart_public_aggregates`` holds.

    ``obs_value`` is the count of a free cell and empty otherwise; ``display_value`` is the
    count as text, '<5' for a small count, 'x' for any other hidden cell; the number of
    contributing members is given for free cells only (always 0 or at least
    ``min_contributors`` there), so it never says that one or two members make up a figure.
    """
    free = statuses == FREE
    counts = pd.to_numeric(cells["cell_count"]).astype("Int64")
    display = np.where(
        free,
        counts.astype(str),
        np.where(statuses == SMALL, settings.small_label, HIDDEN_LABEL),
    )
    rows = cells[list(KEYS)].copy()
    rows["obs_value"] = counts.where(free)
    rows["display_value"] = display
    rows["is_suppressed"] = ~free
    rows["conf_status"] = statuses
    rows["contributing_members"] = (
        pd.to_numeric(cells["contributing_members"]).astype("Int64").where(free)
    )
    return rows


# --- the attacker's audit --------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A published cell that discloses: where, what and the numbers behind it."""

    dataset: str
    period_month: object
    breakdown: str
    breakdown_value: str
    problem: str
    true_value: float
    proven_low: float | None = None
    proven_high: float | None = None


FINDING_COLUMNS = [
    *KEYS,
    "problem",
    "true_value",
    "proven_low",
    "proven_high",
]


def _new_solver():
    """A silent HiGHS solver: the extension's own class, not ``highspy.Highs``, whose Python
    wrapper adds callbacks (a Python call per log line) and prints a banner on standard output
    when a process makes its first one, before any option can turn it off. The audit runs
    inside dbt, whose standard output Dagster reads, and ``pidc``."""
    from highspy._core import _Highs

    solver = _Highs()
    solver.setOptionValue("output_flag", False)
    return solver


def _lp_bounds(
    values: list[float],
    hidden: list[bool],
    prior: list[tuple[float, float]],
    links: list[Relation],
) -> dict[int, tuple[float, float]]:
    """Least and greatest value of each hidden cell of ``links`` given the published cells: two
    linear programs per hidden cell over every constraint (integrality relaxed).

    One HiGHS model per call, solved twice per cell with only the objective changed: the
    solver starts each program from the last one's basis (``scipy.optimize.linprog`` built and
    checked the whole model again for each of them, at five times the cost).
    """
    import highspy

    involved = {cell for link in links for cell in (link.parent, *link.children)}
    unknown = sorted(cell for cell in involved if hidden[cell])
    if not unknown:
        return {}
    position = {cell: k for k, cell in enumerate(unknown)}
    infinity = highspy.kHighsInf
    solver = _new_solver()
    solver.addVars(
        len(unknown),
        np.array([prior[cell][0] for cell in unknown], dtype="float64"),
        np.array([min(prior[cell][1], infinity) for cell in unknown], dtype="float64"),
    )
    for link in links:
        # sum(children) - parent (= or <=) 0, the published cells moved to the right-hand side
        row = np.zeros(len(unknown))
        constant = 0.0
        for cell, sign in [(c, 1.0) for c in link.children] + [(link.parent, -1.0)]:
            if hidden[cell]:
                row[position[cell]] += sign
            else:
                constant -= sign * values[cell]
        columns = np.flatnonzero(row)
        if not len(columns):
            continue
        lower = constant if link.exact else -infinity
        solver.addRow(lower, constant, len(columns), columns.astype("int32"), row[columns])
    status = highspy.HighsModelStatus

    def solve(sense) -> tuple:
        solver.changeObjectiveSense(sense)
        solver.run()
        return solver.getModelStatus(), solver.getInfo().objective_function_value

    bounds = {}
    for k, cell in enumerate(unknown):
        solver.changeColCost(k, 1.0)
        least, low = solve(highspy.ObjSense.kMinimize)
        most, high = solve(highspy.ObjSense.kMaximize)
        solver.changeColCost(k, 0.0)
        # Every cell has a finite floor, so the least value is optimal or there is none at all.
        if (
            least in (status.kInfeasible, status.kUnboundedOrInfeasible)
            or most == status.kInfeasible
        ):
            raise ValueError("the published cells contradict the true ones (infeasible)")
        unbounded = most in (status.kUnbounded, status.kUnboundedOrInfeasible)
        if least != status.kOptimal or not (most == status.kOptimal or unbounded):
            messages = (solver.modelStatusToString(least), solver.modelStatusToString(most))
            raise RuntimeError(f"HiGHS failed: {messages[0]} / {messages[1]}")
        bounds[cell] = (float(low), math.inf if unbounded else float(high))
    return bounds


def attack(
    values: list[float],
    hidden: list[bool],
    prior: list[tuple[float, float]],
    links: list[Relation],
) -> dict[int, tuple[float, float]]:
    """The attacker's bounds for every hidden cell of one table set, by linear programming.

    When the Pacific total is published the relations share no hidden cell, so each is solved
    on its own (smaller programs, same bounds); otherwise the whole table set is one program.
    """
    bounds = {cell: prior[cell] for cell in range(len(values)) if hidden[cell]}
    if not links:
        return bounds
    components = [links] if hidden[links[0].parent] else [[link] for link in links]
    for component in components:
        bounds.update(_lp_bounds(values, hidden, prior, component))
    return bounds


def audit(
    published: pd.DataFrame, truth: pd.DataFrame, settings: DisclosureSettings
) -> list[Finding]:
    """Everything the public could learn that it must not, from what is published.

    ``published`` has the keys, ``obs_value``, ``display_value`` and ``conf_status`` and, when
    published, ``contributing_members`` (as in ``mart_public_aggregates``); ``truth`` has the
    keys, ``cell_count``, ``contributing_members`` and ``largest_member_count``
    (``int_public_cells``). Findings:

    - a visible cell that breaks a primary rule (a count from 1 to ``small_cell_max``, fewer
      than ``min_contributors`` contributors, one member above ``dominance_pct`` percent), or
      whose published value differs from the true one; a cell missing from either side;
    - a number of contributing members published for a hidden cell, or published as 1 to
      ``min_contributors - 1``;
    - a hidden cell whose label misleads ('<5' on a count that is not 1 to 4, 'x' on one that is);
    - a hidden cell whose interval, proven by linear programs from every published cell of its
      table set and how the cells add up, is narrower than its protection.
    """
    keys = list(KEYS)
    columns = [*keys, "obs_value", "display_value", "conf_status"]
    if "contributing_members" in published.columns:
        published = published.rename(columns={"contributing_members": "published_contributors"})
        columns.append("published_contributors")
    merged = truth.merge(
        published[columns], on=keys, how="outer", validate="one_to_one", indicator="side"
    )
    findings: list[Finding] = []
    for row in merged[merged["side"] == "right_only"].itertuples(index=False):
        findings.append(
            Finding(*(getattr(row, key) for key in keys), "published cell with no source", math.nan)
        )
    merged = merged[merged["side"] != "right_only"].reset_index(drop=True)
    primary = primary_status(merged, settings)
    for _, table in merged.groupby(list(TABLE_SET), sort=False):
        values = pd.to_numeric(table["cell_count"]).astype("float64").tolist()
        shown = table["obs_value"].tolist()
        labels = table["display_value"].tolist()
        hidden = [pd.isna(value) for value in shown]
        prior: list[tuple[float, float]] = []
        rows = list(table.itertuples(index=False))
        free = (primary.loc[table.index] == FREE).tolist()
        for position, row in enumerate(rows):
            value = values[position]

            def finding(problem: str, row=row, value=value) -> Finding:
                return Finding(*(getattr(row, key) for key in keys), problem, value)

            contributors = getattr(row, "published_contributors", None)
            if row.side == "left_only":
                findings.append(finding("cell missing from the publication"))
                prior.append((0.0, math.inf))
                continue
            if contributors is not None and not pd.isna(contributors):
                if hidden[position]:
                    findings.append(finding("contributing members published for a hidden cell"))
                elif 0 < contributors < settings.min_contributors:
                    findings.append(
                        finding(f"{int(contributors)} contributing member(s) published")
                    )
            if not hidden[position]:
                prior.append((value, value))
                if float(shown[position]) != value:
                    findings.append(finding("published value differs from the true one"))
                if not free[position]:
                    findings.append(finding(_primary_problem(row, value, settings)))
                continue
            small = labels[position] == settings.small_label
            if small != (1 <= value <= settings.small_cell_max):
                findings.append(finding(f"hidden cell labelled {labels[position]!r}"))
            prior.append(label_bounds(SMALL if small else SECONDARY, settings))
        links = relations(table["breakdown"].tolist(), table["breakdown_value"].tolist(), values)
        floors: dict[int, tuple[float, float]] | None = None
        for cell, (low, high) in sorted(attack(values, hidden, prior, links).items()):
            status = SMALL if labels[cell] == settings.small_label else SECONDARY
            sensitive = not free[cell]
            if not is_exposed(values[cell], status, low, high, settings, sensitive=sensitive):
                continue
            # Narrower than its protection: unless the labels alone already say as much.
            if floors is None:
                floors = convention_bounds(values, links, settings, solver=attack)
            floor = floors.get(cell)
            if is_exposed(
                values[cell], status, low, high, settings, sensitive=sensitive, floor=floor
            ):
                findings.append(
                    Finding(
                        *(getattr(rows[cell], key) for key in keys),
                        "hidden cell can be worked out from the published ones",
                        values[cell],
                        low,
                        high,
                    )
                )
    return findings


def _primary_problem(row, value: float, settings: DisclosureSettings) -> str:
    if 1 <= value <= settings.small_cell_max:
        return "visible small count"
    if (row.contributing_members or 0) < settings.min_contributors:
        return f"visible cell with fewer than {settings.min_contributors} contributing members"
    return f"visible cell where one member makes up more than {settings.dominance_pct:g}%"


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as rows (``FINDING_COLUMNS``), for a dbt model or a report; an unbounded
    ``proven_high`` is empty."""

    def bound(value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else value

    return pd.DataFrame(
        [
            (
                f.dataset,
                f.period_month,
                f.breakdown,
                f.breakdown_value,
                f.problem,
                f.true_value,
                bound(f.proven_low),
                bound(f.proven_high),
            )
            for f in findings
        ],
        columns=FINDING_COLUMNS,
    )


# --- auditing only what changed ----------------------------------------------------------------
#
# The audit of one table set reads only that set's cells (true and published), the settings and
# this module's code. So a table set whose inputs did not change since its last audit has the
# same findings as then: a new month re-audits the few table sets its returns changed, not the
# whole history (at 36 months the full audit was the last 9 s of every `dbt build`, and publish
# repeated it). Each set's *fingerprint* is a digest of exactly those inputs; a set whose
# fingerprint is not in the ledger of earlier audits (int_public_audit_ledger) is audited again.
# Any change to a cell, a setting or this file changes the fingerprint, so nothing is re-used
# that the audit would judge differently; an unknown fingerprint only costs an audit.

_TRUTH_INPUTS = ("cell_count", "contributing_members", "largest_member_count")
_PUBLISHED_INPUTS = ("obs_value", "display_value", "conf_status", "contributing_members")
_NUMBERS = ("cell_count", "contributing_members", "largest_member_count", "obs_value")
# A ledger row: a table set's fingerprint, and one of its findings (or none: every audited set
# has a row whose problem is null, so a clean set is known as audited too).
LEDGER_COLUMNS = ["fingerprint", *FINDING_COLUMNS]
TableSetKey = tuple[str, str]


def _code_digest() -> bytes:
    """A digest of this module's source: an edit to the rules or the attack re-audits all."""
    import hashlib
    from pathlib import Path

    return hashlib.sha256(Path(__file__).read_bytes()).digest()


def table_set_key(dataset: object, period_month: object) -> TableSetKey:
    """(dataset, 'YYYY-MM-DD'): the same key whether the month came as a date or a timestamp."""
    return str(dataset), pd.Timestamp(period_month).strftime("%Y-%m-%d")


def table_set_fingerprints(
    published: pd.DataFrame | None, truth: pd.DataFrame, settings: DisclosureSettings
) -> dict[TableSetKey, str]:
    """A digest of everything the audit of each table set reads, by table set.

    Both sides' cells of the set (as text, numbers as floats, sorted by cell), which side each
    row is on, the settings and this module's code: equal digests mean an equal audit. Without
    ``published``, a digest of what :func:`protect` reads (int_public_suppression's).
    """
    import hashlib

    sides = []
    inputs_of = [("truth", truth, _TRUTH_INPUTS)]
    if published is not None:
        inputs_of.append(("published", published, _PUBLISHED_INPUTS))
    for side, frame, inputs in inputs_of:
        columns = [*KEYS, *(column for column in inputs if column in frame.columns)]
        rows = frame[columns].copy()
        for column in columns:
            if column in _NUMBERS:
                rows[column] = pd.to_numeric(rows[column]).astype("float64")
        rows["period_month"] = pd.to_datetime(rows["period_month"]).dt.strftime("%Y-%m-%d")
        rows = rows.astype("string").fillna("\x00")
        rows.insert(0, "side", f"{side}:{','.join(columns)}")
        sides.append(rows)
    cells = pd.concat(sides, ignore_index=True).fillna("\x00")
    cells = cells.sort_values(["dataset", "period_month", "side", "breakdown", "breakdown_value"])
    row_digests = pd.util.hash_pandas_object(cells, index=False).to_numpy()
    common = repr(settings).encode() + _code_digest()
    fingerprints: dict[TableSetKey, str] = {}
    keys = cells[["dataset", "period_month"]].itertuples(index=False, name=None)
    positions: dict[TableSetKey, list[int]] = {}
    for position, key in enumerate(keys):
        positions.setdefault(key, []).append(position)
    for key, rows_of_set in positions.items():
        digest = hashlib.blake2b(common, digest_size=16)
        digest.update(row_digests[rows_of_set].tobytes())
        fingerprints[key] = digest.hexdigest()
    return fingerprints


def _in_sets(frame: pd.DataFrame, keys: set[TableSetKey]) -> pd.DataFrame:
    months = pd.to_datetime(frame["period_month"]).dt.strftime("%Y-%m-%d")
    wanted = pd.Series(
        list(zip(frame["dataset"].astype(str), months, strict=True)), index=frame.index
    )
    return frame[wanted.isin(keys)]


def audit_changed(
    published: pd.DataFrame,
    truth: pd.DataFrame,
    settings: DisclosureSettings,
    audited: Mapping[TableSetKey, str],
) -> tuple[dict[TableSetKey, str], set[TableSetKey], list[Finding]]:
    """:func:`audit` of the table sets whose fingerprint is not the one in ``audited``.

    Returns every current set's fingerprint, the sets audited now, and their findings (the
    findings of the others are the ones recorded with their fingerprint).
    """
    fingerprints = table_set_fingerprints(published, truth, settings)
    changed = {key for key, fingerprint in fingerprints.items() if audited.get(key) != fingerprint}
    if not changed:
        return fingerprints, changed, []
    findings = audit(_in_sets(published, changed), _in_sets(truth, changed), settings)
    return fingerprints, changed, findings


def ledger_frame(
    fingerprints: Mapping[TableSetKey, str], changed: set[TableSetKey], findings: list[Finding]
) -> pd.DataFrame:
    """Ledger rows (``LEDGER_COLUMNS``) for the sets audited now: one row per set with no
    problem, and one per finding, each with its set's fingerprint."""
    found = findings_frame(findings)
    found.insert(
        0,
        "fingerprint",
        [
            fingerprints[table_set_key(d, p)]
            for d, p in zip(found["dataset"], found["period_month"], strict=True)
        ],
    )
    audited = pd.DataFrame(
        [(fingerprints[key], *key) for key in sorted(changed)],
        columns=["fingerprint", "dataset", "period_month"],
    )
    frame = pd.concat([audited, found], ignore_index=True).reindex(columns=LEDGER_COLUMNS)
    return frame.astype(
        {
            "fingerprint": "string",
            "dataset": "string",
            "breakdown": "string",
            "breakdown_value": "string",
            "problem": "string",
            "true_value": "float64",
            "proven_low": "float64",
            "proven_high": "float64",
        }
    ).assign(period_month=pd.to_datetime(frame["period_month"]).astype("datetime64[s]"))


def recorded_fingerprints(ledger: pd.DataFrame) -> dict[TableSetKey, str]:
    """The fingerprint each table set was last audited with, from ledger rows."""
    return {
        table_set_key(dataset, month): fingerprint
        for dataset, month, fingerprint in ledger[["dataset", "period_month", "fingerprint"]]
        .drop_duplicates()
        .itertuples(index=False, name=None)
    }


def recorded_findings(
    ledger: pd.DataFrame, fingerprints: Mapping[TableSetKey, str]
) -> list[Finding]:
    """The findings of the ledger's rows whose fingerprint is their set's current one."""
    findings = []
    for row in ledger[ledger["problem"].notna()].itertuples(index=False):
        if fingerprints.get(table_set_key(row.dataset, row.period_month)) != row.fingerprint:
            continue
        bounds = [None if pd.isna(v) else float(v) for v in (row.proven_low, row.proven_high)]
        findings.append(
            Finding(
                row.dataset,
                row.period_month,
                row.breakdown,
                row.breakdown_value,
                row.problem,
                float(row.true_value),
                *bounds,
            )
        )
    return findings


def protect_changed(
    cells: pd.DataFrame, settings: DisclosureSettings, protected: Mapping[TableSetKey, str]
) -> tuple[pd.DataFrame, pd.Series, dict[TableSetKey, str]]:
    """:func:`protect` of the table sets whose fingerprint (of their true cells, the settings
    and this module) is not the one in ``protected``: their cells, statuses and fingerprints."""
    fingerprints = table_set_fingerprints(None, cells, settings)
    changed = {
        key for key, fingerprint in fingerprints.items() if protected.get(key) != fingerprint
    }
    subset = _in_sets(cells, changed).reset_index(drop=True)
    return subset, protect(subset, settings), fingerprints
