"""The ``deconflict`` member of a FeatureCollection: the minima agreed per party pair.

Schema in ``docs/geojson.md``: ``minima.default`` and ``minima.pairs`` (each naming two
``parties``) give ``horizontal``, ``vertical`` and ``time_buffer`` with units;
``self_checking`` lists parties whose own operations are checked against each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deconflict.geo.errors import InputError
from deconflict.geo.separation import Minima, SeparationPolicy
from deconflict.geo.units import parse_duration, parse_length

_MINIMA_KEYS = frozenset({"horizontal", "vertical", "time_buffer", "parties"})


def _read_minima(value: Any, where: str) -> Minima:
    if not isinstance(value, Mapping):
        raise InputError("must be an object", field=where)
    unknown = sorted(set(map(str, value)) - _MINIMA_KEYS)
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r} (known: horizontal, vertical, time_buffer)", field=where
        )
    parsed = {}
    for key, parse in (
        ("horizontal", parse_length),
        ("vertical", parse_length),
        ("time_buffer", parse_duration),
    ):
        try:
            parsed[key] = parse(value.get(key, 0))
        except InputError as error:
            raise InputError(error.message, field=f"{where}.{key}") from None
    try:
        return Minima(parsed["horizontal"], parsed["vertical"], parsed["time_buffer"])
    except InputError as error:
        raise InputError(error.message, field=f"{where}.{error.field}") from None


def read_policy(member: Any) -> SeparationPolicy:
    """The ``deconflict`` foreign member of a FeatureCollection: minima per party pair."""
    if member is None:
        return SeparationPolicy()
    if not isinstance(member, Mapping):
        raise InputError("must be an object", field="deconflict")
    minima = member.get("minima", {})
    if not isinstance(minima, Mapping):
        raise InputError("must be an object", field="deconflict.minima")
    default_value = minima.get("default", {})
    if isinstance(default_value, Mapping) and "parties" in default_value:
        raise InputError("the default applies to all parties", field="deconflict.minima.default")
    default = _read_minima(default_value, "deconflict.minima.default")
    pairs: dict[frozenset[str], Minima] = {}
    listed = minima.get("pairs", [])
    if not isinstance(listed, list):
        raise InputError("must be a list", field="deconflict.minima.pairs")
    for i, pair in enumerate(listed):
        where = f"deconflict.minima.pairs[{i}]"
        parties = pair.get("parties") if isinstance(pair, Mapping) else None
        if (
            not isinstance(parties, list)
            or len(parties) != 2
            or not all(isinstance(p, str) and p for p in parties)
        ):
            raise InputError("needs 'parties': a list of two party names", field=where)
        pairs[frozenset(parties)] = _read_minima(pair, where)
    self_checking = member.get("self_checking", [])
    if not isinstance(self_checking, list) or not all(isinstance(p, str) for p in self_checking):
        raise InputError("must be a list of party names", field="deconflict.self_checking")
    return SeparationPolicy(default, pairs, frozenset(self_checking))
