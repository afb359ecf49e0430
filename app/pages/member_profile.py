"""Member profile: one member's returns, trends and share of the region."""

import pandas as pd
import streamlit as st

from app import data_access, language, ui
from app.charts import small_multiple_figure
from app.tables import region_label
from pidc import i18n
from pidc.i18n import _

language.apply()
st.title(_("Member profile"))
ui.require_published()
viewer = ui.viewer()

members = data_access.visible_members(viewer)
if not members:
    st.info(_("No member shares its figures with you yet.") + " " + _(ui.SIGN_IN_MESSAGE))
    st.stop()
names = ui.member_names()
default = members.index(viewer.member_code) if viewer.member_code in members else 0
member = st.selectbox(
    _("Member"),
    members,
    index=default,
    format_func=lambda code: ui.member_label(code, names),
    placeholder=_(ui.CHOOSE),
)
member_name = names.get(member, member)
details = data_access.reference("dim_members")
details = details[details["member_code"] == member]
if not details.empty:
    row = details.iloc[0]
    st.caption(
        _("{member} · {sub_region} · capital {capital}").format(
            member=row["member_name"],
            sub_region=region_label(row["sub_region"]),
            capital=row["capital"],
        )
    )

titles = ui.dataset_titles()
totals = data_access.return_totals(viewer, member=member)
st.subheader(_("Returns received"))
if totals.empty:
    st.info(_("No returns yet from {member} that you may see.").format(member=member_name))
else:
    grid = totals.assign(
        value=totals.apply(
            lambda r: _("nil") if r["is_nil_return"] else ui.count_text(r["total_count"]), axis=1
        ),
        month=totals["period_month"].map(ui.month_label),
        title=totals["dataset"].map(titles),
    )
    ordered = [ui.month_label(m) for m in sorted(totals["period_month"].unique())]
    table = grid.pivot_table(index="title", columns="month", values="value", aggfunc="first")
    # Datasets in the contract's order, months oldest first; "—": no return that month.
    rows = [title for title in titles.values() if title in table.index]
    st.dataframe(
        table.reindex(index=rows, columns=ordered).fillna("—").rename_axis(_("Dataset")),
        width="stretch",
    )

trends = data_access.member_trends(viewer, member=member)
if not trends.empty:
    # One small chart per dataset, each with its own axis: border movements count in the
    # thousands and people smuggling in ones, so one shared axis would flatten all but one.
    st.subheader(_("Trends"))
    datasets = [name for name in titles if name in set(trends["dataset"])]
    window = (trends["period_month"].min(), trends["period_month"].max())  # the same months
    grid = st.columns(3)
    for index, dataset in enumerate(datasets):
        grid[index % 3].plotly_chart(
            small_multiple_figure(trends[trends["dataset"] == dataset], titles[dataset], window),
            width="stretch",
            key=f"trend_{dataset}",
        )
    st.caption(
        _("Each chart has its own scale. A gap is a month without a return; a nil return is 0.")
    )
    # The share of the latest *released* month: in a month still provisional only the early
    # filers have reported, and a member alone in it would read as 100% of the region.
    month = data_access.latest_released_month()
    if month is None:
        month = trends["period_month"].max()
    latest = trends[trends["period_month"] == month].set_index("dataset")
    st.subheader(_("Share of the region, {month}").format(month=ui.month_label(month)))
    st.caption(
        _(
            "{member}'s figure as a share of the regional total of the month, the latest month "
            "every member's returns are in or due (a share, not a change)."
        ).format(member=member_name)
    )
    if latest.empty:
        st.info(_("No return from {member} for this month.").format(member=member_name))
    columns = st.columns(4)
    for index, dataset in enumerate(name for name in titles if name in latest.index):
        share = latest.loc[dataset]
        pct = share["share_of_regional_pct"]
        column = columns[index % 4]
        column.metric(
            titles[dataset],
            "—" if pct is None or pd.isna(pct) else i18n.format_percent(float(pct) / 100),
            help=_("Share of the regional total of the month"),
        )
        column.caption(
            _("{member}: {count}").format(
                member=member_name, count=ui.count_text(share["total_count"])
            )
        )
