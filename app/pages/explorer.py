"""Dataset explorer: one dataset, filtered by period, member, nationality and its own breakdowns."""

import pandas as pd
import streamlit as st

from app import data_access, ui
from app.charts import monthly_bars_figure, monthly_lines_figure, monthly_total_figure
from app.tables import show_table
from app.views.explorer import (
    DETAIL_ROWS,
    REGION_LABELS,
    code_columns,
    code_kinds,
    figure_text,
    public_series,
)
from pidc.contract import load_contract

DEFAULT_WINDOW = 24  # months shown at first: two years, so a month can be read against last year
TOP_VALUES = 12  # the breakdown chart draws the values with the largest totals

st.title("Dataset explorer")
ui.require_published()
viewer = ui.viewer()
contract = load_contract()
name = ui.choose_dataset()
dataset = contract.dataset(name)
st.caption(dataset.description)

if not data_access.has_grants(viewer):
    # No member-level figure to show: the published regional figures, small ones hidden.
    st.caption(ui.SIGN_IN_MESSAGE)
    breakdown = st.radio(
        "Breakdown",
        ["region", "sub_region", "nationality", "sex", "age_group"],
        format_func=lambda value: value.replace("_", " "),
        horizontal=True,
        key="public_by",
    )
    cells = data_access.public_aggregates(name, breakdown)
    if cells.empty:
        st.info(f"No published regional figures for this dataset by {breakdown.replace('_', ' ')}.")
        st.stop()
    if breakdown in ("nationality", "sex", "age_group", "region"):
        labels = (
            REGION_LABELS
            if breakdown == "region"
            else data_access.code_labels("country" if breakdown == "nationality" else breakdown)
        )
        cells = cells.assign(
            breakdown_value=cells["breakdown_value"].map(lambda code: labels.get(code, code))
        )
    months = sorted(pd.Timestamp(month) for month in cells["period_month"].unique())
    start, end = months[0], months[-1]
    if len(months) > 1:
        start, end = st.select_slider(
            "Months", options=months, value=(start, end), format_func=ui.month_label
        )
    cells = cells[(cells["period_month"] >= start) & (cells["period_month"] <= end)]
    # A hidden figure is a gap in its line, never a 0 (app.views.explorer.public_series).
    st.plotly_chart(
        monthly_lines_figure(public_series(cells), "Count (gaps: hidden figures)"),
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
            "breakdown_value": st.column_config.TextColumn(
                breakdown.replace("_", "-").capitalize()
            ),
            "display_value": st.column_config.TextColumn("Figure", alignment="right"),
        },
    )
    st.caption(
        f"'{ui.small_count_label()}' marks a count too small to show (below"
        f" {ui.smallest_shown_count()}). 'x' is a figure hidden because too few members make it"
        " up, one member makes up most of it, or it would let another hidden figure be worked"
        " out. 0 is a real zero; a gap in a line is a hidden figure."
    )
    st.stop()

members = data_access.visible_members(viewer, name)
if not members:
    st.info("No member shares this dataset with you yet.")
    st.stop()
names = ui.member_names()
chosen_members = st.multiselect(
    "Members", members, format_func=lambda code: f"{names.get(code, code)} ({code})"
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
        column.name.replace("_", " ").capitalize(),
        options,
        format_func=lambda code, labels=labels: f"{labels.get(code, code)} ({code})",
        key=f"filter_{column.name}",
    )
    if picked:
        filters[columns[column.name]] = picked

# The window of months is chosen before any fact row is read: fact tables grow with history
# and members, and the first view reads only the latest DEFAULT_WINDOW months.
months = data_access.fact_months(viewer, name, members=chosen_members)
if not months:
    st.info("No returns match these filters yet.")
    st.stop()
start, end = months[0], months[-1]
if len(months) > 1:
    start, end = st.select_slider(
        "Months",
        options=months,
        value=(months[max(0, len(months) - DEFAULT_WINDOW)], months[-1]),
        format_func=ui.month_label,
    )
chosen = {"members": chosen_members, "codes": filters, "period_from": start, "period_to": end}
# Counted in SQL: the page never reads every row of the window.
row_count, counted = data_access.fact_rows_total(viewer, name, **chosen)
if not row_count:
    st.info("No returns match these filters in these months.")
    st.stop()

# Totals come from the data layer (two-way tables counted once), never summed here.
monthly = data_access.fact_totals(viewer, name, **chosen)
st.subheader("Total per month")
st.plotly_chart(monthly_total_figure(monthly), width="stretch", key="total_chart")

by_name = st.selectbox(
    "Break down by",
    [column.name for column in dataset.breakdowns],
    format_func=lambda value: value.replace("_", " "),
)
by = columns[by_name]
split = data_access.fact_totals(viewer, name, by=by, **chosen)
if split.empty:
    st.info("These returns are not broken down by this column.")
else:
    column = dataset.column(by_name)
    labels = data_access.code_labels("country" if column.type == "country" else column.code_list)
    split["label"] = split[by].map(lambda code: labels.get(code, code))
    top = split[split["value_rank"] <= TOP_VALUES]
    if split["value_rank"].max() > TOP_VALUES:
        st.caption(f"The {TOP_VALUES} values with the largest totals over these months.")
    st.plotly_chart(monthly_bars_figure(top), width="stretch", key="split_chart")

st.subheader("Rows")
# The latest rows only: the table never carries the whole window to the browser.
rows = data_access.facts(viewer, name, **chosen, limit=DETAIL_ROWS, newest_first=True)
show_table(
    rows,
    codes=code_kinds(dataset),
    hide=tuple(c for c in rows.columns if c.endswith("_key")),
)
shown = (
    f"All {row_count:,} rows"
    if row_count <= len(rows)
    else f"The latest {len(rows):,} of {row_count:,} rows"
)
st.caption(
    f"{shown}; {counted:,} counted in all rows (two-way tables are counted once in the"
    f" charts). Every row, with its codes, is on the Downloads page (table fct_{name})."
)
