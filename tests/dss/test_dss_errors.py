"""Bad requests get the status the definition lists and its ErrorResponse body:
400 for bad volumes, UUIDs and times; 404; 413 for areas too large."""

from __future__ import annotations

import time

import pytest
from dss_helpers import SC, Dss, intent, new_id, rfc3339, volume4d

OIR = "/dss/v1/operational_intent_references"


def _message(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert isinstance(body.get("message"), str), body
    return body["message"]


def _with_volume(**changes) -> dict:
    volume = volume4d()
    for path, value in changes.items():
        node = volume
        *parents, last = path.split("__")
        for parent in parents:
            node = node[parent]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return intent(extents=[volume])


@pytest.mark.parametrize(
    "body",
    [
        _with_volume(volume__altitude_lower={"value": 200, "reference": "W84", "units": "M"}),
        _with_volume(volume__altitude_upper={"value": 50, "reference": "AMSL", "units": "M"}),
        _with_volume(volume__altitude_upper={"value": 50, "reference": "W84", "units": "FT"}),
        _with_volume(volume__altitude_upper=None),
        _with_volume(time_end=None),
        _with_volume(time_end={"value": "yesterday", "format": "RFC3339"}),
        _with_volume(time_end=rfc3339(time.time() + 300)),  # before its start
        _with_volume(
            volume__outline_circle={
                "center": {"lat": 46, "lng": 7},
                "radius": {"value": 50, "units": "M"},
            }
        ),
        _with_volume(
            volume__outline_polygon={"vertices": [{"lat": 46, "lng": 7}, {"lat": 46.1, "lng": 7}]}
        ),
        _with_volume(
            volume__outline_polygon={
                "vertices": [
                    {"lat": 46, "lng": 7},
                    {"lat": 46.1, "lng": 7.1},
                    {"lat": 46, "lng": 7.1},
                    {"lat": 46.1, "lng": 7},
                ]
            }
        ),
        _with_volume(
            volume__outline_polygon={
                "vertices": [{"lat": 89, "lng": 7}, {"lat": 89.5, "lng": 7}, {"lat": 89, "lng": 8}]
            }
        ),
        intent(extents=[volume4d(start=time.time() - 7200, end=time.time() - 3600)]),
        intent() | {"extents": []},
        intent(state="Ended"),
        {"extents": [volume4d()], "state": "Accepted"},  # no uss_base_url
        intent(key="not-a-list"),
    ],
)
def test_bad_intents_get_400(dss: Dss, body: dict) -> None:
    _message(dss.uss("uss1").put(f"{OIR}/{new_id()}", json=body), 400)


def test_ids_not_found_too_large(dss: Dss) -> None:
    uss = dss.uss("uss1", (SC,))
    _message(uss.put(f"{OIR}/not-a-uuid", json=intent()), 400)
    version_1 = new_id()
    version_1 = version_1[:14] + "1" + version_1[15:]  # the version digit: a UUIDv1
    _message(uss.put(f"{OIR}/{version_1}", json=intent()), 400)
    _message(uss.get(f"{OIR}/{new_id()}"), 404)
    _message(uss.delete(f"{OIR}/{new_id()}/{'x' * 20}"), 404)
    # An update of nothing: 400 (the definition lists no 404 for an update).
    _message(uss.put(f"{OIR}/{new_id()}/{'x' * 20}", json=intent()), 400)
    huge = volume4d(radius=500_000)
    _message(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[huge])), 413)
    _message(uss.post(f"{OIR}/query", json={"area_of_interest": huge}), 413)
    _message(uss.post(f"{OIR}/query", json={}), 400)
    _message(
        uss.post(
            f"{OIR}/query", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        400,
    )
    _message(uss.post(f"{OIR}/query", json=[1, 2]), 400)
    # A subscription endpoint lists no 413: there, too large is 400.
    subscription = {
        "extents": huge,
        "uss_base_url": "https://uss.test",
        "notify_for_operational_intents": True,
    }
    _message(uss.put(f"/dss/v1/subscriptions/{new_id()}", json=subscription), 400)


def test_refusals_before_the_route_are_in_the_standard_shape(dss: Dss) -> None:
    uss = dss.uss("uss1", (SC,))
    big = b'{"area_of_interest": "' + b"x" * 1_100_000 + b'"}'
    too_big = uss.post(f"{OIR}/query", content=big, headers={"Content-Type": "application/json"})
    assert set(too_big.json()) == {"message"} and too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/json"
    text = uss.post(f"{OIR}/query", content=b"hello", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415 and set(text.json()) == {"message"}
    nowhere = uss.get("/dss/v1/nowhere")
    assert nowhere.status_code == 404 and set(nowhere.json()) == {"message"}
    # The native API keeps its RFC 9457 problems.
    native = dss.service.client("blue").get("/v1/nowhere")
    assert native.headers["content-type"].startswith("application/problem+json")
