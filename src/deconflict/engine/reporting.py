"""From the conflicting pairs of a check to its report: encounters grouped per declaration.

Everything that can be is done once over all hits, in arrays: the shared time of each
encounter, one sort that groups encounters by declaration in time order, one `tolist`
per column. What is left per encounter and per conflict is making the tuple itself.
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.engine.conflict import Conflict, Encounter, Report
from deconflict.engine.exact import Hits, NewPieces
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.separation import ZERO

_new_tuple = tuple.__new__
"""`tuple.__new__(Encounter, values)`: a named tuple made without its Python `__new__`."""


KIND_CODE = {Kind.OPERATION: 0, Kind.ZONE: 1, Kind.LINE: 2}
KINDS = np.array(list(KIND_CODE), dtype=object)
"""Each kind's code, and the kind of each code."""


class Others(NamedTuple):
    """What a report says of the stored declarations, as arrays by slot (a stored
    declaration's number), so that a report with hundreds of conflicts gathers each
    column once instead of reading hundreds of `Declaration` objects."""

    ids: NDArray[np.object_]
    party: NDArray[np.int64]
    """The party's code (the position of its name in `party_names`)."""
    kind: NDArray[np.int64]
    """The kind's code (`KIND_CODE`)."""
    priority: NDArray[np.int64]
    party_names: NDArray[np.object_]
    minima: NDArray[np.object_]
    """The `Minima` between the new declaration's party and each party code."""


def build_report(
    declaration: Declaration,
    new: NewPieces,
    hits: Hits,
    others: Others,
    areas: list[shapely.Geometry] | None = None,
) -> Report:
    """The report of `declaration` from its `hits`; `areas`, if given, one per hit."""
    if not len(hits.number):
        return Report(declaration.id, declaration.party, ())
    rows = hits.rows
    overlap_start = np.maximum(new.start[hits.number], rows.start)
    overlap_end = np.minimum(new.end[hits.number], rows.end)
    overlapping = hits.time < 0
    # Encounters grouped by declaration, each group in time order (then volumes): one
    # sort of all hits rather than one per conflict.
    starts = np.where(overlapping, overlap_start, overlap_end)
    ends = np.where(overlapping, overlap_end, overlap_start)
    volumes = np.stack([new.volume[hits.number], rows.volume])
    order = np.lexsort((volumes[1], volumes[0], starts, rows.owner))
    owner = rows.owner[order]
    gaps = (hits.horizontal, hits.vertical, hits.time)
    floats = np.stack([*gaps, starts, ends, hits.where[:, 0], hits.where[:, 1]])[:, order]
    encounters = list(
        map(
            _new_tuple,
            repeat(Encounter),
            zip(
                *volumes[:, order].tolist(),
                *floats.tolist(),
                [areas[k] for k in order.tolist()] if areas is not None else [None] * len(order),
                strict=True,
            ),
        )
    )
    first = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
    bounds = [*first.tolist(), len(owner)]
    slots = owner[first]
    ids = others.ids[slots].tolist()
    # Conflicts in the order of their first encounter's start, then the other's id.
    ranked = sorted(zip(floats[3, first].tolist(), ids, range(len(ids)), strict=True))
    chosen = [rank for _, _, rank in ranked]
    slots = slots[chosen]
    party, kind = others.party[slots], others.kind[slots]
    if declaration.kind is Kind.OPERATION:  # zones and lines: bare overlap
        minima = np.where(kind == KIND_CODE[Kind.OPERATION], others.minima[party], ZERO)
    else:
        minima = np.full(len(slots), ZERO, dtype=object)
    conflicts = tuple(
        map(
            _new_tuple,
            repeat(Conflict),
            zip(
                repeat(declaration.id),
                [ids[k] for k in chosen],
                others.party_names[party].tolist(),
                KINDS[kind].tolist(),
                others.priority[slots].tolist(),
                minima.tolist(),
                [tuple(encounters[bounds[k] : bounds[k + 1]]) for k in chosen],
                strict=False,  # the declaration's id repeats
            ),
        )
    )
    return Report(declaration.id, declaration.party, conflicts)
