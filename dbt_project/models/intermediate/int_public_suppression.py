"""Disclosure status of every public cell: primary rules, then secondary suppression.

The rules and the algorithm live in pidc/disclosure.py (tested there without dbt); this model
feeds them int_public_cells and the thresholds of reference.reporting_settings. The protection
of a table set (a dataset and month) reads only its own cells, the settings and
pidc/disclosure.py, so each run protects again only the sets whose fingerprint of those is not
the one recorded beside their rows; the others keep their rows. A set no longer in
int_public_cells is deleted by the post-hook (_intermediate__models.yml). `dbt build
--full-refresh` protects every set again.
"""

from pidc.disclosure import (
    KEYS,
    DisclosureSettings,
    protect_changed,
    publication,
    recorded_fingerprints,
    table_set_key,
)

TEXT_COLUMNS = ["dataset", "breakdown", "breakdown_value", "display_value", "conf_status"]


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["dataset", "period_month"],
        # a table built before the fingerprints (an older version) gets the column, and every
        # set is protected again below
        on_schema_change="append_new_columns",
    )
    cells = dbt.ref("int_public_cells").df()
    settings_rows = dbt.ref("reporting_settings").df()
    settings = DisclosureSettings.from_settings(
        dict(zip(settings_rows["setting"], settings_rows["value"], strict=True))
    )
    protected = {}
    if dbt.is_incremental and "fingerprint" in session.sql(f"from {dbt.this} limit 0").columns:
        recorded = session.sql(f"select dataset, period_month, fingerprint from {dbt.this}").df()
        protected = recorded_fingerprints(recorded.dropna())
    changed, statuses, fingerprints = protect_changed(cells, settings, protected)
    public = publication(changed, statuses, settings).rename(
        columns={"contributing_members": "published_contributing_members"}
    )
    rows = changed.merge(public, on=list(KEYS), validate="one_to_one")
    rows["fingerprint"] = [
        fingerprints[table_set_key(dataset, month)]
        for dataset, month in zip(rows["dataset"], rows["period_month"], strict=True)
    ]
    # Typed even when there are no cells yet (an empty text column has no type of its own).
    return rows.astype({column: "string" for column in [*TEXT_COLUMNS, "fingerprint"]})
