"""Monthly bulletin: key figures, notable changes, alerts, compliance and shareable observations."""

import pandas as pd
import streamlit as st

from app import data_access, ui
from app.views.bulletin import KEY_FIGURE_COLUMNS, SECTIONS, build_bulletin, to_html, to_pdf
from app.views.overview import latest_month, provisional_months
from pidc.escaping import escape_markdown

st.title("Monthly bulletin")
ui.require_published()
viewer = ui.viewer()
series = data_access.regional_series(viewer)
if series.empty:
    st.info("No month has published regional figures yet.")
    st.stop()
months = sorted((pd.Timestamp(m) for m in series["period_month"].unique()), reverse=True)
provisional = set(provisional_months(series))
latest = latest_month(series)
month = pd.Timestamp(
    st.selectbox(
        "Month",
        months,
        index=months.index(latest) if latest in months else 0,
        format_func=lambda m: ui.month_label(m) + (" (provisional)" if m in provisional else ""),
    )
)
bulletin = build_bulletin(viewer, month)

st.header(bulletin.title)
st.caption(f"Prepared for: {bulletin.audience}")
stamp = f"{month:%Y-%m}"
left, right = st.columns(2)
left.download_button(
    "Download HTML",
    to_html(bulletin).encode("utf-8"),
    file_name=f"pidc-bulletin-{stamp}.html",
    mime="text/html",
)
right.download_button(
    "Download PDF", to_pdf(bulletin), file_name=f"pidc-bulletin-{stamp}.pdf", mime="application/pdf"
)
st.subheader("Key figures")
if bulletin.status_note:
    st.warning(bulletin.status_note)
st.dataframe(
    pd.DataFrame(bulletin.key_figures, columns=list(KEY_FIGURE_COLUMNS)),
    hide_index=True,
    width="stretch",
)
for heading, attribute, empty in SECTIONS:
    st.subheader(heading)
    items = getattr(bulletin, attribute)
    # Items quote members' own notes: escaped, so they read as text and never as links.
    st.markdown("\n".join(f"- {escape_markdown(item)}" for item in items) if items else empty)
