"""Run the whole pipeline once, in this process: intake, dbt build, publish.

This is what ``make run`` and the end-to-end test call; it needs no Dagster daemon or webserver.
"""

import contextlib
import datetime as dt
import logging
import re
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

from ingestion.sandbox import start_workers
from orchestration.definitions import build_definitions
from orchestration.intake import INTAKE_ASSET_NAME
from orchestration.publish import SERVING_ASSET_NAME
from orchestration.schedules import PIPELINE_JOB_NAME
from orchestration.transform import (
    DBT_ASSETS_NAME,
    dbt_env,
    manifest_is_current,
    parse_dbt_project,
    scoped_environ,
)
from orchestration.warm_dbt import start_server
from pidc.settings import DBT_PROJECT_DIR, Home


class PipelineError(RuntimeError):
    """A pipeline step failed (for example a blocking dbt test); nothing was published."""


def pipeline_run_config(*, full_refresh: bool = False) -> dict[str, Any]:
    """Run config for a whole-pipeline run: intake of the whole landing folder, then dbt build."""
    return {
        "ops": {
            INTAKE_ASSET_NAME: {"config": {"paths": []}},
            DBT_ASSETS_NAME: {"config": {"full_refresh": full_refresh}},
        }
    }


def _failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
        else:
            evaluation = None
        if evaluation is not None and not evaluation.passed and evaluation.blocking:
            key = evaluation.asset_check_key
            detail = "; ".join(
                f"{name}: {value.value}"
                for name, value in evaluation.metadata.items()
                if name in ("failed_rules", "details")
            )
            messages.append(f"blocking check {key.to_user_string()} failed: {detail}")
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            detail = error.message.strip() if error else "no error message"
            # dbt colours its log lines; the message is read in a terminal or a log file.
            detail = re.sub(r"\x1b\[[0-9;]*m", "", detail)
            messages.append(f"step {event.step_key} failed: {detail}")
    return messages or [f"run {result.run_id} did not succeed"]


def _node_metadata(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    materializations = result.asset_materializations_for_node(node)
    if not materializations:
        return {}
    return {name: value.value for name, value in materializations[0].metadata.items()}


def _models_built(result: dg.ExecuteInProcessResult, job: dg.JobDefinition) -> int:
    model_keys = {
        spec.key
        for assets_def in job.asset_layer.asset_graph.assets_defs
        for spec in assets_def.specs
        if str(spec.metadata.get("dagster_dbt/unique_id", "")).startswith("model.")
    }
    built = {
        materialization.asset_key
        for materialization in result.asset_materializations_for_node(DBT_ASSETS_NAME)
    }
    return len(built & model_keys)


def run_pipeline(
    home: Home,
    *,
    full_refresh: bool = False,
    instance: dg.DagsterInstance | None = None,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    quiet: bool = False,
) -> dict[str, Any]:
    """Ingest every landing file, build the dbt project (seeds, models, tests), publish.

    ``quiet`` keeps the terminal to errors (the caller shows progress, see
    :mod:`orchestration.progress`). Either way the run's whole log is written to
    ``$PIDC_HOME/logs/pipeline-<time>.log`` and its path returned as ``log_file``.

    Returns a summary: ``run_id``, ``files_accepted``, ``files_rejected``, ``files_duplicate``,
    ``files_refused`` and ``files_skipped`` (with ``set_aside`` naming them, when there are any),
    ``rows_loaded``, ``models_built``, ``tables_published``, ``published_path``. Raises
    ``PipelineError`` naming the failed steps and blocking checks if any fails (a failing dbt
    test fails the dbt step; a failing raw expectation suite stops dbt); publish then does not
    run and the serving database is left as it was.
    Runs on an ephemeral Dagster instance unless ``instance`` is given.
    """
    home.ensure()
    # Intake's file readers start on the other core while the definitions are built (pidc
    # pipeline starts them earlier still, before its imports).
    start_workers()
    # dbt is imported once per process, in a server that forks each dbt command
    # (orchestration.warm_dbt): here too on the other core, while intake reads.
    start_server()
    with (
        scoped_environ({"PIDC_HOME": str(home.root), **dbt_env(home)}),
        warnings.catch_warnings(),
    ):
        # Dagster's notices about its own beta parameters are not the operator's concern.
        warnings.simplefilter("ignore", dg.BetaWarning)
        # A manifest left by an earlier parse may predate model edits: parse afresh then.
        if not manifest_is_current(dbt_project_dir):
            parse_dbt_project(dbt_project_dir)
        definitions = build_definitions(home_root=home.root, dbt_project_dir=dbt_project_dir)
        job = definitions.resolve_job_def(PIPELINE_JOB_NAME)
        with (
            dg.DagsterInstance.ephemeral() if instance is None else nullcontext(instance)
        ) as run_instance:
            run_config = pipeline_run_config(full_refresh=full_refresh)
            log_file = new_log_file(home)
            with log_file.open("a", encoding="utf-8") as log:
                if quiet:
                    # The terminal shows errors only; dbt's own lines (which dagster-dbt writes
                    # to standard output) go to the log file with the rest.
                    run_config["loggers"] = {"console": {"config": {"log_level": "ERROR"}}}
                    quieted = contextlib.redirect_stdout(log)
                else:
                    quieted = nullcontext()
                with quieted:
                    result = job.execute_in_process(
                        run_config=run_config,
                        instance=run_instance,
                        raise_on_error=False,
                    )
                write_run_log(run_instance, result.run_id, log)
    if not result.success:
        raise PipelineError(
            "The pipeline failed and nothing was published:\n- "
            + "\n- ".join(_failure_messages(result))
            + f"\nThe whole run log: {log_file}"
        )
    intake = _node_metadata(result, INTAKE_ASSET_NAME)
    publish = _node_metadata(result, SERVING_ASSET_NAME)
    return {
        "run_id": result.run_id,
        "files_accepted": intake.get("files_accepted", 0),
        "files_rejected": intake.get("files_rejected", 0),
        "files_duplicate": intake.get("files_duplicate", 0),
        # Landing entries not read: links (refused) and hidden or lock files (skipped).
        "files_refused": intake.get("files_refused", 0),
        "files_skipped": intake.get("files_skipped", 0),
        **({"set_aside": intake["set_aside"]} if intake.get("set_aside") else {}),
        "rows_loaded": intake.get("rows_loaded", 0),
        "models_built": _models_built(result, job),
        "tables_published": publish.get("tables", 0),
        "published_path": str(home.serving),
        "log_file": str(log_file),
    }


def new_log_file(home: Home) -> Path:
    """A new file in ``$PIDC_HOME/logs`` for one run's whole log."""
    folder = home.root / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"pipeline-{dt.datetime.now():%Y%m%dT%H%M%S}.log"


def write_run_log(instance: dg.DagsterInstance, run_id: str, log: TextIO) -> None:
    """Every Dagster log line of a run (steps, intake, dbt results, checks) into ``log``."""
    log.write(f"\n# Dagster run {run_id}\n")
    for entry in instance.all_logs(run_id):
        when = dt.datetime.fromtimestamp(entry.timestamp).isoformat(timespec="seconds")
        level = logging.getLevelName(entry.level)
        message = entry.message or (entry.dagster_event.message if entry.dagster_event else "")
        message = re.sub(r"\x1b\[[0-9;]*m", "", message or "")
        log.write(f"{when} {level:<7} {entry.step_key or '-'} {message}\n")
