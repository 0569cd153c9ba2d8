"""Operational intent references between two USSs, as the standard's text describes:
keys prove awareness by OVN, a stale key or a wrong OVN is refused with 409, states
move only as the standard allows, and only the manager changes its intents."""

from __future__ import annotations

from dss_helpers import CMSA, CP, SC, Dss, intent, new_id, volume4d

OIR = "/dss/v1/operational_intent_references"


def _create(uss, ident: str, body: dict) -> dict:
    answer = uss.put(f"{OIR}/{ident}", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["operational_intent_reference"]


def test_two_usses_prove_awareness_with_keys(dss: Dss) -> None:
    uss1, uss2 = dss.uss("uss1"), dss.uss("uss2")
    a, b = new_id(), new_id()
    ref_a = _create(uss1, a, intent())

    # uss2 does not know A yet: refused, and told what it missed (without A's OVN).
    refused = uss2.put(f"{OIR}/{b}", json=intent())
    assert refused.status_code == 409, refused.text
    missing = refused.json()["missing_operational_intents"]
    assert [m["id"] for m in missing] == [a]
    assert "ovn" not in missing[0] and missing[0]["manager"] == "uss1"

    # With A's OVN (from uss1's details, in real life) it may go ahead.
    ref_b = _create(uss2, b, intent(key=[ref_a["ovn"]]))

    # uss1 now holds a stale key: its update is refused until it knows B.
    stale = uss1.put(f"{OIR}/{a}/{ref_a['ovn']}", json=intent(state="Activated"))
    assert stale.status_code == 409
    assert [m["id"] for m in stale.json()["missing_operational_intents"]] == [b]
    fresh = uss1.put(
        f"{OIR}/{a}/{ref_a['ovn']}", json=intent(state="Activated", key=[ref_b["ovn"]])
    )
    assert fresh.status_code == 200, fresh.text
    activated = fresh.json()["operational_intent_reference"]
    assert (activated["state"], activated["version"]) == ("Activated", 2)
    assert activated["ovn"] != ref_a["ovn"]

    # The old OVN no longer works, for an update or a delete.
    assert uss1.put(f"{OIR}/{a}/{ref_a['ovn']}", json=intent(key=[ref_b["ovn"]])).status_code == 409
    assert uss1.delete(f"{OIR}/{a}/{ref_a['ovn']}").status_code == 409

    # Each sees the other's reference without its OVN, its own with it.
    query = {"area_of_interest": volume4d(size=0.1)}
    seen = uss2.post(f"{OIR}/query", json=query).json()["operational_intent_references"]
    by_id = {r["id"]: r for r in seen}
    assert set(by_id) == {a, b}
    assert "ovn" not in by_id[a] and by_id[b]["ovn"] == ref_b["ovn"]

    # Nobody changes another USS's intent.
    assert uss2.delete(f"{OIR}/{a}/{activated['ovn']}").status_code == 403
    assert uss1.delete(f"{OIR}/{a}/{activated['ovn']}").status_code == 200
    assert uss2.delete(f"{OIR}/{b}/{ref_b['ovn']}").status_code == 200


def test_states_and_keys_off_nominal(dss: Dss) -> None:
    uss1, uss2 = dss.uss("uss1", (SC, CMSA)), dss.uss("uss2", (SC, CMSA))
    a, b = new_id(), new_id()
    accepted = _create(uss1, a, intent())
    activated = uss1.put(f"{OIR}/{a}/{accepted['ovn']}", json=intent(state="Activated"))
    assert activated.status_code == 200, activated.text
    ref_a = activated.json()["operational_intent_reference"]
    ref_b = _create(uss2, b, intent(key=[ref_a["ovn"]]))
    # Nonconforming needs no key (adjusted as flown), even with B now in the way.
    nonconforming = uss1.put(f"{OIR}/{a}/{ref_a['ovn']}", json=intent(state="Nonconforming"))
    assert nonconforming.status_code == 200, nonconforming.text
    ovn = nonconforming.json()["operational_intent_reference"]["ovn"]
    contingent = uss1.put(f"{OIR}/{a}/{ovn}", json=intent(state="Contingent"))
    assert contingent.status_code == 200
    ovn = contingent.json()["operational_intent_reference"]["ovn"]
    # Contingent goes nowhere but Ended (delete).
    back = uss1.put(f"{OIR}/{a}/{ovn}", json=intent(state="Activated", key=[ref_b["ovn"]]))
    assert back.status_code == 400 and "message" in back.json()
    # Accepted cannot jump to Nonconforming; nothing is created Contingent.
    bad = uss2.put(f"{OIR}/{b}/{ref_b['ovn']}", json=intent(state="Nonconforming"))
    assert bad.status_code == 400
    assert uss2.put(f"{OIR}/{new_id()}", json=intent(state="Contingent")).status_code == 400
    # Activated without naming a subscription (or asking for one) is refused, even for an
    # intent that had one; Accepted without one is fine. Only Accepted is a first state.
    lone = intent(state="Activated", new_subscription=False, key=[ref_a["ovn"]])
    assert uss2.put(f"{OIR}/{b}/{ref_b['ovn']}", json=lone).status_code == 400
    first = intent(state="Activated", key=[ref_a["ovn"], ref_b["ovn"]])
    assert uss2.put(f"{OIR}/{new_id()}", json=first).status_code == 400


def test_scopes_per_endpoint(dss: Dss) -> None:
    owner = dss.uss("uss1")
    ident = new_id()
    ref = _create(owner, ident, intent())
    processing_only = dss.uss("uss2", (CP,))
    assert processing_only.put(f"{OIR}/{new_id()}", json=intent()).status_code == 403
    assert processing_only.get(f"{OIR}/{ident}").status_code == 403
    monitoring = dss.uss("uss3", (CMSA,))
    got = monitoring.get(f"{OIR}/{ident}")
    assert got.status_code == 200 and "ovn" not in got.json()["operational_intent_reference"]
    # notify_for_constraints in an implicit subscription needs constraint processing.
    body = intent(key=[ref["ovn"]])
    body["new_subscription"]["notify_for_constraints"] = True
    assert dss.uss("uss4", (SC,)).put(f"{OIR}/{new_id()}", json=body).status_code == 403
    assert dss.uss("uss5", (SC, CP)).put(f"{OIR}/{new_id()}", json=body).status_code == 201
