"""Subscriptions: notification indexes that grow by one per notification, the list of
subscribers returned with each change, implicit subscriptions, versions, expiry."""

from __future__ import annotations

import time

from dss_helpers import CP, SC, Dss, intent, new_id, rfc3339, volume4d

OIR = "/dss/v1/operational_intent_references"
SUBS = "/dss/v1/subscriptions"


def _subscription(**overrides: object) -> dict:
    body = {
        "extents": volume4d(size=0.2, start=time.time(), end=time.time() + 6 * 3600),
        "uss_base_url": "https://watcher.test",
        "notify_for_operational_intents": True,
        "notify_for_constraints": False,
    }
    return body | overrides


def _indexes(answer: dict, url: str = "https://watcher.test") -> dict[str, int]:
    return {
        s["subscription_id"]: s["notification_index"]
        for subscriber in answer["subscribers"]
        if subscriber["uss_base_url"] == url
        for s in subscriber["subscriptions"]
    }


def test_notification_indexes_and_subscribers(dss: Dss) -> None:
    watcher, flyer = dss.uss("watcher"), dss.uss("flyer")
    sub = new_id()
    created = watcher.put(f"{SUBS}/{sub}", json=_subscription())
    assert created.status_code == 200, created.text
    subscription = created.json()["subscription"]
    assert subscription["notification_index"] == 0 and not subscription["implicit_subscription"]

    a = new_id()
    made = flyer.put(f"{OIR}/{a}", json=intent()).json()
    assert _indexes(made) == {sub: 1}
    # The flyer's own implicit subscription is listed too (the standard says so).
    own = made["operational_intent_reference"]["subscription_id"]
    assert _indexes(made, "https://uss.test") == {own: 1}
    ovn = made["operational_intent_reference"]["ovn"]
    changed = flyer.put(f"{OIR}/{a}/{ovn}", json=intent(state="Activated")).json()
    assert _indexes(changed) == {sub: 2}
    ovn = changed["operational_intent_reference"]["ovn"]
    gone = flyer.delete(f"{OIR}/{a}/{ovn}").json()
    assert _indexes(gone) == {sub: 3}

    # Elsewhere: no notification, index unchanged.
    far = intent(extents=[volume4d(lng=8.5, lat=47.4)])
    assert _indexes(flyer.put(f"{OIR}/{new_id()}", json=far).json()) == {}
    got = watcher.get(f"{SUBS}/{sub}").json()["subscription"]
    assert got["notification_index"] == 3

    # Versions: a stale version is refused; the owner alone sees and changes it.
    version = got["version"]
    renewed = watcher.put(f"{SUBS}/{sub}/{version}", json=_subscription())
    assert renewed.status_code == 200
    new_version = renewed.json()["subscription"]["version"]
    assert new_version != version and renewed.json()["subscription"]["notification_index"] == 3
    assert watcher.put(f"{SUBS}/{sub}/{version}", json=_subscription()).status_code == 409
    assert flyer.get(f"{SUBS}/{sub}").status_code == 403
    # Another USS's subscription: 403 to read, change or delete (as InterUSS's DSS).
    assert flyer.delete(f"{SUBS}/{sub}/{new_version}").status_code == 403
    assert flyer.put(f"{SUBS}/{sub}/{new_version}", json=_subscription()).status_code == 403
    assert flyer.put(f"{SUBS}/{sub}", json=_subscription()).status_code == 403
    query = watcher.post(f"{SUBS}/query", json={"area_of_interest": volume4d(size=0.05)})
    assert [s["id"] for s in query.json()["subscriptions"]] == [sub]
    theirs = flyer.post(f"{SUBS}/query", json={"area_of_interest": volume4d()}).json()
    assert sub not in {s["id"] for s in theirs["subscriptions"]}  # only one's own
    assert watcher.delete(f"{SUBS}/{sub}/{new_version}").status_code == 200
    assert watcher.get(f"{SUBS}/{sub}").status_code == 404


def test_implicit_subscription_lives_and_dies_with_its_intent(dss: Dss) -> None:
    flyer = dss.uss("flyer")
    a = new_id()
    reference = flyer.put(f"{OIR}/{a}", json=intent()).json()["operational_intent_reference"]
    sub = reference["subscription_id"]
    subscription = flyer.get(f"{SUBS}/{sub}").json()["subscription"]
    assert subscription["implicit_subscription"] is True
    assert subscription["dependent_operational_intents"] == [a]
    # It cannot be deleted while the intent depends on it.
    assert flyer.delete(f"{SUBS}/{sub}/{subscription['version']}").status_code == 400
    assert flyer.delete(f"{OIR}/{a}/{reference['ovn']}").status_code == 200
    assert flyer.get(f"{SUBS}/{sub}").status_code == 404


def test_expired_subscription_is_not_notified(dss: Dss) -> None:
    watcher, flyer = dss.uss("watcher"), dss.uss("flyer")
    sub = new_id()
    end = time.time() + 8.0  # room for a slow machine to answer before it expires
    short = _subscription(extents=volume4d(size=0.2, start=time.time() - 60, end=end))
    assert watcher.put(f"{SUBS}/{sub}", json=short).status_code == 200
    time.sleep(max(0.0, end - time.time()) + 0.5)  # let it expire (no timing is asserted)
    assert watcher.get(f"{SUBS}/{sub}").status_code == 404
    assert _indexes(flyer.put(f"{OIR}/{new_id()}", json=intent()).json()) == {}


def test_subscription_rules(dss: Dss) -> None:
    watcher = dss.uss("watcher", (SC,))
    now = time.time()
    too_long = _subscription(extents=volume4d(start=now, end=now + 30 * 3600))
    assert watcher.put(f"{SUBS}/{new_id()}", json=too_long).status_code == 400
    past = _subscription(extents=volume4d(start=now - 7200, end=now - 3600))
    assert watcher.put(f"{SUBS}/{new_id()}", json=past).status_code == 400
    nothing = _subscription(notify_for_operational_intents=False)
    assert watcher.put(f"{SUBS}/{new_id()}", json=nothing).status_code == 400
    constraints = _subscription(notify_for_constraints=True)
    assert watcher.put(f"{SUBS}/{new_id()}", json=constraints).status_code == 403
    processing = dss.uss("processor", (CP,))
    only_constraints = _subscription(
        notify_for_operational_intents=False, notify_for_constraints=True
    )
    assert processing.put(f"{SUBS}/{new_id()}", json=only_constraints).status_code == 200
    sub = new_id()
    assert watcher.put(f"{SUBS}/{sub}", json=_subscription()).status_code == 200
    assert watcher.put(f"{SUBS}/{sub}", json=_subscription()).status_code == 409
    no_end = _subscription(extents={"volume": volume4d()["volume"], "time_start": rfc3339(now)})
    made = watcher.put(f"{SUBS}/{new_id()}", json=no_end)
    assert made.status_code == 200, made.text
