"""Regional overview: latest-month headlines, a regional trend per dataset and the map."""

import pandas as pd
import streamlit as st

from app import data_access, ui
from app.overview import (
    format_change,
    format_count,
    headline_help,
    latest_month,
    latest_month_headlines,
)
from app.regional_map import member_map

st.title("Regional overview")
ui.require_published()
viewer = ui.viewer()

trends = data_access.regional_series(viewer)
if trends.empty:
    st.info(
        "The published data holds no regional trends yet - run `make run` after returns arrive."
    )
    st.stop()

published = data_access.published_at()
month = latest_month(trends)
st.caption(
    f"Latest month: {month:%B %Y}."
    + (f" Published {published:%Y-%m-%d %H:%M} UTC." if published else "")
)
if not viewer.is_secretariat:
    st.caption("Regional totals with small counts suppressed (shown only when 5 or more).")

st.subheader(f"{month:%B %Y}")
headlines = latest_month_headlines(trends)
columns = st.columns(min(4, len(headlines)))
for index, headline in enumerate(headlines):
    columns[index % len(columns)].metric(
        label=headline.title,
        value=format_count(headline.total),
        delta=format_change(headline.mom_change_pct, "previous month"),
        help=headline_help(headline),
    )

st.subheader("Map of the region")
members = data_access.reference("dim_members")
if members.empty:
    st.info("No members published yet.")
else:
    titles = ui.dataset_titles()
    indicator = ui.choose_dataset("Size members by", key="map_dataset")
    member_trends = data_access.member_trends(viewer, indicator)
    totals: dict[str, float] = {}
    if not member_trends.empty:
        latest = member_trends[member_trends["period_month"] == member_trends["period_month"].max()]
        totals = dict(zip(latest["member_code"], latest["total_count"].astype(float), strict=True))
    if viewer.is_public:
        st.caption(ui.SIGN_IN_MESSAGE)
    st.plotly_chart(member_map(members, totals, titles[indicator]), width="stretch")

for headline in headlines:
    st.subheader(headline.title)
    series = trends[trends["dataset"] == headline.dataset].copy()
    series["total_count"] = pd.to_numeric(series["total_count"])
    st.line_chart(
        series,
        x="period_month",
        y="total_count",
        x_label="Month",
        y_label="Regional total",
    )
