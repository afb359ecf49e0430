"""Disclosure status of every public cell: primary rules, then secondary suppression.

The rules and the algorithm live in pidc/disclosure.py (tested there without dbt); this model
feeds them int_public_cells and the thresholds of reference.reporting_settings.
"""

from pidc.disclosure import DisclosureSettings, protect, publication


def model(dbt, session):
    dbt.config(materialized="table")
    cells = dbt.ref("int_public_cells").df()
    settings_rows = dbt.ref("reporting_settings").df()
    settings = DisclosureSettings.from_settings(
        dict(zip(settings_rows["setting"], settings_rows["value"], strict=True))
    )
    statuses = protect(cells, settings)
    public = publication(cells, statuses, settings).rename(
        columns={"contributing_members": "published_contributing_members"}
    )
    return cells.merge(public, on=["dataset", "period_month", "breakdown", "breakdown_value"])
