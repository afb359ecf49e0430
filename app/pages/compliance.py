"""Reporting compliance: the member x month grid and completeness and timeliness rates."""

import streamlit as st

from app import data_access, ui
from app.views.compliance import compliance_grid

st.title("Reporting compliance")
ui.require_published()
viewer = ui.viewer()

name = ui.choose_dataset()
rows = data_access.reporting_compliance(viewer, name)
if rows.empty:
    st.info("No returns expected or received yet for this dataset.")
    st.stop()
st.caption(
    "Completeness = returns received / returns expected; timeliness = on time / expected. "
    "A nil return (nothing to report) counts as received; missing never counts as zero."
)
st.dataframe(compliance_grid(rows, ui.member_names()), width="stretch")

rates = data_access.compliance_rates(viewer, name)
if not rates.empty:
    st.subheader("Rates")
    st.dataframe(
        rates.drop(columns=["dataset"]),
        hide_index=True,
        width="stretch",
        column_config={
            "completeness_rate": st.column_config.ProgressColumn(
                "completeness", format="percent", min_value=0, max_value=1
            ),
            "timeliness_rate": st.column_config.ProgressColumn(
                "timeliness", format="percent", min_value=0, max_value=1
            ),
        },
    )
