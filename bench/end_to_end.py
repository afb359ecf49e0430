"""End to end: a new month's files landing -> the new serving database published.

For each size (months of history x breakdown scale) three pipeline runs, each in a fresh process
so peak memory and start-up are its own:

1. history: an empty home gets every file received before the new month; ``run_pipeline``.
2. new month: the month's arrivals (the last period's returns, late returns and corrections
   received in the same weeks) land in that home; ``run_pipeline`` again. This is the figure the
   platform exists for.
3. full rebuild (the baseline): a second empty home gets all the files; ``run_pipeline``
   with ``full_refresh``. Same data as after step 2, everything processed again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench.config import HistorySize
from bench.measure import ratio, run_worker
from bench.members import extend_member_registry
from bench.samples import copy_files, rows_in, sample_set, split_new_month
from pidc.settings import DBT_PROJECT_DIR


def _pipeline(
    home_root: Path, dbt_project_dir: Path | None, *, full_refresh: bool = False
) -> dict[str, Any]:
    args = {"home": str(home_root), "full_refresh": full_refresh}
    env = {}
    if dbt_project_dir is not None:
        args["dbt_project_dir"] = str(dbt_project_dir)
        # Validation reads the reference seeds of the same copy (an extended member registry).
        env["PIDC_DBT_PROJECT_DIR"] = str(dbt_project_dir)
    return run_worker("pipeline", args, env=env)


def snapshot_dbt_project(source: Path, work: Path, *, name: str = "dbt_project") -> Path:
    """A copy of the dbt project (without build output) under ``work``, used by every run.

    A benchmark takes a while; edits to the models meanwhile must not change what is measured
    halfway through (or break a run between ``dbt parse`` and ``dbt build``).
    """
    target = Path(work) / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    )
    return target


def _figures(run: dict[str, Any]) -> dict[str, Any]:
    steps = run.get("step_seconds", {})
    return {
        "ok": run.get("ok", False),
        "error": run.get("error"),
        "wall_seconds": run.get("wall_seconds"),
        "process_overhead_seconds": run.get("process_overhead_seconds"),
        "import_seconds": run.get("import_seconds"),
        "run_seconds": run.get("run_seconds"),
        "intake_seconds": steps.get("raw_tables"),
        "dbt_build_seconds": steps.get("dbt_models"),
        "publish_seconds": steps.get("serving_database"),
        # Time in run_pipeline outside the Dagster steps: dbt parse and building the definitions.
        "parse_and_definitions_seconds": (
            run["run_seconds"] - sum(steps.values()) if run.get("run_seconds") else None
        ),
        "peak_rss_mb": run.get("peak_rss_mb"),
        # The largest dbt command's own peak, measured by the warm dbt (bench/worker.py).
        "peak_dbt_rss_mb": run.get("peak_dbt_rss_mb"),
        "summary": run.get("summary", {}),
    }


def measure_size(
    size: HistorySize,
    work: Path,
    *,
    end_period: str,
    seed: int,
    dbt_project_dir: Path | None = None,
) -> dict[str, Any]:
    """The three runs above for ``size``; returns their figures and the new-month ratio.

    The homes are kept under ``work`` (the new-month home's serving database is what the
    dashboard benchmark reads). A failed run is reported with its error; the ratio is then None.
    """
    if size.members > 1:
        # A copy of the project whose registry lists ten times the members (bench.members).
        source = dbt_project_dir or DBT_PROJECT_DIR
        dbt_project_dir = snapshot_dbt_project(source, work, name=f"dbt_project-m{size.members}")
        extend_member_registry(dbt_project_dir, size.members)
    sample = sample_set(
        work,
        months=size.months + 1,
        scale=size.scale,
        end_period=end_period,
        seed=seed,
        members=size.members,
        dbt_project_dir=dbt_project_dir,
    )
    history, arrivals = split_new_month(sample.manifest)
    key = f"{size.months}m-x{size.scale}" + ("" if size.members == 1 else f"-m{size.members}")
    incremental_home = work / f"home-{key}"
    rebuild_home = work / f"home-{key}-rebuild"
    for folder in (incremental_home, rebuild_home):
        shutil.rmtree(folder, ignore_errors=True)

    copy_files(sample, history, incremental_home / "landing")
    history_run = _figures(_pipeline(incremental_home, dbt_project_dir))
    copy_files(sample, arrivals, incremental_home / "landing")
    new_month_run = _figures(_pipeline(incremental_home, dbt_project_dir))
    copy_files(sample, history + arrivals, rebuild_home / "landing")
    rebuild_run = _figures(_pipeline(rebuild_home, dbt_project_dir, full_refresh=True))
    shutil.rmtree(rebuild_home, ignore_errors=True)

    return {
        "size": size.label,
        "history_months": size.months,
        "scale": size.scale,
        "members": len(sample.manifest.members),
        "dbt_project_dir": str(dbt_project_dir) if dbt_project_dir else None,
        "history_files": len(history),
        "history_rows": rows_in(history),
        "new_month_files": len(arrivals),
        "new_month_rows": rows_in(arrivals),
        "serving_home": str(incremental_home),
        "history_load": history_run,
        "new_month": new_month_run,
        "full_rebuild": rebuild_run,
        "new_month_vs_full_rebuild": ratio(
            new_month_run["wall_seconds"] if new_month_run["ok"] else None,
            rebuild_run["wall_seconds"] if rebuild_run["ok"] else None,
        ),
    }
