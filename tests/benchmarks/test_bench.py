"""The benchmark harness: quick mode runs and writes a well-formed result and the docs table.

Nothing here asserts how fast anything is; only that the figures are there and are sane.
"""

from __future__ import annotations

import json
import math
import pstats
from pathlib import Path

import pytest

from bench import report
from bench.config import BenchConfig, HistorySize, parse_sizes
from bench.measure import percentile, ratio
from bench.run import main

QUICK_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> tuple[dict, Path]:
    """One ``python -m bench.run --quick`` into a temporary folder: (result, docs path)."""
    root = tmp_path_factory.mktemp("bench")
    docs = root / "benchmarks.md"
    docs.write_text(
        "# Benchmarks\n\nHand-written introduction.\n\n"
        f"{report.START_MARKER}\nold table\n{report.END_MARKER}\n\n## Analysis\n\nKept.\n",
        encoding="utf-8",
    )
    exit_code = main(
        [
            "--quick",
            "--results-dir",
            str(root / "results"),
            "--docs",
            str(docs),
            "--work-dir",
            str(root / "work"),
        ]
    )
    assert exit_code == 0
    result = json.loads((root / "results" / "latest-quick.json").read_text(encoding="utf-8"))
    return result, docs


def _positive(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.mark.slow
@pytest.mark.timeout(QUICK_TIMEOUT_SECONDS)
def test_quick_result_is_well_formed(quick_run):
    result, _ = quick_run
    assert result["config"]["name"] == "quick"
    assert result["machine"]["cpu_count"] >= 1
    assert _positive(result["duration_seconds"])
    for file_format in ("csv", "xlsx"):
        figures = result["ingestion"][file_format]
        assert figures["files"] > 0 and figures["rows"] > 0
        # Every file of the comparison was accepted: the ratio compares like with like.
        assert figures["intake_statuses"] == {"accepted": figures["files"]}
        for key in ("intake_seconds", "floor_seconds", "peer_seconds"):
            assert _positive(figures[key]), key
        assert figures["intake_vs_floor"] == pytest.approx(
            figures["intake_seconds"] / figures["floor_seconds"]
        )
        # Intake's best of three runs, as its floor's: every run kept.
        assert len(figures["intake_runs_seconds"]) == 3
        assert figures["intake_seconds"] == min(figures["intake_runs_seconds"])
        assert figures["intake_vs_peer"] == pytest.approx(
            figures["intake_seconds"] / figures["peer_seconds"]
        )
        assert _positive(figures["intake_peak_rss_mb"])
    assert result["ingestion_fixed_costs"]["ok"] is True
    # Reading in a worker process is compared with reading the same files in-process.
    for file_format in ("csv", "xlsx"):
        figures = result["sandbox"]["formats"][file_format]
        assert figures["files"] > 0
        for key in ("in_process_seconds", "sandbox_seconds", "sandbox_vs_in_process"):
            assert _positive(figures[key]), key
        assert figures["sandbox_vs_in_process"] == pytest.approx(
            figures["sandbox_seconds"] / figures["in_process_seconds"]
        )
    assert _positive(result["sandbox"]["worker_start_seconds"])
    assert _positive(result["startup"]["python_start"])
    assert _positive(result["startup"]["imports"]["duckdb"])
    profile = result["intake_profile"]
    assert profile["files"] == BenchConfig.quick().profile_files
    assert profile["phases"], "the profile found nothing that intake calls"
    assert all(0 <= phase["share"] <= 1 for phase in profile["phases"])
    # Quick mode skips the dbt-bound parts and says so instead of leaving them out.
    assert "skipped" in result["end_to_end"]
    assert "skipped" in result["dashboard"]


@pytest.mark.slow
@pytest.mark.timeout(QUICK_TIMEOUT_SECONDS)
def test_quick_run_rewrites_only_the_generated_block(quick_run):
    result, docs = quick_run
    text = docs.read_text(encoding="utf-8")
    assert "Hand-written introduction." in text
    assert "## Analysis\n\nKept." in text
    assert "old table" not in text
    assert text.count(report.START_MARKER) == 1 and text.count(report.END_MARKER) == 1
    block = text.split(report.START_MARKER, 1)[1].split(report.END_MARKER, 1)[0]
    assert f"{result['machine']['cpu_count']} cores" in block
    assert "| csv |" in block and "| xlsx |" in block
    assert "intake / floor" in block and "intake / peer" in block
    assert "Intake is its best run of three" in block
    assert "worker / in-process" in block


def test_new_docs_file_gets_the_markers(tmp_path):
    result = {
        "started_at": "2026-10-01T00:00:00Z",
        "machine": {"cpu_count": 4, "memory_gb": 8.0, "python": "3.11", "duckdb": "1"},
        "config": {"name": "full", "ingestion_months": 3, "sizes": ["36m x1"]},
        "duration_seconds": 12.0,
        "end_to_end": {
            "36m x1": {"size": "36m x1", "error": "RuntimeError('dbt failed')"},
        },
        "dashboard": {"skipped": "no serving database"},
    }
    path = report.write_docs(result, tmp_path / "docs" / "benchmarks.md")
    text = path.read_text(encoding="utf-8")
    assert report.START_MARKER in text and report.END_MARKER in text
    assert "failed: RuntimeError('dbt failed')" in text
    assert "4 cores" in text


def test_sandbox_table_shows_the_cost_per_file_and_says_when_skipped():
    figures = {
        "files": 4, "in_process_ms_per_file": 2.0, "sandbox_ms_per_file": 2.5,
        "overhead_ms_per_file": 0.5, "sandbox_vs_in_process": 1.25,
    }  # fmt: skip
    sandbox = {
        "formats": {"csv": figures},
        "worker_start_seconds": 1.3,
        "limits": {"memory_mb": 1024, "cpu_seconds": 60, "wall_seconds": 120.0},
    }
    text = "\n".join(report.sandbox_lines({"sandbox": sandbox}))
    assert "| csv | 4 | 2.0 ms | 2.5 ms | 0.5 ms | 1.25x |" in text
    assert "Starting a worker" in text and "1.30 s" in text
    skipped = "\n".join(report.sandbox_lines({"sandbox": {"skipped": "no sample files"}}))
    assert "Skipped: no sample files" in skipped
    assert report.sandbox_lines({}) == []


def test_sizes_parse_and_reject_nonsense():
    assert parse_sizes("36x1, 120x1,36x10") == [
        HistorySize(36, 1),
        HistorySize(120, 1),
        HistorySize(36, 10),
    ]
    assert parse_sizes("12") == [HistorySize(12, 1)]
    assert parse_sizes("36x10m,36x2x10m") == [
        HistorySize(36, 1, members=10),
        HistorySize(36, 2, members=10),
    ]
    assert HistorySize(36, 1, members=10).label == "36m x1, 10x members"
    assert HistorySize(36, 10).label == "36m x10"
    with pytest.raises(ValueError, match="MONTHSxSCALE"):
        parse_sizes("three years")
    with pytest.raises(ValueError, match="MONTHSxMEMBERSm"):
        parse_sizes("36xtenm")
    with pytest.raises(ValueError, match="1 or more"):
        parse_sizes("36x0m")
    with pytest.raises(ValueError, match="1 or more"):
        parse_sizes("0x1")


def test_percentile_and_ratio():
    samples = [float(value) for value in range(1, 101)]
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
    assert ratio(6.0, 2.0) == 3.0
    assert ratio(6.0, 0.0) is None
    assert ratio(None, 2.0) is None


def test_new_month_split_takes_the_arrivals_after_the_last_period():
    from bench.samples import new_month_cutoff, split_new_month
    from sample_data.manifest import SampleFile, SampleManifest

    def sample_file(period: str, received: str) -> SampleFile:
        return SampleFile(
            path=f"FJI/{period}.csv",
            member="FJI",
            file_format="csv",
            period=period,
            version=1,
            datasets=["movements"],
            nil_datasets=[],
            received_at=received,
            due_date="",
            late=False,
            rows={"movements": 1},
            totals={"movements": 1},
        )

    manifest = SampleManifest(
        seed=1,
        months=2,
        end_period="2026-09",
        scale=1,
        periods=["2026-08", "2026-09"],
        members=["FJI"],
        files=[
            sample_file("2026-08", "2026-09-10T09:00:00"),
            sample_file("2026-09", "2026-10-12T09:00:00"),
            sample_file("2026-08", "2026-10-20T09:00:00"),  # a late return of August
        ],
    )
    assert new_month_cutoff(manifest).isoformat() == "2026-10-01T00:00:00"
    history, arrivals = split_new_month(manifest)
    assert [f.received_at for f in history] == ["2026-09-10T09:00:00"]
    assert {f.received_at for f in arrivals} == {"2026-10-12T09:00:00", "2026-10-20T09:00:00"}


def test_intake_phases_follow_what_intake_calls(tmp_path):
    from bench.profile_intake import intake_phases

    # A profile where a function in ingestion/intake.py calls a parser and a loader.
    intake = ("/x/ingestion/intake.py", 10, "ingest_file")
    parser = ("/x/ingestion/parsers/__init__.py", 5, "parse_file")
    loader = ("/x/ingestion/loader.py", 7, "load_accepted")
    stats = pstats.Stats.__new__(pstats.Stats)
    stats.stats = {
        intake: (1, 1, 0.1, 1.0, {}),
        parser: (1, 1, 0.6, 0.6, {intake: (1, 1, 0.6, 0.6)}),
        loader: (1, 1, 0.3, 0.3, {intake: (1, 1, 0.3, 0.3)}),
    }
    stats.total_tt = 1.0
    phases = intake_phases(stats)
    assert [phase["phase"] for phase in phases] == [
        "parsers/__init__.py:5(parse_file)",
        "ingestion/loader.py:7(load_accepted)",
    ]
    assert phases[0]["share"] == pytest.approx(0.6)


def test_dashboard_plan_covers_every_data_access_query():
    from bench.dashboard import PAGE_QUERIES, UNASSIGNED_PAGE, planned_queries

    plan, not_measured = planned_queries()
    planned = {query.function for queries in plan.values() for query in queries}
    listed = {query.function for queries in PAGE_QUERIES.values() for query in queries}
    # Every listed page query that data_access has is measured, the rest reported, not dropped.
    for name in listed:
        assert name in planned or any(entry.startswith(name) for entry in not_measured)
    assert "query" not in planned and "serving_path" not in planned
    assert all(query.function not in listed for query in plan.get(UNASSIGNED_PAGE, []))


@pytest.mark.slow
def test_dashboard_only_mode_measures_queries_and_every_page_each_role_may_open(
    tmp_path, capsys, monkeypatch
):
    """``--dashboard-homes`` re-measures the page queries and each page's full render per role
    after an app change, without a pipeline run; the pages come from the app's navigation.

    (One test for both: the mode renders every page for every role, which is what a test of
    the renders needs; rendering them all a third time cost half a minute of every ``make test``.)
    """
    from support.dashboard import build_serving

    from app.navigation import entries_for
    from bench.pages import ROLES, _viewer, slowest

    homes = []
    for name in ("small", "large"):
        home = tmp_path / name
        home.mkdir()
        build_serving(home / "serving.duckdb")
        homes.append(str(home))
    results = tmp_path / "results"
    # One full render per page and role at each scale.
    options = ["--dashboard-homes", ",".join(homes), "--query-repeats", "2", "--page-repeats", "1"]
    assert main([*options, "--results-dir", str(results)]) == 0
    result = json.loads((results / "latest-dashboard.json").read_text(encoding="utf-8"))
    queries = result["dashboard"]["largest_vs_sample"]
    assert "Dataset explorer" in queries and "Downloads" in queries
    for figures_by_query in queries.values():
        for figures in figures_by_query.values():
            assert figures["p50_ratio"] is None or _positive(figures["p50_ratio"])
    assert "| page | query |" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="SMALL,LARGE"):
        main(["--dashboard-homes", str(tmp_path / "nowhere"), "--results-dir", str(results)])

    rendered = result["dashboard"]["pages"]
    monkeypatch.setenv("PIDC_HOME", homes[0])  # who may submit is read from the data
    for scale in ("sample_scale", "largest_scale"):
        pages = rendered[scale]
        for role in ROLES:
            expected = {e.title for e in entries_for(_viewer(role)) if e.file != "submit.py"}
            measured = pages["roles"][role.label]
            assert set(measured) == expected, (scale, role.label)
            for title, figures in measured.items():
                assert figures["errors"] == [], (scale, role.label, title)
                assert _positive(figures["first"]["p95"]) and _positive(figures["again"]["p95"])
        # The public never gets the member pages, so their renders are not timed as the public.
        assert "Member profile" not in pages["roles"]["public"]
        assert "Member profile" in pages["roles"]["Secretariat"]
        # The explorer has choice boxes, so its interaction is timed.
        assert _positive(pages["roles"]["Secretariat"]["Dataset explorer"]["interaction"]["p95"])
        assert set(slowest(pages)) == {role.label for role in ROLES}
        assert set(rendered["slowest"][scale]) == {role.label for role in ROLES}
    assert any("Dataset explorer" in line for line in report.page_lines(result))
