"""The regional map: coastlines from an installed package, centred on the Pacific; the map and
the trend charts in French."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.charts import regional_trend_figure
from app.coastlines import EAST, WEST, coastline_path, pacific_coastlines
from app.regional_map import NO_RETURN_NAME, NOT_SHARED_NAME, member_map
from pidc import i18n
from pidc.settings import SEEDS_DIR


def _has_land_near(longitude: float, latitude: float, within: float = 1.0) -> bool:
    return any(
        np.hypot(polygon[:, 0] - longitude, polygon[:, 1] - latitude).min() < within
        for polygon in pacific_coastlines()
    )


def test_coastlines_cover_islands_on_both_sides_of_the_antimeridian():
    assert _has_land_near(178.4, -18.1)  # Viti Levu, Fiji (west of 180)
    assert _has_land_near(360 - 171.8, -13.8)  # Upolu, Samoa (east of 180, as 188.2)
    assert _has_land_near(360 - 175.2, -21.2)  # Tongatapu
    assert _has_land_near(174.8, -41.3)  # Wellington
    for polygon in pacific_coastlines():
        assert polygon[:, 0].max() - polygon[:, 0].min() <= 180
        assert polygon[:, 0].max() >= WEST and polygon[:, 0].min() <= EAST


def test_member_map_draws_coastlines_under_members_in_0_to_360_longitudes():
    members = pd.read_csv(SEEDS_DIR / "reference" / "members.csv")
    figure = member_map(members, {"FJI": 120, "WSM": 30}, "refusals")
    coast, *markers = figure.data
    assert coast.name == "coastline" and len(coast.x) == len(coastline_path()[0])
    shown = next(trace for trace in markers if trace.name == "refusals")
    positions = dict(zip(shown.text, shown.x, strict=True))
    assert 177 < positions["FJI"] < 180 and 187 < positions["WSM"] < 189


def test_member_map_tells_not_shared_from_no_return_in_the_legend():
    """'No figure shown' is two things: not shared with the viewer, or no return that month."""
    members = pd.read_csv(SEEDS_DIR / "reference" / "members.csv")
    figure = member_map(members, {"FJI": 120}, "refusals", visible={"FJI", "WSM"})
    legend = {trace.name: set(trace.text) for trace in figure.data if trace.name != "coastline"}
    assert legend["refusals"] == {"FJI"}
    assert legend[NO_RETURN_NAME] == {"WSM"}
    assert legend[NOT_SHARED_NAME] == set(members["member_code"]) - {"FJI", "WSM"}
    public = member_map(members, {}, "refusals")
    # Both entries always, so the legend says what each dot means even when one has none.
    assert [trace.name for trace in public.data] == ["coastline", NOT_SHARED_NAME, NO_RETURN_NAME]
    assert len(public.data[1].x) == len(members) and len(public.data[2].x) == 0


def test_the_map_and_a_trend_chart_in_french():
    """Legend, hover text, axes and month ticks in the current language; French separators."""
    members = pd.read_csv(SEEDS_DIR / "reference" / "members.csv")
    with i18n.language("fr"):
        figure = member_map(members, {"FJI": 4_025_589}, "Refus d'entrée", visible={"FJI", "WSM"})
        trend = regional_trend_figure(
            pd.DataFrame(
                {
                    "period_month": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01"]),
                    "total_count": [108_213, 81_787, 70_017],
                    "member_count_reporting": [2, 3, 1],
                    "members_expected": [4, 4, 4],
                    "coverage_pct": [50.0, 100.0, 57.6],
                    "coverage_is_rounded": [False, False, False],
                    "completeness_status": ["incomplete", "complete", "provisional"],
                }
            )
        )
    names = [trace.name for trace in figure.data]
    assert "aucun chiffre affiché : non partagé avec vous" in names
    assert "aucun chiffre affiché : aucune déclaration ce mois-ci" in names
    shown = next(trace for trace in figure.data if trace.name == "Refus d'entrée")
    assert list(shown.hovertext) == ["Fiji : 4\u202f025\u202f589"]
    no_return = next(trace for trace in figure.data if "aucune déclaration" in str(trace.name))
    assert list(no_return.hovertext) == [
        "Samoa : aucun chiffre affiché (aucune déclaration ce mois-ci)"
    ]
    assert figure.layout.xaxis.title.text.startswith("Longitude (°E ; 180°")
    assert list(figure.layout.xaxis.ticktext)[-1] == "150°O"
    assert [trace.name for trace in trend.data] == [
        "Total régional",
        "Incomplet : échéance passée, tous les membres n’ont pas déclaré",
        "Provisoire : avant l’échéance, d’autres déclarations sont attendues",
    ]
    assert list(trend.layout.xaxis.ticktext) == ["août 2026", "sept. 2026", "oct. 2026"]
    assert trend.layout.xaxis.title.text == "Mois"
    assert trend.layout.separators == ",\u202f"  # plotly's numbers: 81 787
    assert "2 sur 4 membres" in trend.data[0].text[0]
