"""First contact: a USS creates, reads, queries, updates and deletes an intent."""

from __future__ import annotations

from dss_helpers import Dss, intent, new_id

OIR = "/dss/v1/operational_intent_references"


def test_lifecycle(dss: Dss) -> None:
    uss = dss.uss("uss1")
    ident = new_id()
    created = uss.put(f"{OIR}/{ident}", json=intent())
    assert created.status_code == 201, created.text
    reference = created.json()["operational_intent_reference"]
    assert reference["manager"] == "uss1" and reference["version"] == 1
    ovn = reference["ovn"]
    got = uss.get(f"{OIR}/{ident}")
    assert got.status_code == 200 and got.json()["operational_intent_reference"]["ovn"] == ovn
    updated = uss.put(f"{OIR}/{ident}/{ovn}", json=intent(state="Activated"))
    assert updated.status_code == 200, updated.text
    new_ovn = updated.json()["operational_intent_reference"]["ovn"]
    assert new_ovn != ovn
    deleted = uss.delete(f"{OIR}/{ident}/{new_ovn}")
    assert deleted.status_code == 200, deleted.text
    assert uss.get(f"{OIR}/{ident}").status_code == 404
