"""The attacker's audit of the public marts, kept per table set (dataset and month).

pidc.disclosure.audit bounds every hidden cell of mart_public_aggregates with linear programs
from everything published beside it, and checks every visible cell against the primary rules.
A table set's audit reads only its own cells, the settings and pidc/disclosure.py, so each run
audits only the sets whose fingerprint (a digest of exactly those) is not the one recorded
here: a new month costs the sets its returns changed, not the whole history. Rows: one per
audited set with no problem, and one per finding. int_public_disclosure_audit lists the
current findings, and the test assert_public_cells_not_disclosive fails `dbt build` on any.
`dbt build --full-refresh` audits every set again.
"""

from pidc.disclosure import (
    DisclosureSettings,
    audit_changed,
    ledger_frame,
    recorded_fingerprints,
)


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["dataset", "period_month"],
    )
    truth = dbt.ref("int_public_cells").df()
    published = dbt.ref("mart_public_aggregates").df()
    settings_rows = dbt.ref("reporting_settings").df()
    settings = DisclosureSettings.from_settings(
        dict(zip(settings_rows["setting"], settings_rows["value"], strict=True))
    )
    audited = {}
    if dbt.is_incremental:
        ledger = session.sql(f"select dataset, period_month, fingerprint from {dbt.this}").df()
        audited = recorded_fingerprints(ledger)
    fingerprints, changed, findings = audit_changed(published, truth, settings, audited)
    return ledger_frame(fingerprints, changed, findings)
