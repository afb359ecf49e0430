"""Regional overview: latest-month headlines and a regional trend per dataset."""

import streamlit as st

from app import data_access
from app.overview import (
    format_change,
    format_count,
    headline_help,
    latest_month,
    latest_month_headlines,
)

st.title("Regional overview")

if not data_access.has_published_data():
    st.info(data_access.EMPTY_STATE_MESSAGE)
    st.stop()

trends = data_access.regional_trends()
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

for headline in headlines:
    st.subheader(headline.title)
    series = trends[trends["dataset"] == headline.dataset]
    st.line_chart(
        series,
        x="period_month",
        y="total_count",
        x_label="Month",
        y_label="Regional total",
    )
