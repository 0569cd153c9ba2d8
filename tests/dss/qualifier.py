"""The InterUSS qualifier's DSS requests, rebuilt from its documented steps, for
`test_dss_qualifier_*.py`.

The qualifier (interuss/monitoring, uss_qualifier/scenarios/astm/utm/dss) is what USSs
and authorities run against a DSS before trusting it. It cannot run here (it needs its
containers), so these tests send what its scenarios send: a planning area (a small
rectangle with W84 altitudes), subscriptions built from the area's bounding rectangle,
operational intents over the area with an implicit subscription unless told otherwise,
one token per call carrying the one scope the call needs, times written as its
`StringBasedDateTime` writes them. Each scenario test asserts the statuses and fields
the scenario's checks accept, and cleans up as the scenario does.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import yaml
from definition import BESIDE, VARIABLE
from dss_helpers import SC, Dss
from implicitdict import StringBasedDateTime

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"
SUBS = "/dss/v1/subscriptions"
AVAILABILITY = "/dss/v1/uss_availability"
NULL_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"

AREA = [(37.1853, -80.614), (37.2148, -80.614), (37.2148, -80.544), (37.1853, -80.544)]
"""The planning area of the qualifier's own configurations (lat, lng): about 20 km²."""
ALTITUDES = (0.0, 3048.0)
BASE_URL = "https://uss_qualifier.test.utm/dummy_base_url"
BIG_AREA = [(38.0, -81.0), (37.0, -81.0), (37.0, -80.0), (38.0, -80.0)]
"""Its "problematically big area": a 1° square (about 9,800 km²) a DSS must refuse."""


def now() -> datetime:
    return datetime.now(UTC)


def time_of(moment: datetime) -> dict[str, str]:
    """A Time as the qualifier writes it (its own string type: 'Z' for UTC, else the
    offset of the datetime it was given)."""
    return {"value": str(StringBasedDateTime(moment)), "format": "RFC3339"}


def parse_time(value: dict[str, str]) -> datetime:
    return StringBasedDateTime(value["value"]).datetime


def volume4d(
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    vertices: list[tuple[float, float]] | None = None,
    altitudes: tuple[float, float] | None = ALTITUDES,
) -> dict[str, Any]:
    """The planning area (or `vertices`) as a Volume4D, times and altitudes if given."""
    points = [{"lat": lat, "lng": lng} for lat, lng in (vertices or AREA)]
    volume: dict[str, Any] = {"outline_polygon": {"vertices": points}}
    if altitudes is not None:
        volume["altitude_lower"] = {"value": altitudes[0], "reference": "W84", "units": "M"}
        volume["altitude_upper"] = {"value": altitudes[1], "reference": "W84", "units": "M"}
    result: dict[str, Any] = {"volume": volume}
    if start is not None:
        result["time_start"] = time_of(start)
    if end is not None:
        result["time_end"] = time_of(end)
    return result


def bounding_rect(vertices: list[tuple[float, float]], shift_lng: float = 0.0) -> list:
    """The area's bounding rectangle, from its south-west corner clockwise (the
    qualifier's subscriptions cover the planning area's rectangle, not its polygon)."""
    lats = [lat for lat, _ in vertices]
    lngs = [lng + shift_lng for _, lng in vertices]
    south, north, west, east = min(lats), max(lats), min(lngs), max(lngs)
    return [(south, west), (north, west), (north, east), (south, east)]


def subscription_body(
    start: datetime | None,
    end: datetime | None,
    *,
    for_intents: bool = True,
    for_constraints: bool = False,
    base_url: str = BASE_URL,
    shift_lng: float = 0.0,
) -> dict[str, Any]:
    return {
        "extents": volume4d(start, end, vertices=bounding_rect(AREA, shift_lng)),
        "uss_base_url": base_url,
        "notify_for_operational_intents": for_intents,
        "notify_for_constraints": for_constraints,
    }


def oir_body(
    extents: list[dict[str, Any]],
    *,
    key: list[str] | None = None,
    state: str = "Accepted",
    base_url: str = BASE_URL,
    subscription_id: str | None = None,
    implicit: bool = True,
) -> dict[str, Any]:
    """PutOperationalIntentReferenceParameters as the qualifier's DSS client sends them:
    the subscription named, else an implicit one over its base URL unless told not."""
    body: dict[str, Any] = {
        "extents": extents,
        "key": key or [],
        "state": state,
        "uss_base_url": base_url,
    }
    if subscription_id is not None:
        body["subscription_id"] = subscription_id
    elif implicit:
        body["new_subscription"] = {"uss_base_url": base_url}
    return body


def new_id() -> str:
    return str(uuid.uuid4())


def subscribers(answer: dict[str, Any]) -> set[str]:
    """The subscription ids a change says to notify (its SubscriberToNotify list)."""
    return {s["subscription_id"] for entry in answer["subscribers"] for s in entry["subscriptions"]}


@dataclass
class Qualifier:
    """The qualifier acting as one USS (`sub`) on a DSS: one token per scope, as its
    auth adapter issues them, and the calls of its DSS client."""

    dss: Dss
    sub: str = "uss_qualifier"
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def as_(self, scope: str) -> httpx.Client:
        if scope not in self.clients:
            self.clients[scope] = self.dss.uss(self.sub, (scope,))
        return self.clients[scope]

    def put_oir(
        self, ident: str, body: dict[str, Any], ovn: str | None = None, scope: str = SC
    ) -> httpx.Response:
        path = f"{OIR}/{ident}" if ovn is None else f"{OIR}/{ident}/{ovn}"
        return self.as_(scope).put(path, json=body)

    def delete_oir(self, ident: str, ovn: str, scope: str = SC) -> httpx.Response:
        return self.as_(scope).delete(f"{OIR}/{ident}/{ovn}")

    def get_oir(self, ident: str, scope: str = SC) -> httpx.Response:
        return self.as_(scope).get(f"{OIR}/{ident}")

    def find_oirs(self, area: dict[str, Any], scope: str = SC) -> httpx.Response:
        return self.as_(scope).post(f"{OIR}/query", json={"area_of_interest": area})

    def put_sub(
        self, ident: str, body: dict[str, Any], version: str | None = None, scope: str = SC
    ) -> httpx.Response:
        path = f"{SUBS}/{ident}" if version is None else f"{SUBS}/{ident}/{version}"
        return self.as_(scope).put(path, json=body)

    def get_sub(self, ident: str, scope: str = SC) -> httpx.Response:
        return self.as_(scope).get(f"{SUBS}/{ident}")

    def delete_sub(self, ident: str, version: str, scope: str = SC) -> httpx.Response:
        return self.as_(scope).delete(f"{SUBS}/{ident}/{version}")

    def find_subs(self, area: dict[str, Any], scope: str = SC) -> httpx.Response:
        return self.as_(scope).post(f"{SUBS}/query", json={"area_of_interest": area})

    # --- the scenarios' clean-workspace fragments (test_step_fragments) -----------------

    def clean_oirs(self, area: dict[str, Any], ids: Sequence[str] = ()) -> None:
        """Delete the intents this USS manages in the area, and those of `ids`."""
        found = self.find_oirs(area)
        assert found.status_code == 200, found.text  # "can be searched for"
        for reference in found.json()["operational_intent_references"]:
            if reference["manager"] == self.sub:
                removed = self.delete_oir(reference["id"], reference["ovn"])
                assert removed.status_code == 200, removed.text  # "reference removed"
        for ident in ids:
            got = self.get_oir(ident)
            assert got.status_code in (200, 404), got.text  # "can be queried by ID"
            if got.status_code == 200:
                ovn = got.json()["operational_intent_reference"]["ovn"]
                assert self.delete_oir(ident, ovn).status_code == 200

    def clean_subs(self, area: dict[str, Any], ids: Sequence[str] = ()) -> None:
        """Delete this USS's subscriptions in the area, and those of `ids`."""
        found = self.find_subs(area)
        assert found.status_code == 200, found.text  # "Successful subscription search"
        for ident in [s["id"] for s in found.json()["subscriptions"]] + list(ids):
            got = self.get_sub(ident)
            assert got.status_code in (200, 404), got.text  # "can be queried by ID"
            if got.status_code == 200:
                version = got.json()["subscription"]["version"]
                deleted = self.delete_sub(ident, version)
                assert deleted.status_code == 200, deleted.text  # "can be deleted"

    def clean(self, oirs: Sequence[str] = (), subs: Sequence[str] = ()) -> None:
        """The scenarios' clean workspace: intents first (implicit subscriptions go with
        them), then subscriptions; and nothing of this USS left in the planning area."""
        area = volume4d()
        self.clean_oirs(area, list(oirs))
        self.clean_subs(area, list(subs))
        left = self.find_oirs(area).json()["operational_intent_references"]
        assert [r["id"] for r in left if r["manager"] == self.sub] == []
        assert self.find_subs(area).json()["subscriptions"] == []


def later(minutes: float = 0.0, seconds: float = 0.0, hours: float = 0.0) -> datetime:
    return now() + timedelta(minutes=minutes, seconds=seconds, hours=hours)


@functools.cache
def _components() -> dict[str, Any] | None:
    path = Path(os.environ.get(VARIABLE) or BESIDE)
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))["components"]


def schema_errors(component: str, body: Any) -> list[str]:
    """What keeps `body` from being the definition's `component` (its JSON schema), as
    the qualifier's format checks validate; [] where the definition is not available
    (the definition tests say so): the project does not carry it."""
    components = _components()
    if components is None:
        return []
    schema = {"components": components, "$ref": f"#/components/schemas/{component}"}
    validator = jsonschema.Draft4Validator(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(body)]
