"""The exact check: gaps between one piece of a new declaration and its candidates.

All three gaps are signed: negative means the two overlap on that axis, zero means
they touch. A pair conflicts when every gap is below its minimum; with a zero minimum,
touching is therefore clear ("touching is not overlapping"). Polygons touching along an
edge measure a horizontal gap of 0 whether or not their interiors overlap, so for that
one case (zero horizontal minimum, two polygons) the interiors are tested directly.

Horizontal distances are measured in the `LocalPlane` centred on the new piece; see
`geo.projection` for why that is within 0.03 % of the geodesic, and `geo.pieces` for why
every deciding measurement stays inside the plane's trusted radius.
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
from deconflict.geo.projection import MAX_RELATIVE_ERROR, LocalPlane, project

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

    def take(self, mask: NDArray[np.bool_]) -> MinimaColumns:
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


def screen(
    pieces: list[Piece], number: NDArray[np.int64], rows: Rows, minima: MinimaColumns
) -> NDArray[np.bool_]:
    """Which (piece, candidate) pairs may conflict, for all pieces of a declaration at once.

    Time and altitude are decided exactly here; so is the horizontal gap between two
    capsules (most pairs), measured in each piece's own plane with a margin of the
    plane's error, so that only pairs that are, or are close to, a conflict go on to the
    per-piece exact check. Pairs with a polygon always go on.
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    start = np.array([p.start for p in pieces])[number]
    end = np.array([p.end for p in pieces])[number]
    lower = np.array([p.lower for p in pieces])[number]
    upper = np.array([p.upper for p in pieces])[number]
    reference = np.array([_REFERENCE_CODE[p.reference] for p in pieces])[number]
    time = np.maximum(start, rows.start) - np.minimum(end, rows.end)
    vertical = (
        np.maximum(lower, rows.lower)
        - np.minimum(upper, rows.upper)
        - _MARGINS[reference, rows.reference]
    )
    maybe = minima.applies & (time < minima.time) & (vertical < minima.vertical)
    kinds = np.array([p.kind for p in pieces])[number]
    capsules = maybe & (kinds == PieceKind.CAPSULE) & (rows.kind == PieceKind.CAPSULE)
    if capsules.any():
        at = np.flatnonzero(capsules)
        which = number[at]
        centre = np.array([p.center for p in pieces])[which]
        segment = np.array([p.segment for p in pieces])[which]
        radius = np.array([p.radius for p in pieces])[which]
        lon0, lat0 = centre[:, 0], centre[:, 1]
        qax, qay = project(segment[:, 0], segment[:, 1], lon0, lat0)
        qbx, qby = project(segment[:, 2], segment[:, 3], lon0, lat0)
        ax, ay = project(rows.ax[at], rows.ay[at], lon0, lat0)
        bx, by = project(rows.bx[at], rows.by[at], lon0, lat0)
        distance = segment_distances((qax, qay, qbx, qby), ax, ay, bx, by)
        clear = distance - radius - rows.radius[at] >= (
            minima.horizontal[at] + PLANE_ERROR * distance + PLANE_SLACK_M
        )
        maybe[at[clear]] = False
    return maybe
