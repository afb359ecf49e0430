"""Monthly line charts that never hide what is missing (pure plotly, no Streamlit).

Every chart here puts one point on every calendar month between its first and last month: a
month with a value is a point (a 0 is a point on the axis), a month without one is a gap in the
line (``connectgaps`` off), never a 0 and never a straight line drawn across it. Regional charts
also mark the months that are not complete: incomplete months (the deadline passed before every
member reported) with hollow markers, provisional months (before the deadline, shown to the
Secretariat only) as a dashed line.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pidc import i18n
from pidc.i18n import N_, _, ngettext

LINE_COLOUR = "#1f6f8b"
INCOMPLETE_COLOUR = "#c26a00"
PROVISIONAL_COLOUR = "#7a7f87"
BASELINE_COLOUR = "#7a7f87"
ALERT_COLOUR = "#b03a2e"

# Legend entries in English, marked for translation: shown with ``_`` (the current language).
INCOMPLETE_NAME = N_("Incomplete: deadline passed, not every member reported")
PROVISIONAL_NAME = N_("Provisional: before the deadline, more returns expected")
REGIONAL_TOTAL_NAME = N_("Regional total")
# Plotly's decimal and thousands separators per language (its d3 formats read them).
SEPARATORS = {"en": ".,", "fr": ",\u202f"}


def every_month(frame: pd.DataFrame, column: str = "period_month") -> pd.DataFrame:
    """``frame`` (one row per month) with a row for every month between its first and last
    month; the added rows are empty, so a missing month stays a gap and never becomes 0."""
    if frame.empty:
        return frame
    frame = frame.assign(**{column: pd.to_datetime(frame[column])}).sort_values(column)
    months = pd.date_range(frame[column].min(), frame[column].max(), freq="MS")
    return frame.set_index(column).reindex(months).rename_axis(column).reset_index()


def month_ticks(months: pd.DatetimeIndex) -> dict[str, object]:
    """The x-axis ticks of ``months``: a tick on months, never on weeks (a point on 1 June must
    not read as 31 May), written by Python in the current language ("oct. 2026" in French:
    plotly's own month names are English only)."""
    step = 1 if len(months) <= 15 else 3 if len(months) <= 48 else 12
    shown = list(months[::step])
    return {
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": [i18n.format_month(month.date()) for month in shown],
    }


def _layout(figure: go.Figure, y_title: str, months: pd.DatetimeIndex | None = None) -> go.Figure:
    ticks = month_ticks(months) if months is not None and len(months) else {}
    figure.update_layout(
        height=320,
        margin={"l": 70, "r": 10, "t": 10, "b": 10},
        # The hover header is the month in digits (09/2026), the same in every language.
        xaxis={"title": _("Month"), "hoverformat": "%m/%Y", **ticks},
        yaxis={"title": y_title, "rangemode": "tozero", "tickformat": ",~r"},
        legend={"orientation": "h", "y": -0.3},
        hovermode="x unified",
        separators=SEPARATORS.get(i18n.get_language(), SEPARATORS["en"]),
    )
    return figure


def _months_of(frame: pd.DataFrame, column: str = "period_month") -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(frame[column]))


def _numbers(values: pd.Series) -> list[float | None]:
    # None, not NaN, so the chart's JSON says "no value" in every viewer.
    return [None if pd.isna(value) else float(value) for value in values]


def coverage_text(row) -> str:
    """'20 of 21 members, 87% of usual volume' for a regional trend row (current language)."""
    reporting = int(row["member_count_reporting"])
    if pd.isna(row.get("members_expected")):
        return ngettext("{count} member reporting", "{count} members reporting", reporting).format(
            count=reporting
        )
    expected = int(row["members_expected"])
    text = ngettext(
        "{reporting} of {expected} member", "{reporting} of {expected} members", expected
    ).format(reporting=reporting, expected=expected)
    coverage = row.get("coverage_pct")
    if coverage is None or pd.isna(coverage):
        return text
    share = i18n.format_percent(float(coverage) / 100, digits=0)
    if not row.get("coverage_is_rounded") or float(coverage) >= 100:
        return text + ", " + _("{share} of usual volume").format(share=share)
    # the public's figure is rounded down to a multiple of 10
    if float(coverage) < 10:
        return (
            text
            + ", "
            + _("less than {share} of usual volume").format(
                share=i18n.format_percent(0.1, digits=0)
            )
        )
    return text + ", " + _("at least {share} of usual volume").format(share=share)


def regional_trend_figure(series: pd.DataFrame, y_title: str | None = None) -> go.Figure:
    """One dataset's regional totals (rows of ``REGIONAL_TREND_COLUMNS``) as a line over every
    month; incomplete months hollow and named in the legend, provisional months dashed."""
    y_title = y_title or _(REGIONAL_TOTAL_NAME)
    figure = go.Figure()
    if series.empty:
        return _layout(figure, y_title)
    months = every_month(series)
    status = months["completeness_status"].fillna("")
    hover = [
        "" if pd.isna(row["member_count_reporting"]) else coverage_text(row)
        for _index, row in months.iterrows()
    ]
    settled = months["total_count"].where(status != "provisional")
    figure.add_trace(
        go.Scatter(
            x=months["period_month"],
            y=_numbers(settled),
            mode="lines+markers",
            name=_(REGIONAL_TOTAL_NAME),
            line={"color": LINE_COLOUR},
            marker={"color": LINE_COLOUR, "size": 6},
            connectgaps=False,
            cliponaxis=False,  # a 0 sits on the axis, drawn whole
            text=hover,
            hovertemplate="%{y:,.0f} (%{text})<extra></extra>",
        )
    )
    incomplete = months["total_count"].where(status == "incomplete")
    if incomplete.notna().any():
        figure.add_trace(
            go.Scatter(
                x=months["period_month"],
                y=_numbers(incomplete),
                mode="markers",
                name=_(INCOMPLETE_NAME),
                marker={
                    "symbol": "circle-open",
                    "size": 13,
                    "line": {"width": 2},
                    "color": INCOMPLETE_COLOUR,
                },
                connectgaps=False,
                cliponaxis=False,
                hoverinfo="skip",
            )
        )
    if (status == "provisional").any():
        # The dashed line starts at the last settled month, so it reads as a continuation.
        last_settled = settled.last_valid_index()
        provisional = months["total_count"].where(status == "provisional")
        if last_settled is not None:
            provisional.loc[last_settled] = months.loc[last_settled, "total_count"]
        figure.add_trace(
            go.Scatter(
                x=months["period_month"],
                y=_numbers(provisional),
                mode="lines+markers",
                name=_(PROVISIONAL_NAME),
                line={"color": PROVISIONAL_COLOUR, "dash": "dash"},
                marker={"symbol": "diamond-open", "size": 9, "color": PROVISIONAL_COLOUR},
                connectgaps=False,
                cliponaxis=False,
                text=hover,
                hovertemplate="%{y:,.0f} " + _("provisional") + " (%{text})<extra></extra>",
            )
        )
    return _layout(figure, y_title, _months_of(months))


def alert_history_figure(history: pd.DataFrame, baseline_median: float | None) -> go.Figure:
    """An alert's series (``mart_alert_series`` rows): a point for every month with a return,
    zeros included; a gap for every month without one; the baseline median as a dotted line and
    the alert's month as a red point."""
    figure = go.Figure()
    if history.empty:
        return _layout(figure, _("Count"))
    months = every_month(history)
    figure.add_trace(
        go.Scatter(
            x=months["period_month"],
            y=_numbers(months["observed_count"]),
            mode="lines+markers",
            name=_("Reported (a gap: no return that month)"),
            line={"color": LINE_COLOUR},
            marker={"color": LINE_COLOUR, "size": 6},
            connectgaps=False,
            cliponaxis=False,  # a 0 sits on the axis, drawn whole
        )
    )
    if baseline_median is not None and not pd.isna(baseline_median):
        baseline = months["observed_count"].where(months["is_baseline_month"].fillna(False))
        baseline_months = months["period_month"].where(baseline.notna())
        if baseline_months.notna().any():
            figure.add_trace(
                go.Scatter(
                    x=[baseline_months.min(), baseline_months.max()],
                    y=[float(baseline_median)] * 2,
                    mode="lines",
                    name=_("Baseline median ({median})").format(
                        median=i18n.format_decimal(float(baseline_median), digits=1)
                    ),
                    line={"color": BASELINE_COLOUR, "dash": "dot"},
                )
            )
    alert = months[months["is_alert_month"].fillna(False).astype(bool)]
    if not alert.empty:
        figure.add_trace(
            go.Scatter(
                x=alert["period_month"],
                y=_numbers(alert["observed_count"]),
                mode="markers",
                name=_("Alert"),
                marker={"color": ALERT_COLOUR, "size": 11},
            )
        )
    return _layout(figure, _("Count"), _months_of(months))


def _month_range(frame: pd.DataFrame, column: str = "period_month") -> pd.DatetimeIndex:
    months = pd.to_datetime(frame[column])
    return pd.date_range(months.min(), months.max(), freq="MS")


def monthly_total_figure(totals: pd.DataFrame, y_title: str | None = None) -> go.Figure:
    """Monthly totals (``period_month``, ``observed_count``) as a line over every month: a
    month without rows is a gap, never a 0."""
    y_title = y_title or _("Count")
    figure = go.Figure()
    if totals.empty:
        return _layout(figure, y_title)
    months = every_month(totals[["period_month", "observed_count"]])
    figure.add_trace(
        go.Scatter(
            x=months["period_month"],
            y=_numbers(months["observed_count"]),
            mode="lines+markers",
            name=_("Total"),
            line={"color": LINE_COLOUR},
            marker={"color": LINE_COLOUR, "size": 6},
            connectgaps=False,
            cliponaxis=False,
            text=[i18n.format_month(month.date()) for month in months["period_month"]],
            hovertemplate="%{text}: %{y:,.0f}<extra></extra>",
        )
    )
    return _layout(figure, y_title, _months_of(months))


def monthly_lines_figure(wide: pd.DataFrame, y_title: str | None = None) -> go.Figure:
    """One line per column of ``wide`` (index: months), every month on the axis; a missing or
    hidden value (NaN) is a gap in its line, never a 0."""
    y_title = y_title or _("Count")
    figure = go.Figure()
    if wide.empty:
        return _layout(figure, y_title)
    months = pd.date_range(
        pd.Timestamp(wide.index.min()), pd.Timestamp(wide.index.max()), freq="MS"
    )
    wide = wide.set_axis(pd.to_datetime(wide.index)).reindex(months)
    for column in wide.columns:
        figure.add_trace(
            go.Scatter(
                x=wide.index,
                y=_numbers(wide[column]),
                mode="lines+markers",
                name=str(column),
                connectgaps=False,
                cliponaxis=False,
                hovertemplate=f"{column}: %{{y:,.0f}}<extra></extra>",
            )
        )
    return _layout(figure, y_title, months)


def monthly_bars_figure(
    split: pd.DataFrame, label: str = "label", y_title: str | None = None
) -> go.Figure:
    """Monthly totals split by ``label`` as stacked bars, largest values first in the legend."""
    y_title = y_title or _("Count")
    figure = go.Figure()
    if split.empty:
        return _layout(figure, y_title)
    order = split.groupby(label, sort=False)["observed_count"].sum().sort_values(ascending=False)
    for value in order.index:
        rows = split[split[label] == value]
        figure.add_trace(
            go.Bar(
                x=rows["period_month"],
                y=_numbers(rows["observed_count"]),
                name=str(value),
                hovertemplate=f"{value}: %{{y:,.0f}}<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack", showlegend=True)
    return _layout(figure, y_title, _month_range(split))


def small_multiple_figure(
    series: pd.DataFrame, title: str, window: tuple[pd.Timestamp, pd.Timestamp] | None = None
) -> go.Figure:
    """One dataset's monthly totals for one member (``mart_member_trends`` rows) as a small
    chart with its own y-axis: a month without a return is a gap, a nil return a point at 0.
    ``window`` (first and last month) puts every small chart of a page on the same months."""
    figure = go.Figure()
    if not series.empty:
        months = every_month(series[["period_month", "total_count"]])
        if window is not None:
            every = pd.date_range(pd.Timestamp(window[0]), pd.Timestamp(window[1]), freq="MS")
            months = (
                months.set_index("period_month")
                .reindex(every)
                .rename_axis("period_month")
                .reset_index()
            )
        figure.add_trace(
            go.Scatter(
                x=months["period_month"],
                y=_numbers(months["total_count"]),
                mode="lines+markers",
                name=title,
                line={"color": LINE_COLOUR},
                marker={"color": LINE_COLOUR, "size": 5},
                connectgaps=False,
                cliponaxis=False,
                text=[i18n.format_month(month.date()) for month in months["period_month"]],
                hovertemplate="%{text}: %{y:,.0f}<extra></extra>",
            )
        )
    span = _month_range(series) if window is None and not series.empty else None
    if window is not None:
        span = pd.date_range(pd.Timestamp(window[0]), pd.Timestamp(window[1]), freq="MS")
        figure.update_xaxes(
            range=[
                pd.Timestamp(window[0]) - pd.Timedelta(days=10),
                pd.Timestamp(window[1]) + pd.Timedelta(days=10),
            ]
        )
    _layout(figure, _("Count"), span)
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=240,
        margin={"l": 60, "r": 10, "t": 40, "b": 10},
        showlegend=False,
    )
    figure.update_xaxes(title=None)
    return figure
