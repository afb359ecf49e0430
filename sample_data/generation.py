"""Deterministic, realistic monthly returns for every member, written as members send them.

The generator works in three steps. First it draws each member's figures in regional codes
(volumes proportional to the member's size, seasonality with December/January and June-August
peaks, a gentle trend, Poisson noise spread over plausible breakdown combinations only). Then
it injects the events the platform must notice: nationality spikes, a new document-fraud
route, missing, late and nil returns, and corrections sent later as a new version. Last, it
spells every value the way that member's office writes it and writes the files: template
workbooks (layout E) for about half the members, one CSV per dataset for the others, with each
file's mtime set to its intended received time. Everything is recorded in the manifest.

One module per step: ``figures``, ``events``, ``writing``; ``profiles`` holds each member's
habits and ``manifest`` what was written.
"""

from __future__ import annotations

from itertools import product
from pathlib import Path

from pidc.contract import Contract, load_contract
from sample_data import profiles
from sample_data.common import Rows, SampleError, _rng, month_list
from sample_data.events import (
    _choose_corrections,
    _choose_missing,
    _inject_new_route,
    _inject_spikes,
    _Plan,
)
from sample_data.figures import (
    _dataset_cells,
    _draw,
    _expected_total,
)
from sample_data.manifest import (
    MANIFEST_NAME,
    SampleManifest,
)
from sample_data.profiles import profile
from sample_data.writing import (
    WorkbookJob,
    _deadline_day,
    _write_csvs,
    _write_workbooks,
    write_workbooks,
)


def generate_samples(
    landing_dir: Path,
    *,
    seed: int = 2026,
    months: int = 36,
    end_period: str = "2026-09",
    scale: int = 1,
) -> SampleManifest:
    """Write realistic member returns into ``landing_dir/<MEMBER>/`` and return the manifest.

    The same arguments always give byte-identical CSV files, identical workbooks and the same
    manifest, which is also written to ``landing_dir.parent / "sample_manifest.json"``. Each
    file's mtime is set to its intended received time. ``scale`` widens the breakdowns (more
    nationalities, more rows) without adding members; the members are those of the reference
    registry (``members.csv`` of the dbt project in use, see ``PIDC_DBT_PROJECT_DIR``). Raises :class:`SampleError` for a
    malformed ``end_period`` or ``months`` below 1 or ``scale`` below 1.
    """
    if scale < 1:
        raise SampleError(f"scale must be 1 or more, not {scale}")
    contract = load_contract()
    periods = month_list(end_period, months)
    # Every member of the registry reports; one without a curated profile borrows a curated
    # member's habits (profiles.stand_in_template).
    members = list(profiles.members())
    manifest = SampleManifest(
        seed=seed,
        months=months,
        end_period=end_period,
        scale=scale,
        periods=periods,
        members=members,
    )
    plan = _plan(members, periods, contract, seed, scale, manifest)
    landing_dir = Path(landing_dir)
    deadline_day = _deadline_day()
    workbooks: list[WorkbookJob] = []
    for member in members:
        if profile(member).file_format == "xlsx":
            _write_workbooks(
                landing_dir, member, periods, plan, contract, seed, deadline_day, manifest,
                workbooks,
            )  # fmt: skip
        else:
            _write_csvs(landing_dir, member, periods, plan, contract, seed, deadline_day, manifest)
    write_workbooks(workbooks)
    manifest.files.sort(key=lambda f: (f.member, f.period, f.version, f.path))
    for events in (manifest.late_returns, manifest.nil_returns):
        events.sort(key=lambda e: (e.member, e.period, e.dataset))
    manifest.write(landing_dir.parent / MANIFEST_NAME)
    return manifest


def _plan(
    members: list[str],
    periods: list[str],
    contract: Contract,
    seed: int,
    scale: int,
    manifest: SampleManifest,
) -> _Plan:
    figures: dict[tuple[str, str, str], Rows] = {}
    columns: dict[tuple[str, str], list[str]] = {}
    for member, dataset in product(members, contract.dataset_names):
        cells = _dataset_cells(member, dataset, scale)
        columns[(member, dataset)] = cells.columns
        expected_names = [c.name for c in contract.dataset(dataset).breakdowns]
        if sorted(cells.columns) != sorted(expected_names):
            raise SampleError(
                f"the sample recipe for {dataset} writes {cells.columns} but the contract has "
                f"{expected_names}; update sample_data/figures.py"
            )
        rng = _rng(seed, "figures", member, dataset)
        for index, period in enumerate(periods):
            expected = _expected_total(member, dataset, period, index, seed)
            figures[(member, dataset, period)] = _draw(cells, expected, rng)
    plan = _Plan(figures, columns, {}, {}, {})
    events = _rng(seed, "events")
    _inject_spikes(plan, members, periods, events, manifest)
    _inject_new_route(plan, members, periods, events, manifest, scale)
    _choose_missing(plan, members, periods, contract, events, manifest)
    _choose_corrections(plan, members, periods, events, manifest)
    return plan
