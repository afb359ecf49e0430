"""Disclosure control of the public figures (pidc/disclosure.py), without dbt.

The primary rules (small counts, too few contributors, one dominant member), secondary
suppression over the linked tables of a dataset and month, and the attacker's audit: linear
programs that bound every hidden cell from what is published. The adversarial frame below is
built to leak the two ways issue 12 found: a subtraction (Pacific 19 minus the visible
sub-regions 17 pins both hidden sub-regions to 1) and one member published as a region (FJI's
early permits return as the Pacific, Melanesia and nationality totals). The audit catches both
under the old rule and passes once the cells are protected.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pidc import disclosure
from pidc.disclosure import DisclosureSettings, audit, primary_status, protect, publication
from pidc.reference.build_seeds import REFERENCE_SEEDS_DIR

if TYPE_CHECKING:
    from support.warehouse import SampleBuild

SETTINGS = DisclosureSettings()
COLUMNS = [*disclosure.KEYS, "cell_count", "contributing_members", "largest_member_count"]
MAY_2024 = dt.date(2024, 5, 1)
OCT_2026 = dt.date(2026, 10, 1)

ADVERSARIAL = [
    # people smuggling and trafficking, May 2024: Pacific 19, visible sub-regions 17
    ("facilitation", MAY_2024, "region", "PACIFIC", 19, 6, 5),
    ("facilitation", MAY_2024, "sub_region", "Melanesia", 10, 3, 5),
    ("facilitation", MAY_2024, "sub_region", "Polynesia", 7, 3, 3),
    ("facilitation", MAY_2024, "sub_region", "Micronesia", 1, 1, 1),
    ("facilitation", MAY_2024, "sub_region", "Australia and New Zealand", 1, 1, 1),
    ("facilitation", MAY_2024, "nationality", "CHN", 12, 4, 5),
    ("facilitation", MAY_2024, "nationality", "IDN", 7, 3, 3),
    # permits, October 2026: only FJI has filed
    ("permits", OCT_2026, "region", "PACIFIC", 523, 1, 523),
    ("permits", OCT_2026, "sub_region", "Melanesia", 523, 1, 523),
    ("permits", OCT_2026, "sub_region", "Micronesia", 0, 0, 0),
    ("permits", OCT_2026, "sub_region", "Polynesia", 0, 0, 0),
    ("permits", OCT_2026, "sub_region", "Australia and New Zealand", 0, 0, 0),
    ("permits", OCT_2026, "nationality", "CHN", 300, 1, 300),
    ("permits", OCT_2026, "nationality", "IND", 223, 1, 223),
]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def legacy_statuses(cells: pd.DataFrame, small_cell_max: int = 4) -> pd.Series:
    """The rule before issue 12: counts 1-4 hidden (A); within one dataset x month x breakdown,
    when exactly one cell is hidden, the next-smallest cell too (D); nothing else."""
    status = pd.Series(
        ["A" if 1 <= count <= small_cell_max else "F" for count in cells["cell_count"]],
        index=cells.index,
    )
    for _, group in cells.groupby(["dataset", "period_month", "breakdown"]):
        hidden = status.loc[group.index] == "A"
        if hidden.sum() == 1 and len(group) > 1 and group["breakdown"].iloc[0] != "region":
            others = group[~hidden.to_numpy()]
            order = others.assign(zero=others["cell_count"] == 0).sort_values(
                ["zero", "cell_count", "breakdown_value"]
            )
            status.loc[order.index[0]] = "D"
    return status


def problems(findings) -> set[tuple[str, str, str]]:
    return {(f.dataset, f.breakdown_value, f.problem) for f in findings}


# --- primary rules ----------------------------------------------------------------------------


def test_settings_come_from_the_reporting_settings_seed() -> None:
    seed = pd.read_csv(REFERENCE_SEEDS_DIR / "reporting_settings.csv", dtype=str)
    from_seed = DisclosureSettings.from_settings(
        dict(zip(seed["setting"], seed["value"], strict=True))
    )
    assert from_seed == DisclosureSettings(
        small_cell_max=4, min_contributors=3, dominance_pct=85, protection_pct=50
    )
    assert from_seed.small_label == "<5"


def test_fewer_than_three_contributors_are_hidden_whatever_the_count() -> None:
    cells = frame(
        [
            ("refusals", OCT_2026, "sub_region", "Australia and New Zealand", 389, 1, 389),
            ("refusals", OCT_2026, "sub_region", "Melanesia", 120, 2, 70),
            ("refusals", OCT_2026, "sub_region", "Polynesia", 90, 3, 40),
            ("refusals", OCT_2026, "sub_region", "Micronesia", 0, 0, 0),
        ]
    )
    assert primary_status(cells, SETTINGS).tolist() == ["C", "C", "F", "F"]
    looser = DisclosureSettings(min_contributors=2)
    assert primary_status(cells, looser).tolist() == ["C", "F", "F", "F"]


def test_one_member_above_the_dominance_share_is_hidden() -> None:
    cells = frame(
        [
            ("movements", OCT_2026, "nationality", "AUS", 1000, 5, 851),  # 85.1%
            ("movements", OCT_2026, "nationality", "NZL", 1000, 5, 850),  # exactly 85%: shown
            ("movements", OCT_2026, "nationality", "CHN", 40, 4, 10),
        ]
    )
    assert primary_status(cells, SETTINGS).tolist() == ["C", "F", "F"]
    assert primary_status(cells, DisclosureSettings(dominance_pct=90)).tolist() == ["F"] * 3


def test_small_counts_come_first_and_zero_is_shown() -> None:
    cells = frame(
        [
            ("irregular", OCT_2026, "nationality", "TON", 3, 1, 3),
            ("irregular", OCT_2026, "nationality", "XXA", 0, 0, 0),
        ]
    )
    assert primary_status(cells, SETTINGS).tolist() == ["A", "F"]


def test_publication_never_gives_a_hidden_value_or_one_or_two_contributors() -> None:
    cells = frame(ADVERSARIAL)
    public = publication(cells, protect(cells, SETTINGS), SETTINGS)
    hidden = public[public["is_suppressed"]]
    assert hidden["obs_value"].isna().all()
    assert hidden["contributing_members"].isna().all()
    assert set(hidden["display_value"]) <= {"<5", "x"}
    shown = public.loc[~public["is_suppressed"], "contributing_members"]
    assert not shown.isin([1, 2]).any()
    small = public[cells["cell_count"].between(1, 4)]
    assert set(small["display_value"]) == {"<5"}


# --- the adversarial fixture ------------------------------------------------------------------


def test_audit_catches_the_subtraction_and_the_one_member_region_under_the_old_rule() -> None:
    cells = frame(ADVERSARIAL)
    findings = audit(publication(cells, legacy_statuses(cells), SETTINGS), cells, SETTINGS)
    found = problems(findings)
    pinned = "hidden cell can be worked out from the published ones"
    # Pacific 19 minus the visible 17: both hidden sub-regions are exactly 1
    assert ("facilitation", "Micronesia", pinned) in found
    assert ("facilitation", "Australia and New Zealand", pinned) in found
    by_cell = {(f.breakdown_value, f.problem): f for f in findings}
    assert by_cell[("Micronesia", pinned)].proven_low == pytest.approx(1)
    assert by_cell[("Micronesia", pinned)].proven_high == pytest.approx(1)
    # FJI's return alone, published as the Pacific, Melanesia and nationality totals
    one_member = "visible cell with fewer than 3 contributing members"
    for value in ("PACIFIC", "Melanesia", "CHN", "IND"):
        assert ("permits", value, one_member) in found
        assert ("permits", value, "1 contributing member(s) published") in found


def test_audit_passes_once_the_cells_are_protected() -> None:
    cells = frame(ADVERSARIAL)
    statuses = protect(cells, SETTINGS)
    assert audit(publication(cells, statuses, SETTINGS), cells, SETTINGS) == []
    by_cell = dict(zip(cells["breakdown_value"] + "/" + cells["dataset"], statuses, strict=True))
    # The one-member region and everything of it is hidden; the zeros stay zeros.
    assert by_cell["PACIFIC/permits"] == "C"
    assert by_cell["Melanesia/permits"] == "C"
    assert by_cell["Micronesia/permits"] == "F"
    # The two small sub-regions get a complement, so 19 - 17 no longer pins them.
    assert by_cell["Micronesia/facilitation"] == "A"
    assert (statuses[cells["dataset"] == "facilitation"] == "D").sum() >= 1


def test_a_secondary_cell_is_protected_from_subtraction_too() -> None:
    """A complement that could be worked out exactly is not hidden at all: the audit says so."""
    cells = frame(
        [
            ("removals", OCT_2026, "region", "PACIFIC", 60, 9, 10),
            ("removals", OCT_2026, "sub_region", "Melanesia", 30, 3, 10),
            ("removals", OCT_2026, "sub_region", "Polynesia", 30, 6, 10),
        ]
    )
    statuses = pd.Series(["F", "D", "F"])
    findings = audit(publication(cells, statuses, SETTINGS), cells, SETTINGS)
    assert problems(findings) == {
        ("removals", "Melanesia", "hidden cell can be worked out from the published ones")
    }


def test_dominated_sub_region_is_not_left_under_a_published_total() -> None:
    """Australia and New Zealand (two members) is always hidden; published beside the Pacific
    total and the other sub-regions it would be the total minus them, so more is hidden."""
    cells = frame(
        [
            ("refusals", OCT_2026, "region", "PACIFIC", 600, 12, 389),
            ("refusals", OCT_2026, "sub_region", "Australia and New Zealand", 420, 2, 389),
            ("refusals", OCT_2026, "sub_region", "Melanesia", 100, 4, 40),
            ("refusals", OCT_2026, "sub_region", "Polynesia", 50, 4, 20),
            ("refusals", OCT_2026, "sub_region", "Micronesia", 30, 2, 20),
        ]
    )
    statuses = protect(cells, SETTINGS)
    assert statuses[1] == "C"
    assert audit(publication(cells, statuses, SETTINGS), cells, SETTINGS) == []
    legacy = audit(publication(cells, legacy_statuses(cells), SETTINGS), cells, SETTINGS)
    assert ("refusals", "Australia and New Zealand") in {
        (f.dataset, f.breakdown_value) for f in legacy
    }


def test_a_margin_that_adds_up_exactly_links_the_nationalities_to_the_total() -> None:
    cells = frame(
        [
            ("irregular", OCT_2026, "region", "PACIFIC", 60, 5, 20),
            ("irregular", OCT_2026, "nationality", "CHN", 57, 5, 20),
            ("irregular", OCT_2026, "nationality", "TON", 3, 1, 3),
        ]
    )
    links = disclosure.relations(
        cells["breakdown"].tolist(), cells["breakdown_value"].tolist(), [60, 57, 3]
    )
    assert links == [disclosure.Relation(0, (1, 2), exact=True)]
    statuses = protect(cells, SETTINGS)
    assert statuses.tolist() != ["F", "F", "A"]  # 60 - 57 would give TON's 3
    assert audit(publication(cells, statuses, SETTINGS), cells, SETTINGS) == []


# --- the closed form against the linear programs ----------------------------------------------


@st.composite
def table_sets(draw) -> pd.DataFrame:
    """A random dataset x month: sub-regions and one or two margins that add up to the total or
    less, with counts from 0 to a few hundred and one to six contributors."""
    rows = []
    month = dt.date(2026, 1, 1)

    def cell(breakdown: str, value: str, count: int) -> tuple:
        contributors = 0 if count == 0 else draw(st.integers(1, 6))
        largest = 0 if count == 0 else draw(st.integers(math.ceil(count / contributors), count))
        return ("irregular", month, breakdown, value, count, contributors, largest)

    counts = st.one_of(st.integers(0, 6), st.integers(0, 400))
    subs = draw(st.lists(counts, min_size=1, max_size=4))
    total = sum(subs)
    rows += [cell("sub_region", f"S{i}", count) for i, count in enumerate(subs)]
    for breakdown in draw(st.sampled_from([["nationality"], ["nationality", "sex"], []])):
        parts = draw(st.lists(counts, min_size=1, max_size=6))
        if sum(parts) > total:
            continue
        if draw(st.booleans()) and total - sum(parts) > 0:
            parts.append(total - sum(parts))  # adds up exactly
        rows += [cell(breakdown, f"{breakdown[0]}{i}", count) for i, count in enumerate(parts)]
    region = cell("region", "PACIFIC", total)
    largest = max([row[6] for row in rows if row[2] == "sub_region"], default=0)
    contributors = sum(row[5] for row in rows if row[2] == "sub_region")
    rows.insert(0, (*region[:4], total, contributors, largest))
    return frame(rows)


@settings(max_examples=150, deadline=None)
@given(table_sets())
def test_protected_random_tables_pass_the_audit(cells: pd.DataFrame) -> None:
    statuses = protect(cells, SETTINGS)
    assert audit(publication(cells, statuses, SETTINGS), cells, SETTINGS) == []


@settings(max_examples=150, deadline=None)
@given(table_sets(), st.data())
def test_closed_form_bounds_equal_the_linear_programs(cells: pd.DataFrame, data) -> None:
    values = cells["cell_count"].astype(float).tolist()
    statuses = [
        data.draw(st.sampled_from(["F", "D"])) if count > 4 else ("A" if count else "F")
        for count in values
    ]
    hidden = [status != "F" for status in statuses]
    prior = [disclosure.label_bounds(status, SETTINGS) for status in statuses]
    links = disclosure.relations(
        cells["breakdown"].tolist(), cells["breakdown_value"].tolist(), values
    )
    closed = disclosure.star_bounds(values, hidden, prior, links)
    programs = disclosure.attack(values, hidden, prior, links)
    assert closed.keys() == programs.keys()
    for cell, (low, high) in programs.items():
        assert closed[cell][0] == pytest.approx(low, abs=1e-6)
        assert closed[cell][1] == pytest.approx(high, abs=1e-6)


def test_the_linear_programs_report_an_unbounded_cell_and_refuse_a_contradiction() -> None:
    """The solver's edge cases: a hidden Pacific total bounded only from below (its one
    breakdown adds up to less) has no greatest value, and published cells that cannot all be
    true (a hidden 'x', 5 or more, that the visible cells pin at 2) are an error, not bounds."""
    small, large = disclosure.label_bounds("A", SETTINGS), disclosure.label_bounds("D", SETTINGS)
    values = [30.0, 12.0, 9.0]
    margin = [disclosure.Relation(0, (1, 2), exact=False)]
    bounds = disclosure.attack(values, [True, False, False], [large, (12, 12), (9, 9)], margin)
    assert bounds == {0: (21.0, math.inf)}
    exact = [disclosure.Relation(0, (1, 2), exact=True)]
    bounds = disclosure.attack(
        [14.0, 12.0, 2.0], [False, False, True], [(14, 14), (12, 12), small], exact
    )
    assert bounds == {2: (2.0, 2.0)}
    with pytest.raises(ValueError, match="infeasible"):
        disclosure.attack(
            [14.0, 12.0, 2.0], [False, False, True], [(14, 14), (12, 12), large], exact
        )


def test_the_solver_prints_nothing_of_its_own() -> None:
    """HiGHS prints a banner when a process makes its first solver; the audit runs inside dbt
    and ``pidc``, whose standard output is read by people and by Dagster, so nothing of it may
    appear there."""
    import subprocess
    import sys

    script = (
        "from pidc import disclosure as d\n"
        "print('before')\n"
        "links = [d.Relation(0, (1, 2), exact=True)]\n"
        "print(d.attack([14.0, 12.0, 2.0], [False, True, True], [(14, 14), (5, 1e9), (1, 4)], links))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines() == ["before", "{1: (10.0, 13.0), 2: (1.0, 4.0)}"]
    assert "HiGHS" not in done.stderr


# --- the public explorer ----------------------------------------------------------------------


@pytest.fixture
def public_home(tmp_path, monkeypatch):
    """The hand-made serving database of support.dashboard, plus a Polynesia movements line
    whose middle month is hidden: 48,000 in August, '<5' in September, 50,100 in October."""
    import duckdb
    from support.dashboard import AUG, SEP, build_serving

    from app import data_access

    monkeypatch.setenv("PIDC_HOME", str(tmp_path))
    serving = build_serving(tmp_path / "serving.duckdb")
    with duckdb.connect(str(serving)) as connection:
        connection.executemany(
            "insert into marts.mart_public_aggregates values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("movements", AUG, "sub_region", "Polynesia", 48_000, "48000", False, "F", 3),
                ("movements", OCT_2026, "sub_region", "Polynesia", 50_100, "50100", False, "F", 4),
            ],
        )
    data_access._cached_query.clear()
    yield SEP
    data_access._cached_query.clear()


def test_public_explorer_draws_a_hidden_cell_as_a_gap_not_a_zero(public_home) -> None:
    from support.dashboard import PUBLIC, chart_traces, run_page

    september = public_home
    at = run_page("explorer", PUBLIC)
    at.radio(key="public_by").set_value("sub_region").run()
    # The explorer's line chart (plotly): one trace per sub-region, month -> value.
    traces = {
        name: points
        for index in range(len(at.get("plotly_chart")))
        for name, points in chart_traces(at, index).items()
    }
    polynesia = traces["Polynesia"]
    assert polynesia[dt.date(2026, 8, 1)] == 48_000
    assert polynesia.get(september) is None  # a gap: the line breaks, it does not fall to 0
    assert polynesia[OCT_2026] == 50_100
    assert all(value != 0 for points in traces.values() for value in points.values())
    table = at.dataframe[0].value
    in_september = pd.to_datetime(table["period_month"]) == pd.Timestamp(september)
    shown = table[(table["breakdown_value"] == "Polynesia") & in_september]
    assert list(shown["display_value"]) == ["<5"]
    assert any("gap" in caption.value for caption in at.caption)


# --- the publish gate -------------------------------------------------------------------------


def _warehouse(path, cells: pd.DataFrame, statuses: pd.Series):
    """A warehouse with the true cells and the public mart published under ``statuses``."""
    import duckdb

    public = publication(cells, statuses, SETTINGS)
    public["obs_value"] = public["obs_value"].astype("float64")
    public["contributing_members"] = public["contributing_members"].astype("float64")
    with duckdb.connect(str(path)) as connection:
        for schema in ("intermediate", "marts"):
            connection.execute(f"create schema if not exists {schema}")
        connection.execute(
            "create or replace table intermediate.int_public_cells as select * from cells"
        )
        connection.execute(
            "create or replace table marts.mart_public_aggregates as select * from public"
        )
    return path


def test_publish_refuses_public_figures_that_disclose_and_keeps_the_old_serving(tmp_path) -> None:
    from orchestration.publish import PublishError, publish_serving

    cells = frame(ADVERSARIAL)
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", cells, legacy_statuses(cells))
    serving = tmp_path / "serving.duckdb"
    with pytest.raises(PublishError, match="would disclose"):
        publish_serving(warehouse, serving)
    assert not serving.exists()
    _warehouse(warehouse, cells, protect(cells, SETTINGS))
    published = publish_serving(warehouse, serving)
    assert published.row_counts["mart_public_aggregates"] == len(cells)


# --- the sample -------------------------------------------------------------------------------


@pytest.mark.slow
def test_on_the_sample_the_old_rule_leaks_and_the_published_cells_do_not(
    sample: SampleBuild,
) -> None:
    """The sample of tests/warehouse/test_dbt_marts.py (one shared build): published as the old rule did,
    the audit finds one-member regions and hidden cells worked out by subtraction; the marts as
    built pass it (dbt build ran the same audit) and hide more."""
    import duckdb

    with duckdb.connect(str(sample.warehouse), read_only=True) as connection:
        cells = connection.sql("select * from intermediate.int_public_cells").df()
        published = connection.sql("select * from marts.mart_public_aggregates").df()
        audit_rows = connection.sql("select * from intermediate.int_public_disclosure_audit").df()
    assert audit_rows.empty
    assert audit(published, cells, SETTINGS) == []

    old = legacy_statuses(cells)
    leaks = problems(audit(publication(cells, old, SETTINGS), cells, SETTINGS))
    kinds = {problem for _, _, problem in leaks}
    assert "hidden cell can be worked out from the published ones" in kinds
    assert "visible cell with fewer than 3 contributing members" in kinds
    assert "1 contributing member(s) published" in kinds
    # Small counts stay '<5'; the new rules hide more cells in all.
    statuses = cells.merge(published, on=list(disclosure.KEYS))["conf_status"]
    assert (statuses[(old == "A").to_numpy()] == "A").all()
    assert (statuses != "F").sum() > (old != "F").sum()


# --- auditing only what changed (int_public_audit_ledger) -------------------------------------


def _months(rows: list[tuple], months: list[dt.date]) -> pd.DataFrame:
    """The adversarial table sets repeated for each of ``months``."""
    return frame([(d, month, *rest) for month in months for d, _, *rest in rows])


HISTORY = [dt.date(2024, month, 1) for month in range(1, 7)]


def _sets_of(findings) -> set[tuple[str, str]]:
    return {disclosure.table_set_key(f.dataset, f.period_month) for f in findings}


def test_an_old_month_made_leaky_is_audited_again_and_caught() -> None:
    """The attacker's view: the ledger holds six clean months; one old month (not the newest) is
    then published under the old rule. Only the changed table sets are audited, and they leak
    exactly as a full audit says."""
    cells = _months(ADVERSARIAL, HISTORY)
    safe = publication(cells, protect(cells, SETTINGS), SETTINGS)
    fingerprints, changed, findings = disclosure.audit_changed(safe, cells, SETTINGS, {})
    assert findings == [] and changed == set(fingerprints) and len(changed) == 12
    ledger = disclosure.ledger_frame(fingerprints, changed, findings)
    assert len(ledger) == 12 and ledger["problem"].isna().all()

    march = cells["period_month"] == dt.date(2024, 3, 1)
    leaky = pd.concat(
        [
            safe[(safe["period_month"] != dt.date(2024, 3, 1)).to_numpy()],
            publication(
                cells[march].reset_index(drop=True),
                legacy_statuses(cells[march].reset_index(drop=True)),
                SETTINGS,
            ),
        ],
        ignore_index=True,
    )
    recorded = disclosure.recorded_fingerprints(ledger)
    _, changed, findings = disclosure.audit_changed(leaky, cells, SETTINGS, recorded)
    assert changed == {("facilitation", "2024-03-01"), ("permits", "2024-03-01")}
    full = audit(leaky, cells, SETTINGS)
    assert findings and problems(findings) == problems(full)
    assert _sets_of(findings) == _sets_of(full) <= changed


def test_a_fingerprint_changes_with_any_cell_either_side_and_with_the_settings() -> None:
    cells = _months(ADVERSARIAL, HISTORY[:2])
    safe = publication(cells, protect(cells, SETTINGS), SETTINGS)
    before = disclosure.table_set_fingerprints(safe, cells, SETTINGS)
    key = ("facilitation", "2024-01-01")
    row = cells.index[(cells["period_month"] == HISTORY[0]) & (cells["dataset"] == "facilitation")][
        1
    ]
    for column in ("cell_count", "contributing_members", "largest_member_count"):
        changed = cells.copy()
        changed.loc[row, column] += 1
        after = disclosure.table_set_fingerprints(safe, changed, SETTINGS)
        assert after[key] != before[key], column
        assert {k: v for k, v in after.items() if k != key} == {
            k: v for k, v in before.items() if k != key
        }
    published_row = safe.index[
        (pd.to_datetime(safe["period_month"]) == pd.Timestamp(HISTORY[0]))
        & (safe["dataset"] == "facilitation")
    ][0]
    for column, value in (("obs_value", 1.0), ("display_value", "x"), ("conf_status", "D")):
        changed = safe.copy()
        changed[column] = changed[column].astype(object)
        changed.loc[published_row, column] = value
        assert disclosure.table_set_fingerprints(changed, cells, SETTINGS)[key] != before[key]
    # a published cell without a true one (or the reverse) changes its set too
    extra = pd.concat([safe, safe.loc[[published_row]].assign(breakdown_value="ZZZ")])
    assert disclosure.table_set_fingerprints(extra, cells, SETTINGS)[key] != before[key]
    stricter = DisclosureSettings(protection_pct=60)
    assert set(disclosure.table_set_fingerprints(safe, cells, stricter).values()).isdisjoint(
        before.values()
    )
    # the same inputs in another order (or from another reader) give the same fingerprints
    shuffled = disclosure.table_set_fingerprints(
        safe.sample(frac=1, random_state=1), cells.sample(frac=1, random_state=2), SETTINGS
    )
    assert shuffled == before


def _ledger_table(path, ledger: pd.DataFrame) -> None:
    import duckdb

    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create or replace table intermediate.int_public_audit_ledger as select * from ledger"
        )


def test_publish_reuses_the_builds_audit_only_where_the_tables_are_those_audited(
    tmp_path, monkeypatch
) -> None:
    """Publishing trusts a recorded audit only for table sets whose cells are the ones it
    audited: unchanged sets are not audited again, and a mart made leaky after the build (with
    the ledger still saying clean) is audited and refused."""
    from orchestration.publish import PublishError, publish_serving

    cells = _months(ADVERSARIAL, HISTORY[:3])
    statuses = protect(cells, SETTINGS)
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", cells, statuses)
    safe = publication(cells, statuses, SETTINGS)
    fingerprints, changed, findings = disclosure.audit_changed(safe, cells, SETTINGS, {})
    _ledger_table(warehouse, disclosure.ledger_frame(fingerprints, changed, findings))

    audited_sets = []
    real_audit = disclosure.audit

    def counting_audit(published, truth, settings):
        audited_sets.extend({(d, str(p)[:10]) for d, p in zip(published["dataset"], published["period_month"], strict=True)})  # fmt: skip
        return real_audit(published, truth, settings)

    monkeypatch.setattr(disclosure, "audit", counting_audit)
    publish_serving(warehouse, tmp_path / "serving.duckdb")
    assert audited_sets == []  # everything was audited by the build, and nothing changed since

    _warehouse(warehouse, cells, legacy_statuses(cells))  # the mart changed after the build
    with pytest.raises(PublishError, match="would disclose"):
        publish_serving(warehouse, tmp_path / "serving-2.duckdb")
    assert audited_sets  # audited again, because its fingerprints no longer match

    # and a ledger that records the leaky sets' findings refuses them without a new audit
    leaky = publication(cells, legacy_statuses(cells), SETTINGS)
    fingerprints, changed, findings = disclosure.audit_changed(leaky, cells, SETTINGS, {})
    _ledger_table(warehouse, disclosure.ledger_frame(fingerprints, changed, findings))
    audited_sets.clear()
    with pytest.raises(PublishError, match="would disclose"):
        publish_serving(warehouse, tmp_path / "serving-3.duckdb")
    assert audited_sets == []
