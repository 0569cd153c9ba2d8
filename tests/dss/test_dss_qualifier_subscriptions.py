"""The InterUSS qualifier's subscription scenarios, step by step (see qualifier.py):
subscription_simple, subscription_validation, subscription_interactions and
subscription_interactions_deletion (with this hub as the one DSS instance)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

from dss_helpers import Dss
from qualifier import (
    BIG_AREA,
    Qualifier,
    later,
    new_id,
    now,
    oir_body,
    parse_time,
    schema_errors,
    subscribers,
    subscription_body,
    volume4d,
)

TOLERANCE = timedelta(seconds=1)
DAY = timedelta(hours=24)  # DSSMaxSubscriptionDurationHours


def _sub(answer, component: str = "PutSubscriptionResponse") -> dict:
    assert answer.status_code == 200, answer.text
    assert schema_errors(component, answer.json()) == []
    return answer.json()["subscription"]


def _as_requested(sub: dict, ident: str, start: datetime | None, end: datetime | None) -> None:
    """The SubscriptionValidator's content checks."""
    assert sub["id"] == ident and sub["uss_base_url"] and sub["version"]
    assert sub["notify_for_operational_intents"] and not sub["notify_for_constraints"]
    assert not sub["implicit_subscription"] and sub["notification_index"] >= 0
    if start is not None:
        assert abs(parse_time(sub["time_start"]) - start) <= TOLERANCE
    if end is not None:
        assert abs(parse_time(sub["time_end"]) - end) <= TOLERANCE


def test_subscription_simple(dss: Dss) -> None:
    q = Qualifier(dss)
    base = new_id()
    ids = [base[:-1] + str(i) for i in range(4)]
    q.clean([], ids)
    # Run outside UTC, the qualifier writes local times ("astimezone()"): +02:00 here.
    start = (now() - timedelta(seconds=10)).astimezone(timezone(timedelta(hours=2)))
    end = start + timedelta(minutes=45)
    # Create subscription validation: without times, end only, start only, both.
    params = dict(zip(ids, [(None, None), (None, end), (start, None), (start, end)], strict=True))
    current: dict[str, dict] = {}
    for ident, (begin, finish) in params.items():
        made = _sub(q.put_sub(ident, subscription_body(begin, finish)))
        _as_requested(made, ident, begin, finish)
        assert made["notification_index"] == 0
        current[ident] = made
    # Mutate Subscription: 10 s later, then 0.001° east; each change a new version.
    for ident, sub in current.items():
        begin, finish = (
            parse_time(sub[f]) + timedelta(seconds=10) for f in ("time_start", "time_end")
        )
        params[ident] = (begin, finish)
    for shift in (0.0, 0.001):
        for ident, sub in current.items():
            mutated = q.put_sub(
                ident, subscription_body(*params[ident], shift_lng=shift), sub["version"]
            )
            current[ident] = _sub(mutated)
            _as_requested(current[ident], ident, *params[ident])
            assert current[ident]["version"] != sub["version"]
    # Query Existing Subscription: by id and by the planning area; too big an area fails.
    for ident in ids:
        got = _sub(q.get_sub(ident), "GetSubscriptionResponse")
        _as_requested(got, ident, *params[ident])
        assert got["version"] == current[ident]["version"]
    found = q.find_subs(volume4d(altitudes=None))
    assert found.status_code == 200
    assert schema_errors("QuerySubscriptionsResponse", found.json()) == []
    by_id = {s["id"]: s for s in found.json()["subscriptions"]}
    for ident in ids:
        _as_requested(by_id[ident], ident, *params[ident])
        assert by_id[ident]["version"] == current[ident]["version"]
    assert q.find_subs(volume4d(vertices=BIG_AREA, altitudes=None)).status_code in (400, 413)
    # Delete Subscription: a missing version is 400, a wrong one 409; then deleted.
    for ident in ids:
        assert q.delete_sub(ident, "").status_code == 400
        assert q.delete_sub(ident, "notacorrectversion").status_code == 409
    for ident in ids:
        deleted = q.delete_sub(ident, current[ident]["version"])
        gone = _sub(deleted, "DeleteSubscriptionResponse")
        _as_requested(gone, ident, *params[ident])
        assert gone["version"] == current[ident]["version"]
    # Query Deleted Subscription: gone by id and from the search.
    assert all(q.get_sub(ident).status_code == 404 for ident in ids)
    left = q.find_subs(volume4d())
    assert left.status_code == 200
    assert not {s["id"] for s in left.json()["subscriptions"]} & set(ids)


def test_subscription_validation(dss: Dss) -> None:
    q = Qualifier(dss)
    ident = new_id()
    q.clean([], [ident])
    start = later(minutes=-1)
    too_long = subscription_body(start, start + DAY + timedelta(minutes=10))
    # The scenario takes a 400 or a subscription cut to 24 h: this hub refuses.
    refused = q.put_sub(ident, too_long)
    assert refused.status_code == 400, refused.text
    longest = _sub(q.put_sub(ident, subscription_body(start, start + DAY)))
    again = q.put_sub(ident, too_long, longest["version"])
    assert again.status_code == 400, again.text
    q.clean([], [ident])


INSTANCES = 2
"""The scenarios act at each DSS instance of a pool in turn; this hub is every one."""


def _ids(count: int = INSTANCES) -> list[str]:
    base = new_id()
    return [f"{base[:-3]}{i:03d}" for i in range(count)]


def test_subscription_interactions(dss: Dss) -> None:
    q = Qualifier(dss)
    t_start = now()
    t_end = t_start + timedelta(minutes=20)
    background, oir_ids, sub_ids = new_id(), _ids(), _ids()
    q.clean(oir_ids, [background, *sub_ids])
    # OIR creation and modification trigger relevant notifications: the background
    # subscription, and the implicit subscriptions of the intents already there.
    _sub(q.put_sub(background, subscription_body(t_start, t_end)))
    fake = "https://testdummy.interuss.org/interuss/monitoring/subscription_interactions"
    oirs: dict[str, dict] = {}
    for ident in oir_ids:
        body = oir_body(
            [volume4d(now(), t_end + timedelta(minutes=10))],
            key=[o["ovn"] for o in oirs.values()],
            base_url=fake + "/oir_base_url",
        )
        body["new_subscription"]["uss_base_url"] = fake + "/sub_base_url"
        made = q.put_oir(ident, body)
        assert made.status_code == 201, made.text
        notified = subscribers(made.json())
        assert {background, *(o["subscription_id"] for o in oirs.values())} <= notified
        oirs[ident] = made.json()["operational_intent_reference"]
    for ident in oir_ids:
        body = oir_body(
            [volume4d(now(), t_end + timedelta(minutes=10))],
            key=[o["ovn"] for o in oirs.values()],
            base_url=fake + "/oir_base_url_bis",
            subscription_id=oirs[ident]["subscription_id"],
        )
        changed = q.put_oir(ident, body, oirs[ident]["ovn"])
        assert changed.status_code == 200, changed.text
        notified = subscribers(changed.json())
        assert {background, *(o["subscription_id"] for o in oirs.values())} <= notified
        oirs[ident] = changed.json()["operational_intent_reference"]
    # Subscription creation returns relevant OIRs; each can be read at every instance.
    subs: dict[str, dict] = {}
    for ident in sub_ids:
        made = q.put_sub(ident, subscription_body(t_start, t_end))
        subs[ident] = _sub(made)
        assert set(oir_ids) <= {r["id"] for r in made.json()["operational_intent_references"]}
        assert q.get_sub(ident).status_code == 200
    # Expiration of subscriptions removes them: a few seconds long, then not found.
    expiry = now() + timedelta(seconds=4)
    for ident in sub_ids:
        body = subscription_body(now(), expiry)
        short = _sub(q.put_sub(ident, body, subs[ident]["version"]))
        assert abs(parse_time(short["time_end"]) - expiry) <= TOLERANCE
    time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.5)
    found = q.find_subs(volume4d(t_start, t_end))
    assert found.status_code == 200
    assert not set(sub_ids) & {s["id"] for s in found.json()["subscriptions"]}
    assert all(q.get_sub(ident).status_code == 404 for ident in sub_ids)
    q.clean(oir_ids, [background, *sub_ids])


def test_subscription_interactions_deletion(dss: Dss) -> None:
    q = Qualifier(dss)
    t_start = now()
    t_end = t_start + timedelta(minutes=20)
    oir_ids, sub_ids = _ids(), _ids()
    q.clean(oir_ids, sub_ids)
    # Subscription deletion is reflected on all instances: created, deleted, not found.
    subs = {i: _sub(q.put_sub(i, subscription_body(t_start, t_end))) for i in sub_ids}
    for ident, sub in subs.items():
        assert q.delete_sub(ident, sub["version"]).status_code == 200
        assert q.get_sub(ident).status_code == 404
    # OIR creation and modification do not notify the deleted subscriptions.
    fake = "https://testdummy.interuss.org/interuss/monitoring/interactions_deletion"
    oirs: dict[str, dict] = {}
    for ident in oir_ids:
        body = oir_body(
            [volume4d(t_start, t_end)],
            key=[o["ovn"] for o in oirs.values()],
            base_url=fake + "/oir_base_url",
        )
        made = q.put_oir(ident, body)
        assert made.status_code == 201, made.text
        assert not subscribers(made.json()) & set(sub_ids)
        oirs[ident] = made.json()["operational_intent_reference"]
    for ident in oir_ids:
        body = oir_body(
            [volume4d(t_start, t_end)],
            key=[o["ovn"] for o in oirs.values()],
            base_url=fake + "/oir_base_url_bis",
            subscription_id=oirs[ident]["subscription_id"],
        )
        changed = q.put_oir(ident, body, oirs[ident]["ovn"])
        assert changed.status_code == 200, changed.text
        assert not subscribers(changed.json()) & set(sub_ids)
        oirs[ident] = changed.json()["operational_intent_reference"]
    q.clean(oir_ids, sub_ids)
