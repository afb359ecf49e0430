"""The map of the region, centred on the Pacific, drawn without any map tiles or topojson.

Plotly's geo maps fetch their base map from a CDN at run time, which the platform must never do.
Members are drawn instead on plain longitude/latitude axes with longitudes shifted to 0..360, over
coastlines read from an installed package (app/coastlines.py), so the antimeridian runs through
the middle of the picture and Fiji, Tuvalu, Kiribati, Wallis and Futuna sit side by side as they
do on the water.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from app.coastlines import coastline_path
from pidc import i18n
from pidc.i18n import N_, _

HIDDEN_COLOUR = "#b0b7c3"
LAND_COLOUR = "#f2efe6"
COAST_COLOUR = "#9a9484"
SHOWN_COLOUR = "#1f6f8b"
NO_RETURN_COLOUR = "#ffffff"
# Legend entries in English, marked for translation: shown with ``_`` (the current language).
NOT_SHARED_NAME = N_("no figure shown: not shared with you")
NO_RETURN_NAME = N_("no figure shown: no return this month")
NOT_SHARED_WHY = N_("not shared with you")
NO_RETURN_WHY = N_("no return this month")


def pacific_longitude(longitude: pd.Series) -> pd.Series:
    """Longitude in 0..360 (180 = the antimeridian), so the Pacific is contiguous."""
    return longitude.astype(float) % 360


def member_map(
    members: pd.DataFrame,
    totals: dict[str, float],
    indicator: str,
    visible: set[str] | None = None,
) -> go.Figure:
    """Members as circles sized by ``totals`` (member -> figure). A member without a figure is
    a small dot: grey when its figures are not shared with the viewer, white when they are
    (``visible``) but it sent no return that month; the legend always names the two apart."""
    visible = set() if visible is None else set(visible)
    frame = members.assign(
        x=pacific_longitude(members["longitude"]),
        y=members["latitude"].astype(float),
        figure=members["member_code"].map(totals),
    )
    shown = frame[frame["figure"].notna()]
    missing = frame[frame["figure"].isna()]
    no_return = missing[missing["member_code"].isin(visible)]
    not_shared = missing[~missing["member_code"].isin(visible)]
    figure = go.Figure()
    coast_x, coast_y = coastline_path()
    figure.add_trace(
        go.Scatter(
            x=coast_x,
            y=coast_y,
            mode="lines",
            fill="toself",
            fillcolor=LAND_COLOUR,
            line={"color": COAST_COLOUR, "width": 0.6},
            hoverinfo="skip",
            showlegend=False,
            name="coastline",
        )
    )
    for rows, name, colour, why in (
        (not_shared, NOT_SHARED_NAME, HIDDEN_COLOUR, NOT_SHARED_WHY),
        (no_return, NO_RETURN_NAME, NO_RETURN_COLOUR, NO_RETURN_WHY),
    ):
        hover = _("{member}: no figure shown ({why})")
        # Both always in the legend, so a reader learns what grey and white mean.
        figure.add_trace(
            go.Scatter(
                x=rows["x"],
                y=rows["y"],
                mode="markers+text",
                text=rows["member_code"],
                textposition="top center",
                marker={"size": 9, "color": colour, "line": {"color": "#5b6270", "width": 1}},
                name=_(name),
                hovertext=[
                    hover.format(member=member, why=_(why)) for member in rows["member_name"]
                ],
                hoverinfo="text",
            )
        )
    if not shown.empty:
        largest = float(shown["figure"].max()) or 1.0
        sizes = 10 + 50 * (shown["figure"].astype(float) / largest) ** 0.5
        figure.add_trace(
            go.Scatter(
                x=shown["x"],
                y=shown["y"],
                mode="markers+text",
                text=shown["member_code"],
                textposition="top center",
                marker={"size": sizes, "color": SHOWN_COLOUR, "opacity": 0.7},
                name=indicator,
                hovertext=[
                    _("{member}: {count}").format(member=name, count=i18n.format_count(value))
                    for name, value in zip(shown["member_name"], shown["figure"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    figure.add_vline(x=180, line_dash="dot", line_color="#999", annotation_text="180°")
    figure.update_xaxes(
        range=[105, 235],
        title=_("Longitude (°E; 180° is the antimeridian)"),
        tickvals=[120, 150, 180, 210],
        ticktext=["120°E", "150°E", "180°", _("150°W")],
        showgrid=True,
    )
    figure.update_yaxes(range=[-50, 20], title=_("Latitude"), scaleanchor="x", scaleratio=1)
    figure.update_layout(
        height=480,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        plot_bgcolor="#e8f1f8",
        # Above the map: below it, the legend ran into the longitude axis title.
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
    )
    return figure
