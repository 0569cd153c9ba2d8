"""Conformance: aircraft outside their operation, or inside another party's zone or line.

Declarations are compiled to pieces once (`engine.compile`, the same pieces the strategic
check measures), and each cycle every attributed aircraft is measured against them:

- **non-conformance**: an aircraft attributed to an operation is outside every one of
  the operation's volumes, by more than the tolerance, in time, position or altitude.
  The deviation names the first axis that fails (time, then position, then altitude),
  so "late" is not reported as "off course".
- **incursion**: an aircraft of one party is inside a zone, or within the buffer of a
  deconfliction line, that another party declared, while it is in force.

Horizontal distances are measured in the piece's `LocalPlane` (within 0.035 % of the
geodesic inside 200 km, `geo.projection`); pieces reach at most 100 km from their centre.
Altitudes in different references (barometric reports against WGS84 volumes) are
compared with `geo.altitude`'s margin, in the direction that avoids false alerts for
non-conformance (the aircraft must be outside by more than tolerance + margin) and
avoids missed ones for incursions (a zone is grown by the margin).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.engine.compile import compile_pieces
from deconflict.engine.gaps import segment_distances
from deconflict.engine.tactical.motion import positions_at
from deconflict.engine.tactical.state import TrackStates
from deconflict.geo.altitude import REFERENCE_CODES, margin_matrix
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.pieces import Piece, PieceKind
from deconflict.geo.projection import LocalPlane, project

_MARGINS = np.asarray(margin_matrix(), dtype=np.float64)
_CODE = {ref: code for code, ref in enumerate(REFERENCE_CODES)}


class DeviationKind(StrEnum):
    NON_CONFORMANCE = "non_conformance"
    INCURSION = "incursion"


class Axis(StrEnum):
    """Which part of the 4D volume a non-conforming aircraft is outside of."""

    TIME = "time"
    POSITION = "position"
    ALTITUDE = "altitude"


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far outside its operation an aircraft may be before it is non-conforming."""

    horizontal: float = 200.0
    """Metres."""
    vertical: float = 60.0
    """Metres (about 200 ft: altimetry and reporting resolution)."""
    time: float = 60.0
    """Seconds early or late."""


@dataclass(frozen=True, slots=True)
class Deviation:
    """One aircraft outside its operation, or inside another party's area, at one cycle."""

    kind: DeviationKind
    aircraft: str
    party: str
    declaration: str
    """The operation left (non-conformance), or the zone or line entered (incursion)."""
    owner: str
    """The party that declared it."""
    axis: Axis | None
    """For non-conformance, what is outside; None for incursions."""
    excess: float
    """How far outside, beyond the tolerance: metres, or seconds for time; 0 for incursions."""
    lon: float
    lat: float
    alt: float


@dataclass(frozen=True, slots=True)
class _Compiled:
    declaration: Declaration
    pieces: tuple[Piece, ...]
    planar: tuple[shapely.Geometry | None, ...]
    """Polygon cores drawn in each piece's own plane (None for capsules)."""


def _compile(declaration: Declaration) -> _Compiled:
    pieces = tuple(compile_pieces(declaration))
    planar = []
    for piece in pieces:
        if piece.kind is PieceKind.POLYGON and piece.polygon is not None:
            plane = LocalPlane(*piece.center)

            def forward(coords: NDArray[np.float64], plane: LocalPlane = plane) -> NDArray:
                x, y = plane.forward(coords[:, 0], coords[:, 1])
                return np.column_stack([x, y])

            planar.append(shapely.transform(piece.polygon, forward))
        else:
            planar.append(None)
    return _Compiled(declaration, pieces, tuple(planar))


def _outside(
    piece: Piece, planar: shapely.Geometry | None, lon: NDArray, lat: NDArray
) -> NDArray[np.float64]:
    """Metres from each point to the piece's outline (0 or less when inside)."""
    x, y = project(lon, lat, piece.center[0], piece.center[1])
    if planar is not None:
        distance = shapely.distance(planar, shapely.points(x, y))
        return np.asarray(distance, dtype=np.float64)
    ax, ay, bx, by = piece.segment
    (qax, qbx), (qay, qby) = project([ax, bx], [ay, by], piece.center[0], piece.center[1])
    core = segment_distances((qax, qay, qbx, qby), x, y, x, y)
    return core - piece.radius


class ConformanceMonitor:
    """Operations, zones and lines in force, checked against live tracks each cycle."""

    def __init__(
        self, declarations: Iterable[Declaration] = (), tolerance: Tolerance | None = None
    ) -> None:
        self.tolerance = tolerance or Tolerance()
        self._operations: dict[str, _Compiled] = {}
        self._areas: dict[str, _Compiled] = {}
        for declaration in declarations:
            self.add(declaration)

    def add(self, declaration: Declaration) -> None:
        """Watch a declaration (replacing any with the same id)."""
        self.remove(declaration.id)
        target = self._operations if declaration.kind is Kind.OPERATION else self._areas
        target[declaration.id] = _compile(declaration)

    def remove(self, declaration_id: str) -> None:
        self._operations.pop(declaration_id, None)
        self._areas.pop(declaration_id, None)

    def check(self, states: TrackStates) -> list[Deviation]:
        """Every deviation at `states.now`, ordered by aircraft then declaration."""
        if len(states) == 0:
            return []
        everyone = np.arange(len(states), dtype=np.int64)
        lon, lat, alt = positions_at(states, states.now, everyone)
        found = self._non_conformance(states, lon, lat, alt)
        found += self._incursions(states, lon, lat, alt)
        found.sort(key=lambda d: (d.aircraft, d.kind, d.declaration))
        return found

    def _non_conformance(
        self, states: TrackStates, lon: NDArray, lat: NDArray, alt: NDArray
    ) -> list[Deviation]:
        tol = self.tolerance
        now = states.now
        found: list[Deviation] = []
        operations = states.operation
        for operation_id in sorted({o for o in operations.tolist() if o}):
            compiled = self._operations.get(operation_id)
            if compiled is None:
                continue
            who = np.flatnonzero(operations == operation_id)
            best_axis = np.full(len(who), 0)  # 0 time, 1 position, 2 altitude, 3 conforming
            excess = np.full((3, len(who)), np.inf)
            for piece, planar in zip(compiled.pieces, compiled.planar, strict=True):
                late = max(piece.start - tol.time - now, now - (piece.end + tol.time), 0.0)
                if late > 0.0 or now >= piece.end + tol.time:
                    excess[0] = np.minimum(excess[0], max(late, 1e-9))
                    continue
                horizontal = _outside(piece, planar, lon[who], lat[who]) - tol.horizontal
                margin = _MARGINS[_CODE[piece.reference], states.reference[who]]
                below = piece.lower - tol.vertical - margin - alt[who]
                above = alt[who] - (piece.upper + tol.vertical + margin)
                vertical = np.maximum(below, above)
                level = np.where(horizontal > 0.0, 1, np.where(vertical > 0.0, 2, 3))
                excess[1] = np.minimum(excess[1], np.maximum(horizontal, 0.0))
                excess[2] = np.where(horizontal <= 0.0, np.minimum(excess[2], vertical), excess[2])
                best_axis = np.maximum(best_axis, level)
            for k, position in enumerate(who.tolist()):
                axis = int(best_axis[k])
                if axis == 3:
                    continue
                found.append(
                    Deviation(
                        DeviationKind.NON_CONFORMANCE,
                        str(states.aircraft[position]),
                        states.party_of(position),
                        operation_id,
                        compiled.declaration.party,
                        (Axis.TIME, Axis.POSITION, Axis.ALTITUDE)[axis],
                        float(excess[axis, k]),
                        float(lon[position]),
                        float(lat[position]),
                        float(alt[position]),
                    )
                )
        return found

    def _incursions(
        self, states: TrackStates, lon: NDArray, lat: NDArray, alt: NDArray
    ) -> list[Deviation]:
        now = states.now
        found: dict[tuple[int, str], Deviation] = {}
        for area_id, compiled in self._areas.items():
            owner = compiled.declaration.party
            others = np.array([name not in ("", owner) for name in states.parties], dtype=bool)
            for piece, planar in zip(compiled.pieces, compiled.planar, strict=True):
                if not (piece.start <= now < piece.end):
                    continue
                lon_min, lat_min, lon_max, lat_max = piece.bbox
                margin = _MARGINS[_CODE[piece.reference], states.reference]
                near = np.flatnonzero(
                    others[states.party]
                    & (lon >= lon_min)
                    & (lon <= lon_max)
                    & (lat >= lat_min)
                    & (lat <= lat_max)
                    & (alt >= piece.lower - margin)
                    & (alt <= piece.upper + margin)
                )
                if len(near) == 0:
                    continue
                inside = near[_outside(piece, planar, lon[near], lat[near]) <= 0.0]
                for position in inside.tolist():
                    found.setdefault(
                        (position, area_id),
                        Deviation(
                            DeviationKind.INCURSION,
                            str(states.aircraft[position]),
                            states.party_of(position),
                            area_id,
                            owner,
                            None,
                            0.0,
                            float(lon[position]),
                            float(lat[position]),
                            float(alt[position]),
                        ),
                    )
        return list(found.values())
