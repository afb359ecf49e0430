"""Disclosure status of every public cell: primary rules, then secondary suppression.

The rules and the algorithm live in pidc/disclosure.py (tested there without dbt); this model
feeds them int_public_cells and the thresholds of reference.reporting_settings.
"""

from pidc.disclosure import KEYS, DisclosureSettings, protect, publication

TEXT_COLUMNS = ["dataset", "breakdown", "breakdown_value", "display_value", "conf_status"]


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
    rows = cells.merge(public, on=list(KEYS), validate="one_to_one")
    # Typed even when there are no cells yet (an empty text column has no type of its own).
    return rows.astype({column: "string" for column in TEXT_COLUMNS})
