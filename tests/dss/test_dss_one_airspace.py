"""One airspace: a native party's planned operation and a USS's operational intent see
each other. Native operations appear to USSs as intents managed by their party, with
the hub as uss_base_url (details at /uss/v1/operational_intents/{id}); a USS intent that
conflicts with one is refused with 409 listing it; a native plan that conflicts with a
USS intent is refused by the native API's check."""

from __future__ import annotations

import time

from dss_helpers import SC, Dss, intent, new_id, volume4d
from service_helpers import circle_feature, collection, iso

OIR = "/dss/v1/operational_intent_references"
LNG, LAT = 7.47, 46.95


def _native(ident: str, lng: float, lat: float) -> dict:
    now = time.time()
    return collection(
        circle_feature(
            ident,
            "blue",
            lng,
            lat,
            radius="2 km",
            lower=0,
            upper=300,
            start=iso(round(now + 600)),
            end=iso(round(now + 4200)),
            callsign="HAWK 1",
        )
    )


def test_native_and_uss_operations_meet(dss: Dss) -> None:
    admin = dss.service.admin()
    assert admin.put("/v1/parties/blue", json={"name": "Blue"}).status_code in (200, 201)
    blue = dss.service.client("blue")
    submitted = blue.post("/v1/operations", json=_native("sortie-1", LNG, LAT))
    assert submitted.status_code == 201, submitted.text

    uss = dss.uss("uss1", (SC,))
    area = {"area_of_interest": volume4d(LNG, LAT, size=0.1)}
    references = uss.post(f"{OIR}/query", json=area).json()["operational_intent_references"]
    assert len(references) == 1
    native = references[0]
    assert native["manager"] == "blue" and native["uss_base_url"] == dss.url
    assert native["state"] == "Accepted" and "ovn" not in native
    assert uss.get(f"{OIR}/{native['id']}").json()["operational_intent_reference"] == native

    # The hub serves the details, as a USS would: volumes, the OVN, nothing more.
    details = uss.get(f"/uss/v1/operational_intents/{native['id']}")
    assert details.status_code == 200, details.text
    operational_intent = details.json()["operational_intent"]
    ovn = operational_intent["reference"]["ovn"]
    volumes = operational_intent["details"]["volumes"]
    assert len(volumes) == 1 and volumes[0]["volume"]["outline_circle"]["radius"]["value"] == 2000
    assert "HAWK" not in details.text

    # Unaware: 409 listing it. Aware but in its way: still 409 listing it.
    overlapping = intent(extents=[volume4d(LNG, LAT, size=0.01)])
    unaware = uss.put(f"{OIR}/{new_id()}", json=overlapping)
    assert unaware.status_code == 409
    assert [m["id"] for m in unaware.json()["missing_operational_intents"]] == [native["id"]]
    aware = uss.put(f"{OIR}/{new_id()}", json=intent(extents=overlapping["extents"], key=[ovn]))
    assert aware.status_code == 409
    assert [m["id"] for m in aware.json()["missing_operational_intents"]] == [native["id"]]
    assert "native" in aware.json()["message"]

    # Above it (300 m ceiling): aware and clear, accepted.
    above = intent(extents=[volume4d(LNG, LAT, size=0.01, lower=400, upper=500)], key=[ovn])
    made = uss.put(f"{OIR}/{new_id()}", json=above)
    assert made.status_code == 201, made.text

    # A native plan into a USS intent is refused by the native check.
    away = intent(extents=[volume4d(LNG + 0.5, LAT, size=0.01)])
    drone = uss.put(f"{OIR}/{new_id()}", json=away)
    assert drone.status_code == 201
    clash = blue.post("/v1/operations", json=_native("sortie-2", LNG + 0.5, LAT))
    assert clash.status_code == 409, clash.text
    assert clash.json()["conflicts"][0]["other_party"] == "uss:uss1"

    # The USS's intent is in the native picture too.
    listed = blue.get(
        "/v1/operations", params={"bbox": f"{LNG + 0.4},{LAT - 0.1},{LNG + 0.6},{LAT + 0.1}"}
    )
    assert listed.status_code == 200, listed.text
    assert drone.json()["operational_intent_reference"]["id"] in listed.text

    # A USS's own intents are detailed by the USS, not by the hub.
    mine = drone.json()["operational_intent_reference"]["id"]
    assert uss.get(f"/uss/v1/operational_intents/{mine}").status_code == 404
