"""The attacker's audit of the public marts: one row per way a member's figure could be learnt.

pidc.disclosure.audit bounds every hidden cell of mart_public_aggregates with linear programs
from everything published beside it, and checks every visible cell against the primary rules.
The test assert_public_cells_not_disclosive fails `dbt build` on any row, so nothing reaches
the serving database.
"""

import pandas as pd

from pidc.disclosure import DisclosureSettings, audit, findings_frame


def model(dbt, session):
    dbt.config(materialized="table")
    truth = dbt.ref("int_public_cells").df()
    published = dbt.ref("mart_public_aggregates").df()
    settings_rows = dbt.ref("reporting_settings").df()
    settings = DisclosureSettings.from_settings(
        dict(zip(settings_rows["setting"], settings_rows["value"], strict=True))
    )
    findings = findings_frame(audit(published, truth, settings))
    # Typed columns even when there is nothing to report (an empty frame has no types).
    return findings.astype(
        {
            "dataset": "string",
            "breakdown": "string",
            "breakdown_value": "string",
            "problem": "string",
            "true_value": "float64",
            "proven_low": "float64",
            "proven_high": "float64",
        }
    ).assign(period_month=pd.to_datetime(findings["period_month"]).astype("datetime64[s]"))
