"""Member profile: one member's returns, trends and share of the region."""

import streamlit as st

from app import data_access, ui

st.title("Member profile")
ui.require_published()
viewer = ui.viewer()

members = data_access.visible_members(viewer)
if not members:
    st.info(f"No member shares its figures with you yet. {ui.SIGN_IN_MESSAGE}")
    st.stop()
names = ui.member_names()
default = members.index(viewer.member_code) if viewer.member_code in members else 0
member = st.selectbox(
    "Member", members, index=default, format_func=lambda code: f"{names.get(code, code)} ({code})"
)
details = data_access.reference("dim_members")
details = details[details["member_code"] == member]
if not details.empty:
    row = details.iloc[0]
    st.caption(f"{row['member_name']} · {row['sub_region']} · capital {row['capital']}")

titles = ui.dataset_titles()
totals = data_access.return_totals(viewer, member=member)
st.subheader("Returns received")
if totals.empty:
    st.info(f"No returns yet from {names.get(member, member)} that you may see.")
else:
    grid = totals.assign(
        value=totals.apply(
            lambda r: "nil" if r["is_nil_return"] else f"{int(r['total_count']):,}", axis=1
        ),
        month=totals["period_month"].map(ui.month_label),
        title=totals["dataset"].map(titles),
    )
    ordered = [ui.month_label(m) for m in sorted(totals["period_month"].unique())]
    table = grid.pivot_table(index="title", columns="month", values="value", aggfunc="first")
    st.dataframe(table.reindex(columns=ordered).fillna("—"), width="stretch")

trends = data_access.member_trends(viewer, member=member)
if not trends.empty:
    st.subheader("Trends")
    chart = trends.assign(title=trends["dataset"].map(titles))
    st.line_chart(
        chart, x="period_month", y="total_count", color="title", x_label="Month", y_label="Count"
    )
    latest = trends[trends["period_month"] == trends["period_month"].max()]
    st.subheader(f"Share of the region, {ui.month_label(latest['period_month'].iloc[0])}")
    columns = st.columns(4)
    for index, share in enumerate(latest.itertuples()):
        pct = share.share_of_regional_pct
        columns[index % 4].metric(
            titles.get(share.dataset, share.dataset),
            ui.count_text(share.total_count),
            help="Share of the regional total",
            delta=None if pct is None or pct != pct else f"{float(pct):.1f}% of region",
            delta_color="off",
        )
