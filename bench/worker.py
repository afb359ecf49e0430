"""Measured work that must run in a fresh process: ``python -m bench.worker TASK ARGS_JSON OUT``.

A fresh process makes start-up and import costs visible and lets ``resource.getrusage`` give the
peak memory of exactly one task: ``RUSAGE_SELF`` is this process (intake, Dagster, publish), and
the warm dbt measures each dbt command it forked (:func:`peak_memory_mb`). The result is written
as JSON to OUT, so the tasks' own log output on stdout and stderr never corrupts it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def peak_memory_mb() -> dict[str, float | None]:
    """Peak resident memory so far of this process, of the largest dbt command its warm dbt
    ran, and of its largest finished child, in MB.

    The warm dbt is stopped first (the next pipeline starts another): it measures each dbt
    command it forked on its own (``os.wait4``) and reports the largest
    (orchestration.warm_dbt.stop_server). The finished children's figure is not dbt's: Linux
    gives every child the size of its parent when it starts it, so each ``pidc-dbt`` this
    process started counts at this process's size; it is kept as an upper bound of them all."""
    from orchestration.warm_dbt import stop_server

    dbt = stop_server()
    # Linux reports ru_maxrss in kilobytes.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "peak_rss_mb": round(own, 1),
        "peak_dbt_rss_mb": dbt,
        "peak_child_rss_mb": round(children, 1),
    }


def task_ingest(args: dict[str, Any]) -> dict[str, Any]:
    """Ingest each of ``args["jobs"]`` (each of its ``runs``: a landing ``folder`` into a fresh
    ``home``), timed apart: a job's time is its best run's.

    ``args["warmup_file"]`` is validated first (dry run) so that the one-off costs (the Great
    Expectations import, reference seeds, starting the readers) are timed apart from the per-file
    work. With ``args["profile"]`` (``home``, ``folder``), that folder is then ingested under
    cProfile. All in one process so the one-off costs are paid once.
    """
    started = time.perf_counter()
    from ingestion.intake import ingest_path, validate_file
    from ingestion.sandbox import start_workers
    from pidc.settings import home

    imported = time.perf_counter()
    validate_file(Path(args["warmup_file"]), args.get("warmup_member"))
    # The readers intake has in `pidc pipeline`, which starts them first (PIDC_PARSE_WORKERS);
    # the dry run above started one.
    starting = start_workers()
    if starting is not None:
        starting.join()
    result: dict[str, Any] = {
        "import_seconds": imported - started,
        "warmup_seconds": time.perf_counter() - imported,
        "jobs": {},
    }
    for job in args["jobs"]:
        # Each run ingests its own copy of the files into an empty home; the best is reported
        # (bench.ingestion.INTAKE_RUNS), with every run's seconds. The outcomes must not differ.
        runs: list[float] = []
        figures: dict[str, Any] | None = None
        for run in job["runs"]:
            platform_home = home(run["home"]).ensure()
            ingest_started = time.perf_counter()
            outcomes = ingest_path(Path(run["folder"]), platform_home)
            runs.append(time.perf_counter() - ingest_started)
            statuses: dict[str, int] = {}
            for outcome in outcomes:
                statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
            these = {
                "files": len(outcomes),
                "statuses": statuses,
                "rows_read": sum(outcome.rows_read for outcome in outcomes),
                "rows_loaded": sum(outcome.rows_loaded for outcome in outcomes),
            }
            if figures is not None and these != figures:
                raise RuntimeError(f"{job['name']}: runs of the same files differ: {these}")
            figures = these
        result["jobs"][job["name"]] = {
            "ingest_seconds": min(runs),
            "runs_seconds": runs,
            **(figures or {}),
        }
        result["jobs"][job["name"]].update(peak_memory_mb())
    if args.get("profile"):
        from bench.profile_intake import profile_ingest

        profile = args["profile"]
        result["profile"] = profile_ingest(Path(profile["folder"]), home(profile["home"]))
    return result


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall time of each step of a finished run, from its STEP_START and STEP_SUCCESS events."""
    starts: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not record.step_key:
            continue
        if event.event_type_value == "STEP_START":
            starts[record.step_key] = record.timestamp
        elif (
            event.event_type_value in {"STEP_SUCCESS", "STEP_FAILURE"} and record.step_key in starts
        ):
            seconds[record.step_key] = record.timestamp - starts[record.step_key]
    return seconds


def task_pipeline(args: dict[str, Any]) -> dict[str, Any]:
    """One ``run_pipeline`` on ``args["home"]``; times imports, the run and each Dagster step."""
    started = time.perf_counter()
    import dagster as dg

    from orchestration.runner import run_pipeline
    from pidc.settings import home

    imported = time.perf_counter()
    platform_home = home(args["home"]).ensure()
    with dg.DagsterInstance.ephemeral() as instance:
        run_started = time.perf_counter()
        summary = run_pipeline(
            platform_home,
            full_refresh=bool(args.get("full_refresh")),
            instance=instance,
            **(
                {"dbt_project_dir": Path(args["dbt_project_dir"])}
                if args.get("dbt_project_dir")
                else {}
            ),
        )
        run_seconds = time.perf_counter() - run_started
        steps = _step_seconds(instance, summary["run_id"])
    return {
        "import_seconds": imported - started,
        "run_seconds": run_seconds,
        "step_seconds": steps,
        "summary": {k: v for k, v in summary.items() if k != "run_id"},
    }


def task_dbt_parse(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``dbt parse`` as the pipeline runs it (``parse_dbt_project``)."""
    started = time.perf_counter()
    from orchestration.transform import parse_dbt_project

    imported = time.perf_counter()
    parse_dbt_project()
    return {"import_seconds": imported - started, "parse_seconds": time.perf_counter() - imported}


def task_samples(args: dict[str, Any]) -> dict[str, Any]:
    """Generate a sample set for the registry this process sees (``PIDC_DBT_PROJECT_DIR``)."""
    from sample_data import generate_samples

    manifest = generate_samples(
        Path(args["landing"]),
        seed=args["seed"],
        months=args["months"],
        end_period=args["end_period"],
        scale=args["scale"],
    )
    return {"files": len(manifest.files), "members": len(manifest.members)}


def task_sandbox(args: dict[str, Any]) -> dict[str, Any]:
    """Read files in-process and in a worker process (see :mod:`bench.sandbox`)."""
    from bench.sandbox import read_both_ways

    return read_both_ways(args)


TASKS = {
    "ingest": task_ingest,
    "sandbox": task_sandbox,
    "pipeline": task_pipeline,
    "dbt_parse": task_dbt_parse,
    "samples": task_samples,
}


def main(argv: list[str]) -> int:
    """Run one task and write its result, with peak memory and start-up time, to ``argv[2]``."""
    task, raw_args, out = argv
    started = time.perf_counter()
    result: dict[str, Any] = {"task": task, "ok": True}
    try:
        result.update(TASKS[task](json.loads(raw_args)))
    except Exception as error:  # the run goes on; the failure is reported in the results
        result.update(ok=False, error=f"{type(error).__name__}: {error}"[:2000])
    result["task_seconds"] = time.perf_counter() - started
    result.update(peak_memory_mb())
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
