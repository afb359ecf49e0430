"""Step 2: the events the platform must notice, injected into the drawn figures.

Nationality spikes, a new document-fraud route, missing returns, and corrections sent later as a
new version. Each event is recorded in the manifest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

from sample_data.common import Rows, _rng
from sample_data.figures import (
    MONTHLY_RATE,
    _enforcement_ports,
    _route_pool,
    _total,
)
from sample_data.manifest import (
    NewRoute,
    ReturnRef,
    Spike,
)
from sample_data.profiles import profile

SPIKE_FACTOR = 5
NEW_ROUTE_CANDIDATES = ["ARE", "THA", "TUR", "QAT", "CHL"]


@dataclass
class _Plan:
    """Everything decided before files are written."""

    figures: dict[tuple[str, str, str], Rows]  # (member, dataset, period) -> rows in codes
    columns: dict[tuple[str, str], list[str]]  # (member, dataset) -> cell column names
    missing: dict[tuple[str, str, str], str]  # -> why
    corrected: dict[tuple[str, str, str], Rows]  # -> version 2 rows
    notes: dict[tuple[str, str], list[dict[str, object]]]  # (member, period) -> observations


def _nationality_total(rows: Rows, position: int, code: str) -> int:
    return sum(count for cell, count in rows if cell[position] == code)


def _inject_spikes(plan, members, periods, events, manifest) -> None:
    """Multiply one nationality's figures by SPIKE_FACTOR in one month, for a few members."""
    if len(periods) < 8:
        return
    chosen: set[str] = set()
    for dataset in ["irregular", "refusals", "irregular"]:
        candidates = [
            m
            for m in members
            if m not in chosen and profile(m).annual_movements * MONTHLY_RATE[dataset] >= 15
        ]
        if not candidates:
            continue
        member = candidates[int(events.integers(len(candidates)))]
        chosen.add(member)
        position = plan.columns[(member, dataset)].index("nationality")
        period_index = int(events.integers(max(6, len(periods) - 12), len(periods) - 1))
        period = periods[period_index]
        history = periods[period_index - 6 : period_index]

        def mean_of(
            code: str, member=member, dataset=dataset, history=history, position=position
        ) -> float:
            totals = [
                _nationality_total(plan.figures[(member, dataset, p)], position, code)
                for p in history
            ]
            return sum(totals) / len(totals)

        codes = sorted({cell[position] for cell, _ in plan.figures[(member, dataset, period)]})
        if not codes:
            continue
        # One of the member's three usual nationalities, so the spike stands on a real baseline.
        usual = sorted(codes, key=lambda c: (-mean_of(c), c))[:3]
        code = usual[int(events.integers(len(usual)))]
        key = (member, dataset, period)
        plan.figures[key] = [
            (cell, count * SPIKE_FACTOR if cell[position] == code else count)
            for cell, count in plan.figures[key]
        ]
        # A quiet month times five can still sit near the usual level; top it up so the spike
        # is at least five times the recent average, as the alert must see it.
        floor = math.ceil(SPIKE_FACTOR * mean_of(code))
        shortfall = floor - _nationality_total(plan.figures[key], position, code)
        if shortfall > 0:
            largest = max(
                (i for i, (cell, _) in enumerate(plan.figures[key]) if cell[position] == code),
                key=lambda i: plan.figures[key][i][1],
            )
            cell, count = plan.figures[key][largest]
            plan.figures[key][largest] = (cell, count + shortfall)
        value = _nationality_total(plan.figures[key], position, code)
        manifest.spikes.append(
            Spike(
                member,
                dataset,
                period,
                "nationality",
                code,
                SPIKE_FACTOR,
                round(mean_of(code), 2),
                value,
            )
        )
        topic_note = (
            f"{dataset.replace('_', ' ').capitalize()} of {code} nationals rose sharply this month."
        )
        plan.notes.setdefault((member, period), []).append(
            {"dataset": dataset, "topic": "TREND", "note": topic_note, "shareable": "yes"}
        )


def _inject_new_route(plan, members, periods, events, manifest, scale) -> None:
    """A document-fraud route (embarkation country) that first appears a few months from the end."""
    if len(periods) < 4:
        return
    candidates = [
        m for m in members if profile(m).annual_movements * MONTHLY_RATE["document_fraud"] >= 4
    ]
    if not candidates:
        return
    member = candidates[int(events.integers(len(candidates)))]
    routes = set(_route_pool(member, scale))
    code = next(c for c in NEW_ROUTE_CANDIDATES if c not in routes and c != member)
    first_index = int(events.integers(max(1, len(periods) - 9), len(periods) - 2))
    port = next(iter(_enforcement_ports(member)))
    columns = plan.columns[(member, "document_fraud")]
    nationalities = ["IND", "CHN", "BGD"]
    totals: dict[str, int] = {}
    for period in periods[first_index:]:
        rng = _rng(manifest.seed, "route", member, period)
        added = []
        for nationality in nationalities[: 1 + int(rng.integers(3))]:
            record = {
                "document_type": "PASSPORT",
                "fraud_type": "FORGED",
                "issuing_country": nationality,
                "nationality": nationality,
                "port": port,
                "embarkation_country": code,
            }
            added.append((tuple(record[c] for c in columns), 2 + int(rng.poisson(3))))
        plan.figures[(member, "document_fraud", period)] = [
            *plan.figures[(member, "document_fraud", period)],
            *added,
        ]
        totals[period] = _total(added)
    first = periods[first_index]
    manifest.new_routes.append(
        NewRoute(
            member,
            "document_fraud",
            "embarkation_country",
            code,
            first,
            periods[first_index:],
            totals,
        )
    )
    plan.notes.setdefault((member, first), []).append(
        {
            "dataset": "document_fraud",
            "topic": "ROUTE",
            "note": f"First forged passports seen on flights from {code}.",
            "shareable": "yes",
        }
    )


def _choose_missing(plan, members, periods, contract, events, manifest) -> None:
    """Returns never sent: a small member silent for three months, random gaps, and the
    latest month not yet received from a few members."""
    spiked = {(s.member, s.period) for s in manifest.spikes}
    routed = {(r.member, p) for r in manifest.new_routes for p in r.periods}
    protected = spiked | routed

    def mark(member: str, period: str, dataset: str, why: str) -> None:
        if (member, period) not in protected:
            plan.missing[(member, dataset, period)] = why

    small = sorted(members, key=lambda m: (profile(m).annual_movements, m))[:6]
    if len(periods) >= 6:
        silent = small[int(events.integers(len(small)))]
        start = int(events.integers(1, len(periods) - 4))
        for period in periods[start : start + 3]:
            for dataset in contract.dataset_names:
                mark(silent, period, dataset, "member sent nothing for three months")
    for member, period, dataset in product(members, periods[:-1], contract.dataset_names):
        if events.random() < 0.01:
            mark(member, period, dataset, "return not sent")
    if len(periods) >= 2:
        pending = sorted(members)
        for index in sorted(events.choice(len(pending), size=min(3, len(pending)), replace=False)):
            for dataset in contract.dataset_names:
                mark(pending[index], periods[-1], dataset, "latest month not yet received")
    manifest.missing_returns.extend(
        ReturnRef(member, dataset, period, why)
        for (member, dataset, period), why in sorted(plan.missing.items())
    )


def _choose_corrections(plan, members, periods, events, manifest) -> None:
    """Earlier returns that the member resends later as version 2 with changed figures."""
    if len(periods) < 6:
        return
    by_format: dict[str, list[str]] = {"xlsx": [], "csv": []}
    for member in members:
        by_format[profile(member).file_format].append(member)
    chosen: list[tuple[str, str, str]] = []
    for file_format in ("xlsx", "csv"):
        pool = [m for m in by_format[file_format] if profile(m).annual_movements >= 100_000]
        for _ in range(2):
            if not pool:
                break
            member = pool.pop(int(events.integers(len(pool))))
            dataset = ["refusals", "irregular", "movements", "removals"][int(events.integers(4))]
            window = periods[max(0, len(periods) - 12) : len(periods) - 3]
            options = [
                p
                for p in window
                if (member, dataset, p) not in plan.missing
                and len(plan.figures[(member, dataset, p)]) >= 2
                and not any(s.member == member and s.period == p for s in manifest.spikes)
            ]
            if options:
                chosen.append((member, dataset, options[int(events.integers(len(options)))]))
    for member, dataset, period in chosen:
        rows = plan.figures[(member, dataset, period)]
        changed: Rows = []
        # Recounted figures: some rows change, and the last row turns out to be a duplicate,
        # so version 2 has fewer rows (staging must not keep the stale one).
        for cell, count in rows[:-1]:
            if events.random() < 0.3:
                count = max(1, round(count * events.uniform(0.7, 1.4)))
            changed.append((cell, count))
        if _total(changed) == _total(rows):
            cell, count = changed[0]
            changed[0] = (cell, count + 1)
        plan.corrected[(member, dataset, period)] = changed
