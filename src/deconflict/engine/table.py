"""Stored pieces as columns of numpy arrays, so one check reads them vectorised.

Why not a list of `Piece` objects: a check gathers a few dozen candidates out of a
million; fancy-indexing columns is a few microseconds, attribute access per object is
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
_INT_COLUMNS = ("owner", "volume", "kind", "reference", "alive")


@dataclass(frozen=True, slots=True)
class Rows:
    """A gathered subset of the table (candidates of one check)."""

    rows: NDArray[np.int64]
    owner: NDArray[np.int64]
    volume: NDArray[np.int64]
    kind: NDArray[np.int64]
    reference: NDArray[np.int64]
    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    bx: NDArray[np.float64]
    by: NDArray[np.float64]
    radius: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    start: NDArray[np.float64]
    end: NDArray[np.float64]
    polygons: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> Rows:
        """The subset selected by a boolean mask or positions."""
        return Rows(*(getattr(self, name)[mask] for name in self.__slots__))


class PieceTable:
    """Append-only columns of piece data; `owner` is the declaration's slot number."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = 0
        self._columns: dict[str, NDArray] = {}
        for name in _FLOAT_COLUMNS:
            self._columns[name] = np.zeros(capacity, dtype=np.float64)
        for name in _INT_COLUMNS:
            self._columns[name] = np.zeros(capacity, dtype=np.int64)
        self._columns["polygons"] = np.empty(capacity, dtype=object)
        self.bounds = np.zeros((capacity, 8), dtype=np.float64)
        """Index boxes: lon_min, lat_min, lower, start, lon_max, lat_max, upper, end."""

    def __len__(self) -> int:
        return self._size

    def _grow(self, needed: int) -> None:
        capacity = len(self.bounds)
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity)
        for name, column in self._columns.items():
            grown = (
                np.zeros(new_capacity, dtype=column.dtype)
                if column.dtype != object
                else (np.empty(new_capacity, dtype=object))
            )
            grown[: self._size] = column[: self._size]
            self._columns[name] = grown
        bounds = np.zeros((new_capacity, 8), dtype=np.float64)
        bounds[: self._size] = self.bounds[: self._size]
        self.bounds = bounds

    def append(self, owner: int, pieces: list[Piece]) -> NDArray[np.int64]:
        """Store the pieces of one declaration; returns their row numbers."""
        first = self._size
        self._grow(first + len(pieces))
        c = self._columns
        references = {ref: code for code, ref in enumerate(REFERENCE_CODES)}
        for offset, piece in enumerate(pieces):
            row = first + offset
            c["ax"][row], c["ay"][row], c["bx"][row], c["by"][row] = piece.segment
            c["radius"][row] = piece.radius
            c["lower"][row], c["upper"][row] = piece.lower, piece.upper
            c["start"][row], c["end"][row] = piece.start, piece.end
            c["owner"][row], c["volume"][row] = owner, piece.volume
            c["kind"][row] = int(piece.kind)
            c["reference"][row] = references[piece.reference]
            c["alive"][row] = 1
            c["polygons"][row] = piece.polygon if piece.kind is PieceKind.POLYGON else None
            self.bounds[row] = piece_box(piece)
        self._size = first + len(pieces)
        return np.arange(first, self._size, dtype=np.int64)

    def extend(self, owner: NDArray[np.int64], pieces: PieceColumns) -> NDArray[np.int64]:
        """Store the pieces of many declarations at once (`owner`: the slot of each
        piece); returns their row numbers, in order."""
        first, end = self._size, self._size + len(pieces)
        self._grow(end)
        c = self._columns
        for name in _FLOAT_COLUMNS:
            c[name][first:end] = getattr(pieces, name)
        for name in ("volume", "kind", "reference"):
            c[name][first:end] = getattr(pieces, name)
        c["owner"][first:end] = owner
        c["alive"][first:end] = 1
        c["polygons"][first:end] = pieces.polygons
        self.bounds[first:end] = pieces.bounds
        self._size = end
        return np.arange(first, end, dtype=np.int64)

    def kill(self, rows: NDArray[np.int64]) -> None:
        """Tombstone rows (their declaration was removed)."""
        self._columns["alive"][rows] = 0
        self._columns["polygons"][rows] = None

    def alive(self, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of `rows` still belong to a stored declaration."""
        return self._columns["alive"][rows] == 1

    def gather(self, rows: NDArray[np.int64]) -> Rows:
        """Columns for the given rows, dropping tombstoned ones."""
        c = self._columns
        rows = rows[c["alive"][rows] == 1]
        return Rows(
            rows,
            *(c[name][rows] for name in ("owner", "volume", "kind", "reference")),
            *(c[name][rows] for name in _FLOAT_COLUMNS),
            c["polygons"][rows],
        )

    def all_rows(self) -> NDArray[np.int64]:
        """Every live row: what a brute-force check walks."""
        return np.flatnonzero(self._columns["alive"][: self._size] == 1).astype(np.int64)
