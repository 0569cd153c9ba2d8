"""One new piece against its candidates, measured in the plane centred on the piece.

The same measurement as `exact.measure`, piece by piece: what suggestions (which ask
each piece with its own slack), the GeoJSON conflict areas and the tests use. A check
of a whole declaration goes through `exact`, which measures all pairs at once.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.engine.gaps import (
    PLANE_ERROR,
    PLANE_SLACK_M,
    TOUCH_TOLERANCE_M,
    segment_distances,
)
from deconflict.engine.table import Rows
from deconflict.geo.pieces import Piece, PieceKind
from deconflict.geo.projection import LocalPlane

WGS84 = Geod(ellps="WGS84")


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
