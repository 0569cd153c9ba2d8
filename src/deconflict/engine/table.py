"""Stored pieces as rows of numpy arrays, so one check reads them vectorised.

Why not a list of `Piece` objects: a check gathers a few dozen candidates out of a
million; fancy-indexing arrays is a few microseconds, attribute access per object is
not. Rows are appended and tombstoned (never moved), so row numbers double as index ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.boxes import piece_box
from deconflict.engine.compile import PieceColumns
from deconflict.geo.altitude import REFERENCE_CODES
from deconflict.geo.pieces import Piece, PieceKind

_FLOAT_COLUMNS = ("ax", "ay", "bx", "by", "radius", "lower", "upper", "start", "end")
_INT_COLUMNS = ("owner", "volume", "kind", "reference")
_FLOAT = {name: i for i, name in enumerate(_FLOAT_COLUMNS)}


@dataclass(frozen=True, slots=True)
class Rows:
    """A gathered subset of the table (candidates of one check).

    Each candidate's numbers are one row of `ints` (owner, volume, kind, reference) and
    one of `floats` (ax, ay, bx, by, radius, lower, upper, start, end): gathering and
    subsetting are then three fancy-indexing operations, and each candidate's numbers
    come from two or three cache lines rather than one per column.
    """

    rows: NDArray[np.int64]
    ints: NDArray[np.int64]
    floats: NDArray[np.float64]
    polygons: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> Rows:
        """The subset selected by a boolean mask or positions."""
        return Rows(self.rows[mask], self.ints[mask], self.floats[mask], self.polygons[mask])

    @property
    def owner(self) -> NDArray[np.int64]:
        return self.ints[:, 0]

    @property
    def volume(self) -> NDArray[np.int64]:
        return self.ints[:, 1]

    @property
    def kind(self) -> NDArray[np.int64]:
        return self.ints[:, 2]

    @property
    def reference(self) -> NDArray[np.int64]:
        return self.ints[:, 3]

    @property
    def ax(self) -> NDArray[np.float64]:
        return self.floats[:, 0]

    @property
    def ay(self) -> NDArray[np.float64]:
        return self.floats[:, 1]

    @property
    def bx(self) -> NDArray[np.float64]:
        return self.floats[:, 2]

    @property
    def by(self) -> NDArray[np.float64]:
        return self.floats[:, 3]

    @property
    def radius(self) -> NDArray[np.float64]:
        return self.floats[:, 4]

    @property
    def lower(self) -> NDArray[np.float64]:
        return self.floats[:, 5]

    @property
    def upper(self) -> NDArray[np.float64]:
        return self.floats[:, 6]

    @property
    def start(self) -> NDArray[np.float64]:
        return self.floats[:, 7]

    @property
    def end(self) -> NDArray[np.float64]:
        return self.floats[:, 8]


class PieceTable:
    """Append-only rows of piece data; `owner` is the declaration's slot number."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = 0
        self._ints = np.zeros((capacity, len(_INT_COLUMNS)), dtype=np.int64)
        self._floats = np.zeros((capacity, len(_FLOAT_COLUMNS)), dtype=np.float64)
        self._alive = np.zeros(capacity, dtype=bool)
        self._polygons = np.empty(capacity, dtype=object)
        self.bounds = np.zeros((capacity, 8), dtype=np.float64)
        """Index boxes: lon_min, lat_min, lower, start, lon_max, lat_max, upper, end."""

    def __len__(self) -> int:
        return self._size

    def _grow(self, needed: int) -> None:
        capacity = len(self.bounds)
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity)
        for name in ("_ints", "_floats", "_alive", "_polygons", "bounds"):
            column = getattr(self, name)
            grown = np.zeros((new_capacity, *column.shape[1:]), dtype=column.dtype)
            if column.dtype == object:
                grown = np.empty(new_capacity, dtype=object)
            grown[: self._size] = column[: self._size]
            setattr(self, name, grown)

    def append(self, owner: int, pieces: list[Piece]) -> NDArray[np.int64]:
        """Store the pieces of one declaration; returns their row numbers."""
        first = self._size
        self._grow(first + len(pieces))
        references = {ref: code for code, ref in enumerate(REFERENCE_CODES)}
        for offset, piece in enumerate(pieces):
            row = first + offset
            self._floats[row] = (
                *piece.segment,
                piece.radius,
                piece.lower,
                piece.upper,
                piece.start,
                piece.end,
            )
            self._ints[row] = (owner, piece.volume, int(piece.kind), references[piece.reference])
            self._alive[row] = True
            self._polygons[row] = piece.polygon if piece.kind is PieceKind.POLYGON else None
            self.bounds[row] = piece_box(piece)
        self._size = first + len(pieces)
        return np.arange(first, self._size, dtype=np.int64)

    def extend(self, owner: NDArray[np.int64], pieces: PieceColumns) -> NDArray[np.int64]:
        """Store the pieces of many declarations at once (`owner`: the slot of each
        piece); returns their row numbers, in order."""
        first, end = self._size, self._size + len(pieces)
        self._grow(end)
        for name, column in _FLOAT.items():
            self._floats[first:end, column] = getattr(pieces, name)
        self._ints[first:end, 0] = owner
        for column, name in enumerate(_INT_COLUMNS[1:], start=1):
            self._ints[first:end, column] = getattr(pieces, name)
        self._alive[first:end] = True
        self._polygons[first:end] = pieces.polygons
        self.bounds[first:end] = pieces.bounds
        self._size = end
        return np.arange(first, end, dtype=np.int64)

    def kill(self, rows: NDArray[np.int64]) -> None:
        """Tombstone rows (their declaration was removed)."""
        self._alive[rows] = False
        self._polygons[rows] = None

    def alive(self, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of `rows` still belong to a stored declaration."""
        return self._alive[rows]

    def gather(self, rows: NDArray[np.int64]) -> Rows:
        """The data of the given rows, dropping tombstoned ones."""
        rows = rows[self._alive[rows]]
        return Rows(rows, self._ints[rows], self._floats[rows], self._polygons[rows])

    def all_rows(self) -> NDArray[np.int64]:
        """Every live row: what a brute-force check walks."""
        return np.flatnonzero(self._alive[: self._size]).astype(np.int64)
