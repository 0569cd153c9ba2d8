"""The InterUSS qualifier's oir_implicit_sub_handling scenario, its six test cases in
order (see qualifier.py): implicit subscriptions are made with their intent over its
exact times, removed with it, replaced or let go when the intent changes, grown when
named again, and may be shared; what they are told to notify stays exact in time."""

from __future__ import annotations

from datetime import datetime, timedelta

from dss_helpers import Dss
from qualifier import (
    Qualifier,
    later,
    new_id,
    now,
    oir_body,
    parse_time,
    subscribers,
    subscription_body,
    volume4d,
)

BASE = "https://testdummy.interuss.org/interuss/monitoring/oir_implicit_sub_handling"


class Case:
    """The scenario's state: its ids, times T0 (now) to T3, and its two intents."""

    def __init__(self, q: Qualifier) -> None:
        self.q = q
        self.a, self.b, self.c, self.sub = new_id(), new_id(), new_id(), new_id()
        self.setup()

    def setup(self) -> None:
        """T0 is now; T1, T2, T3 are 20, 21 and 22 hours later; a clean workspace."""
        self.t0 = now()
        self.t1 = self.t0 + timedelta(hours=20)
        self.t2 = self.t1 + timedelta(hours=1)
        self.t3 = self.t2 + timedelta(hours=1)
        self.q.clean([self.a, self.b, self.c], [self.sub])

    def create(
        self,
        ident: str,
        start: datetime,
        end: datetime,
        key: list[str],
        implicit: bool,
        subscription_id: str | None = None,
    ) -> tuple[dict, dict]:
        """Create an intent; check its implicit subscription spans exactly its times
        (within a second), or that the subscription it names does not exist."""
        body = oir_body(
            [volume4d(start, end)],
            key=key,
            base_url=BASE,
            implicit=implicit,
            subscription_id=subscription_id,
        )
        made = self.q.put_oir(ident, body)
        assert made.status_code == 201, made.text
        answer = made.json()
        reference = answer["operational_intent_reference"]
        got = self.q.get_sub(reference["subscription_id"])
        if implicit:
            assert got.status_code == 200, got.text
            spans(got.json()["subscription"], start, end)
        elif subscription_id is None:
            assert got.status_code == 404
        return reference, answer

    def update(self, ident: str, ovn: str, body: dict) -> dict:
        changed = self.q.put_oir(ident, body, ovn)
        assert changed.status_code == 200, changed.text
        return changed.json()["operational_intent_reference"]


def spans(subscription: dict, start: datetime, end: datetime) -> None:
    """'Implicit subscription has correct temporal parameters' (1 s tolerance)."""
    assert abs(parse_time(subscription["time_start"]) - start) <= timedelta(seconds=1)
    assert abs(parse_time(subscription["time_end"]) - end) <= timedelta(seconds=1)


def test_oir_implicit_sub_handling(dss: Dss) -> None:
    q = Qualifier(dss)
    s = Case(q)
    gone = 404

    # 1. Single OIR implicit subscription is removed upon OIR deletion.
    a, answer = s.create(s.a, s.t2, s.t3, [], implicit=True)
    initial = {i for i in subscribers(answer) if i != a["subscription_id"]}
    removed = q.delete_oir(s.a, a["ovn"])
    assert removed.status_code == 200, removed.text
    assert q.get_sub(a["subscription_id"]).status_code == gone
    assert subscribers(removed.json()) - {a["subscription_id"]} == initial

    # 2. Implicit subscriptions always properly cover their OIR.
    b, _ = s.create(s.b, s.t0, s.t3, [], implicit=True)
    implicit_b = b["subscription_id"]
    c, answer = s.create(s.c, s.t2, s.t3, [b["ovn"]], implicit=False)
    assert implicit_b in subscribers(answer)
    # B moved to [T0, T1] asking for an implicit subscription again: the one it names
    # spans the new times; a replaced one is gone.
    moved = oir_body([volume4d(s.t0, s.t1)], base_url=BASE)
    b = s.update(s.b, b["ovn"], moved)
    got = q.get_sub(b["subscription_id"])
    assert got.status_code == 200, got.text
    spans(got.json()["subscription"], s.t0, s.t1)
    if b["subscription_id"] != implicit_b:
        assert q.get_sub(implicit_b).status_code == gone
    # A over [T2, T3] meets C (no subscription) but not B's [T0, T1]: no one to notify
    # beyond those of the start of the test case.
    _, answer = s.create(s.a, s.t2, s.t3, [c["ovn"]], implicit=False)
    assert subscribers(answer) == initial

    # 3. Implicit subscriptions are properly deleted when required by OIR mutation.
    s.setup()
    a, _ = s.create(s.a, s.t0, s.t1, [], implicit=True)
    b, _ = s.create(s.b, s.t2, s.t3, [], implicit=True)
    explicit = q.put_sub(s.sub, subscription_body(s.t0, s.t1))
    assert explicit.status_code == 200, explicit.text
    onto_explicit = oir_body([volume4d(s.t0, s.t1)], base_url=BASE, subscription_id=s.sub)
    assert s.update(s.a, a["ovn"], onto_explicit)["subscription_id"] == s.sub
    assert q.get_sub(a["subscription_id"]).status_code == gone
    bare = oir_body([volume4d(s.t2, s.t3)], base_url=BASE, implicit=False)
    s.update(s.b, b["ovn"], bare)
    assert q.get_sub(b["subscription_id"]).status_code == gone

    # 4. Implicit subscriptions are expanded as needed.
    s.setup()
    a, _ = s.create(s.a, s.t0, s.t1, [], implicit=True)
    longer = oir_body([volume4d(s.t0, s.t2)], base_url=BASE, subscription_id=a["subscription_id"])
    s.update(s.a, a["ovn"], longer)
    got = q.get_sub(a["subscription_id"])
    assert got.status_code == 200, got.text
    spans(got.json()["subscription"], s.t0, s.t2)

    # 5. Existing implicit subscription can replace an OIR's explicit subscription.
    s.setup()
    begin = later(seconds=-10)
    made = q.put_sub(s.sub, subscription_body(begin, begin + timedelta(minutes=20)))
    assert made.status_code == 200, made.text
    times = made.json()["subscription"]
    start, end = parse_time(times["time_start"]), parse_time(times["time_end"])
    a, _ = s.create(s.a, start, end, [], implicit=False, subscription_id=s.sub)
    b, _ = s.create(s.b, start, end, [a["ovn"]], implicit=True)
    shared = oir_body(
        [volume4d(start, end)], key=[b["ovn"]], base_url=BASE, subscription_id=b["subscription_id"]
    )
    assert s.update(s.a, a["ovn"], shared)["subscription_id"] == b["subscription_id"]

    # 6. Existing implicit subscription can be attached to OIR without subscription.
    s.setup()
    a, _ = s.create(s.a, s.t2, s.t3, [], implicit=False)
    start, end = parse_time(a["time_start"]), parse_time(a["time_end"])
    b, _ = s.create(s.b, start, end, [a["ovn"]], implicit=True)
    attach = oir_body(
        [volume4d(start, end)], key=[b["ovn"]], base_url=BASE, subscription_id=b["subscription_id"]
    )
    assert s.update(s.a, a["ovn"], attach)["subscription_id"] == b["subscription_id"]
    got = q.get_oir(s.a)
    assert got.json()["operational_intent_reference"]["subscription_id"] == b["subscription_id"]
    # Deleting B keeps the implicit subscription A still relies on.
    assert q.delete_oir(s.b, b["ovn"]).status_code == 200
    assert q.get_sub(b["subscription_id"]).status_code == 200
    s.setup()
    assert q.get_sub(b["subscription_id"]).status_code == gone
