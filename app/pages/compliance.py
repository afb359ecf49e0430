"""Reporting compliance: the member x month grid and completeness and timeliness rates."""

import pandas as pd
import streamlit as st

from app import data_access, language, ui
from app.tables import show_table
from app.views.compliance import compliance_grid
from pidc.i18n import _

GRID_MONTHS = 12  # the grid opens on the latest year
PERCENT_COLUMNS = ("completeness_rate", "timeliness_rate")

language.apply()
st.title(_("Reporting compliance"))
ui.require_published()
viewer = ui.viewer()

name = ui.choose_dataset()
rows = data_access.reporting_compliance(viewer, name)
if rows.empty:
    st.info(_("No returns expected or received yet for this dataset."))
    st.stop()
st.caption(
    _(
        "Completeness = returns received / returns expected; timeliness = on time / expected. "
        "A nil return (nothing to report) counts as received; missing never counts as zero."
    )
)
months = sorted(pd.Timestamp(month) for month in rows["period_month"].unique())
if len(months) > 1:
    # Opens on the latest months (the grid reads newest first); older ones are a slide away.
    start, end = st.select_slider(
        _("Months"),
        options=months,
        value=(months[max(0, len(months) - GRID_MONTHS)], months[-1]),
        format_func=ui.month_label,
        key="compliance_months",
    )
    rows = rows[(rows["period_month"] >= start) & (rows["period_month"] <= end)]
st.caption(_("The latest month first."))
st.table(compliance_grid(rows, ui.member_names()))

rates = data_access.compliance_rates(viewer, name)
if not rates.empty:
    st.subheader(_("Rates"))
    st.caption(_("Over every month due so far."))
    show_table(rates, hide=("dataset", "dataset_label"), percent=PERCENT_COLUMNS)
