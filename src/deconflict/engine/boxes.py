"""4D boxes (lon, lat, altitude, time) of pieces: what an index stores and what it is asked.

One definition for every index: the engine's in-memory R*-tree and the database's
(SQLite R*Tree, PostGIS GiST) store `index_boxes` and are probed with `probe_boxes`, so a
pair the exact check would call a conflict always meets in any of them.
Order: lon_min, lat_min, alt_min, t_min, lon_max, lat_max, alt_max, t_max.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.compile import compile_pieces
from deconflict.geo.altitude import margin_matrix
from deconflict.geo.declaration import Declaration
from deconflict.geo.pieces import Piece, degree_margins
from deconflict.geo.separation import Minima

MAX_REFERENCE_MARGIN_M = max(max(row) for row in margin_matrix())
"""Largest vertical margin between altitude references: every probe widens by it."""


def piece_box(piece: Piece) -> tuple[float, ...]:
    """The box a piece occupies."""
    lon_min, lat_min, lon_max, lat_max = piece.bbox
    return (lon_min, lat_min, piece.lower, piece.start, lon_max, lat_max, piece.upper, piece.end)


def index_boxes(pieces: Sequence[Piece]) -> NDArray[np.float64]:
    """Boxes to store for these pieces (n × 8)."""
    return np.array([piece_box(p) for p in pieces], dtype=np.float64).reshape(-1, 8)


def probe_boxes(
    pieces: Sequence[Piece],
    widest: Minima,
    *,
    time_slack: tuple[float, float] = (0.0, 0.0),
    altitude_slack: tuple[float, float] = (0.0, 0.0),
    horizontal_slack: float = 0.0,
) -> NDArray[np.float64]:
    """Boxes to ask an index with: each piece grown by the widest minima its party has
    with anyone (and the largest altitude-reference margin), plus any slack a suggestion
    search needs (how far it may move the piece earlier/later, down/up, sideways)."""
    boxes = np.empty((len(pieces), 8), dtype=np.float64)
    vertical = widest.vertical + MAX_REFERENCE_MARGIN_M + 1.0
    reach = (widest.horizontal + horizontal_slack) * 1.001 + 1.0
    for i, piece in enumerate(pieces):
        lon_min, lat_min, lon_max, lat_max = piece.bbox
        dlon, dlat = degree_margins(reach, max(abs(lat_min), abs(lat_max)))
        boxes[i] = (
            lon_min - dlon,
            lat_min - dlat,
            piece.lower - vertical - altitude_slack[0],
            piece.start - widest.time - time_slack[0],
            lon_max + dlon,
            lat_max + dlat,
            piece.upper + vertical + altitude_slack[1],
            piece.end + widest.time + time_slack[1],
        )
    return boxes


def declaration_index_boxes(declaration: Declaration) -> NDArray[np.float64]:
    """`index_boxes` of all the declaration's pieces."""
    return index_boxes(compile_pieces(declaration))
