"""The marts on a realistic sample: what the generator injected is what the marts report.

One session build: the sample generator writes 14 months of returns for every member (so a
12-month alert baseline exists); the files received before a cut-off are ingested
(ingestion.intake.ingest_path) and `dbt build` runs; the rest (the last months, late returns,
corrections) are ingested and `dbt build` runs again, so the facts take their incremental path.
A copy of that warehouse is then rebuilt with `--full-refresh` and must hold identical facts.
The manifest the generator wrote (sample_manifest.json) says which spikes, new routes, late,
missing and nil returns and corrections to expect.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from support.warehouse import SampleBuild, differences

from pidc.contract import load_contract

pytestmark = pytest.mark.slow


def _month(period: str) -> dt.date:
    return dt.date.fromisoformat(f"{period}-01")


def test_both_builds_and_the_full_refresh_pass_every_test(sample: SampleBuild) -> None:
    assert sample.failures == []


def test_every_injected_spike_is_an_alert(sample: SampleBuild) -> None:
    assert sample.manifest.spikes, "the sample should inject spikes"
    for spike in sample.manifest.spikes:
        rows = sample.query(
            "select dimension_value, observed_count, modified_z_score, severity, message"
            " from marts.mart_alerts where alert_type = 'spike' and member_code = ?"
            " and dataset = ? and period_month = ? and dimension_value in (?, 'total')",
            [spike.member, spike.dataset, _month(spike.period), spike.code],
        )
        assert rows, f"no spike alert for {spike}"
        by_value = {row[0]: row for row in rows}
        assert spike.code in by_value, f"the spiking nationality is not named: {rows}"
        _, observed, z_score, _, message = by_value[spike.code]
        assert observed == spike.value
        assert z_score > 3.5
        assert str(spike.value) in message


def test_every_injected_new_route_is_an_alert(sample: SampleBuild) -> None:
    assert sample.manifest.new_routes
    for route in sample.manifest.new_routes:
        rows = sample.query(
            "select observed_count, baseline_months from marts.mart_alerts"
            " where alert_type = 'new_route' and member_code = ? and dimension_value = ?"
            " and period_month = ?",
            [route.member, route.code, _month(route.first_period)],
        )
        assert len(rows) == 1, f"no new-route alert for {route}"
        assert rows[0][0] == route.totals[route.first_period]
        route_rows = sample.query(
            "select period_month, total_count from marts.mart_route_trends"
            " where member_code = ? and embarkation_country_code = ? order by period_month",
            [route.member, route.code],
        )
        assert route_rows[0][0] == _month(route.first_period)


def _statuses(sample: SampleBuild) -> dict[tuple[str, str, str], tuple]:
    sample_months = [_month(period) for period in sample.manifest.periods]
    rows = sample.query(
        "select member_code, dataset, period_month, status, is_nil_return, version_count,"
        " is_corrected from marts.mart_reporting_compliance where period_month in"
        f" ({', '.join('?' for _ in sample_months)})",
        sample_months,
    )
    return {(m, d, p.strftime("%Y-%m")): tuple(rest) for m, d, p, *rest in rows}


def test_late_missing_and_nil_returns_are_exactly_those_injected(sample: SampleBuild) -> None:
    statuses = _statuses(sample)
    late = {(r.member, r.dataset, r.period) for r in sample.manifest.late_returns}
    missing = {(r.member, r.dataset, r.period) for r in sample.manifest.missing_returns}
    nil = {(r.member, r.dataset, r.period) for r in sample.manifest.nil_returns}
    assert late and missing and nil
    assert {key for key, row in statuses.items() if row[0] == "late"} == late
    assert {key for key, row in statuses.items() if row[0] == "missing"} == missing
    assert {key for key, row in statuses.items() if row[1]} == nil
    # a nil return is received, never missing
    assert {statuses[key][0] for key in nil} <= {"on_time", "late"}
    members = len(sample.manifest.members)
    datasets = len(load_contract().dataset_names)
    assert len(statuses) == members * datasets * len(sample.manifest.periods)


def test_corrections_are_counted_as_versions(sample: SampleBuild) -> None:
    statuses = _statuses(sample)
    assert sample.manifest.corrections
    for correction in sample.manifest.corrections:
        key = (correction.member, correction.dataset, correction.period)
        assert statuses[key][2:] == (2, True)
    # A workbook member resends the whole workbook, so every return in it gains a version;
    # each corrected return must come from a file the member sent more than once.
    resent = {
        (entry.member, dataset, entry.period)
        for entry in sample.manifest.files
        if entry.version > 1
        for dataset in entry.datasets
    }
    corrected = {key for key, row in statuses.items() if row[3]}
    assert {(c.member, c.dataset, c.period) for c in sample.manifest.corrections} <= corrected
    assert corrected <= resent


def test_return_totals_equal_what_the_members_sent(sample: SampleBuild) -> None:
    """Each current return's total is the sum the generator wrote in its newest version."""
    newest: dict[tuple[str, str, str], tuple[int, int]] = {}
    for entry in sample.manifest.files:
        for dataset, total in entry.totals.items():
            key = (entry.member, dataset, entry.period)
            if key not in newest or entry.version > newest[key][0]:
                newest[key] = (entry.version, total)
    totals = {
        (m, d, p.strftime("%Y-%m")): total
        for m, d, p, total in sample.query(
            "select member_code, dataset, period_month, total_count from marts.mart_return_totals"
        )
    }
    expected = {key: total for key, (_, total) in newest.items() if key[1] != "observations"}
    assert totals == expected


def test_every_current_raw_row_is_counted_once_in_its_fact(sample: SampleBuild) -> None:
    for dataset in load_contract().dataset_names:
        staged, fact = sample.query(
            f"select (select (count(*), sum(person_count))"
            f" from intermediate.int_{dataset}_current_rows),"
            f" (select (sum(source_row_count), sum(observed_count)) from marts.fct_{dataset})"
        )[0]
        assert staged == fact, dataset


def test_regional_totals_are_the_sum_of_members(sample: SampleBuild) -> None:
    differences = sample.query(
        "select regional.dataset, regional.period_month from marts.mart_regional_trends regional"
        " join (select dataset, period_month, sum(total_count) as total_count"
        "       from marts.mart_member_trends group by all) members"
        " using (dataset, period_month) where regional.total_count <> members.total_count"
    )
    assert differences == []
    months = sample.query("select count(*) from marts.mart_regional_trends")[0][0]
    assert months == len(load_contract().dataset_names) * len(sample.manifest.periods)


def test_no_public_cell_is_small_or_recoverable(sample: SampleBuild) -> None:
    cells = sample.query(
        "select dataset, period_month, breakdown, obs_value, is_suppressed, conf_status,"
        " display_value, contributing_members from marts.mart_public_aggregates"
    )
    assert cells
    for *_, value, suppressed, status, display, contributors in cells:
        if suppressed:
            assert value is None and status in {"A", "C", "D"} and contributors is None
            assert display in {"<5", "x"}
        else:
            assert not 1 <= value <= 4
            assert display == str(value) and status == "F"
            assert contributors == 0 or contributors >= 3
    statuses = {status for *_, status, _, _ in cells}
    assert {"A", "C", "D"} <= statuses, "the sample should need every kind of suppression"
    # The attacker's audit (pidc/disclosure.py; `dbt build` runs it too): no hidden cell can be
    # bounded within its protection from everything published, no visible cell breaks a rule.
    from pidc.disclosure import DisclosureSettings, audit

    with duckdb.connect(str(sample.warehouse), read_only=True) as connection:
        truth = connection.sql("select * from intermediate.int_public_cells").df()
        published = connection.sql("select * from marts.mart_public_aggregates").df()
    assert audit(published, truth, DisclosureSettings()) == []


def test_public_cells_by_sex_and_age_add_up_the_members_that_report_them(
    sample: SampleBuild,
) -> None:
    cells = sample.query(
        "select dataset, period_month, breakdown, breakdown_value, cell_count"
        " from intermediate.int_public_cells"
    )
    by_breakdown: dict[tuple[str, str], set[str]] = {}
    sums: Counter = Counter()
    for dataset, month, breakdown, value, count in cells:
        by_breakdown.setdefault((dataset, breakdown), set()).add(value)
        sums[(dataset, month, breakdown)] += count
    # The sample splits victims and removals by sex and age (five-year and broad bands, never
    # added into one another), movements nowhere.
    assert by_breakdown[("facilitation", "sex")] >= {"F", "M"}
    assert by_breakdown[("removals", "age_group")] >= {"Y20T24", "Y_GE65"}
    assert by_breakdown[("facilitation", "age_group")] >= {"Y20T24", "Y18T34"}
    assert ("movements", "sex") not in by_breakdown
    assert "_T" not in set().union(*by_breakdown.values())
    for (dataset, month, breakdown), total in sums.items():
        if breakdown in ("sex", "age_group"):
            assert total <= sums[(dataset, month, "region")], (dataset, month, breakdown)


def test_incremental_facts_equal_a_full_refresh(sample: SampleBuild) -> None:
    with duckdb.connect(str(sample.warehouse), read_only=True) as connection:
        connection.execute(f"attach '{sample.full_refresh_warehouse}' as refreshed (read_only)")
        for dataset in load_contract().dataset_names:
            table = f"marts.fct_{dataset}"
            only_incremental = connection.execute(
                f"select count(*) from (select * from {table}"
                f" except all select * from refreshed.{table})"
            ).fetchone()[0]
            only_refreshed = connection.execute(
                f"select count(*) from (select * from refreshed.{table}"
                f" except all select * from {table})"
            ).fetchone()[0]
            rows = connection.execute(f"select count(*) from {table}").fetchone()[0]
            assert (only_incremental, only_refreshed) == (0, 0), dataset
            assert rows > 0


def test_the_incremental_harmonised_chain_equals_a_full_refresh(sample: SampleBuild) -> None:
    """int_breakdown_values_unpivoted, int_breakdown_values_harmonised and every
    int_<dataset>_harmonised (kept by return version) hold, row for row, what a --full-refresh
    builds, and so do the facts."""
    assert differences(sample.warehouse, sample.full_refresh_warehouse) == {}


def test_sharing_rules_reach_the_access_mart(sample: SampleBuild) -> None:
    rows = dict(
        ((viewer, owner, dataset), can_view)
        for viewer, owner, dataset, can_view in sample.query(
            "select viewer, owner_member_code, dataset, can_view from marts.mart_sharing_access"
        )
    )
    members = sample.manifest.members
    datasets = load_contract().dataset_names
    assert len(rows) == (len(members) + 2) * len(members) * len(datasets)
    assert all(rows[("SECRETARIAT", m, d)] for m in members for d in datasets)
    assert not any(rows[("PUBLIC", m, d)] for m in members for d in datasets)
    assert all(rows[(m, m, d)] for m in members for d in datasets)


# The French columns of the dimensions (issue 16), as the dashboard reads them from serving.
FRENCH_COLUMNS = {
    "dim_codes": ["label_fr"],
    "dim_countries": ["country_name_fr"],
    "dim_members": ["member_name_fr"],
    "dim_datasets": ["title_fr", "description_fr"],
    "dim_member_groups": ["group_name_fr"],
}


def test_the_dimensions_carry_french_names_into_the_serving_database(
    sample_serving: Path,
) -> None:
    serving = sample_serving  # the sample build published as the pipeline does
    with duckdb.connect(str(serving), read_only=True) as connection:
        for table, columns in FRENCH_COLUMNS.items():
            blanks = " or ".join(f"coalesce(trim({c}), '') = ''" for c in columns)
            total, untranslated = connection.execute(
                f"select count(*), count(*) filter (where {blanks}) from marts.{table}"
            ).fetchone()
            assert total > 0 and untranslated == 0, table
        french = dict(
            connection.execute(
                "select 'member', member_name_fr from marts.dim_members where member_code = 'NCL'"
                " union all select 'country', country_name_fr from marts.dim_countries"
                " where country_code = 'XXA'"
                " union all select 'code', label_fr from marts.dim_codes"
                " where code_list = 'direction' and code = 'ARR'"
                " union all select 'dataset', title_fr from marts.dim_datasets"
                " where dataset = 'refusals'"
                " union all select distinct 'group', group_name_fr from marts.dim_member_groups"
                " where group_code = 'MARITIME'"
            ).fetchall()
        )
    assert french == {
        "member": "Nouvelle-Calédonie",
        "country": "Apatride",
        "code": "Arrivée",
        "dataset": "Refus d’entrée",
        "group": "Groupe maritime",
    }
