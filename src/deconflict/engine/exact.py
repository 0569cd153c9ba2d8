"""The exact check: gaps between one piece of a new declaration and its candidates.

All three gaps are signed: negative means the two overlap on that axis, zero means
they touch. A pair conflicts when every gap is below its minimum; with a zero minimum,
touching is therefore clear ("touching is not overlapping"). Polygons touching along an
edge measure a horizontal gap of 0 whether or not their interiors overlap, so for that
one case (zero horizontal minimum, two polygons) the interiors are tested directly.

Horizontal distances are measured in the `LocalPlane` centred on the new piece; see
`geo.projection` for why that is within 0.03 % of the geodesic, and `geo.pieces` for why
every deciding measurement stays inside the plane's trusted radius.

`measure` decides all (new piece, candidate) pairs of a check together (`PairPlanes`);
`PlaneView` is the same measurement for one piece, which suggestions and tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.engine.table import Rows
from deconflict.geo.altitude import REFERENCE_CODES, margin_matrix
from deconflict.geo.pieces import Piece, PieceKind
from deconflict.geo.projection import (
    MAX_RELATIVE_ERROR,
    WGS84_A,
    WGS84_E2,
    LocalPlane,
    project,
)

WGS84 = Geod(ellps="WGS84")
_MARGINS = np.asarray(margin_matrix(), dtype=np.float64)
PLANE_ERROR = 1.5 * MAX_RELATIVE_ERROR
"""Relative error of core distances measured in the plane, with room to spare."""
PLANE_SLACK_M = 2.0
TOUCH_TOLERANCE_M = 0.5
"""Polygons overlapping by less than this (in depth) touch rather than overlap: shared
edges are densified along geodesics and cut into pieces, which can leave centimetres
between two drawings of the same edge."""
_REFERENCE_CODE = {ref: code for code, ref in enumerate(REFERENCE_CODES)}


@dataclass(frozen=True, slots=True)
class MinimaColumns:
    """Per-candidate minima (the party pair decides them) and whether the pair is checked."""

    horizontal: NDArray[np.float64]
    vertical: NDArray[np.float64]
    time: NDArray[np.float64]
    applies: NDArray[np.bool_]

    def take(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> MinimaColumns:
        """The subset selected by a boolean mask or positions."""
        return MinimaColumns(
            self.horizontal[mask], self.vertical[mask], self.time[mask], self.applies[mask]
        )


def time_gaps(piece: Piece, rows: Rows, shift: float = 0.0) -> NDArray[np.float64]:
    """Seconds between the windows; negative is the length of their overlap."""
    return np.maximum(piece.start + shift, rows.start) - np.minimum(piece.end + shift, rows.end)


def vertical_gaps(piece: Piece, rows: Rows, shift: float = 0.0) -> NDArray[np.float64]:
    """Metres between the bands, less the margin for comparing different references."""
    margin = _MARGINS[_REFERENCE_CODE[piece.reference], rows.reference]
    return (
        np.maximum(piece.lower + shift, rows.lower)
        - np.minimum(piece.upper + shift, rows.upper)
        - margin
    )


def _point_segment(
    px: NDArray, py: NDArray, ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> NDArray[np.float64]:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.where(
        length2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1), 0
    )
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(ax + t * dx - px, ay + t * dy - py)


def _cross(ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray, px: NDArray, py: NDArray) -> NDArray:
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


def segment_distances(
    q: tuple[Any, Any, Any, Any], ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> NDArray[np.float64]:
    """Planar distance from segment `q` to each segment (a, b); 0 where they cross.

    Written out because shapely would need a geometry per candidate, which costs more
    than the arithmetic.
    """
    qax, qay, qbx, qby = q
    distance = np.minimum(
        np.minimum(
            _point_segment(qax, qay, ax, ay, bx, by), _point_segment(qbx, qby, ax, ay, bx, by)
        ),
        np.minimum(
            _point_segment(ax, ay, qax, qay, qbx, qby), _point_segment(bx, by, qax, qay, qbx, qby)
        ),
    )
    d1, d2 = _cross(qax, qay, qbx, qby, ax, ay), _cross(qax, qay, qbx, qby, bx, by)
    d3, d4 = _cross(ax, ay, bx, by, qax, qay), _cross(ax, ay, bx, by, qbx, qby)
    crossing = (d1 * d2 < 0) & (d3 * d4 < 0)
    return np.where(crossing, 0.0, distance)


class PlaneView:
    """One new piece and its candidates, projected into the plane centred on the piece."""

    def __init__(self, piece: Piece, rows: Rows) -> None:
        self.piece = piece
        self.rows = rows
        self.plane = LocalPlane(*piece.center)
        ax, ay = self.plane.forward(rows.ax, rows.ay)
        bx, by = self.plane.forward(rows.bx, rows.by)
        self.segments = (ax, ay, bx, by)
        if piece.kind is PieceKind.CAPSULE:
            (qax, qbx), (qay, qby) = self.plane.forward(
                [piece.segment[0], piece.segment[2]], [piece.segment[1], piece.segment[3]]
            )
            self.query_segment = (float(qax), float(qay), float(qbx), float(qby))

    def _project(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self.plane.forward(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def query_geometry(self) -> shapely.Geometry:
        """The new piece's core in the plane."""
        if self.piece.kind is PieceKind.POLYGON:
            return shapely.transform(self.piece.polygon, self._project)
        qax, qay, qbx, qby = self.query_segment
        return shapely.LineString([(qax, qay), (qbx, qby)])

    def candidate_geometries(self, positions: NDArray[np.int64]) -> NDArray[np.object_]:
        """Candidate cores in the plane (polygons transformed, capsules as lines)."""
        out = np.empty(len(positions), dtype=object)
        kinds = self.rows.kind[positions]
        polygon = kinds == PieceKind.POLYGON
        if polygon.any():
            out[polygon] = shapely.transform(self.rows.polygons[positions[polygon]], self._project)
        if (~polygon).any():
            ax, ay, bx, by = (c[positions[~polygon]] for c in self.segments)
            coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
            out[~polygon] = shapely.linestrings(coords)
        return out

    def horizontal_gaps(
        self, positions: NDArray[np.int64], minima: NDArray[np.float64]
    ) -> tuple[NDArray, NDArray]:
        """Signed horizontal gaps to the candidates at `positions`, and whether each pair
        of polygons has overlapping interiors (meaningful only where the gap is 0).

        Gaps measured in the plane are within `PLANE_ERROR` of the core distance. Where
        that could decide the outcome (a gap within that error of its minimum, or below
        it), the gap is measured again on the ellipsoid between the two closest points,
        so conflicts are decided, and reported, at geodesic precision.
        """
        rows = self.rows
        gaps = np.empty(len(positions), dtype=np.float64)
        interiors = np.zeros(len(positions), dtype=bool)
        if len(positions) == 0:
            return gaps, interiors
        capsule = rows.kind[positions] == PieceKind.CAPSULE
        if self.piece.kind is PieceKind.CAPSULE and capsule.any():
            ax, ay, bx, by = (c[positions[capsule]] for c in self.segments)
            gaps[capsule] = segment_distances(self.query_segment, ax, ay, bx, by)
        rest = ~capsule if self.piece.kind is PieceKind.CAPSULE else np.ones(len(positions), bool)
        if rest.any():
            query = self.query_geometry()
            others = self.candidate_geometries(positions[rest])
            distance = shapely.distance(query, others)
            gaps[rest] = distance
            if self.piece.kind is PieceKind.POLYGON:
                both = (rows.kind[positions[rest]] == PieceKind.POLYGON) & (distance == 0.0)
                if both.any():
                    overlap = np.zeros(int(rest.sum()), dtype=bool)
                    # Overlapping by less than the tolerance is touching: edges shared by
                    # two polygons may be drawn centimetres apart after cutting.
                    shrunk = shapely.buffer(query, -TOUCH_TOLERANCE_M)
                    overlap[both] = shapely.relate_pattern(
                        query, others[both], "T********"
                    ) & shapely.intersects(shrunk, others[both])
                    interiors[rest] = overlap
        radii = self.piece.radius + rows.radius[positions]
        close = (gaps > 0.0) & (gaps - radii < minima + PLANE_ERROR * gaps + PLANE_SLACK_M)
        if close.any():
            gaps[close] = self.geodesic_distances(positions[close])
        return gaps - radii, interiors

    def geodesic_distances(self, positions: NDArray[np.int64]) -> NDArray[np.float64]:
        """Core-to-core distances on the ellipsoid, between the plane's closest points.

        The closest points found in the plane are off by at most the plane's error, and a
        distance is stationary at its minimum, so this is exact to the second order
        (millimetres), where the plane alone is exact to the first (metres at 100 km).
        """
        lines = shapely.shortest_line(self.query_geometry(), self.candidate_geometries(positions))
        coords = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        lon_a, lat_a = self.plane.inverse(coords[:, 0, 0], coords[:, 0, 1])
        lon_b, lat_b = self.plane.inverse(coords[:, 1, 0], coords[:, 1, 1])
        _, _, distance = WGS84.inv(lon_a, lat_a, lon_b, lat_b)
        return np.asarray(distance, dtype=np.float64)

    def closest_points(self, positions: NDArray[np.int64]) -> NDArray[np.float64]:
        """Lon/lat of the middle of the closest approach to each candidate (n × 2)."""
        lines = shapely.shortest_line(self.query_geometry(), self.candidate_geometries(positions))
        coords = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        middle = coords.mean(axis=1)
        lon, lat = self.plane.inverse(middle[:, 0], middle[:, 1])
        return np.column_stack([lon, lat])

    def overlap_areas(
        self, positions: NDArray[np.int64], horizontal: NDArray
    ) -> list[shapely.Geometry]:
        """Lon/lat polygons where each candidate comes within its horizontal minimum of the
        new piece: what a GIS should draw as the conflict."""
        query = self.query_geometry()
        others = self.candidate_geometries(positions)
        near = shapely.buffer(query, self.piece.radius + horizontal, quad_segs=16)
        area = shapely.intersection(
            near, shapely.buffer(others, self.rows.radius[positions], quad_segs=16)
        )
        empty = shapely.is_empty(area) | (shapely.area(area) <= 0.0)
        if empty.any():
            lines = shapely.shortest_line(query, others[empty])
            area[empty] = shapely.buffer(lines, 1.0)

        def back(coords: NDArray[np.float64]) -> NDArray[np.float64]:
            lon, lat = self.plane.inverse(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        return list(shapely.transform(area, back))


def conflicting(
    gaps: tuple[NDArray, NDArray, NDArray], interiors: NDArray, minima: MinimaColumns
) -> NDArray[np.bool_]:
    """Which pairs conflict: below every minimum at once (strictly: touching is clear)."""
    horizontal, vertical, time = gaps
    close = (horizontal < minima.horizontal) | (
        (minima.horizontal == 0.0) & (horizontal == 0.0) & interiors
    )
    return minima.applies & close & (vertical < minima.vertical) & (time < minima.time)


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
    small = c < 1e-12
    safe_c = np.where(small, 1.0, c)
    sin_c, cos_c = np.sin(c), np.cos(c)
    sin_phi = cos_c * sin_phi0 + np.where(small, 0.0, v * sin_c * cos_phi0 / safe_c)
    phi = np.arcsin(np.clip(sin_phi, -1.0, 1.0))
    dlon = np.arctan2(u * sin_c, c * cos_phi0 * cos_c - v * sin_phi0 * sin_c)
    dlon = np.where(small, 0.0, dlon)
    lon = (lon0 + np.degrees(dlon) + 180.0) % 360.0 - 180.0
    return lon, np.degrees(phi)


@dataclass(frozen=True, slots=True)
class NewPieces:
    """The new declaration's pieces as columns, so that all pairs are measured at once.

    `qax…qby` is each capsule's core in its own plane (the plane centred on the piece),
    where every distance to that piece is measured.
    """

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
    qax: NDArray[np.float64]
    qay: NDArray[np.float64]
    qbx: NDArray[np.float64]
    qby: NDArray[np.float64]

    @classmethod
    def of(cls, pieces: list[Piece]) -> NewPieces:
        """Columns of `pieces`, in their order."""
        ints = np.array(
            [(p.kind, _REFERENCE_CODE[p.reference], p.volume) for p in pieces], dtype=np.int64
        ).reshape(-1, 3)
        floats = np.array(
            [(p.start, p.end, p.lower, p.upper, p.radius, *p.center, *p.segment) for p in pieces],
            dtype=np.float64,
        ).reshape(-1, 11)
        lon0, lat0 = floats[:, 5], floats[:, 6]
        n = len(pieces)
        x, y = project(
            np.concatenate([floats[:, 7], floats[:, 9]]),
            np.concatenate([floats[:, 8], floats[:, 10]]),
            np.concatenate([lon0, lon0]),
            np.concatenate([lat0, lat0]),
        )
        qax, qay, qbx, qby = x[:n], y[:n], x[n:], y[n:]
        return cls(
            pieces,
            ints[:, 0],
            ints[:, 1],
            ints[:, 2],
            *(floats[:, i] for i in range(7)),
            qax,
            qay,
            qbx,
            qby,
        )


class PairPlanes:
    """(new piece, candidate) pairs, each measured in the plane of its new piece.

    The same measurement as `PlaneView`, for the pieces of a whole declaration at once:
    a route of a dozen pieces costs a few array operations, not a dozen rounds of them.
    """

    def __init__(self, new: NewPieces, number: NDArray[np.int64], rows: Rows) -> None:
        self.new, self.number, self.rows = new, number, rows
        self.lon0, self.lat0 = new.lon0[number], new.lat0[number]
        n = len(number)
        # Both ends of every candidate core in one call: a call costs more than its points.
        x, y = project(
            np.concatenate([rows.ax, rows.bx]),
            np.concatenate([rows.ay, rows.by]),
            np.concatenate([self.lon0, self.lon0]),
            np.concatenate([self.lat0, self.lat0]),
        )
        self._segments = (x[:n], y[:n], x[n:], y[n:])
        self._queries: NDArray[np.object_] | None = None
        self._shrunk: dict[int, shapely.Geometry] = {}
        self._geometries = np.empty(n, dtype=object)
        self._built = np.zeros(n, dtype=bool)
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
                capsule = ~polygon
                coords = np.stack(
                    [
                        np.column_stack([new.qax[capsule], new.qay[capsule]]),
                        np.column_stack([new.qbx[capsule], new.qby[capsule]]),
                    ],
                    axis=1,
                )
                out[capsule] = shapely.linestrings(coords)
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
                ax, ay, bx, by = self.segments(chosen)
                coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
                self._geometries[chosen] = shapely.linestrings(coords)
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
        both_capsules = (new_kind == PieceKind.CAPSULE) & (rows.kind == PieceKind.CAPSULE)
        at = np.flatnonzero(both_capsules)
        if len(at):
            q = number[at]
            query = (new.qax[q], new.qay[q], new.qbx[q], new.qby[q])
            gaps[at] = segment_distances(query, *self.segments(at))
        rest = np.flatnonzero(~both_capsules)
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
        # Every conflict is among these (a gap of 0, or close): their shortest lines are
        # drawn once, for the geodesic gaps and for where the conflicts are.
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
        """Ends of the shortest line between the cores of each pair at `at` (n × 2 × 2)."""
        lines = shapely.shortest_line(self.queries(at), self.candidates(at))
        return shapely.get_coordinates(lines).reshape(-1, 2, 2)

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
        - _MARGINS[new.reference[number], rows.reference]
    )
    maybe = np.flatnonzero(minima.applies & (time < minima.time) & (vertical < minima.vertical))
    number, rows, minima = number[maybe], rows.take(maybe), minima.take(maybe)
    time, vertical = time[maybe], vertical[maybe]
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
