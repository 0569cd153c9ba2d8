"""From the conflicting pairs of a check to its report: encounters grouped per declaration.

Everything that can be is done once over all hits, in arrays: the shared time of each
encounter, one sort that groups encounters by declaration in time order, one `tolist`
per column. What is left per encounter and per conflict is making the tuple itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import numpy as np
import shapely

from deconflict.engine.conflict import Conflict, Encounter, Report
from deconflict.engine.exact import Hits, NewPieces
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.separation import ZERO, Minima, SeparationPolicy

_new_tuple = tuple.__new__
"""`tuple.__new__(Encounter, values)`: a named tuple made without its Python `__new__`."""


def build_report(
    declaration: Declaration,
    new: NewPieces,
    hits: Hits,
    stored: Sequence[Declaration | None],
    policy: SeparationPolicy,
    areas: list[shapely.Geometry] | None = None,
) -> Report:
    """The report of `declaration` from its `hits` (`stored[slot]` is the declaration of
    each slot); `areas`, if given, one per hit."""
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
    slots = owner[first].tolist()
    others = [stored[slot] for slot in slots]
    ids = [other.id for other in others]  # type: ignore[union-attr]
    # Conflicts in the order of their first encounter's start, then the other's id.
    ranked = sorted(zip(floats[3, first].tolist(), ids, range(len(ids)), strict=True))
    chosen = [rank for _, _, rank in ranked]
    others = [others[k] for k in chosen]
    groups = [tuple(encounters[bounds[k] : bounds[k + 1]]) for k in chosen]
    parties = [other.party for other in others]  # type: ignore[union-attr]
    kinds = [other.kind for other in others]  # type: ignore[union-attr]
    pairs: dict[str, Minima] = {}  # the minima with each other party, asked once
    operation = declaration.kind is Kind.OPERATION
    minima = []
    for party, kind in zip(parties, kinds, strict=True):
        if not operation or kind is not Kind.OPERATION:
            minima.append(ZERO)  # zones and lines: bare overlap
            continue
        pair = pairs.get(party)
        if pair is None:
            pair = pairs[party] = policy.between(declaration.party, party) or ZERO
        minima.append(pair)
    conflicts = tuple(
        map(
            _new_tuple,
            repeat(Conflict),
            zip(
                repeat(declaration.id),
                [ids[k] for k in chosen],
                parties,
                kinds,
                [other.priority for other in others],  # type: ignore[union-attr]
                minima,
                groups,
                strict=False,  # the declaration's id repeats
            ),
        )
    )
    return Report(declaration.id, declaration.party, conflicts)
