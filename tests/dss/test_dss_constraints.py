"""Constraint references: managed with utm.constraint_management, notified to
subscriptions that ask for constraints, and required in the key of an intent whose
subscription processes constraints."""

from __future__ import annotations

import time

from dss_helpers import CM, CP, SC, Dss, intent, new_id, volume4d

CR = "/dss/v1/constraint_references"
OIR = "/dss/v1/operational_intent_references"
SUBS = "/dss/v1/subscriptions"


def test_constraint_lifecycle_and_keys(dss: Dss) -> None:
    authority = dss.uss("city", (CM,))
    processor = dss.uss("processor", (SC, CP))
    flyer = dss.uss("flyer", (SC,))
    sub = new_id()
    watch = {
        "extents": volume4d(size=0.2, start=time.time(), end=time.time() + 6 * 3600),
        "uss_base_url": "https://processor.test",
        "notify_for_operational_intents": True,
        "notify_for_constraints": True,
    }
    assert processor.put(f"{SUBS}/{sub}", json=watch).status_code == 200

    c = new_id()
    body = {"extents": [volume4d(size=0.05)], "uss_base_url": "https://city.test"}
    assert flyer.put(f"{CR}/{c}", json=body).status_code == 403  # not a constraint manager
    made = authority.put(f"{CR}/{c}", json=body)
    assert made.status_code == 201, made.text
    reference = made.json()["constraint_reference"]
    notified = {
        s["subscription_id"]: s["notification_index"]
        for subscriber in made.json()["subscribers"]
        for s in subscriber["subscriptions"]
    }
    assert notified == {sub: 1}
    assert authority.put(f"{CR}/{c}", json=body).status_code == 409

    # Reading needs constraint management or processing.
    assert flyer.get(f"{CR}/{c}").status_code == 403
    seen = processor.get(f"{CR}/{c}")
    assert seen.status_code == 200 and "ovn" not in seen.json()["constraint_reference"]
    found = processor.post(f"{CR}/query", json={"area_of_interest": volume4d(size=0.1)})
    assert [r["id"] for r in found.json()["constraint_references"]] == [c]

    # An intent whose subscription processes constraints must know the constraint...
    processing = processor.put(f"{OIR}/{new_id()}", json=intent(subscription_id=sub))
    assert processing.status_code == 409
    assert [m["id"] for m in processing.json()["missing_constraints"]] == [c]
    with_key = processor.put(
        f"{OIR}/{new_id()}", json=intent(subscription_id=sub, key=[reference["ovn"]])
    )
    assert with_key.status_code == 201, with_key.text
    # ...one that does not process constraints need not.
    flyer_key = [with_key.json()["operational_intent_reference"]["ovn"]]
    assert flyer.put(f"{OIR}/{new_id()}", json=intent(key=flyer_key)).status_code == 201

    # Update with the wrong OVN, then the right one; delete.
    assert authority.put(f"{CR}/{c}/{'x' * 20}", json=body).status_code == 409
    updated = authority.put(f"{CR}/{c}/{reference['ovn']}", json=body)
    assert updated.status_code == 200 and updated.json()["constraint_reference"]["version"] == 2
    ovn = updated.json()["constraint_reference"]["ovn"]
    assert dss.uss("other-city", (CM,)).delete(f"{CR}/{c}/{ovn}").status_code == 403
    assert authority.delete(f"{CR}/{c}/{ovn}").status_code == 200
    assert authority.get(f"{CR}/{c}").status_code == 404
