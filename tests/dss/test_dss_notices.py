"""One airspace in notices and in the record: a USS's intents reach native parties as
notices (within need-to-know: only parties whose area of interest they touch, with no
mission or callsign), a priority override by a USS intent is told like a native one,
and every DSS change is an event of the audit log."""

from __future__ import annotations

import time

from channel_helpers import SseReader, notices_of, wait_for
from dss_helpers import CM, SC, Dss, intent, new_id, volume4d
from service_helpers import box_ring, circle_feature, collection, iso, make_party

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"
SUBS = "/dss/v1/subscriptions"
LNG, LAT = 7.47, 46.95


def _audit(dss: Dss) -> list[str]:
    answer = dss.service.admin().get("/v1/audit/events")
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def _recorded(dss: Dss, *needles: str) -> list[str]:
    """The audit lines holding every needle, once the sequencer has merged them."""

    def found() -> list[str]:
        return [e for e in _audit(dss) if all(n in e for n in needles)]

    return wait_for(found, message=f"an audit event with {needles}")


def test_uss_intents_reach_native_parties_and_the_record(dss: Dss) -> None:
    admin = dss.service.admin()
    area = {"type": "Polygon", "coordinates": [box_ring(LNG, LAT, 0.5)]}
    make_party(admin, "blue", area_of_interest=area, languages=["en"])
    elsewhere = {"type": "Polygon", "coordinates": [box_ring(30.0, 10.0, 0.5)]}
    make_party(admin, "far", area_of_interest=elsewhere)
    blue, far = dss.service.client("blue"), dss.service.client("far")
    uss = dss.uss("uss1", (SC,))
    a = new_id()
    with SseReader(dss.url, dss.service.token("blue")) as reader:
        made = uss.put(f"{OIR}/{a}", json=intent(extents=[volume4d(LNG, LAT)]))
        assert made.status_code == 201, made.text
        wait_for(lambda: reader.events, message="the notice on blue's stream")
    _, notice = reader.events[0]
    assert (notice["kind"], notice["about"], notice["to"]) == ("operation.new", [a], "blue")
    assert notice["from"] == "uss:uss1" and notice["needs_ack"] is True
    assert "https://uss.test" not in str(notice)  # need-to-know: no USS details
    assert notices_of(far) == []  # outside far's area of interest
    submitted = _recorded(dss, "operation.submitted", a)
    assert '"actor":"uss:uss1"' in submitted[0]

    # A new plan is told; a state change and the end are recorded.
    ref = made.json()["operational_intent_reference"]
    extents = [volume4d(LNG + 0.01, LAT)]
    moved = intent(extents=extents)
    ref = uss.put(f"{OIR}/{a}/{ref['ovn']}", json=moved).json()["operational_intent_reference"]
    changed = wait_for(
        lambda: [n for n in notices_of(blue) if n["kind"] == "operation.changed"],
        message="the change notice",
    )
    assert changed[0]["about"] == [a]
    activate = intent(extents=extents, state="Activated")
    activated = uss.put(f"{OIR}/{a}/{ref['ovn']}", json=activate)
    ref = activated.json()["operational_intent_reference"]
    _recorded(dss, "operation.activated", a)
    assert uss.delete(f"{OIR}/{a}/{ref['ovn']}").status_code == 200
    _recorded(dss, "operation.ended", a)
    _recorded(dss, "subscription.changed", '"action":"deleted"')  # its implicit one
    assert notices_of(far) == []


def _native(ident: str, lng: float, *, priority: int) -> dict:
    now = time.time()
    return collection(
        circle_feature(
            ident,
            "blue",
            lng,
            LAT,
            radius="1 km",
            lower=0,
            upper=300,
            start=iso(round(now + 600)),
            end=iso(round(now + 4200)),
            priority=priority,
        )
    )


def test_a_uss_intent_overrides_a_lower_priority_native_operation(dss: Dss) -> None:
    admin = dss.service.admin()
    make_party(admin, "blue", languages=["en"])
    blue = dss.service.client("blue")
    sortie = blue.post("/v1/operations", json=_native("sortie-low", LNG, priority=-1))
    assert sortie.status_code == 201, sortie.text
    uss = dss.uss("uss1", (SC,))
    native = uss.post(f"{OIR}/query", json={"area_of_interest": volume4d(LNG, LAT, size=0.1)})
    (reference,) = native.json()["operational_intent_references"]
    details = uss.get(f"/uss/v1/operational_intents/{reference['id']}").json()
    ovn = details["operational_intent"]["reference"]["ovn"]
    a = new_id()
    over = uss.put(f"{OIR}/{a}", json=intent(extents=[volume4d(LNG, LAT)], key=[ovn]))
    assert over.status_code == 201, over.text
    told = wait_for(
        lambda: [n for n in notices_of(blue) if n["kind"] == "override"],
        message="the override notice",
    )
    assert told[0]["about"] == [a, "sortie-low"] and told[0]["from"] == "uss:uss1"
    stored = blue.get("/v1/operations/sortie-low")
    assert stored.status_code == 200, stored.text
    assert stored.json()["overridden_by"] == [a]
    _recorded(dss, "conflict.found", a, "sortie-low")


def test_other_dss_writes_are_recorded(dss: Dss) -> None:
    manager = dss.uss("city", (CM,))
    c = new_id()
    body = {"extents": [volume4d(LNG, LAT)], "uss_base_url": "https://city.test"}
    made = manager.put(f"{CR}/{c}", json=body)
    assert made.status_code == 201, made.text
    ovn = made.json()["constraint_reference"]["ovn"]
    assert manager.delete(f"{CR}/{c}/{ovn}").status_code == 200
    declared = _recorded(dss, "constraint.declared", c)
    assert '"actor":"uss:city"' in declared[0] and ovn not in declared[0]
    _recorded(dss, "constraint.withdrawn", c)
    watcher = dss.uss("watcher", (SC,))
    sub = new_id()
    watch = {
        "extents": volume4d(LNG, LAT, start=time.time(), end=time.time() + 3600),
        "uss_base_url": "https://watcher.test",
        "notify_for_operational_intents": True,
    }
    assert watcher.put(f"{SUBS}/{sub}", json=watch).status_code == 200
    _recorded(dss, "subscription.changed", sub, '"action":"created"')
