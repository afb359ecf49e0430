"""Run the benchmarks: ``python -m bench.run [--quick] [--sizes 36x1,120x1,36x10m]``.

Writes the JSON result to ``bench/results/`` (git-ignored) and the tables to
``docs/benchmarks.md`` (a quick run: to ``bench/results/benchmarks-quick.md``). Every figure is compared with a baseline measured in the same run; the
machine is shared and timings vary, ratios much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from bench.config import BenchConfig, parse_sizes
from bench.measure import QUIET_ENV
from bench.report import write_docs, write_json
from pidc.settings import DBT_PROJECT_DIR, PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
DOCS_PATH = PROJECT_ROOT / "docs" / "benchmarks.md"


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def machine() -> dict[str, Any]:
    """The machine a result was measured on: cores, memory, versions."""
    return {
        "cpu_count": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def _say(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def _save_partial(result: dict[str, Any], work: Path) -> None:
    # A long run that dies late still leaves what it measured.
    (work / "partial-result.json").write_text(
        json.dumps(result, indent=1, default=str), encoding="utf-8"
    )


def run_benchmarks(
    config: BenchConfig, work: Path, *, dbt_project_dir: Path | None = None
) -> dict[str, Any]:
    """Run every benchmark of ``config`` with scratch files under ``work``; returns the result.

    The end-to-end runs build ``dbt_project_dir`` (default: a snapshot of the project's
    ``dbt_project`` taken now). The result so far is saved to ``work/partial-result.json``
    after each part.
    """
    from bench.dashboard import compare_scales, measure_queries
    from bench.end_to_end import measure_size
    from bench.ingestion import measure_ingestion
    from bench.samples import sample_set
    from bench.sandbox import measure_sandbox
    from bench.startup import measure_startup

    started = time.perf_counter()
    result: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "config": {
            "name": config.name,
            "ingestion_months": config.ingestion_months,
            "ingestion_file_limit": config.ingestion_file_limit,
            "sizes": [size.label for size in config.history_sizes],
            "query_repeats": config.query_repeats,
            "page_repeats": config.page_repeats,
            "profile_files": config.profile_files,
            "end_period": config.end_period,
            "seed": config.seed,
        },
        "notes": list(config.notes),
    }
    _say("fixed costs: interpreter start, imports, dbt")
    result["startup"] = measure_startup(quick=config.name == "quick")

    _say(f"sample returns: {config.ingestion_months} month(s) at scale 1")
    ingestion_sample = sample_set(
        work, months=config.ingestion_months, end_period=config.end_period, seed=config.seed
    )
    _say("ingestion of CSV and Excel returns, intake profile")
    ingestion = measure_ingestion(
        ingestion_sample,
        work,
        limit=config.ingestion_file_limit,
        profile_files=config.profile_files,
    )
    result["intake_profile"] = ingestion.pop("profile")
    result["ingestion_fixed_costs"] = ingestion.pop("fixed_costs")
    result["ingestion"] = ingestion
    _say("reading files in worker processes against in-process")
    result["sandbox"] = measure_sandbox(ingestion_sample, limit=config.ingestion_file_limit)
    _save_partial(result, work)

    if not config.run_end_to_end:
        reason = "not run in this mode (a dbt build alone takes longer than the quick budget)"
        result["end_to_end"] = {"skipped": reason}
        result["dashboard"] = {"skipped": "needs the end-to-end runs' serving databases"}
    else:
        from bench.end_to_end import snapshot_dbt_project

        dbt_project = dbt_project_dir or snapshot_dbt_project(DBT_PROJECT_DIR, work)
        result["config"]["dbt_project_dir"] = str(dbt_project)
        result["end_to_end"] = {}
        for size in config.history_sizes:
            _say(f"end to end at {size.label}")
            try:
                result["end_to_end"][size.label] = measure_size(
                    size,
                    work,
                    end_period=config.end_period,
                    seed=config.seed,
                    dbt_project_dir=dbt_project,
                )
            except Exception as error:  # one size failing must not lose the others' figures
                result["end_to_end"][size.label] = {"size": size.label, "error": repr(error)}
            _save_partial(result, work)
        result["dashboard"] = _dashboard(result["end_to_end"], config, measure_queries)
        if "sample_scale" in result["dashboard"]:
            result["dashboard"]["largest_vs_sample"] = compare_scales(
                result["dashboard"]["sample_scale"], result["dashboard"]["largest_scale"]
            )
    result["duration_seconds"] = time.perf_counter() - started
    return result


def _dashboard(end_to_end: dict[str, Any], config: BenchConfig, measure_queries) -> dict:
    published = [
        item
        for item in end_to_end.values()
        if item.get("new_month", {}).get("ok")
        and Path(item["serving_home"], "serving.duckdb").exists()
    ]
    if not published:
        return {"skipped": "no end-to-end run published a serving database"}
    # Largest by rows of history: that is what the marts aggregate over.
    small = published[0]
    large = max(published, key=lambda item: item["history_rows"])
    _say(f"dashboard queries at {small['size']} and {large['size']}")
    dashboard = {
        "sample_size": small["size"],
        "largest_size": large["size"],
        "sample_scale": measure_queries(Path(small["serving_home"]), config.query_repeats),
        "largest_scale": measure_queries(Path(large["serving_home"]), config.query_repeats),
    }
    _say(f"dashboard pages in full, per role, at {small['size']} and {large['size']}")
    dashboard["pages"] = _page_renders(
        Path(small["serving_home"]), Path(large["serving_home"]), config.page_repeats
    )
    return dashboard


def _page_renders(small: Path, large: Path, repeats: int) -> dict[str, Any]:
    """Each page's full render per role at both scales, the slowest per role, and ratios."""
    from bench.pages import compare_page_scales, measure_pages, slowest

    pages = {"sample_scale": measure_pages(small, repeats)}
    pages["largest_scale"] = measure_pages(large, repeats)
    pages["slowest"] = {scale: slowest(pages[scale]) for scale in ("sample_scale", "largest_scale")}
    pages["largest_vs_sample"] = compare_page_scales(pages["sample_scale"], pages["largest_scale"])
    return pages


def _dashboard_only(options: argparse.Namespace) -> int:
    """Measure the page queries on two existing homes; write the JSON, print the table."""
    from bench.dashboard import compare_scales, measure_queries
    from bench.report import dashboard_lines

    homes = [Path(part.strip()) for part in options.dashboard_homes.split(",")]
    if len(homes) != 2 or not all((home / "serving.duckdb").exists() for home in homes):
        raise SystemExit("--dashboard-homes needs SMALL,LARGE: two homes with a serving.duckdb")
    os.environ.update(QUIET_ENV)
    repeats = options.query_repeats or BenchConfig.full().query_repeats
    started = time.perf_counter()
    dashboard = {
        "sample_size": homes[0].name,
        "largest_size": homes[1].name,
        "sample_scale": measure_queries(homes[0], repeats),
        "largest_scale": measure_queries(homes[1], repeats),
    }
    dashboard["largest_vs_sample"] = compare_scales(
        dashboard["sample_scale"], dashboard["largest_scale"]
    )
    page_repeats = options.page_repeats or BenchConfig.full().page_repeats
    dashboard["pages"] = _page_renders(homes[0], homes[1], page_repeats)
    result = {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "config": {"name": "dashboard", "homes": [str(home) for home in homes]},
        "notes": list(options.note),
        "dashboard": dashboard,
        "duration_seconds": time.perf_counter() - started,
    }
    json_path = write_json(result, options.results_dir)
    print("\n".join(dashboard_lines(result)))
    _say(f"result: {json_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run, write the JSON result and the docs table."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke size, well under a minute")
    parser.add_argument(
        "--sizes",
        help="end-to-end sizes, comma-separated: MONTHSxSCALE widens the breakdowns, MONTHSxNm multiplies the members (default 36x1,120x1,36x10m)",
    )
    parser.add_argument("--ingestion-months", type=int, help="months of returns to ingest")
    parser.add_argument("--profile-files", type=int, help="files for the intake profile")
    parser.add_argument("--query-repeats", type=int, help="cold calls per dashboard query")
    parser.add_argument(
        "--page-repeats", type=int, help="full renders per dashboard page, role and scale"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--docs",
        type=Path,
        help="Markdown file to update (default: docs/benchmarks.md; with --quick "
        "RESULTS_DIR/benchmarks-quick.md, so a smoke run never replaces the committed table)",
    )
    parser.add_argument("--work-dir", type=Path, help="scratch folder (kept; default: temporary)")
    parser.add_argument(
        "--dbt-project-dir",
        type=Path,
        help="dbt project the end-to-end runs build (default: a snapshot of dbt_project/)",
    )
    parser.add_argument("--note", action="append", default=[], help="a note printed with the table")
    parser.add_argument(
        "--rewrite-docs",
        type=Path,
        metavar="RESULT_JSON",
        help="only re-render the docs table from a saved result (no benchmark is run)",
    )
    parser.add_argument(
        "--dashboard-homes",
        metavar="SMALL,LARGE",
        help="only measure the dashboard queries on two kept homes (from --work-dir of an "
        "earlier run), for example after a change to app/data_access; prints the table",
    )
    options = parser.parse_args(argv)
    if options.dashboard_homes:
        return _dashboard_only(options)
    if options.docs is None:
        options.docs = options.results_dir / "benchmarks-quick.md" if options.quick else DOCS_PATH
    if options.rewrite_docs:
        saved = json.loads(options.rewrite_docs.read_text(encoding="utf-8"))
        _say(f"table: {write_docs(saved, options.docs)}")
        return 0

    config = BenchConfig.quick() if options.quick else BenchConfig.full()
    if options.sizes is not None:
        config = config.with_sizes(parse_sizes(options.sizes))
    overrides = {}
    if options.ingestion_months:
        overrides["ingestion_months"] = options.ingestion_months
    if options.profile_files:
        overrides["profile_files"] = options.profile_files
    if options.query_repeats:
        overrides["query_repeats"] = options.query_repeats
    if options.page_repeats:
        overrides["page_repeats"] = options.page_repeats
    if overrides:
        config = replace(config, **overrides)
    config.notes.extend(options.note)
    os.environ.update(QUIET_ENV)

    work = options.work_dir or Path(tempfile.mkdtemp(prefix="pidc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = run_benchmarks(config, work.resolve(), dbt_project_dir=options.dbt_project_dir)
    finally:
        if options.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    json_path = write_json(result, options.results_dir)
    docs_path = write_docs(result, options.docs)
    _say(f"result: {json_path}; table: {docs_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
