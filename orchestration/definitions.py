"""The Dagster code location: ``dagster dev -m orchestration.definitions``.

Definitions are assembled lazily by ``defs()``; each concern (intake, checks, transform, publish,
compliance, schedules) builds its own, and this module only merges them. Importing it runs
nothing.
"""

from pathlib import Path

import dagster as dg

from orchestration.checks import checks_definitions
from orchestration.compliance import compliance_definitions
from orchestration.intake import build_intake_job, intake_definitions
from orchestration.publish import build_serving_asset
from orchestration.resources import WAREHOUSE_RESOURCE, HomeResource, warehouse_resource
from orchestration.schedules import schedules_definitions
from orchestration.transform import build_dbt_assets, group_asset_keys, transform_definitions
from pidc.settings import DBT_PROJECT_DIR

MARTS_GROUP = "marts"


def build_definitions(
    *, home_root: str | Path | None = None, dbt_project_dir: Path = DBT_PROJECT_DIR
) -> dg.Definitions:
    """Every asset, check, job, sensor and schedule of the platform, bound to one home folder.

    ``home_root`` empty means ``$PIDC_HOME`` at run time. Building the definitions parses the dbt
    project if it has no manifest yet, but never opens a database.
    """
    dbt_models = build_dbt_assets(dbt_project_dir)
    marts = group_asset_keys(dbt_models, MARTS_GROUP)
    publish = dg.Definitions(assets=[build_serving_asset(marts)])
    shared = dg.Definitions(
        resources={
            "home": HomeResource(root=str(home_root) if home_root else None),
            WAREHOUSE_RESOURCE: warehouse_resource(home_root),
        }
    )
    intake_job = build_intake_job()
    return dg.Definitions.merge(
        intake_definitions(intake_job),
        checks_definitions(dbt_models.keys),
        transform_definitions(dbt_project_dir),
        publish,
        compliance_definitions(),
        schedules_definitions(),
        shared,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The platform's definitions for the home folder named by ``$PIDC_HOME``."""
    return build_definitions()
