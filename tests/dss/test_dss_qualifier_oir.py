"""The InterUSS qualifier's operational intent scenarios, step by step (see qualifier.py):
op_intent_ref_simple, op_intent_ref_key_validation, op_intent_ref_state_transitions,
op_intent_ref_access_control and oir_explicit_sub_handling. Each asserts what the
scenario's checks accept, on a hub of its own, on each backend."""

from __future__ import annotations

from datetime import timedelta

from dss_helpers import CMSA, Dss
from qualifier import (
    NULL_SUBSCRIPTION,
    Qualifier,
    later,
    new_id,
    oir_body,
    parse_time,
    schema_errors,
    subscription_body,
    volume4d,
)


def _made(answer, status: int = 201) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()["operational_intent_reference"]


def _attached_to(q: Qualifier, ident: str, expected: str | None) -> None:
    """fragments/oir: 'OIR is attached to expected subscription' (or to none: the
    subscription it names does not exist)."""
    reference = _made(q.get_oir(ident), 200)
    if expected is not None:
        assert reference["subscription_id"] == expected
    else:
        assert q.get_sub(reference["subscription_id"]).status_code == 404


def test_op_intent_ref_simple(dss: Dss) -> None:
    q = Qualifier(dss)
    oir, sub, extra = new_id(), new_id(), new_id()
    q.clean([oir], [sub, extra])
    # Setup: an explicit subscription over the planning area, 20 minutes.
    start = later(seconds=-10)
    sub_end = start + timedelta(minutes=20)
    made = q.put_sub(sub, subscription_body(start, sub_end))
    assert made.status_code == 200, made.text
    # Validate explicit subscription on OIR creation: ending 1 s after it is 400 ...
    too_long = oir_body([volume4d(later(seconds=-10), sub_end + timedelta(seconds=1))])
    too_long["subscription_id"] = sub
    assert q.put_oir(oir, too_long).status_code == 400
    # ... ending with it is fine, and the OIR is attached to it.
    fits = oir_body([volume4d(later(seconds=-10), sub_end)], subscription_id=sub)
    current = _made(q.put_oir(oir, fits))
    _attached_to(q, oir, sub)
    # Upon subscription replacement: one 2 s too short is 400, the OIR keeps its own ...
    duration = parse_time(current["time_end"]) - parse_time(current["time_start"])
    extra_start = later(seconds=-10)
    extra_body = subscription_body(extra_start, extra_start + duration - timedelta(seconds=2))
    extra_sub = q.put_sub(extra, extra_body).json()["subscription"]
    same = volume4d(parse_time(current["time_start"]), parse_time(current["time_end"]))
    short = q.put_oir(oir, oir_body([same], subscription_id=extra), current["ovn"])
    assert short.status_code == 400, short.text
    _attached_to(q, oir, sub)
    # ... and over the extra subscription's own times it is accepted.
    over = volume4d(parse_time(extra_sub["time_start"]), parse_time(extra_sub["time_end"]))
    current = _made(q.put_oir(oir, oir_body([over], subscription_id=extra), current["ovn"]), 200)
    _attached_to(q, oir, extra)
    # Deletion requires correct OVN (after a clean workspace and a new OIR).
    q.clean([oir], [sub, extra])
    current = _made(q.put_oir(oir, oir_body([volume4d(later(seconds=-10), later(minutes=20))])))
    assert q.delete_oir(oir, "").status_code in (400, 404, 409)
    assert q.delete_oir(oir, "ThisIsAnIncorrectOVN").status_code == 409
    # Mutation requires correct OVN.
    params = oir_body([volume4d(later(seconds=-10), later(minutes=20))], implicit=False)
    assert q.put_oir(oir, params, "").status_code in (400, 404, 409)
    assert q.put_oir(oir, params, "ThisIsAnIncorrectOVN").status_code == 409
    assert _made(q.get_oir(oir), 200)["ovn"] == current["ovn"]  # nothing changed
    q.clean([oir], [sub, extra])


def test_op_intent_ref_key_validation(dss: Dss) -> None:
    q = Qualifier(dss)
    first_id, second_id, third_id = new_id(), new_id(), new_id()
    q.clean([first_id, second_id, third_id])

    def accepted(start, end, key=(), base: str | None = None) -> dict:
        body = oir_body([volume4d(start, end)], key=list(key), implicit=False)
        if base is not None:
            body["uss_base_url"] = base
        return body

    # Key validation on creation: two OIRs in the same area, an hour apart.
    first = _made(q.put_oir(first_id, accepted(later(seconds=-10), later(minutes=20))))
    second = _made(q.put_oir(second_id, accepted(later(minutes=80), later(minutes=100))))

    def conflict(answer, expected: list[str]) -> None:
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert schema_errors("AirspaceConflictResponse", body) == []
        missing = {r["id"] for r in body.get("missing_operational_intents", [])}
        assert set(expected) <= missing

    def span(a: dict, b: dict) -> tuple:
        return parse_time(a["time_start"]), parse_time(b["time_end"])

    conflict(q.put_oir(third_id, accepted(*span(first, first))), [first_id])
    conflict(q.put_oir(third_id, accepted(*span(second, second))), [second_id])
    conflict(q.put_oir(third_id, accepted(*span(first, second))), [first_id, second_id])
    keyed = accepted(*span(first, second), key=[first["ovn"], second["ovn"]])
    third = _made(q.put_oir(third_id, keyed))
    # Key validation on mutation: a new base URL, with both OVNs missing, then one ...
    base = third["uss_base_url"] + "/mutated"
    mutated = accepted(*span(third, third), base=base)
    conflict(q.put_oir(third_id, mutated, third["ovn"]), [first_id, second_id])
    mutated["key"] = [second["ovn"]]
    conflict(q.put_oir(third_id, mutated, third["ovn"]), [first_id])
    # ... and moved to overlap the first only.
    onto_first = accepted(*span(first, first))
    conflict(q.put_oir(third_id, onto_first, third["ovn"]), [first_id])
    assert _made(q.get_oir(third_id), 200)["ovn"] == third["ovn"]
    q.clean([first_id, second_id, third_id])


def test_op_intent_ref_state_transitions(dss: Dss) -> None:
    q = Qualifier(dss)
    oid = new_id()
    q.clean([oid])
    extents = [volume4d(later(minutes=5), later(minutes=35))]
    base = "https://testdummy.interuss.org/interuss/monitoring/op_intent_ref_state_transitions"
    # Direct creation in an off-nominal state, without the conformance monitoring scope.
    for state in ("Nonconforming", "Contingent"):
        refused = q.put_oir(oid, oir_body(extents, state=state, base_url=base))
        assert refused.status_code in (400, 403), refused.text
    assert q.get_oir(oid).status_code == 404
    current = _made(q.put_oir(oid, oir_body(extents, base_url=base)))
    # Accepted -> Nonconforming / Contingent with utm.strategic_coordination only: refused.
    for state in ("Nonconforming", "Contingent"):
        body = oir_body(extents, state=state, base_url=base)
        assert q.put_oir(oid, body, current["ovn"]).status_code in (400, 403)
    activated = oir_body(extents, state="Activated", base_url=base)
    current = _made(q.put_oir(oid, activated, current["ovn"]), 200)
    for state in ("Nonconforming", "Contingent"):
        body = oir_body(extents, state=state, base_url=base)
        assert q.put_oir(oid, body, current["ovn"]).status_code in (400, 403)
    # "Transition the OIR to Ended" sends Activated again: allowed.
    current = _made(q.put_oir(oid, activated, current["ovn"]), 200)
    for state in ("Nonconforming", "Contingent"):
        body = oir_body(extents, state=state, base_url=base)
        assert q.put_oir(oid, body, current["ovn"]).status_code in (400, 403)
    assert _made(q.get_oir(oid), 200) == current
    # With the conformance monitoring scope (not part of the scenario): allowed.
    off = oir_body(extents, state="Nonconforming", base_url=base)
    assert q.put_oir(oid, off, current["ovn"], scope=CMSA).status_code == 200
    q.clean([oid])


def test_op_intent_ref_access_control(dss: Dss) -> None:
    main, second = Qualifier(dss, "uss_qualifier"), Qualifier(dss, "uss_qualifier_2")
    oid_1, oid_2 = new_id(), new_id()
    flight_1 = [volume4d(later(minutes=10), later(minutes=40))]
    flight_2 = [volume4d(later(minutes=20), later(minutes=50))]
    main.clean([oid_1])
    second.clean([oid_2])
    dummy = "https://dummy.uss"
    ref_1 = _made(main.put_oir(oid_1, oir_body(flight_1, base_url=dummy)))
    ref_2 = _made(second.put_oir(oid_2, oir_body(flight_2, key=[ref_1["ovn"]], base_url=dummy)))
    assert main.sub != second.sub  # "Passed sets of credentials are different"
    # Non-owning credentials cannot modify (state, then base URL) nor delete: 403.
    other = oir_body(flight_1, key=[ref_2["ovn"]], base_url=ref_1["uss_base_url"])
    assert second.put_oir(oid_1, other, ref_1["ovn"]).status_code == 403
    other["uss_base_url"] = "https://another-url.uss/down"
    assert second.put_oir(oid_1, other, ref_1["ovn"]).status_code == 403
    assert second.delete_oir(oid_1, ref_1["ovn"]).status_code == 403
    # The reference is exactly as it was created.
    assert _made(main.get_oir(oid_1), 200) == ref_1
    main.clean([oid_1])
    second.clean([oid_2])


def test_oir_explicit_sub_handling(dss: Dss) -> None:
    q = Qualifier(dss)
    oir, sub, extra = new_id(), new_id(), new_id()
    q.clean([oir], [sub, extra])
    # Validate explicit subscription on OIR creation.
    start = later(seconds=-10)
    sub_end = start + timedelta(minutes=20)
    created = q.put_sub(sub, subscription_body(start, sub_end))
    assert created.status_code == 200, created.text
    ends_late = [volume4d(later(seconds=-10), sub_end + timedelta(seconds=1))]
    assert q.put_oir(oir, oir_body(ends_late, subscription_id=sub)).status_code == 400
    fits = [volume4d(later(seconds=-10), sub_end - timedelta(seconds=60))]
    current = _made(q.put_oir(oir, oir_body(fits, subscription_id=sub)))
    _attached_to(q, oir, sub)

    def attach_extra(expected_before: str | None) -> dict:
        """A subscription 2 s short of the OIR is refused; over its times, it is taken."""
        duration = parse_time(current["time_end"]) - parse_time(current["time_start"])
        begin = later(seconds=-10)
        body = subscription_body(begin, begin + duration - timedelta(seconds=2))
        made = q.put_sub(extra, body)
        assert made.status_code == 200, made.text
        same = [volume4d(parse_time(current["time_start"]), parse_time(current["time_end"]))]
        refused = q.put_oir(oir, oir_body(same, subscription_id=extra), current["ovn"])
        assert refused.status_code == 400, refused.text
        _attached_to(q, oir, expected_before)
        times = made.json()["subscription"]
        over = [volume4d(parse_time(times["time_start"]), parse_time(times["time_end"]))]
        body = oir_body(over, subscription_id=extra)
        return _made(q.put_oir(oir, body, current["ovn"]), 200) | {"extra": times}

    # Validate explicit subscription upon subscription replacement; clean the test case.
    current = attach_extra(sub)
    _attached_to(q, oir, extra)
    assert q.delete_oir(oir, current["ovn"]).status_code == 200
    assert q.delete_sub(extra, current["extra"]["version"]).status_code == 200
    # OIR in ACCEPTED state can be created without subscription.
    bare = oir_body([volume4d(later(seconds=-10), later(minutes=20))], implicit=False)
    current = _made(q.put_oir(oir, bare))
    assert current["subscription_id"] == NULL_SUBSCRIPTION
    _attached_to(q, oir, None)
    # Validate explicit subscription being attached to OIR without subscription.
    current = attach_extra(None)
    _attached_to(q, oir, extra)
    # Remove explicit subscription from OIR.
    same = [volume4d(parse_time(current["time_start"]), parse_time(current["time_end"]))]
    current = _made(q.put_oir(oir, oir_body(same, implicit=False), current["ovn"]), 200)
    _attached_to(q, oir, None)
    q.clean([oir], [sub, extra])
