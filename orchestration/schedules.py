"""When the pipeline runs: after every successful intake (declarative automation), and every
night regardless.

The nightly build matters even without new files: reporting compliance (late, missing) depends
on today's date, not only on what arrived. After intake, the automation condition of the dbt
models and ``serving_database`` (``orchestration.automation``) asks for one build and publish
of what the new raw data changed.
"""

import dagster as dg

from orchestration.automation import build_automation_sensor
from orchestration.checks import raw_suite_check_keys
from orchestration.compliance import COMPLIANCE_GROUP
from orchestration.intake import INTAKE_GROUP, AssetJob
from orchestration.partitions import reporting_timezone
from orchestration.transform import DBT_ASSETS_NAME

REFRESH_JOB_NAME = "refresh_job"
PIPELINE_JOB_NAME = "pipeline_job"
NIGHTLY_SCHEDULE_NAME = "nightly_build"
# 02:00 in Apia: after the Secretariat's working day, before the next one.
NIGHTLY_CRON = "0 2 * * *"


def build_selection() -> dg.AssetSelection:
    """What a build covers: every asset except intake's raw tables and the compliance report."""
    return dg.AssetSelection.all() - dg.AssetSelection.groups(INTAKE_GROUP, COMPLIANCE_GROUP)


def build_jobs() -> tuple[AssetJob, AssetJob]:
    """``refresh_job`` (raw checks, dbt build, publish) and ``pipeline_job`` (intake first).

    Neither includes the compliance reminders, which have their own monthly job.
    """
    refresh_job = dg.define_asset_job(
        REFRESH_JOB_NAME,
        # The raw tables' expectation suites run first: they block the build when they fail.
        selection=build_selection() | dg.AssetSelection.checks(*raw_suite_check_keys()),
        description="Check the raw tables, rebuild the dbt models and tests, then publish.",
    )
    pipeline_job = dg.define_asset_job(
        PIPELINE_JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups(COMPLIANCE_GROUP),
        description="Ingest the whole landing folder, check, rebuild the models, publish.",
    )
    return refresh_job, pipeline_job


def build_nightly_schedule(refresh_job: AssetJob) -> dg.ScheduleDefinition:
    """The nightly build: one refresh run of the whole dbt graph with every data test reading
    every row (``full_checks``), then a publish."""

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
            # The builds of the day test only the rows they built; the night tests every row.
            run_config={"ops": {DBT_ASSETS_NAME: {"config": {"full_checks": True}}}},
        )

    return nightly_build


def schedules_definitions() -> dg.Definitions:
    """The refresh and pipeline jobs, the after-intake automation sensor, the nightly schedule."""
    refresh_job, pipeline_job = build_jobs()
    return dg.Definitions(
        jobs=[refresh_job, pipeline_job],
        sensors=[build_automation_sensor(build_selection())],
        schedules=[build_nightly_schedule(refresh_job)],
    )
