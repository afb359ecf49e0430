"""When the pipeline runs: after every successful intake, and every night regardless.

The nightly build matters even without new files: reporting compliance (late, missing) depends
on today's date, not only on what arrived. Both cover every reporting month in one run (the dbt
and publish assets are partitioned by month; see ``orchestration.partitions``).
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from orchestration.checks import raw_suite_check_keys
from orchestration.compliance import COMPLIANCE_GROUP
from orchestration.intake import INTAKE_GROUP
from orchestration.partitions import all_months_tags, reporting_timezone

REFRESH_JOB_NAME = "refresh_job"
PIPELINE_JOB_NAME = "pipeline_job"
REFRESH_AFTER_INTAKE_SENSOR_NAME = "refresh_after_intake"
NIGHTLY_SCHEDULE_NAME = "nightly_build"
# 02:00 in Apia: after the Secretariat's working day, before the next one.
NIGHTLY_CRON = "0 2 * * *"

# Runs still waiting to start; if a refresh is among them, another one would add nothing.
_WAITING_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]


def build_jobs() -> tuple[UnresolvedAssetJobDefinition, UnresolvedAssetJobDefinition]:
    """``refresh_job`` (raw checks, dbt build, publish) and ``pipeline_job`` (intake first).

    Neither includes the compliance reminders, which have their own monthly job.
    """
    build = dg.AssetSelection.all() - dg.AssetSelection.groups(INTAKE_GROUP, COMPLIANCE_GROUP)
    refresh_job = dg.define_asset_job(
        REFRESH_JOB_NAME,
        # The raw tables' expectation suites run first: they block the build when they fail.
        selection=build | dg.AssetSelection.checks(*raw_suite_check_keys()),
        description="Check the raw tables, rebuild the dbt models and tests, then publish.",
    )
    pipeline_job = dg.define_asset_job(
        PIPELINE_JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups(COMPLIANCE_GROUP),
        description="Ingest the whole landing folder, check, rebuild the models, publish.",
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
        return dg.RunRequest(
            run_key=f"after-intake-{context.dagster_run.run_id}", tags=all_months_tags()
        )

    return refresh_after_intake


def build_nightly_schedule(refresh_job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """The nightly build: one refresh run over every reporting month."""

    @dg.schedule(
        name=NIGHTLY_SCHEDULE_NAME,
        job=refresh_job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=reporting_timezone(),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly rebuild and publish, so lateness and missing returns follow the "
        "calendar even on days without new files.",
    )
    def nightly_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        scheduled = context.scheduled_execution_time
        return dg.RunRequest(
            run_key=f"nightly-{scheduled:%Y-%m-%d}" if scheduled else None,
            tags=all_months_tags(scheduled),
        )

    return nightly_build


def schedules_definitions(intake_job: UnresolvedAssetJobDefinition) -> dg.Definitions:
    """The refresh and pipeline jobs, the after-intake sensor and the nightly schedule."""
    refresh_job, pipeline_job = build_jobs()
    return dg.Definitions(
        jobs=[refresh_job, pipeline_job],
        sensors=[build_refresh_after_intake_sensor(intake_job, refresh_job)],
        schedules=[build_nightly_schedule(refresh_job)],
    )
