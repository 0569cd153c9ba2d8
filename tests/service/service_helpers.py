"""GeoJSON builders and small checks shared by the service tests (plain functions)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from pyproj import Geod

PROBLEM = "application/problem+json"
HOUR = 3600.0
CENTRE = (36.0, 34.0)
"""Where the tests fly: open country, far from the poles and the antimeridian."""
GEOD = Geod(ellps="WGS84")


def moved(origin: tuple[float, float], azimuth: float, metres: float) -> tuple[float, float]:
    """The point `metres` from `origin` along the geodesic leaving at `azimuth` degrees."""
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, metres)
    return round(float(lon), 7), round(float(lat), 7)


def unique(prefix: str) -> str:
    """An id no other test uses (the hub keeps ids globally unique)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def iso(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def later(hours: float) -> str:
    """An instant `hours` from now (whole seconds)."""
    return iso(round(time.time() + hours * HOUR))


def circle_feature(
    ident: str,
    party: str,
    lon: float = CENTRE[0],
    lat: float = CENTRE[1],
    *,
    radius: Any = "2 km",
    kind: str = "operation",
    lower: Any = 0,
    upper: Any = 1000,
    start: str | None = None,
    end: str | None = None,
    priority: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "party": party,
        "kind": kind,
        "radius": radius,
        "altitude_lower": lower,
        "altitude_upper": upper,
        "start": start or later(2),
        "end": end or later(3),
        **extra,
    }
    if priority is not None:
        properties["priority"] = priority
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def box_ring(lon: float, lat: float, half: float) -> list[list[float]]:
    """A closed counter-clockwise square ring of half-side `half` degrees."""
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def polygon_feature(
    ident: str,
    party: str,
    ring: list[list[float]],
    *,
    kind: str = "zone",
    lower: Any = 0,
    upper: Any = 5000,
    start: str | None = None,
    end: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "party": party,
            "kind": kind,
            "altitude_lower": lower,
            "altitude_upper": upper,
            "start": start or later(0.5),
            "end": end or later(48),
            **extra,
        },
    }


def route_feature(
    ident: str,
    party: str,
    positions: list[list[float]],
    times: list[str],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "LineString", "coordinates": positions},
        "properties": {
            "party": party,
            "kind": "operation",
            "times": times,
            "half_width": "1 km",
            "vertical_half_width": "100 m",
            **extra,
        },
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def op(ident: str, party: str, **kwargs: Any) -> dict[str, Any]:
    """A request body: one circular operation (2 km radius, 0–1000 m, in 2 h for 1 h)."""
    return collection(circle_feature(ident, party, **kwargs))


def assert_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with `status`; its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers
    body = answer.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, body
    assert body["status"] == status
    return body


def make_party(admin: httpx.Client, ident: str, **fields: Any) -> dict[str, Any]:
    answer = admin.put(f"/v1/parties/{ident}", json={"name": ident.title(), **fields})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def make_agreement(admin: httpx.Client, a: str, b: str, **fields: Any) -> dict[str, Any]:
    answer = admin.put("/v1/agreements", json={"parties": [a, b], **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()
