"""Suggestions: the smallest change that takes a declaration out of every conflict.

Delay and altitude are solved exactly, not searched: every stored piece that would
conflict *if the time (or altitude) were free* forbids an open interval of shifts, and
the answer is the smallest shift outside their union. Each answer is then re-checked
against the whole airspace, and only verified suggestions are returned. A route's
lateral offset has no such closed form (legs turn), so it is searched outwards in
steps and refined by bisection, each candidate checked in full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from deconflict.engine.compile import compile_pieces
from deconflict.engine.gaps import conflicting, time_gaps, vertical_gaps
from deconflict.engine.plane_view import PlaneView
from deconflict.geo.altitude import REFERENCE_CODES, reference_margin
from deconflict.geo.declaration import Declaration
from deconflict.geo.errors import InputError
from deconflict.geo.units import format_time
from deconflict.geo.volume import MAX_ALTITUDE_M, MIN_ALTITUDE_M

if TYPE_CHECKING:
    from deconflict.engine.airspace import Airspace, Probe
    from deconflict.engine.conflict import Report

MAX_DELAY_S = 24 * 3600.0
MAX_OFFSET_M = 50_000.0
OFFSET_STEP_M = 1_000.0
OFFSET_PRECISION_M = 50.0
_FULL_RANGE = MAX_ALTITUDE_M - MIN_ALTITUDE_M


class SuggestionKind(StrEnum):
    DELAY = "delay"
    ALTITUDE = "altitude"
    OFFSET = "offset"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A verified change: `amount` is seconds later, metres up, or metres right of track."""

    kind: SuggestionKind
    amount: float
    description: str
    declaration: Declaration

    def as_dict(self) -> dict[str, Any]:
        unit = "s" if self.kind is SuggestionKind.DELAY else "m"
        return {
            "kind": str(self.kind),
            "amount": self.amount,
            "unit": unit,
            "text": self.description,
        }


def smallest_free_shift(intervals: list[tuple[float, float]], limit: float) -> float | None:
    """The smallest whole shift ≥ 0 inside no open interval (a, b), or None beyond `limit`.

    Whole units (seconds, metres) because people read them, and because rounding up keeps
    a shift that lands exactly on an interval's end on the clear side of it.
    """
    shift = 0.0
    for low, high in sorted(intervals):
        if low >= shift:
            break
        if shift < high:
            shift = float(math.ceil(high))
    return shift if shift <= limit else None


def _gaps_ignoring(probe: Probe, axis: str) -> tuple[np.ndarray, Any]:
    """Positions of candidates that conflict when `axis` (time|vertical) is left free."""
    piece, rows, minima = probe.piece, probe.rows, probe.minima
    free = np.full(len(rows), -np.inf)
    time = free if axis == "time" else time_gaps(piece, rows)
    vertical = free if axis == "vertical" else vertical_gaps(piece, rows)
    maybe = minima.applies & (time < minima.time) & (vertical < minima.vertical)
    positions = np.flatnonzero(maybe)
    view = PlaneView(piece, rows)
    horizontal, interiors = view.horizontal_gaps(positions, minima.horizontal[positions])
    hit = conflicting(
        (horizontal, vertical[positions], time[positions]), interiors, minima.take(maybe)
    )
    return positions[hit], rows


def _verified(airspace: Airspace, changed: Declaration) -> bool:
    return airspace.check(changed).clear


def _delay(airspace: Airspace, declaration: Declaration) -> Suggestion | None:
    pieces = compile_pieces(declaration)
    intervals = []
    for probe in airspace.probe(declaration, pieces, time_slack=(0.0, MAX_DELAY_S)):
        positions, rows = _gaps_ignoring(probe, "time")
        t = probe.minima.time[positions]
        piece = probe.piece
        intervals += zip(
            (rows.start[positions] - piece.end - t).tolist(),
            (rows.end[positions] + t - piece.start).tolist(),
            strict=True,
        )
    shift = smallest_free_shift(intervals, MAX_DELAY_S)
    if shift is None or shift == 0.0:
        return None
    changed = declaration.shifted(seconds=shift)
    if not _verified(airspace, changed):
        return None
    minutes, seconds = divmod(int(shift), 60)
    start = changed.route.waypoints[0].time if changed.route is not None else changed.start
    text = f"delay by {minutes} min {seconds:02d} s (start {format_time(start)})"
    return Suggestion(SuggestionKind.DELAY, shift, text, changed)


def _vertical_blocks(airspace: Airspace, declaration: Declaration) -> list[tuple[float, float]]:
    """Open intervals of upward shifts (metres) at which `declaration`'s bands, as they are
    now, would conflict: (low, high) means shifting by any s with low < s < high does."""
    blocks: list[tuple[float, float]] = []
    pieces = compile_pieces(declaration)
    for probe in airspace.probe(declaration, pieces, altitude_slack=(_FULL_RANGE, _FULL_RANGE)):
        positions, rows = _gaps_ignoring(probe, "vertical")
        piece = probe.piece
        margin = np.array(
            [
                reference_margin(piece.reference, REFERENCE_CODES[c])
                for c in rows.reference[positions]
            ]
        )
        v = probe.minima.vertical[positions]
        low = rows.lower[positions] - piece.upper - v - margin
        high = rows.upper[positions] - piece.lower + v + margin
        blocks += zip(low.tolist(), high.tolist(), strict=True)
    return blocks


def _free_shift(
    airspace: Airspace, declaration: Declaration, sign: float, limit: float
) -> tuple[float, Declaration] | None:
    """The smallest shift in direction `sign` that clears every band, with the shifted
    declaration, or None within `limit`.

    The blocks are solved for the bands as they are; a route's leg band clamped at the
    floor or ceiling widens when shifted away from it (its waypoints move, not the clamped
    band), so the answer is re-solved from the shifted declaration until it stands. Each
    step is the least shift the current bands allow, and the real bands are never
    narrower than those, so no smaller clear shift is skipped.
    """
    total, current = 0.0, declaration
    for _ in range(8):
        up = _vertical_blocks(airspace, current)
        blocks = up if sign > 0 else [(-high, -low) for low, high in up]
        step = smallest_free_shift(blocks, limit - total)
        if step is None:
            return None
        if step == 0.0:
            return (total, current) if total > 0.0 else None
        total += step
        try:
            current = declaration.shifted(metres=sign * total)
        except InputError:
            return None  # the free band is above the ceiling or below the floor
    return None


def _altitude(airspace: Airspace, declaration: Declaration) -> Suggestion | None:
    # Never suggest going below the ground: a band already low may stay, none goes lower.
    lowest = min(v.band.lower for v in declaration.volumes)
    floor = min(lowest, 0.0)
    options = []
    for sign in (1.0, -1.0):
        limit = _FULL_RANGE if sign > 0 else lowest - floor
        found = _free_shift(airspace, declaration, sign, limit)
        if found is not None:
            options.append((found[0], sign, found[1]))
    for shift, sign, changed in sorted(options, key=lambda o: o[0]):
        if _verified(airspace, changed):
            band = changed.volumes[0].band
            text = (
                f"{'climb' if sign > 0 else 'descend'} {shift:.0f} m "
                f"(band {band.lower:.0f}–{band.upper:.0f} m {band.reference})"
            )
            return Suggestion(SuggestionKind.ALTITUDE, sign * shift, text, changed)
    return None


def _offset(airspace: Airspace, declaration: Declaration) -> Suggestion | None:
    def clear_at(metres: float) -> Declaration | None:
        try:
            changed = declaration.offset(metres)
        except InputError:
            return None
        return changed if _verified(airspace, changed) else None

    steps = int(MAX_OFFSET_M / OFFSET_STEP_M)
    for k in range(1, steps + 1):
        for sign in (1.0, -1.0):
            found = clear_at(sign * k * OFFSET_STEP_M)
            if found is None:
                continue
            # Refine between the last blocked step and this clear one.
            blocked, clear = (k - 1) * OFFSET_STEP_M, k * OFFSET_STEP_M
            while clear - blocked > OFFSET_PRECISION_M:
                middle = (blocked + clear) / 2
                candidate = clear_at(sign * middle)
                if candidate is None:
                    blocked = middle
                else:
                    clear, found = middle, candidate
            side = "right" if sign > 0 else "left"
            text = f"offset {clear / 1000:.2f} km {side} of track"
            return Suggestion(SuggestionKind.OFFSET, sign * clear, text, found)
    return None


def suggest(airspace: Airspace, declaration: Declaration, report: Report) -> Report:
    """`report` with the verified delay, altitude and (routes) offset suggestions added."""
    suggestions = [_delay(airspace, declaration), _altitude(airspace, declaration)]
    if declaration.route is not None:
        suggestions.append(_offset(airspace, declaration))
    return replace(report, suggestions=tuple(s for s in suggestions if s is not None))
