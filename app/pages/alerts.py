"""Alerts: unusual changes, newest first, with the numbers that triggered them and their history."""

import streamlit as st

from app import data_access, ui
from app.charts import alert_history_figure
from pidc.escaping import escape_markdown

st.title("Alerts")
ui.require_published()
viewer = ui.viewer()

rows = data_access.alerts(viewer)
if rows.empty:
    st.info("No alerts: nothing unusual in the returns you may see.")
    st.stop()
severities = st.multiselect(
    "Severity", ["high", "medium", "low"], default=["high", "medium", "low"]
)
rows = rows[rows["severity"].isin(severities)]
st.caption(
    f"{len(rows):,} alert{'' if len(rows) == 1 else 's'}, newest first."
    " Open one to see its numbers and history."
)
names = ui.member_names()
titles = ui.dataset_titles()
countries = data_access.code_labels("country")  # a nationality's alert names the country
for alert in rows.itertuples():
    heading = (
        f"{ui.month_label(alert.period_month)} · {names.get(alert.member_code, alert.member_code)}"
        f" · {titles.get(alert.dataset, alert.dataset)} · {alert.alert_type.replace('_', ' ')}"
        f" ({countries.get(alert.dimension_value, alert.dimension_value)}) · {alert.severity}"
    )
    # Labels and messages quote values from returns: escaped, never rendered as Markdown.
    # The expander reruns the page when opened or closed, and only an open one is drawn: a
    # page of alerts never draws every history chart at once.
    section = st.expander(
        escape_markdown(heading),
        expanded=alert.Index == rows.index[0],
        key=f"alert_{alert.alert_id}",
        on_change="rerun",
    )
    if not section.open:
        continue
    with section:
        st.markdown(escape_markdown(alert.message))
        columns = st.columns(4)
        columns[0].metric("Observed", ui.count_text(alert.observed_count))
        columns[1].metric("Baseline median", f"{alert.baseline_median:,.1f}")
        columns[2].metric("Modified z-score", f"{alert.modified_z_score:+.1f}")
        columns[3].metric("Baseline months", f"{int(alert.baseline_months)}")
        history = data_access.alert_series(viewer, alert.alert_id)
        if history.empty or not history["has_return"].any():
            st.caption("No history published for this alert.")
        else:
            st.plotly_chart(
                alert_history_figure(history, alert.baseline_median),
                width="stretch",
                key=f"history_{alert.alert_id}",
            )
            st.caption(
                "Every month with a return is a point, a zero included; a month without a return"
                " is a gap in the line, never a zero."
            )
