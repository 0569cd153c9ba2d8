"""The exact check: every (new piece, candidate) pair of a check, measured at once.

Time and altitude are decided first, with arithmetic over all pairs; the pairs left are
measured horizontally, each in the plane centred on its new piece (`gaps` states the
rule and the error bounds, `plane_view` is the same measurement for one piece). Pairs
of two capsules (circles, corridors, route legs: nearly all of them) are measured with
plain array arithmetic, closest points included; pairs with a polygon go to shapely.
Gaps that the plane's error could decide are measured again on the ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.engine.gaps import (
    MARGINS,
    PLANE_ERROR,
    PLANE_SLACK_M,
    REFERENCE_CODE,
    TOUCH_TOLERANCE_M,
    MinimaColumns,
    conflicting,
    segment_chain_closest,
    segment_closest,
)
from deconflict.engine.table import Rows
from deconflict.geo.pieces import Piece, PieceKind
from deconflict.geo.projection import WGS84_A, WGS84_E2, project

WGS84 = Geod(ellps="WGS84")
_NO_FLOATS = np.empty(0, dtype=np.float64)
_NO_INTS = np.empty(0, dtype=np.int64)


def unproject(
    x: NDArray[np.float64], y: NDArray[np.float64], lon0: NDArray, lat0: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`LocalPlane(lon0, lat0).inverse(x, y)` with a centre per point (the same formulas).

    Why here and not in `geo.projection`: only the engine's all-pairs measurement needs
    a centre per point, and the plane's own inverse stays the reference it is tested as.
    """
    phi0 = np.radians(lat0)
    sin_phi0, cos_phi0 = np.sin(phi0), np.cos(phi0)
    w = 1 - WGS84_E2 * sin_phi0**2
    m_scale = WGS84_A * (1 - WGS84_E2) / w**1.5
    n_scale = WGS84_A / np.sqrt(w)
    u, v = x / n_scale, y / m_scale
    c = np.hypot(u, v)
    small = c == 0.0  # only the centre itself: sin(c) / c is exact for any c > 0
    safe_c = np.where(small, 1.0, c)
    sin_c, cos_c = np.sin(c), np.cos(c)
    sin_phi = cos_c * sin_phi0 + np.where(small, 0.0, v * sin_c * cos_phi0 / safe_c)
    phi = np.arcsin(np.minimum(np.maximum(sin_phi, -1.0), 1.0))  # `np.clip`, cheaper
    dlon = np.arctan2(u * sin_c, c * cos_phi0 * cos_c - v * sin_phi0 * sin_c)
    dlon = np.where(small, 0.0, dlon)
    lon = (lon0 + np.degrees(dlon) + 180.0) % 360.0 - 180.0
    return lon, np.degrees(phi)


@dataclass(frozen=True, slots=True)
class NewPieces:
    """The new declaration's pieces as columns, so that all pairs are measured at once."""

    pieces: list[Piece]
    kind: NDArray[np.int64]
    reference: NDArray[np.int64]
    volume: NDArray[np.int64]
    start: NDArray[np.float64]
    end: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    radius: NDArray[np.float64]
    lon0: NDArray[np.float64]
    lat0: NDArray[np.float64]
    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    bx: NDArray[np.float64]
    by: NDArray[np.float64]

    @classmethod
    def of(cls, pieces: list[Piece]) -> NewPieces:
        """Columns of `pieces`, in their order."""
        ints = np.array(
            [(p.kind, REFERENCE_CODE[p.reference], p.volume) for p in pieces], dtype=np.int64
        ).reshape(-1, 3)
        floats = np.array(
            [(p.start, p.end, p.lower, p.upper, p.radius, *p.center, *p.segment) for p in pieces],
            dtype=np.float64,
        ).reshape(-1, 11)
        return cls(pieces, *ints.T, *floats.T)


def _runs(first: NDArray[np.int64], last: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
    """The positions first[i] … last[i] - 1 of every run, and the run of each."""
    lengths = last - first
    run = np.repeat(np.arange(len(first)), lengths)
    return np.arange(len(run)) + np.repeat(first - np.cumsum(lengths) + lengths, lengths), run


def _lines(ends: NDArray[np.float64]) -> NDArray[np.object_]:
    """Line strings from their ends (n × 4: ax, ay, bx, by)."""
    return shapely.linestrings(ends.reshape(-1, 2, 2))


class PairPlanes:
    """(new piece, candidate) pairs, each measured in the plane of its new piece."""

    def __init__(self, new: NewPieces, number: NDArray[np.int64], rows: Rows) -> None:
        self.new, self.number, self.rows = new, number, rows
        self.lon0, self.lat0 = new.lon0[number], new.lat0[number]
        n, k = len(number), len(new.kind)
        # Polygons without holes against capsules (either one new) are measured by
        # arithmetic over their edges, like two capsules: their vertices are projected
        # with the rest. `_rings`: pairs of a new capsule and such a polygon;
        # `_own_first`/`_own_count`: each new polygon's vertices (count 0: none).
        rings = np.flatnonzero(
            (new.kind[number] == PieceKind.CAPSULE) & (rows.kind == PieceKind.POLYGON)
        )
        vertices, ring_lon0, ring_lat0 = np.empty((0, 2)), _NO_FLOATS, _NO_FLOATS
        self._ring_counts = np.empty(0, dtype=np.int64)
        if len(rings):
            rings = rings[shapely.get_num_interior_rings(rows.polygons[rings]) == 0]
            self._ring_counts = shapely.get_num_coordinates(rows.polygons[rings])
            vertices = shapely.get_coordinates(rows.polygons[rings])
            ring_lon0 = np.repeat(self.lon0[rings], self._ring_counts)
            ring_lat0 = np.repeat(self.lat0[rings], self._ring_counts)
        self._rings = rings
        own, own_lon0, own_lat0 = np.empty((0, 2)), _NO_FLOATS, _NO_FLOATS
        self._own_count = np.zeros(k, dtype=np.int64)
        polygons = np.flatnonzero(new.kind == PieceKind.POLYGON)
        if len(polygons):
            shapes = np.array([new.pieces[i].polygon for i in polygons.tolist()], dtype=object)
            simple = shapely.get_num_interior_rings(shapes) == 0
            polygons, shapes = polygons[simple], shapes[simple]
            self._own_count[polygons] = shapely.get_num_coordinates(shapes)
            own = shapely.get_coordinates(shapes)
            own_lon0 = np.repeat(new.lon0[polygons], self._own_count[polygons])
            own_lat0 = np.repeat(new.lat0[polygons], self._own_count[polygons])
        self._own_first = np.cumsum(self._own_count) - self._own_count if len(own) else None
        # Both ends of every candidate core and of every new capsule, and the vertices,
        # in one call: a call costs more than its points.
        x, y = project(
            np.concatenate([rows.ax, rows.bx, new.ax, new.bx, vertices[:, 0], own[:, 0]]),
            np.concatenate([rows.ay, rows.by, new.ay, new.by, vertices[:, 1], own[:, 1]]),
            np.concatenate([self.lon0, self.lon0, new.lon0, new.lon0, ring_lon0, own_lon0]),
            np.concatenate([self.lat0, self.lat0, new.lat0, new.lat0, ring_lat0, own_lat0]),
        )
        self._segments = (x[:n], y[:n], x[n : 2 * n], y[n : 2 * n])
        m, v = 2 * n + 2 * k, 2 * n + 2 * k + len(vertices)
        self.q = (x[2 * n : 2 * n + k], y[2 * n : 2 * n + k], x[2 * n + k : m], y[2 * n + k : m])
        """Each new capsule's core in its own plane."""
        self._vertices = (x[m:v], y[m:v])
        """The vertices of the polygons at `_rings`, each in its pair's plane."""
        self._own = (x[v:], y[v:])
        """The vertices of the new polygons, each in its own plane."""
        self._queries: NDArray[np.object_] | None = None
        self._shrunk: dict[int, shapely.Geometry] = {}
        self._geometries = np.empty(n, dtype=object)
        self._built = np.zeros(n, dtype=bool)
        self._arithmetic = np.zeros(n, dtype=bool)
        self._closest = np.empty((n, 2, 2), dtype=np.float64)
        """Closest points of the pairs measured by arithmetic (where `_arithmetic`)."""
        self._near = np.empty(0, dtype=np.int64)
        self._middles = np.empty((0, 2), dtype=np.float64)

    def _queries_by_piece(self) -> NDArray[np.object_]:
        """Each new piece's core in its own plane (polygons transformed, capsules as lines)."""
        if self._queries is None:
            new = self.new
            out = np.empty(len(new.kind), dtype=object)
            polygon = new.kind == PieceKind.POLYGON
            if polygon.any():
                shapes = np.array([new.pieces[i].polygon for i in np.flatnonzero(polygon)])
                out[polygon] = _transform(shapes, new.lon0[polygon], new.lat0[polygon])
            if (~polygon).any():
                qax, qay, qbx, qby = (c[~polygon] for c in self.q)
                out[~polygon] = _lines(np.stack([qax, qay, qbx, qby], axis=1))
            self._queries = out
        return self._queries

    def queries(self, at: NDArray[np.int64]) -> NDArray[np.object_]:
        """The new piece's core of each pair at positions `at`."""
        return self._queries_by_piece()[self.number[at]]

    def candidates(self, at: NDArray[np.int64]) -> NDArray[np.object_]:
        """Candidate cores of the pairs at `at`, each in its pair's plane (built once)."""
        missing = at[~self._built[at]]
        if len(missing):
            polygon = self.rows.kind[missing] == PieceKind.POLYGON
            if polygon.any():
                chosen = missing[polygon]
                self._geometries[chosen] = _transform(
                    self.rows.polygons[chosen], self.lon0[chosen], self.lat0[chosen]
                )
            if (~polygon).any():
                chosen = missing[~polygon]
                self._geometries[chosen] = _lines(np.stack(self.segments(chosen), axis=1))
            self._built[missing] = True
        return self._geometries[at]

    def segments(self, at: NDArray[np.int64]) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """Candidate capsule cores of the pairs at `at` in their pairs' planes."""
        ax, ay, bx, by = self._segments
        return ax[at], ay[at], bx[at], by[at]

    def _shrunk_queries(self, at: NDArray[np.int64]) -> NDArray[np.object_]:
        """Polygon cores of the new pieces less `TOUCH_TOLERANCE_M`, one buffer per piece."""
        queries = self._queries_by_piece()
        numbers = self.number[at]
        for number in np.unique(numbers).tolist():
            if number not in self._shrunk:
                self._shrunk[number] = shapely.buffer(queries[number], -TOUCH_TOLERANCE_M)
        return np.array([self._shrunk[n] for n in numbers.tolist()], dtype=object)

    def horizontal_gaps(self, minima: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """`PlaneView.horizontal_gaps` of every pair: signed gaps, and whether each pair of
        polygons has overlapping interiors (meaningful only where the gap is 0). Gaps
        that the plane's error could decide are measured again on the ellipsoid."""
        new, rows, number = self.new, self.rows, self.number
        n = len(number)
        gaps = np.empty(n, dtype=np.float64)
        interiors = np.zeros(n, dtype=bool)
        if n == 0:
            return gaps, interiors
        new_kind = new.kind[number]
        arithmetic = (new_kind == PieceKind.CAPSULE) & (rows.kind == PieceKind.CAPSULE)
        at, rings = np.flatnonzero(arithmetic), self._rings
        swapped = _NO_INTS  # a new polygon and a capsule: the capsule is the segment
        if self._own_first is not None:
            swapped = np.flatnonzero(
                (self._own_count[number] > 0) & (rows.kind == PieceKind.CAPSULE)
            )
        if len(rings) or len(swapped):  # one pass over the edges of all of them
            arithmetic[rings] = arithmetic[swapped] = True
            ax, ay, bx, by = self.segments(at)
            sax, say, sbx, sby = self.segments(swapped)
            vx, vy = self._vertices
            first = self._own_first[number[swapped]] if len(swapped) else _NO_INTS
            own, _ = _runs(first, first + self._own_count[number[swapped]])
            q = tuple(c[number[np.concatenate([at, rings])]] for c in self.q)
            counts = np.concatenate(
                [np.full(len(at), 2), self._ring_counts, self._own_count[number[swapped]]]
            )
            distance, closest = segment_chain_closest(
                (
                    np.concatenate([q[0], sax]),
                    np.concatenate([q[1], say]),
                    np.concatenate([q[2], sbx]),
                    np.concatenate([q[3], sby]),
                ),
                np.concatenate([np.stack([ax, bx], axis=1).reshape(-1), vx, self._own[0][own]]),
                np.concatenate([np.stack([ay, by], axis=1).reshape(-1), vy, self._own[1][own]]),
                counts,
                np.arange(len(counts)) >= len(at),
            )
            closest[len(at) + len(rings) :] = closest[len(at) + len(rings) :, ::-1]
            both = np.concatenate([at, rings, swapped])
            gaps[both], self._closest[both] = distance, closest
        elif len(at):
            query = tuple(c[number[at]] for c in self.q)
            gaps[at], self._closest[at] = segment_closest(query, *self.segments(at))
        self._arithmetic = arithmetic
        rest = np.flatnonzero(~arithmetic)
        if len(rest):
            query, others = self.queries(rest), self.candidates(rest)
            distance = shapely.distance(query, others)
            gaps[rest] = distance
            both = (
                (new_kind[rest] == PieceKind.POLYGON)
                & (rows.kind[rest] == PieceKind.POLYGON)
                & (distance == 0.0)
            )
            if both.any():
                # Overlapping by less than the tolerance is touching: edges shared by two
                # polygons may be drawn centimetres apart after cutting.
                shrunk = self._shrunk_queries(rest[both])
                interiors[rest[both]] = shapely.relate_pattern(
                    query[both], others[both], "T********"
                ) & shapely.intersects(shrunk, others[both])
        radii = new.radius[number] + rows.radius
        close = (gaps > 0.0) & (gaps - radii < minima + PLANE_ERROR * gaps + PLANE_SLACK_M)
        # Every conflict is among these (a gap of 0, or close): their closest points give
        # the geodesic gaps and where the conflicts are.
        near = np.flatnonzero(close | (gaps == 0.0))
        self._near = near
        self._middles = np.empty((0, 2), dtype=np.float64)
        if len(near):
            coords = self._closest_lines(near)
            n = len(near)
            lon0, lat0 = self.lon0[near], self.lat0[near]
            ends = np.concatenate([coords[:, 0], coords[:, 1], coords.mean(axis=1)])
            lon, lat = unproject(ends[:, 0], ends[:, 1], np.tile(lon0, 3), np.tile(lat0, 3))
            self._middles = np.column_stack([lon[2 * n :], lat[2 * n :]])
            again = close[near]
            if again.any():
                _, _, distance = WGS84.inv(
                    lon[:n][again], lat[:n][again], lon[n : 2 * n][again], lat[n : 2 * n][again]
                )
                gaps[near[again]] = distance
        return gaps - radii, interiors

    def _closest_lines(self, at: NDArray[np.int64]) -> NDArray[np.float64]:
        """Ends of the shortest line between the cores of each pair at `at` (n × 2 × 2):
        from the arithmetic for a new capsule against a capsule or a polygon, from
        shapely for the others."""
        coords = self._closest[at]
        other = ~self._arithmetic[at]
        if other.any():
            chosen = at[other]
            lines = shapely.shortest_line(self.queries(chosen), self.candidates(chosen))
            coords[other] = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        return coords

    def closest_points(self, at: NDArray[np.int64]) -> NDArray[np.float64]:
        """`PlaneView.closest_points` of the pairs at `at` (n × 2 lon/lat), which must be
        among those `horizontal_gaps` found near (where every conflict is)."""
        found = np.minimum(np.searchsorted(self._near, at), max(len(self._near) - 1, 0))
        assert np.array_equal(self._near[found], at), "a conflict outside the near pairs"
        return self._middles[found]


def _transform(
    shapes: NDArray[np.object_], lon0: NDArray[np.float64], lat0: NDArray[np.float64]
) -> NDArray[np.object_]:
    """Lon/lat geometries into metres, each in the plane centred on its own (lon0, lat0)."""
    counts = shapely.get_num_coordinates(shapes)
    lon0, lat0 = np.repeat(lon0, counts), np.repeat(lat0, counts)

    def forward(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = project(coords[:, 0], coords[:, 1], lon0, lat0)
        return np.column_stack([x, y])

    return shapely.transform(shapes, forward)


@dataclass(frozen=True, slots=True)
class Hits:
    """The conflicting (new piece, candidate) pairs of a check, with their gaps and the
    middle of each closest approach."""

    number: NDArray[np.int64]
    rows: Rows
    minima: MinimaColumns
    horizontal: NDArray[np.float64]
    vertical: NDArray[np.float64]
    time: NDArray[np.float64]
    where: NDArray[np.float64]


def measure(new: NewPieces, number: NDArray[np.int64], rows: Rows, minima: MinimaColumns) -> Hits:
    """Which (new piece, candidate) pairs conflict, all decided together.

    Time and altitude are decided first and exactly, with arithmetic over all pairs;
    only the pairs left are measured horizontally, each in the plane of its new piece.
    """
    time = np.maximum(new.start[number], rows.start) - np.minimum(new.end[number], rows.end)
    vertical = (
        np.maximum(new.lower[number], rows.lower)
        - np.minimum(new.upper[number], rows.upper)
        - MARGINS[new.reference[number], rows.reference]
    )
    maybe = np.flatnonzero(minima.applies & (time < minima.time) & (vertical < minima.vertical))
    number, rows, minima = number[maybe], rows.take(maybe), minima.take(maybe)
    time, vertical = time[maybe], vertical[maybe]
    if not len(maybe):
        return Hits(number, rows, minima, time, vertical, time, np.empty((0, 2)))
    planes = PairPlanes(new, number, rows)
    horizontal, interiors = planes.horizontal_gaps(minima.horizontal)
    hits = np.flatnonzero(conflicting((horizontal, vertical, time), interiors, minima))
    return Hits(
        number[hits],
        rows.take(hits),
        minima.take(hits),
        horizontal[hits],
        vertical[hits],
        time[hits],
        planes.closest_points(hits),
    )
