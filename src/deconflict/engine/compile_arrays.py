"""The arithmetic of `geo.pieces` over arrays: what `compile.compile_many` cuts with.

Each function does for many edges, paths or shells at once what `geo.pieces` does for
one, with the same geodesic calls in the same order, so that the bulk compiler gives the
same pieces as the one-by-one compiler (`tests/test_compile_many.py`).
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj.enums import GeodIntermediateFlag

from deconflict.geo.pieces import (
    EARTH_RADIUS_M,
    EDGE_STEP_M,
    MAX_PIECE_REACH_M,
    SEGMENT_STEP_M,
    WGS84,
)
from deconflict.geo.projection import MAX_RELATIVE_ERROR

_NO_AZIMUTHS = GeodIntermediateFlag.AZIS_DISCARD


def degree_margins_of(metres: NDArray, max_abs_lat: NDArray) -> tuple[NDArray, NDArray]:
    """`geo.pieces.degree_margins` over arrays."""
    dlat = metres / 110_574.0
    cos_lat = np.cos(np.radians(np.minimum(max_abs_lat + dlat, 89.9)))
    return metres / (111_320.0 * cos_lat), dlat


def bulges(length: NDArray, max_abs_lat: NDArray) -> NDArray[np.float64]:
    """`geo.pieces.bulge_m` over arrays."""
    tan_lat = np.tan(np.radians(np.minimum(max_abs_lat, 89.0)))
    return length * length * (np.abs(tan_lat) + 1.0) / (8.0 * EARTH_RADIUS_M) + 10.0


def grown_boxes(
    lon_min: NDArray, lat_min: NDArray, lon_max: NDArray, lat_max: NDArray, metres: NDArray
) -> NDArray[np.float64]:
    """`geo.pieces._box` over arrays: (n × 4) lon/lat boxes grown by `metres`."""
    dlon, dlat = degree_margins_of(metres, np.maximum(np.abs(lat_min), np.abs(lat_max)))
    return np.column_stack([lon_min - dlon, lat_min - dlat, lon_max + dlon, lat_max + dlat])


def intermediate_points(
    ends: NDArray[np.float64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`Geod.npts` of many geodesics (ends: n × 4 lon_a, lat_a, lon_b, lat_b; `counts`
    points each), concatenated.

    The same computation as `npts` (which calls `inv_intermediate` and zips the result
    into tuples), writing straight into one array: two and a half times faster, and the
    very same points.
    """
    total = int(counts.sum())
    lons, lats = np.empty(total, dtype=np.float64), np.empty(total, dtype=np.float64)
    stops = np.cumsum(counts)
    intermediate = WGS84.inv_intermediate
    for (lon_a, lat_a, lon_b, lat_b), start, stop in zip(
        ends.tolist(), (stops - counts).tolist(), stops.tolist(), strict=True
    ):
        intermediate(
            lon_a,
            lat_a,
            lon_b,
            lat_b,
            stop - start,
            flags=_NO_AZIMUTHS,
            out_lons=lons[start:stop],
            out_lats=lats[start:stop],
            return_back_azimuth=False,
        )
    return lons, lats


def corridor_segments(
    pairs: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """`geo.pieces.segment_pieces` of many path edges (n × 4: lon_a, lat_a, lon_b, lat_b).

    Returns which edge each segment comes from and the segments (lon_a, lat_a, lon_b,
    lat_b, length), in edge order. Edges longer than `SEGMENT_STEP_M` are cut at the
    points `segment_pieces` cuts them at (`intermediate_points` gives `Geod.npts`'s points).
    """
    _, _, length = WGS84.inv(pairs[:, 0], pairs[:, 1], pairs[:, 2], pairs[:, 3])
    length = np.asarray(length, dtype=np.float64)
    cuts = np.ceil(length / SEGMENT_STEP_M).astype(np.int64) - 1
    long_edges = np.flatnonzero(cuts > 0)
    counts = np.where(cuts > 0, cuts + 1, 1)
    edge = np.repeat(np.arange(len(pairs)), counts)
    segments = np.empty((int(counts.sum()), 5), dtype=np.float64)
    first = np.cumsum(counts) - counts
    short = cuts <= 0
    segments[first[short], :4] = pairs[short]
    segments[first[short], 4] = length[short]
    if len(long_edges):
        ends = pairs[long_edges]
        lons, lats = intermediate_points(ends, cuts[long_edges])
        # Each long edge: its start, its intermediate points, its end.
        lengths = cuts[long_edges] + 2
        xy = np.empty((int(lengths.sum()), 2), dtype=np.float64)
        last = np.cumsum(lengths) - 1
        inner = np.ones(len(xy), dtype=bool)
        inner[last], inner[last - lengths + 1] = False, False
        xy[last - lengths + 1], xy[last] = ends[:, 0:2], ends[:, 2:4]
        xy[inner, 0], xy[inner, 1] = lons, lats
        # Each long edge of k segments has k + 1 points; segment i joins points i, i + 1.
        lengths = counts[long_edges]
        point_first = np.cumsum(lengths + 1) - (lengths + 1)
        local = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        a = np.repeat(point_first, lengths) + local
        rows = np.repeat(first[long_edges], lengths) + local
        segments[rows, 0:2] = xy[a]
        segments[rows, 2:4] = xy[a + 1]
        _, _, part = WGS84.inv(xy[a, 0], xy[a, 1], xy[a + 1, 0], xy[a + 1, 1])
        segments[rows, 4] = part
    return edge, segments


def simple_polygons(
    shells: list[tuple[int, tuple[tuple[float, float], ...]]],
) -> tuple[dict[int, int], NDArray[np.object_]]:
    """Densify polygon shells as `geo.pieces` does, for many at once; those small enough
    to stay whole (one piece each) are returned as {volume: position} and their
    densified polygons. The others are left to `pieces_of`, which cuts them.
    """
    if not shells:
        return {}, np.empty(0, dtype=object)
    sizes = np.array([len(shell) for _, shell in shells], dtype=np.int64)
    xy = np.fromiter(
        chain.from_iterable(chain.from_iterable(shell for _, shell in shells)),
        np.float64,
        2 * int(sizes.sum()),
    ).reshape(-1, 2)
    ring_first = np.cumsum(sizes) - sizes
    a = np.flatnonzero(np.isin(np.arange(len(xy)), ring_first + sizes - 1, invert=True))
    b = a + 1
    _, _, length = WGS84.inv(xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1])
    cuts = np.ceil(np.asarray(length) / EDGE_STEP_M).astype(np.int64) - 1
    # The densified ring: its first point, then per edge its middle points and its end.
    per_edge = np.maximum(cuts, 0) + 1
    ring_of_edge = np.repeat(np.arange(len(shells)), sizes - 1)
    out_sizes = 1 + np.bincount(ring_of_edge, weights=per_edge, minlength=len(shells)).astype(
        np.int64
    )
    out_first = np.cumsum(out_sizes) - out_sizes
    edge_out = out_first[ring_of_edge] + 1 + (np.cumsum(per_edge) - per_edge)
    edge_out -= (np.cumsum(per_edge) - per_edge)[ring_first[ring_of_edge] - ring_of_edge]
    out = np.empty((int(out_sizes.sum()), 2), dtype=np.float64)
    out[out_first] = xy[ring_first]
    out[edge_out + per_edge - 1] = xy[b]
    long_edges = np.flatnonzero(cuts > 0)
    if len(long_edges):
        ab = np.column_stack([xy[a[long_edges]], xy[b[long_edges]]])
        # From the smaller end, as `geo.pieces` does, so that shared edges match exactly.
        backwards = (ab[:, 0] > ab[:, 2]) | ((ab[:, 0] == ab[:, 2]) & (ab[:, 1] > ab[:, 3]))
        ab[backwards] = ab[backwards][:, [2, 3, 0, 1]]
        counts = cuts[long_edges]
        lons, lats = intermediate_points(ab, counts)
        local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        flipped = np.repeat(backwards, counts)
        source = np.repeat(np.cumsum(counts) - counts, counts) + np.where(
            flipped, np.repeat(counts, counts) - 1 - local, local
        )
        out[np.repeat(edge_out[long_edges], counts) + local] = np.column_stack(
            [lons[source], lats[source]]
        )
    rings = shapely.linearrings(out, indices=np.repeat(np.arange(len(shells)), out_sizes))
    polygons = shapely.polygons(rings)
    # `geo.pieces._polygon_pieces` keeps a polygon whole when its box's half-diagonal is
    # within the limit; the few that are not go to `pieces_of` (which also tries harder).
    lon_min, lat_min, lon_max, lat_max = shapely.bounds(polygons).T
    lon0, lat0 = (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0
    corners_lon = np.column_stack([lon_min, lon_min, lon_max, lon_max]).ravel()
    corners_lat = np.column_stack([lat_min, lat_max, lat_min, lat_max]).ravel()
    _, _, reach = WGS84.inv(np.repeat(lon0, 4), np.repeat(lat0, 4), corners_lon, corners_lat)
    half_diagonal = np.asarray(reach).reshape(-1, 4).max(axis=1) * 1.001
    whole = np.flatnonzero(half_diagonal <= MAX_PIECE_REACH_M * (1.0 - 2.0 * MAX_RELATIVE_ERROR))
    simple = {shells[i][0]: k for k, i in enumerate(whole.tolist())}
    return simple, polygons[whole]
