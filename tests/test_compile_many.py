"""The bulk compiler (`compile_many`, used to build large airspaces) cuts every declaration
into exactly the pieces the one-by-one compiler (`compile_pieces`) does.

Both paths exist for speed; the one-by-one one is the reference. The mix covers what the
bulk path treats specially (small circles, corridors, small polygons) and what it hands
back to `pieces_of` (large circles, polygons that must be cut, holes, high latitudes).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely

from deconflict.engine.compile import SMALL_BATCH, PieceColumns, _columns_one_by_one, compile_many
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.outline import PolygonOutline
from deconflict.geo.volume import Volume
from engine_helpers import T0, band, circle, line, moved, polygon, ring_around, route, window


def _mix(seed: int, count: int) -> list[Declaration]:
    rng = random.Random(seed)
    made: list[Declaration] = []
    for n in range(count):
        lat = rng.choice([rng.uniform(-60.0, 60.0), rng.uniform(70.0, 76.0)])
        center = (rng.uniform(-120.0, 120.0), lat)
        start = T0 + rng.uniform(0.0, 86_400.0)
        time = window(start, start + rng.uniform(60.0, 20_000.0))
        altitude = band(rng.uniform(-400.0, 5_000.0), rng.uniform(5_100.0, 12_000.0))
        kind = n % 6
        ident, party = f"d{n}", f"p{n % 3}"
        if kind == 0:
            radius = rng.choice([rng.uniform(10.0, 5_000.0), rng.uniform(60_000.0, 900_000.0)])
            made.append(circle(ident, party, center, radius, time=time, altitude=altitude))
        elif kind == 1:
            size = rng.choice([rng.uniform(500.0, 20_000.0), rng.uniform(80_000.0, 600_000.0)])
            ring = ring_around(center, [size * rng.uniform(0.5, 1.0) for _ in range(7)])
            made.append(polygon(ident, party, ring, time=time, altitude=altitude))
        elif kind == 2:
            outer = ring_around(center, [40_000.0] * 8)
            hole = ring_around(center, [8_000.0] * 5)
            outline = PolygonOutline(tuple(outer), holes=(tuple(reversed(hole)),))
            volume = Volume(outline, altitude, time)
            made.append(Declaration(ident, party, Kind.ZONE, (volume,), 0))
        elif kind == 3:
            path = [center]
            for _ in range(rng.randint(1, 4)):
                path.append(moved(path[-1], rng.uniform(0.0, 360.0), rng.uniform(1e3, 150e3)))
            made.append(line(ident, party, path, rng.uniform(50.0, 20_000.0), time=time))
        else:
            points = [(*center, rng.uniform(0.0, 9_000.0), start)]
            for _ in range(rng.randint(1, 6)):
                lon, lat_ = moved(points[-1][:2], rng.uniform(0.0, 360.0), rng.uniform(2e3, 120e3))
                points.append((lon, lat_, rng.uniform(0.0, 9_000.0), points[-1][3] + 600.0))
            made.append(route(ident, party, points, half_width=rng.uniform(100.0, 9_000.0)))
    return made


def _same(bulk: PieceColumns, reference: PieceColumns) -> None:
    assert len(bulk) == len(reference)
    for name in ("owner", "volume", "kind", "reference"):
        np.testing.assert_array_equal(getattr(bulk, name), getattr(reference, name), name)
    for name in ("ax", "ay", "bx", "by", "radius", "lower", "upper", "start", "end"):
        np.testing.assert_allclose(
            getattr(bulk, name), getattr(reference, name), rtol=1e-12, atol=1e-9, err_msg=name
        )
    np.testing.assert_allclose(bulk.bounds, reference.bounds, rtol=0.0, atol=1e-9)
    for mine, theirs in zip(bulk.polygons, reference.polygons, strict=True):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            assert shapely.equals_exact(mine, theirs, tolerance=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_compile_cuts_as_one_by_one(seed: int) -> None:
    declarations = _mix(seed, 4 * SMALL_BATCH + 7)
    _same(compile_many(declarations), _columns_one_by_one(declarations))
