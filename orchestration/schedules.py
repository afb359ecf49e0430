"""When the pipeline runs: after every successful intake, and once a day regardless.

The daily run matters even without new files: reporting compliance (late, missing) depends on
today's date, not only on what arrived.
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from orchestration.intake import INTAKE_GROUP

REFRESH_JOB_NAME = "refresh_job"
PIPELINE_JOB_NAME = "pipeline_job"
REFRESH_AFTER_INTAKE_SENSOR_NAME = "refresh_after_intake"
DAILY_SCHEDULE_NAME = "daily_refresh"

# Runs still waiting to start; if a refresh is among them, another one would add nothing.
_WAITING_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]


def build_jobs() -> tuple[UnresolvedAssetJobDefinition, UnresolvedAssetJobDefinition]:
    """``refresh_job`` (dbt build then publish) and ``pipeline_job`` (intake, dbt, publish)."""
    refresh_job = dg.define_asset_job(
        REFRESH_JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups(INTAKE_GROUP),
        description="Rebuild the dbt models and tests, then publish the serving database.",
    )
    pipeline_job = dg.define_asset_job(
        PIPELINE_JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="Ingest the whole landing folder, rebuild the models, publish.",
    )
    return refresh_job, pipeline_job


def build_refresh_after_intake_sensor(
    intake_job: UnresolvedAssetJobDefinition, refresh_job: UnresolvedAssetJobDefinition
) -> dg.RunStatusSensorDefinition:
    """Ask for a refresh after each successful intake run, unless one is already waiting.

    A member dropping twelve files makes twelve intake runs; the waiting check folds the
    refreshes they ask for into the one that has not started yet.
    """

    @dg.run_status_sensor(
        name=REFRESH_AFTER_INTAKE_SENSOR_NAME,
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[intake_job],
        request_job=refresh_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def refresh_after_intake(context: dg.RunStatusSensorContext):
        waiting = context.instance.get_runs_count(
            filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME, statuses=_WAITING_STATUSES)
        )
        if waiting:
            return dg.SkipReason("A refresh run is already waiting to start.")
        return dg.RunRequest(run_key=f"after-intake-{context.dagster_run.run_id}")

    return refresh_after_intake


def schedules_definitions(intake_job: UnresolvedAssetJobDefinition) -> dg.Definitions:
    """The refresh and pipeline jobs, the after-intake sensor and the daily schedule."""
    refresh_job, pipeline_job = build_jobs()
    daily = dg.ScheduleDefinition(
        name=DAILY_SCHEDULE_NAME,
        job=refresh_job,
        cron_schedule="0 6 * * *",
        execution_timezone="Pacific/Apia",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Daily rebuild, so lateness and missing returns follow the calendar.",
    )
    return dg.Definitions(
        jobs=[refresh_job, pipeline_job],
        sensors=[build_refresh_after_intake_sensor(intake_job, refresh_job)],
        schedules=[daily],
    )
