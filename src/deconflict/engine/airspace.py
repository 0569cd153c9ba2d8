"""The stored airspace: declarations behind a 4D index, checked one new one at a time.

A check is two steps. The index returns every stored piece whose box, widened by the
largest minima the new declaration's party has with anyone, touches a piece of the new
one; the exact check (`exact`) then measures the three gaps against the minima of
that particular pair. The widening is what makes the index safe: a pair the exact check
would call a conflict always has intersecting boxes (tested against brute force).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.engine.boxes import probe_boxes
from deconflict.engine.compile import compile_pieces
from deconflict.engine.conflict import Conflict, Encounter, Report
from deconflict.engine.exact import (
    MinimaColumns,
    PlaneView,
    conflicting,
    screen,
    time_gaps,
    vertical_gaps,
)
from deconflict.engine.grid_index import SpaceTimeIndex
from deconflict.engine.table import PieceTable, Rows
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.pieces import Piece
from deconflict.geo.separation import Minima, SeparationPolicy

_KIND_CODE = {Kind.OPERATION: 0, Kind.ZONE: 1, Kind.LINE: 2}
BULK_LOAD_THRESHOLD = 10_000
"""Adding this many pieces to an empty or small index repacks it instead of inserting."""


@dataclass(frozen=True, slots=True)
class Probe:
    """One piece of the new declaration with the stored pieces that may meet it."""

    number: int
    piece: Piece
    rows: Rows
    minima: MinimaColumns


class Airspace:
    """Declarations of all parties, indexed; `check` finds a new one's conflicts."""

    def __init__(self, policy: SeparationPolicy | None = None) -> None:
        self.policy = policy or SeparationPolicy()
        self._table = PieceTable()
        self._index = SpaceTimeIndex()
        self._declarations: list[Declaration | None] = []
        self._rows: list[NDArray[np.int64]] = []
        self._slot_of: dict[str, int] = {}
        self._party_code: dict[str, int] = {}
        self._slot_party = np.zeros(0, dtype=np.int64)
        self._slot_kind = np.zeros(0, dtype=np.int64)
        self._matrices: tuple[NDArray, NDArray, NDArray, NDArray] | None = None

    # --- contents ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, declaration_id: object) -> bool:
        return declaration_id in self._slot_of

    def __iter__(self) -> Iterator[Declaration]:
        for slot in self._slot_of.values():
            declaration = self._declarations[slot]
            assert declaration is not None
            yield declaration

    def get(self, declaration_id: str) -> Declaration | None:
        slot = self._slot_of.get(declaration_id)
        return None if slot is None else self._declarations[slot]

    def _party(self, party: str) -> int:
        code = self._party_code.get(party)
        if code is None:
            code = self._party_code[party] = len(self._party_code)
            self._matrices = None
        return code

    def _new_slot(self, declaration: Declaration) -> int:
        slot = len(self._declarations)
        self._declarations.append(declaration)
        self._slot_of[declaration.id] = slot
        if slot >= len(self._slot_party):
            size = max(1024, 2 * len(self._slot_party))
            self._slot_party = np.resize(self._slot_party, size)
            self._slot_kind = np.resize(self._slot_kind, size)
        self._slot_party[slot] = self._party(declaration.party)
        self._slot_kind[slot] = _KIND_CODE[declaration.kind]
        return slot

    def add(self, declaration: Declaration) -> None:
        """Store one declaration (replacing any with the same id), updating the index."""
        self.add_many([declaration])

    def add_many(self, declarations: Iterable[Declaration]) -> None:
        """Store many declarations; on a small index the index is repacked in bulk."""
        new_rows = []
        for declaration in declarations:
            if declaration.id in self._slot_of:
                self.remove(declaration.id)
            slot = self._new_slot(declaration)
            rows = self._table.append(slot, compile_pieces(declaration))
            self._rows.append(rows)
            new_rows.append(rows)
        if not new_rows:
            return
        rows = np.concatenate(new_rows)
        if len(rows) >= max(BULK_LOAD_THRESHOLD, len(self._index)):
            live = self._table.all_rows()
            self._index.bulk_load(live, self._table.bounds[live])
        else:
            self._index.insert(rows, self._table.bounds[rows])

    def remove(self, declaration_id: str) -> Declaration:
        """Take a declaration out of the airspace and the index."""
        slot = self._slot_of.pop(declaration_id)
        declaration = self._declarations[slot]
        assert declaration is not None
        rows = self._rows[slot]
        self._index.delete(rows, self._table.bounds[rows])
        self._table.kill(rows)
        self._declarations[slot] = None
        return declaration

    # --- checking ---------------------------------------------------------------------

    def _minima_matrices(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        if self._matrices is None:
            parties = list(self._party_code)
            n = len(parties)
            h, v, t = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
            applies = np.zeros((n, n), dtype=bool)
            for i, a in enumerate(parties):
                for j, b in enumerate(parties):
                    minima = self.policy.between(a, b)
                    if minima is not None:
                        h[i, j], v[i, j], t[i, j] = minima.horizontal, minima.vertical, minima.time
                        applies[i, j] = True
            self._matrices = (h, v, t, applies)
        return self._matrices

    def _minima_columns(self, declaration: Declaration, rows: Rows) -> MinimaColumns:
        h, v, t, applies = self._minima_matrices()
        own = self._party_code[declaration.party]
        parties = self._slot_party[rows.owner]
        kinds = self._slot_kind[rows.owner]
        # Zones and lines are keep-out outlines of their own: bare overlap, other parties only.
        area = (kinds != 0) | (declaration.kind is not Kind.OPERATION)
        both_areas = (kinds != 0) & (declaration.kind is not Kind.OPERATION)
        return MinimaColumns(
            np.where(area, 0.0, h[own, parties]),
            np.where(area, 0.0, v[own, parties]),
            np.where(area, 0.0, t[own, parties]),
            np.where(area, (parties != own) & ~both_areas, applies[own, parties]),
        )

    def _widest(self, declaration: Declaration) -> Minima:
        return self.policy.widest_for(declaration.party, self._party_code)

    def _candidates(
        self,
        declaration: Declaration,
        pieces: list[Piece],
        *,
        time_slack: tuple[float, float] = (0.0, 0.0),
        altitude_slack: tuple[float, float] = (0.0, 0.0),
        use_index: bool = True,
    ) -> tuple[NDArray[np.int64], Rows, MinimaColumns]:
        """All (piece, candidate) pairs at once: piece numbers, candidate rows, minima."""
        self._party(declaration.party)
        boxes = probe_boxes(
            pieces,
            self._widest(declaration),
            time_slack=time_slack,
            altitude_slack=altitude_slack,
        )
        if use_index:
            candidates = self._index.query_each(boxes)
        else:  # the brute-force reference: every stored piece is a candidate
            candidates = [self._table.all_rows() for _ in pieces]
        counts = [len(c) for c in candidates]
        ids = np.concatenate(candidates) if candidates else np.empty(0, np.int64)
        number = np.repeat(np.arange(len(pieces), dtype=np.int64), counts)
        keep = self._table.alive(ids)
        own = self._slot_of.get(declaration.id, -1)
        rows = self._table.gather(ids[keep])
        number = number[keep]
        if own >= 0:
            mine = rows.owner != own
            rows, number = rows.take(mine), number[mine]
        return number, rows, self._minima_columns(declaration, rows)

    def probe(
        self,
        declaration: Declaration,
        pieces: list[Piece],
        *,
        time_slack: tuple[float, float] = (0.0, 0.0),
        altitude_slack: tuple[float, float] = (0.0, 0.0),
        use_index: bool = True,
    ) -> list[Probe]:
        """Candidates for each piece, from index boxes widened by the widest minima and by
        the given slack (how far a suggestion may move the piece earlier/later, down/up)."""
        number, rows, minima = self._candidates(
            declaration,
            pieces,
            time_slack=time_slack,
            altitude_slack=altitude_slack,
            use_index=use_index,
        )
        return _split(pieces, number, rows, minima)

    def check(
        self, declaration: Declaration, *, with_areas: bool = False, use_index: bool = True
    ) -> Report:
        """Every conflict of `declaration` with the stored declarations of other parties.

        A stored declaration with the same id is ignored: an update is checked against
        everything but the version it replaces. `use_index=False` measures every stored
        piece instead of the index's candidates: the brute-force reference that tests
        and benchmarks compare with.
        """
        pieces = compile_pieces(declaration)
        number, rows, minima = self._candidates(declaration, pieces, use_index=use_index)
        maybe = screen(pieces, number, rows, minima)
        probes = _split(pieces, number[maybe], rows.take(maybe), minima.take(maybe))
        found: dict[int, list[Encounter]] = {}
        for probe in probes:
            if len(probe.rows) == 0:
                continue
            for owner, encounter in self._encounters(probe, with_areas):
                found.setdefault(owner, []).append(encounter)
        conflicts = []
        for slot, encounters in found.items():
            other = self._declarations[slot]
            assert other is not None
            minima = self.policy.between(declaration.party, other.party) or Minima()
            if other.kind is not Kind.OPERATION or declaration.kind is not Kind.OPERATION:
                minima = Minima()
            conflicts.append(
                Conflict(
                    declaration.id,
                    other.id,
                    other.party,
                    other.kind,
                    other.priority,
                    minima,
                    tuple(sorted(encounters, key=lambda e: (e.start, e.volume, e.other_volume))),
                )
            )
        conflicts.sort(key=lambda c: (c.first.start, c.other))
        return Report(declaration.id, declaration.party, tuple(conflicts))

    def _encounters(self, probe: Probe, with_areas: bool) -> Iterator[tuple[int, Encounter]]:
        piece, rows, minima = probe.piece, probe.rows, probe.minima
        time = time_gaps(piece, rows)
        vertical = vertical_gaps(piece, rows)
        maybe = minima.applies & (time < minima.time) & (vertical < minima.vertical)
        if not maybe.any():
            return
        rows, minima, time, vertical = (
            rows.take(maybe),
            minima.take(maybe),
            time[maybe],
            vertical[maybe],
        )
        view = PlaneView(piece, rows)
        positions = np.arange(len(rows), dtype=np.int64)
        horizontal, interiors = view.horizontal_gaps(positions, minima.horizontal)
        hits = np.flatnonzero(conflicting((horizontal, vertical, time), interiors, minima))
        if len(hits) == 0:
            return
        where = view.closest_points(hits)
        areas = view.overlap_areas(hits, minima.horizontal[hits]) if with_areas else None
        for n, k in enumerate(hits):
            overlap_start = max(piece.start, rows.start[k])
            overlap_end = min(piece.end, rows.end[k])
            start, end = (
                (overlap_start, overlap_end) if time[k] < 0 else (overlap_end, overlap_start)
            )
            yield (
                int(rows.owner[k]),
                Encounter(
                    piece.volume,
                    int(rows.volume[k]),
                    float(horizontal[k]),
                    float(vertical[k]),
                    float(time[k]),
                    float(start),
                    float(end),
                    float(where[n, 0]),
                    float(where[n, 1]),
                    areas[n] if areas is not None else None,
                ),
            )


def _split(
    pieces: list[Piece], number: NDArray[np.int64], rows: Rows, minima: MinimaColumns
) -> list[Probe]:
    """Per-piece probes from flat (piece number, candidate) pairs."""
    order = np.argsort(number, kind="stable")
    bounds = np.searchsorted(number[order], np.arange(len(pieces) + 1))
    probes = []
    for i, piece in enumerate(pieces):
        chosen = order[bounds[i] : bounds[i + 1]]
        probes.append(Probe(i, piece, rows.take(chosen), minima.take(chosen)))
    return probes


def check(
    declaration: Declaration,
    stored: Iterable[Declaration],
    policy: SeparationPolicy | None = None,
    *,
    suggest: bool = True,
) -> Report:
    """Check one declaration against others, with suggestions: the library entry point."""
    from deconflict.engine.resolution import suggest as make_suggestions

    airspace = Airspace(policy)
    airspace.add_many(d for d in stored if d.id != declaration.id)
    report = airspace.check(declaration)
    if suggest and report.conflicts:
        report = make_suggestions(airspace, declaration, report)
    return report
