"""USS availability (set by an arbitrator; a Down USS may not create or change Accepted
or Activated intents, nor delete) and reports (archived, answered with an id)."""

from __future__ import annotations

import time

from dss_helpers import AA, CMSA, SC, Dss, intent, new_id, rfc3339

OIR = "/dss/v1/operational_intent_references"


def test_availability_and_down_usses(dss: Dss) -> None:
    arbiter = dss.uss("arbiter", (AA,))
    flyer = dss.uss("flyer", (SC,))
    a = new_id()
    reference = flyer.put(f"{OIR}/{a}", json=intent()).json()["operational_intent_reference"]
    unknown = flyer.get("/dss/v1/uss_availability/flyer").json()
    assert unknown == {"version": "", "status": {"uss": "flyer", "availability": "Unknown"}}
    assert (
        flyer.put(
            "/dss/v1/uss_availability/flyer", json={"old_version": "", "availability": "Down"}
        ).status_code
        == 403
    )
    down = arbiter.put(
        "/dss/v1/uss_availability/flyer", json={"old_version": "", "availability": "Down"}
    )
    assert down.status_code == 200, down.text
    version = down.json()["version"]
    stale = arbiter.put(
        "/dss/v1/uss_availability/flyer", json={"old_version": "", "availability": "Normal"}
    )
    assert stale.status_code == 409  # as InterUSS's DSS and qualifier say (1.0.0 lists none)
    assert flyer.put(f"{OIR}/{new_id()}", json=intent(key=[reference["ovn"]])).status_code == 412
    assert flyer.delete(f"{OIR}/{a}/{reference['ovn']}").status_code == 412
    seen = dss.uss("other", (CMSA,)).get(f"{OIR}/{a}").json()["operational_intent_reference"]
    assert seen["uss_availability"] == "Down"
    normal = arbiter.put(
        "/dss/v1/uss_availability/flyer", json={"old_version": version, "availability": "Normal"}
    )
    assert normal.status_code == 200
    assert flyer.delete(f"{OIR}/{a}/{reference['ovn']}").status_code == 200


def test_reports_are_archived(dss: Dss) -> None:
    report = {
        "exchange": {
            "url": "https://uss.test/uss/v1/operational_intents/x",
            "method": "GET",
            "recorder_role": "Client",
            "request_time": rfc3339(time.time()),
            "request_source": "uss1",
            "headers": ["Authorization: Bearer …"],
            "response_code": 500,
        }
    }
    answer = dss.uss("uss1", (SC,)).post("/dss/v1/reports", json=report)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["report_id"] and body["exchange"]["response_code"] == 500
    assert dss.uss("uss1", (SC,)).post("/dss/v1/reports", json={"exchange": {}}).status_code == 400
