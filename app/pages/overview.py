"""Regional overview: latest complete month's headlines, a regional trend per dataset and the map."""

import streamlit as st

from app import data_access, language, ui
from app.charts import regional_trend_figure
from app.regional_map import member_map
from app.views.overview import (
    format_count,
    headline_caption,
    headline_delta,
    headline_help,
    latest_month,
    latest_month_headlines,
    provisional_months,
)
from pidc.i18n import _, format_month_long

language.apply()
st.title(_("Regional overview"))
ui.require_published()
viewer = ui.viewer()

trends = data_access.regional_series(viewer)
month = latest_month(trends)
if trends.empty or month is None:
    st.info(
        _("The published data holds no regional trends yet - run `make run` after returns arrive.")
    )
    st.stop()

published = data_access.published_at()
headlines = latest_month_headlines(trends, month, ui.dataset_titles())
incomplete = any(h.completeness_status == "incomplete" for h in headlines)
st.caption(
    (
        _("Latest month: {month}, past its deadline; figures marked ⚠ do not cover every member.")
        if incomplete
        else _("Latest month: {month}, complete.")
    ).format(month=format_month_long(month))
    + (
        " " + _("Published {when} UTC.").format(when=f"{published:%Y-%m-%d %H:%M}")
        if published
        else ""
    )
)
# Everyone but the Secretariat reads the published totals: small counts are hidden.
sees_provisional = data_access.holds_secretariat_grant(viewer)
if not sees_provisional:
    st.caption(
        _("Regional totals with small counts suppressed (shown only when {least} or more).").format(
            least=ui.smallest_shown_count()
        )
    )
newer = [later for later in provisional_months(trends) if later > month]
if newer:
    st.info(
        _(
            "Provisional, shown to the Secretariat only: {months}. Not every member has "
            "reported and the deadline has not passed, so these months are not published and "
            "not compared; the charts draw them dashed."
        ).format(months=", ".join(format_month_long(later) for later in newer))
    )

st.subheader(format_month_long(month))
columns = st.columns(min(4, len(headlines)))
for index, headline in enumerate(headlines):
    column = columns[index % len(columns)]
    # Neutral colours: more fraud detected or more refusals is not "good" because it went up.
    column.metric(
        label=headline.title,
        value=format_count(headline.total),
        delta=headline_delta(headline),
        delta_color="off",
        help=headline_help(headline),
    )
    column.caption(headline_caption(headline))

st.subheader(_("Map of the region"))
members = data_access.reference("dim_members")
if members.empty:
    st.info(_("No members published yet."))
else:
    titles = ui.dataset_titles()
    indicator = ui.choose_dataset(_("Size members by"), key="map_dataset")
    member_trends = data_access.member_trends(viewer, indicator)
    totals: dict[str, float] = {}
    if not member_trends.empty:
        latest = member_trends[member_trends["period_month"] == month]
        totals = dict(zip(latest["member_code"], latest["total_count"].astype(float), strict=True))
    if not data_access.has_grants(viewer):
        st.caption(_(ui.SIGN_IN_MESSAGE))
    # A member without a figure: not shared with the viewer, or shared but no return this month.
    visible = set(data_access.visible_members(viewer, indicator))
    st.plotly_chart(member_map(members, totals, titles[indicator], visible), width="stretch")

for headline in headlines:
    st.subheader(headline.title)
    series = trends[trends["dataset"] == headline.dataset]
    if not sees_provisional:
        series = series[series["period_month"] <= month]
    st.plotly_chart(regional_trend_figure(series), width="stretch", key=f"trend_{headline.dataset}")
