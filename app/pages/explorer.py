"""Dataset explorer: one dataset, filtered by period, member, nationality and its own breakdowns."""

import pandas as pd
import streamlit as st

from app import data_access, language, ui
from app.charts import monthly_bars_figure, monthly_lines_figure, monthly_total_figure
from app.tables import column_words, region_label, show_table, special_codes
from app.views.explorer import (
    DETAIL_ROWS,
    code_columns,
    code_kinds,
    figure_text,
    public_series,
)
from pidc import i18n
from pidc.contract import load_contract
from pidc.i18n import _, ngettext

DEFAULT_WINDOW = 24  # months shown at first: two years, so a month can be read against last year
TOP_VALUES = 12  # the breakdown chart draws the values with the largest totals

language.apply()
st.title(_("Dataset explorer"))
ui.require_published()
viewer = ui.viewer()
contract = load_contract()
name = ui.choose_dataset()
dataset = contract.dataset(name)
st.caption(data_access.dataset_description(name))

if not data_access.has_grants(viewer):
    # No member-level figure to show: the published regional figures, small ones hidden.
    st.caption(_(ui.SIGN_IN_MESSAGE))
    breakdown = st.radio(
        _("Breakdown"),
        ["region", "sub_region", "nationality", "sex", "age_group"],
        format_func=lambda value: column_words(value).lower(),
        horizontal=True,
        key="public_by",
    )
    cells = data_access.public_aggregates(name, breakdown)
    if cells.empty:
        st.info(
            _("No published regional figures for this dataset by {breakdown}.").format(
                breakdown=column_words(breakdown).lower()
            )
        )
        st.stop()
    if breakdown in ("nationality", "sex", "age_group"):
        labels = data_access.code_labels("country" if breakdown == "nationality" else breakdown)
        cells = cells.assign(
            breakdown_value=cells["breakdown_value"].map(lambda code: labels.get(code, code))
        )
    elif breakdown in ("region", "sub_region"):
        cells = cells.assign(breakdown_value=cells["breakdown_value"].map(region_label))
    months = sorted(pd.Timestamp(month) for month in cells["period_month"].unique())
    start, end = months[0], months[-1]
    if len(months) > 1:
        start, end = st.select_slider(
            _("Months"), options=months, value=(start, end), format_func=ui.month_label
        )
    cells = cells[(cells["period_month"] >= start) & (cells["period_month"] <= end)]
    # A hidden figure is a gap in its line, never a 0 (app.views.explorer.public_series).
    st.plotly_chart(
        monthly_lines_figure(public_series(cells), _("Count (gaps: hidden figures)")),
        width="stretch",
        key="public_chart",
    )
    table = cells[["period_month", "breakdown_value", "display_value", "conf_status"]].assign(
        display_value=figure_text(cells)
    )
    show_table(
        table,
        codes={"conf_status": "conf_status"},
        column_config={
            "breakdown_value": st.column_config.TextColumn(column_words(breakdown)),
            "display_value": st.column_config.TextColumn(_("Figure"), alignment="right"),
        },
    )
    st.caption(
        _(
            "'{small}' marks a count too small to show (below {least}). 'x' is a figure hidden "
            "because too few members make it up, one member makes up most of it, or it would "
            "let another hidden figure be worked out. 0 is a real zero; a gap in a line is a "
            "hidden figure."
        ).format(small=ui.small_count_label(), least=ui.smallest_shown_count())
    )
    st.stop()

members = data_access.visible_members(viewer, name)
if not members:
    st.info(_("No member shares this dataset with you yet."))
    st.stop()
names = ui.member_names()
chosen_members = st.multiselect(
    _("Members"),
    members,
    format_func=lambda code: ui.member_label(code, names),
    placeholder=_("All members"),
)
columns = code_columns(dataset)
filters: dict[str, list[str]] = {}
filter_columns = st.columns(3)
for index, column in enumerate(dataset.breakdowns):
    if column.type == "port":
        continue  # ports are many and member-specific: the table below shows them
    labels = data_access.code_labels("country" if column.type == "country" else column.code_list)
    options = sorted(labels)
    picked = filter_columns[index % 3].multiselect(
        column_words(column.name),
        options,
        format_func=lambda code, labels=labels: f"{labels.get(code, code)} ({code})",
        key=f"filter_{column.name}",
        placeholder=_("All"),
    )
    if picked:
        filters[columns[column.name]] = picked

# The window of months is chosen before any fact row is read: fact tables grow with history
# and members, and the first view reads only the latest DEFAULT_WINDOW months.
months = data_access.fact_months(viewer, name, members=chosen_members)
if not months:
    st.info(_("No returns match these filters yet."))
    st.stop()
start, end = months[0], months[-1]
if len(months) > 1:
    start, end = st.select_slider(
        _("Months"),
        options=months,
        value=(months[max(0, len(months) - DEFAULT_WINDOW)], months[-1]),
        format_func=ui.month_label,
    )
chosen = {"members": chosen_members, "codes": filters, "period_from": start, "period_to": end}
# Counted in SQL: the page never reads every row of the window.
row_count, counted = data_access.fact_rows_total(viewer, name, **chosen)
if not row_count:
    st.info(_("No returns match these filters in these months."))
    st.stop()

# Totals come from the data layer (two-way tables counted once), never summed here.
monthly = data_access.fact_totals(viewer, name, **chosen)
st.subheader(_("Total per month"))
st.plotly_chart(monthly_total_figure(monthly), width="stretch", key="total_chart")

by_name = st.selectbox(
    _("Break down by"),
    [column.name for column in dataset.breakdowns],
    format_func=lambda value: column_words(value).lower(),
    placeholder=_(ui.CHOOSE),
)
by = columns[by_name]
split = data_access.fact_totals(viewer, name, by=by, **chosen)
if split.empty:
    st.info(_("These returns are not broken down by this column."))
else:
    column = dataset.column(by_name)
    labels = data_access.code_labels("country" if column.type == "country" else column.code_list)
    labels = {
        **special_codes(),
        **labels,
        data_access.UNMAPPED_LABEL: _(data_access.UNMAPPED_LABEL),
    }
    split["label"] = split[by].map(lambda code: labels.get(code, code))
    top = split[split["value_rank"] <= TOP_VALUES]
    if split["value_rank"].max() > TOP_VALUES:
        st.caption(
            _("The {count} values with the largest totals over these months.").format(
                count=TOP_VALUES
            )
        )
    st.plotly_chart(monthly_bars_figure(top), width="stretch", key="split_chart")

st.subheader(_("Rows"))
# The latest rows only: the table never carries the whole window to the browser.
rows = data_access.facts(viewer, name, **chosen, limit=DETAIL_ROWS, newest_first=True)
show_table(
    rows,
    codes=code_kinds(dataset),
    hide=tuple(c for c in rows.columns if c.endswith("_key")),
)
shown = (
    ngettext("{count} row", "All {count} rows", row_count).format(
        count=i18n.format_count(row_count)
    )
    if row_count <= len(rows)
    else _("The latest {shown} of {count} rows").format(
        shown=i18n.format_count(len(rows)), count=i18n.format_count(row_count)
    )
)
st.caption(
    _(
        "{shown}; {counted} counted in all rows (two-way tables are counted once in the "
        "charts). Every row, with its codes, is on the Downloads page (table {table})."
    ).format(shown=shown, counted=i18n.format_count(counted), table=f"fct_{name}")
)
