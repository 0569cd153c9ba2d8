"""The InterUSS qualifier's other DSS scenarios, step by step (see qualifier.py):
constraint_ref_simple, uss_availability_simple, uss_availability_mutation, report and
authentication/authentication_validation (every endpoint group: no token, a token with a
bad signature, no scope, a wrong scope, then valid credentials)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dss_helpers import AA, CM, CP, SC, Authority, Dss
from qualifier import (
    AVAILABILITY,
    BASE_URL,
    CR,
    OIR,
    SUBS,
    Qualifier,
    later,
    new_id,
    now,
    oir_body,
    schema_errors,
    subscription_body,
    time_of,
    volume4d,
)


def _constraint(start, end) -> dict[str, Any]:
    return {"extents": [volume4d(start, end)], "uss_base_url": BASE_URL}


def test_constraint_ref_simple(dss: Dss) -> None:
    q = Qualifier(dss)
    cr_id = new_id()
    manager = q.as_(CM)
    # Setup: clean workspace (this USS's constraints in the area, and the id), create one.
    area = {"area_of_interest": volume4d()}
    found = manager.post(f"{CR}/query", json=area)
    assert found.status_code == 200 and found.json()["constraint_references"] == []
    assert manager.get(f"{CR}/{cr_id}").status_code == 404
    made = manager.put(f"{CR}/{cr_id}", json=_constraint(later(seconds=-10), later(minutes=20)))
    assert made.status_code == 201, made.text
    ovn = made.json()["constraint_reference"]["ovn"]
    # Deletion requires correct OVN.
    assert manager.delete(f"{CR}/{cr_id}/").status_code in (400, 404, 409)
    assert manager.delete(f"{CR}/{cr_id}/ThisIsAnIncorrectOVN").status_code == 409
    # Mutation requires correct OVN.
    body = _constraint(later(seconds=-10), later(minutes=20))
    assert manager.put(f"{CR}/{cr_id}/", json=body).status_code in (400, 404, 409)
    assert manager.put(f"{CR}/{cr_id}/ThisIsAnIncorrectOVN", json=body).status_code in (400, 409)
    # Cleanup: found by search, deleted at its OVN, gone.
    found = manager.post(f"{CR}/query", json=area).json()["constraint_references"]
    assert [(c["id"], c["ovn"]) for c in found] == [(cr_id, ovn)]
    assert manager.delete(f"{CR}/{cr_id}/{ovn}").status_code == 200
    assert manager.get(f"{CR}/{cr_id}").status_code == 404


def _set(arbiter: httpx.Client, uss: str, availability: str, version: str) -> httpx.Response:
    body = {"old_version": version, "availability": availability}
    return arbiter.put(f"{AVAILABILITY}/{uss}", json=body)


def test_uss_availability_simple_and_mutation(dss: Dss) -> None:
    """uss_availability_simple, then uss_availability_mutation, on the same USS."""
    arbiter = Qualifier(dss).as_(AA)
    uss = "uss_qualifier"
    # simple: declare available (with the version of a USS never set, ""), ...
    declared = _set(arbiter, uss, "Normal", "")
    assert declared.status_code == 200, declared.text
    assert schema_errors("UssAvailabilityStatusResponse", declared.json()) == []
    version = declared.json()["version"]
    assert version
    # ... then an update with a missing or an incorrect version is 409.
    assert _set(arbiter, uss, "Down", "").status_code == 409
    assert _set(arbiter, uss, "Down", "ThisIsAnIncorrectVersion").status_code == 409
    # mutation: read the version, set Normal with it, then the same two refusals.
    got = arbiter.get(f"{AVAILABILITY}/{uss}")
    assert got.status_code == 200 and got.json()["version"] == version
    assert got.json()["status"] == {"uss": uss, "availability": "Normal"}
    renewed = _set(arbiter, uss, "Normal", version)
    assert renewed.status_code == 200 and renewed.json()["version"] != version
    assert _set(arbiter, uss, "Down", "").status_code == 409
    assert _set(arbiter, uss, "Down", "ThisIsAnIncorrectVersion").status_code == 409
    assert arbiter.get(f"{AVAILABILITY}/{uss}").json() == renewed.json()
    # A version given for a USS never set is 409 too (as InterUSS's DSS says).
    assert _set(arbiter, "never-set", "Down", "someversion").status_code == 409


def test_report(dss: Dss) -> None:
    """A report of a failed getOperationalIntentReference to a DSS that was not there,
    as the qualifier records it: no request_source, no response."""
    exchange = {
        "url": "https://dummy.interuss.org/dss/v1/operational_intent_references/dummy",
        "method": "GET",
        "headers": [],
        "recorder_role": "Client",
        "request_time": time_of(now()),
        "response_time": time_of(now()),
        "response_code": 999,
        "problem": "this is a dummy record created by the USS qualifier. This failure is expected.",
    }
    made = Qualifier(dss).as_(SC).post("/dss/v1/reports", json={"exchange": exchange})
    assert made.status_code == 201, made.text
    assert made.json()["report_id"]
    assert schema_errors("ErrorReport", made.json()) == []


@dataclass
class Callers:
    """The ways the authentication scenario calls an endpoint."""

    dss: Dss
    forged: Authority
    sub: str = "uss_qualifier"

    def call(self, token: str | None, method: str, path: str, body: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.dss.url + path, json=body, headers=headers, timeout=60.0)

    def check(
        self, method: str, path: str, body: Any, valid: str, wrong: str, ok: int
    ) -> httpx.Response:
        """No token, a bad signature, no scope: 401; a wrong scope: 403; every refusal an
        ErrorResponse. Then with valid credentials: `ok`."""
        bad = {
            None: 401,  # missing credentials, and a valid session asking no scope
            self.forged.token(self.sub, [valid]): 401,  # well formed, wrong signature
            self.dss.authority.token(self.sub, [wrong]): 403,
        }
        for token, status in bad.items():
            answer = self.call(token, method, path, body)
            assert answer.status_code == status, (method, path, token, answer.text)
            assert schema_errors("ErrorResponse", answer.json()) == []
            assert set(answer.json()) == {"message"}
        good = self.call(self.dss.authority.token(self.sub, [valid]), method, path, body)
        assert good.status_code == ok, (method, path, good.text)
        return good


def test_authentication_validation(dss: Dss, tmp_path: Path) -> None:
    c = Callers(dss, Authority.generate(tmp_path))
    q = Qualifier(dss)
    ident = new_id()
    q.clean([ident], [ident])
    # Subscription endpoints (wrong scope: utm.constraint_management).
    sub = subscription_body(later(seconds=-10), later(minutes=45))
    assert q.get_sub(ident).status_code == 404
    made = c.check("PUT", f"{SUBS}/{ident}", sub, SC, CM, 200).json()["subscription"]
    assert q.get_sub(ident).json()["subscription"]["version"] == made["version"]
    c.check("GET", f"{SUBS}/{ident}", None, SC, CM, 200)
    sub["extents"]["time_end"] = time_of(later(minutes=45, seconds=-10))
    path = f"{SUBS}/{ident}/{made['version']}"
    made = c.check("PUT", path, sub, SC, CM, 200).json()["subscription"]
    c.check("DELETE", f"{SUBS}/{ident}/{made['version']}", None, SC, CM, 200)
    c.check("POST", f"{SUBS}/query", {"area_of_interest": volume4d()}, SC, CM, 200)
    # Operational intent endpoints (no subscription, nothing in the way).
    extents = [volume4d(later(seconds=-10), later(minutes=20))]
    params = oir_body(extents, implicit=False)
    made = c.check("PUT", f"{OIR}/{ident}", params, SC, CM, 201).json()
    assert schema_errors("ChangeOperationalIntentReferenceResponse", made) == []
    c.check("GET", f"{OIR}/{ident}", None, SC, CM, 200)
    ovn = made["operational_intent_reference"]["ovn"]
    params["extents"][0]["time_end"] = time_of(later(minutes=20, seconds=-10))
    made = c.check("PUT", f"{OIR}/{ident}/{ovn}", params, SC, CM, 200).json()
    assert made["operational_intent_reference"]["ovn"] != ovn
    ovn = made["operational_intent_reference"]["ovn"]
    c.check("DELETE", f"{OIR}/{ident}/{ovn}", None, SC, CM, 200)
    c.check("POST", f"{OIR}/query", {"area_of_interest": volume4d()}, SC, CM, 200)
    # Availability endpoints (wrong scope: utm.constraint_processing).
    read = c.check("GET", f"{AVAILABILITY}/{ident}", None, AA, CP, 200).json()
    assert read["status"]["availability"] == "Unknown"
    down = {"old_version": read["version"], "availability": "Down"}
    assert q.as_(AA).get(f"{AVAILABILITY}/{ident}").json() == read  # nothing changed
    set_down = c.check("PUT", f"{AVAILABILITY}/{ident}", down, AA, CP, 200).json()
    assert set_down["status"]["availability"] == "Down"
    back = {"old_version": set_down["version"], "availability": "Unknown"}
    assert q.as_(AA).put(f"{AVAILABILITY}/{ident}", json=back).status_code == 200
    # Constraint reference endpoints (wrong scope: utm.strategic_coordination).
    constraint = _constraint(later(seconds=-10), later(minutes=20))
    made = c.check("PUT", f"{CR}/{ident}", constraint, CM, SC, 201).json()
    c.check("GET", f"{CR}/{ident}", None, CM, SC, 200)
    ovn = made["constraint_reference"]["ovn"]
    made = c.check("PUT", f"{CR}/{ident}/{ovn}", constraint, CM, SC, 200).json()
    c.check("DELETE", f"{CR}/{ident}/{made['constraint_reference']['ovn']}", None, CM, SC, 200)
    c.check("POST", f"{CR}/query", {"area_of_interest": volume4d()}, CM, SC, 200)
    q.clean([ident], [ident])
