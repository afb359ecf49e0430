"""Declarative automation: what runs by itself after intake, and the sensor that evaluates it.

The landing sensor launches ``intake_job`` (one run per batch of new files). When that run has
updated the raw tables, the automation condition below requests every dbt model downstream of
them and ``serving_database`` on the sensor's next tick, in ONE run (what one tick requests of
unpartitioned assets is launched as one run): one landing batch, one build, one publish.
While that build is in progress nothing more is requested; raw tables updated in the meantime
request the next build when it has ended.
"""

import dagster as dg

from orchestration.intake import INTAKE_GROUP

AUTOMATION_SENSOR_NAME = "refresh_after_intake"
AFTER_INTAKE_LABEL = "after_intake"


def after_intake_condition() -> dg.AutomationCondition:
    """Dagster's ``eager()``, changed in two places, and only on raw tables that passed their
    blocking checks.

    True when a parent was updated (by a run that did not also build this asset) since this
    asset was last *requested*, no parent is in progress and this asset is not.

    - ``eager()`` also forgets a parent's update when this asset is updated in the same sensor
      interval. A batch whose intake ran just after a build's dbt step (it waited for the
      warehouse pool) would then never be built: here only a request forgets it.
    - ``eager()`` waits while a parent is missing. "Missing" is Dagster's view: on a home that
      ``make run`` built, the instance of ``make dagster`` has no record of the seeds (only the
      nightly build refreshes them), and nothing would be built after intake.

    The blocking checks looked at are the raw tables' expectation suites (run by the intake
    job): a raw table that failed its suite starts no build, as in the refresh job. (The dbt
    tests block inside the build's own run: a failed test fails the dbt step, nothing is
    published.)
    """
    condition = dg.AutomationCondition
    handled = (condition.newly_requested() | condition.initial_evaluation()).with_label("requested")
    return (
        (condition.newly_missing() | condition.any_deps_updated()).since(handled)
        & ~condition.any_deps_in_progress()
        & ~condition.in_progress()
        & condition.all_deps_blocking_checks_passed().allow(dg.AssetSelection.groups(INTAKE_GROUP))
    ).with_label(AFTER_INTAKE_LABEL)


def build_automation_sensor(target: dg.AssetSelection) -> dg.AutomationConditionSensorDefinition:
    """The sensor evaluating the automation conditions of ``target`` every 30 seconds."""
    return dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR_NAME,
        target=target,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="After an intake run updates the raw tables: one run that rebuilds the dbt "
        "models downstream of them and publishes.",
    )
