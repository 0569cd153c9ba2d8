"""Polygon edges as the hub reads them: geodesics, drawn with a vertex every 2 km.

A polygon's edges are geodesics, not straight lines in degrees. Its drawing with
intermediate points (at most `EDGE_STEP_M` apart) is what the engine cuts and measures,
and what an outline is validated as: a polygon simple in degrees can cross itself once
its edges are followed as geodesics (a thin spike whose two sides bow differently).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import shapely
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")
EDGE_STEP_M = 2_000.0
"""Longest straight piece of a drawn edge: it strays well under a metre from the geodesic."""


def densify_ring(ring: np.ndarray) -> np.ndarray:
    """Insert geodesic intermediate points so that no edge exceeds `EDGE_STEP_M`.

    Scalar `Geod` calls on purpose: for the few edges of a typical polygon they cost a
    tenth of the array form's set-up.
    """
    out: list[np.ndarray] = []
    coords = ring.tolist()
    for (lon_a, lat_a), (lon_b, lat_b) in itertools.pairwise(coords):
        _, _, length = WGS84.inv(lon_a, lat_a, lon_b, lat_b)
        n = math.ceil(length / EDGE_STEP_M) - 1
        if n > 0:
            # Always from the smaller end, so an edge shared by two polygons gets the very
            # same points on both: otherwise they differ in the last bit and leave slivers
            # that read as overlapping interiors.
            if (lon_a, lat_a) <= (lon_b, lat_b):
                middle = WGS84.npts(lon_a, lat_a, lon_b, lat_b, n)
            else:
                middle = WGS84.npts(lon_b, lat_b, lon_a, lat_a, n)[::-1]
            out.append(np.asarray(middle, dtype=np.float64))
        out.append(np.array([[lon_b, lat_b]]))
    if len(out) == len(coords) - 1:
        return ring
    return np.concatenate([ring[:1], *out])


def densify_polygon(polygon: shapely.Polygon) -> shapely.Polygon:
    shell = densify_ring(np.asarray(polygon.exterior.coords)[:, :2])
    holes = [densify_ring(np.asarray(h.coords)[:, :2]) for h in polygon.interiors]
    return shapely.Polygon(shell, holes)
