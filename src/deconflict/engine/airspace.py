"""The stored airspace: declarations behind a 4D index, checked one new one at a time.

A check is two steps. The index returns every stored piece whose box, widened by the
largest minima the new declaration's party has with anyone, touches a piece of the new
one; the exact check (`exact`) then measures the three gaps against the minima of
that particular pair. The widening is what makes the index safe: a pair the exact check
would call a conflict always has intersecting boxes (tested against brute force).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.engine.boxes import probe_boxes
from deconflict.engine.compile import compile_many, compile_pieces, gc_paused
from deconflict.engine.conflict import Report
from deconflict.engine.exact import Hits, NewPieces, measure
from deconflict.engine.gaps import MinimaColumns
from deconflict.engine.grid_index import SpaceTimeIndex
from deconflict.engine.plane_view import PlaneView
from deconflict.engine.reporting import KIND_CODE, Others, build_report
from deconflict.engine.table import PieceTable, Rows
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.pieces import Piece
from deconflict.geo.separation import ZERO, Minima, SeparationPolicy

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
        self._slot_of: dict[str, int] = {}
        self._party_code: dict[str, int] = {}
        self._slot_party = np.zeros(0, dtype=np.int64)
        self._slot_kind = np.zeros(0, dtype=np.int64)
        self._slot_first = np.zeros(0, dtype=np.int64)
        self._slot_count = np.zeros(0, dtype=np.int64)
        """Each slot's pieces are the table rows first … first + count - 1."""
        self._slot_priority = np.zeros(0, dtype=np.int64)
        self._slot_id = np.empty(0, dtype=object)
        """Ids, party and kind codes and priorities by slot: what a report gathers."""
        self._matrix: NDArray[np.float64] | None = None
        self._widest_of: dict[str, Minima] = {}
        self._minima_of: dict[str, NDArray[np.object_]] = {}
        self._party_names = np.empty(0, dtype=object)
        """Both depend on the parties known: reset when a new one comes."""

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
            self._matrix, self._widest_of, self._minima_of = None, {}, {}
            self._party_names = np.array(list(self._party_code), dtype=object)
        return code

    def add(self, declaration: Declaration) -> None:
        """Store one declaration (replacing any with the same id), updating the index."""
        self.add_many([declaration])

    def add_many(self, declarations: Iterable[Declaration]) -> None:
        """Store many declarations (each replacing any with the same id; the last of a
        repeated id wins), compiled and appended in bulk; on a small index the index is
        repacked in bulk. A declaration that fails to compile leaves nothing changed."""
        batch = list(declarations)
        if not batch:
            return
        last = {declaration.id: i for i, declaration in enumerate(batch)}
        if len(last) < len(batch):
            batch = [d for i, d in enumerate(batch) if last[d.id] == i]
        with gc_paused() if len(batch) >= BULK_LOAD_THRESHOLD else contextlib.nullcontext():
            pieces = compile_many(batch)
            for declaration in batch:
                if declaration.id in self._slot_of:
                    self.remove(declaration.id)
            slots = self._new_slots(batch)
            start = len(self._table)
            rows = self._table.extend(slots[pieces.owner], pieces)
            counts = np.bincount(pieces.owner, minlength=len(batch))
            self._slot_first[slots] = start + np.cumsum(counts) - counts
            self._slot_count[slots] = counts
            if len(rows) >= max(BULK_LOAD_THRESHOLD, len(self._index)):
                live = self._table.all_rows()
                self._index.bulk_load(live, self._table.bounds[live])
            else:
                self._index.insert(rows, self._table.bounds[rows])

    def _new_slots(self, batch: list[Declaration]) -> NDArray[np.int64]:
        """Slots for new declarations, with their party and kind codes."""
        first = len(self._declarations)
        slots = np.arange(first, first + len(batch), dtype=np.int64)
        self._declarations.extend(batch)
        self._slot_of.update(zip((d.id for d in batch), slots.tolist(), strict=True))
        if first + len(batch) > len(self._slot_party):
            size = max(1024, 2 * len(self._slot_party), first + len(batch))
            for name in (
                "_slot_party",
                "_slot_kind",
                "_slot_first",
                "_slot_count",
                "_slot_priority",
                "_slot_id",
            ):
                column = getattr(self, name)
                grown = np.zeros(size, dtype=column.dtype)
                grown[:first] = column[:first]
                setattr(self, name, grown)
        self._slot_party[slots] = [self._party(d.party) for d in batch]
        self._slot_kind[slots] = [KIND_CODE[d.kind] for d in batch]
        self._slot_priority[slots] = [d.priority for d in batch]
        self._slot_id[slots] = [d.id for d in batch]
        return slots

    def remove(self, declaration_id: str) -> Declaration:
        """Take a declaration out of the airspace and the index."""
        slot = self._slot_of.pop(declaration_id)
        declaration = self._declarations[slot]
        assert declaration is not None
        first = int(self._slot_first[slot])
        rows = np.arange(first, first + int(self._slot_count[slot]), dtype=np.int64)
        self._index.delete(rows, self._table.bounds[rows])
        self._table.kill(rows)
        self._declarations[slot] = None
        return declaration

    # --- checking ---------------------------------------------------------------------

    def _minima_matrix(self) -> NDArray[np.float64]:
        """Minima between party codes: [a, b] = (horizontal, vertical, time, applies)."""
        if self._matrix is None:
            parties = list(self._party_code)
            matrix = np.zeros((len(parties), len(parties), 4))
            for i, a in enumerate(parties):
                for j, b in enumerate(parties):
                    minima = self.policy.between(a, b)
                    if minima is not None:
                        matrix[i, j] = (minima.horizontal, minima.vertical, minima.time, 1.0)
            self._matrix = matrix
        return self._matrix

    def _minima_columns(self, declaration: Declaration, rows: Rows) -> MinimaColumns:
        own = self._party_code[declaration.party]
        parties = self._slot_party[rows.owner]
        columns = self._minima_matrix()[own, parties]  # one row per candidate
        # Zones and lines are keep-out outlines of their own: bare overlap, other parties only.
        operation = declaration.kind is Kind.OPERATION
        area = self._slot_kind[rows.owner] != 0
        if not operation:
            columns[:, :3] = 0.0
            columns[:, 3] = (parties != own) & ~area
        elif area.any():
            columns[area, :3] = 0.0
            columns[area, 3] = parties[area] != own
        return MinimaColumns(columns[:, 0], columns[:, 1], columns[:, 2], columns[:, 3] > 0.0)

    def _widest(self, declaration: Declaration) -> Minima:
        widest = self._widest_of.get(declaration.party)
        if widest is None:
            widest = self.policy.widest_for(declaration.party, self._party_code)
            self._widest_of[declaration.party] = widest
        return widest

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
            # The exact check tests time, height and distance itself: the index's
            # float32 box test suffices.
            number, ids = self._index.query_pairs(boxes, exact=False)
        else:  # the brute-force reference: every stored piece is a candidate
            every = self._table.all_rows()
            number = np.repeat(np.arange(len(pieces), dtype=np.int64), len(every))
            ids = np.tile(every, len(pieces))
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
        new = NewPieces.of(pieces)
        number, rows, minima = self._candidates(declaration, pieces, use_index=use_index)
        hits = measure(new, number, rows, minima)
        areas = self._areas(new, hits) if with_areas else None
        return build_report(declaration, new, hits, self._others(declaration), areas)

    def _others(self, declaration: Declaration) -> Others:
        """The stored declarations' columns for `declaration`'s report."""
        minima = self._minima_of.get(declaration.party)
        if minima is None:
            minima = np.empty(len(self._party_code), dtype=object)
            minima[:] = [
                self.policy.between(declaration.party, party) or ZERO for party in self._party_code
            ]
            self._minima_of[declaration.party] = minima
        return Others(
            self._slot_id,
            self._slot_party,
            self._slot_kind,
            self._slot_priority,
            self._party_names,
            minima,
        )

    def _areas(self, new: NewPieces, hits: Hits) -> list[shapely.Geometry]:
        """Where each hit comes within its minimum, drawn per new piece (GeoJSON output
        only, so measured piece by piece with `PlaneView`)."""
        areas: list[shapely.Geometry] = [None] * len(hits.number)
        for number in np.unique(hits.number).tolist():
            at = np.flatnonzero(hits.number == number)
            view = PlaneView(new.pieces[number], hits.rows.take(at))
            positions = np.arange(len(at), dtype=np.int64)
            for k, area in zip(
                at.tolist(),
                view.overlap_areas(positions, hits.minima.horizontal[at]),
                strict=True,
            ):
                areas[k] = area
        return areas


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
