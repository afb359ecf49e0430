"""Monthly bulletin: key figures, notable changes, alerts, compliance and shareable observations."""

import pandas as pd
import streamlit as st

from app import data_access, ui
from app.bulletin import SECTIONS, build_bulletin, to_html, to_pdf
from pidc.escaping import escape_markdown

st.title("Monthly bulletin")
ui.require_published()
viewer = ui.viewer()
series = data_access.regional_series(viewer)
if series.empty:
    st.info("No month has published regional figures yet.")
    st.stop()
months = sorted(series["period_month"].unique(), reverse=True)
month = pd.Timestamp(st.selectbox("Month", months, format_func=ui.month_label))
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
st.dataframe(
    pd.DataFrame(
        bulletin.key_figures,
        columns=["Dataset", "Regional total", "On previous month", "On same month last year"],
    ),
    hide_index=True,
    width="stretch",
)
for heading, attribute, empty in SECTIONS:
    st.subheader(heading)
    items = getattr(bulletin, attribute)
    # Items quote members' own notes: escaped, so they read as text and never as links.
    st.markdown("\n".join(f"- {escape_markdown(item)}" for item in items) if items else empty)
