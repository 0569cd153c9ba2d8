"""Scenarios written from the letter of the definition (ASTM F3548-21 UTM API 1.0.0),
one per rule the hub once departed from: states and the scope off-nominal states need,
the subscription an intent relies on, base URLs, times, vertices, altitudes, and the
statuses each endpoint lists."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from dss_helpers import CM, CMSA, CP, SC, Dss, intent, new_id, volume4d

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"
SUBS = "/dss/v1/subscriptions"


def _ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def _status(answer, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert isinstance(answer.json().get("message"), str), answer.text


def test_states_off_nominal_needs_conformance_monitoring(dss: Dss) -> None:
    """Only Accepted is a first state; Nonconforming and Contingent are the conformance
    monitoring role's (utm.conformance_monitoring_sa, SCD0100): 403 without it."""
    planner = dss.uss("planner", (SC,))
    for state in ("Activated", "Nonconforming", "Contingent"):
        assert planner.put(f"{OIR}/{new_id()}", json=intent(state=state)).status_code in (400, 403)
    a = new_id()
    ref = _ok(planner.put(f"{OIR}/{a}", json=intent()), 201)["operational_intent_reference"]
    ref = _ok(planner.put(f"{OIR}/{a}/{ref['ovn']}", json=intent(state="Activated")))[
        "operational_intent_reference"
    ]
    for state in ("Nonconforming", "Contingent"):
        _status(planner.put(f"{OIR}/{a}/{ref['ovn']}", json=intent(state=state)), 403)
    monitor = dss.uss("monitor", (SC, CMSA))
    b, key = new_id(), [ref["ovn"]]
    ref = _ok(monitor.put(f"{OIR}/{b}", json=intent(key=key)), 201)["operational_intent_reference"]
    activate = intent(state="Activated", key=key)
    ref = _ok(monitor.put(f"{OIR}/{b}/{ref['ovn']}", json=activate))["operational_intent_reference"]
    off = _ok(monitor.put(f"{OIR}/{b}/{ref['ovn']}", json=intent(state="Nonconforming")))
    assert off["operational_intent_reference"]["state"] == "Nonconforming"


def _subscription(**overrides: object) -> dict:
    now = time.time()
    body = {
        "extents": volume4d(size=0.05, start=now, end=now + 4 * 3600, lower=0, upper=500),
        "uss_base_url": "https://uss.test",
        "notify_for_operational_intents": True,
        "notify_for_constraints": False,
    }
    return body | overrides


def test_a_named_subscription_must_cover_the_intent(dss: Dss) -> None:
    """subscription_id: "must cover at least the area over which this operational intent
    is conducted, and it must provide notifications for operational intents"; an update
    of a subscription that would uncover a dependent intent is a bad request."""
    uss = dss.uss("uss1", (SC, CP))
    sub = new_id()
    _ok(uss.put(f"{SUBS}/{sub}", json=_subscription()))
    # Too wide (0.2° against 0.05°), too high (600 m against 500 m), too late: 400.
    for extents in (
        volume4d(size=0.2),
        volume4d(upper=600),
        volume4d(start=time.time() + 3 * 3600, end=time.time() + 5 * 3600),
    ):
        body = intent(extents=[extents], subscription_id=sub)
        _status(uss.put(f"{OIR}/{new_id()}", json=body), 400)
    # Another USS's subscription: not its to rely on (403, as InterUSS's DSS); none: 400.
    other = dss.uss("uss2", (SC,))
    _status(other.put(f"{OIR}/{new_id()}", json=intent(subscription_id=sub)), 403)
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(subscription_id=new_id())), 400)
    constraints_only = new_id()
    only = _subscription(notify_for_operational_intents=False, notify_for_constraints=True)
    _ok(uss.put(f"{SUBS}/{constraints_only}", json=only))
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(subscription_id=constraints_only)), 400)
    # Inside it: accepted, and the subscription says the intent depends on it.
    a = new_id()
    made = _ok(uss.put(f"{OIR}/{a}", json=intent(subscription_id=sub)), 201)
    assert made["operational_intent_reference"]["subscription_id"] == sub
    got = _ok(uss.get(f"{SUBS}/{sub}"))["subscription"]
    assert got["dependent_operational_intents"] == [a]
    # Shrinking it below the intent, or dropping intent notifications: 400.
    version = got["version"]
    smaller = _subscription(extents=volume4d(size=0.001, start=time.time(), upper=500))
    _status(uss.put(f"{SUBS}/{sub}/{version}", json=smaller), 400)
    no_intents = _subscription(notify_for_operational_intents=False, notify_for_constraints=True)
    _status(uss.put(f"{SUBS}/{sub}/{version}", json=no_intents), 400)
    # A change that keeps it covered is fine.
    _ok(uss.put(f"{SUBS}/{sub}/{version}", json=_subscription()))


def test_an_implicit_subscription_grows_and_is_let_go(dss: Dss) -> None:
    """An implicit subscription named again by its intent grows to cover new extents; an
    Accepted update naming none leaves the intent without one (the implicit one goes),
    and the null subscription id a reference shows means "none" when sent back."""
    uss = dss.uss("uss1", (SC,))
    a = new_id()
    ref = _ok(uss.put(f"{OIR}/{a}", json=intent()), 201)["operational_intent_reference"]
    implicit = ref["subscription_id"]
    wider = intent(extents=[volume4d(size=0.03)], subscription_id=implicit)
    ref = _ok(uss.put(f"{OIR}/{a}/{ref['ovn']}", json=wider))["operational_intent_reference"]
    assert ref["subscription_id"] == implicit
    query = {"area_of_interest": volume4d(lng=7.47 + 0.012, size=0.001)}
    found = _ok(uss.post(f"{SUBS}/query", json=query))["subscriptions"]
    assert [s["id"] for s in found] == [implicit]  # it now reaches where only the new part is
    bare = intent(new_subscription=False) | {"subscription_id": ref["subscription_id"]}
    bare["subscription_id"] = "00000000-0000-4000-8000-000000000000"
    ref = _ok(uss.put(f"{OIR}/{a}/{ref['ovn']}", json=bare))["operational_intent_reference"]
    assert ref["subscription_id"] == "00000000-0000-4000-8000-000000000000"
    _status(uss.get(f"{SUBS}/{implicit}"), 404)


@pytest.mark.parametrize(
    "url",
    [
        "https://uss.test/",  # "this URL may not have a trailing '/' character"
        "http://uss.test",  # TLS only, unless dss_allow_http_base_urls
        "uss.test",
        "https://",
        "https://uss.test/utm?x=1",
        "https://uss.test/ utm",
        "https://" + "u" * 300 + ".test",
        "",
    ],
)
def test_base_urls_are_checked_everywhere(module_dss: Dss, url: str) -> None:
    uss = module_dss.uss("uss1", (SC, CM))
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(base=url)), 400)
    implicit = intent()
    implicit["new_subscription"]["uss_base_url"] = url
    _status(uss.put(f"{OIR}/{new_id()}", json=implicit), 400)
    _status(uss.put(f"{SUBS}/{new_id()}", json=_subscription(uss_base_url=url)), 400)
    constraint = {"extents": [volume4d()], "uss_base_url": url}
    _status(uss.put(f"{CR}/{new_id()}", json=constraint), 400)


def test_a_base_url_with_a_path_is_fine(module_dss: Dss) -> None:
    uss = module_dss.uss("uss1", (SC,))
    made = uss.put(f"{OIR}/{new_id()}", json=intent(base="https://uss.example.com:8443/utm"))
    assert made.status_code == 201, made.text


def test_times_altitudes_and_vertices(module_dss: Dss) -> None:
    uss = module_dss.uss("uss1", (SC,))
    now = time.time()
    # "The time zone must be 'Z'": another explicit offset names the same instant and is
    # taken (as InterUSS's DSS does; its qualifier sends local offsets); answers say 'Z'.
    start = datetime.fromtimestamp(round(now) + 900, UTC)
    offset = volume4d(lng=8.8, start=start.timestamp())
    local = start.astimezone(timezone(timedelta(hours=2))).isoformat()
    offset["time_start"] = {"value": local, "format": "RFC3339"}
    made = _ok(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[offset])), 201)
    shown = made["operational_intent_reference"]["time_start"]["value"]
    assert shown == start.strftime("%Y-%m-%dT%H:%M:%SZ") and local.endswith("+02:00")
    offset["time_start"] = {"value": local[: -len("+02:00")], "format": "RFC3339"}
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[offset])), 400)  # no offset
    # "Vertices may not be duplicated": nor may the last repeat the first.
    closed = volume4d(lng=9.0)
    vertices = closed["volume"]["outline_polygon"]["vertices"]
    vertices.append(dict(vertices[0]))
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[closed])), 400)
    # A radius above 0; an altitude within the definition's -8000 … 100000 m.
    zero = volume4d(lng=9.0, radius=1.0)
    zero["volume"]["outline_circle"]["radius"]["value"] = 0
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[zero])), 400)
    _status(uss.post(f"{OIR}/query", json={"area_of_interest": volume4d(upper=200_000)}), 400)
    # An intent that started an hour ago and ends later is fine; one that ended is not.
    running = volume4d(lng=9.2, start=now - 3600, end=now + 3600)
    _ok(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[running])), 201)
    over = volume4d(lng=9.2, start=now - 7200, end=now - 60)
    _status(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[over])), 400)
    # A query may omit its times and altitudes: it then finds an intent three days ahead,
    # and one whose altitudes lie outside the hub's band finds nothing, without error.
    later = volume4d(lng=9.4, start=now + 3 * 86400, end=now + 3 * 86400 + 600)
    ahead = _ok(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[later])), 201)
    open_area = {"volume": {k: v for k, v in later["volume"].items() if k == "outline_polygon"}}
    found = _ok(uss.post(f"{OIR}/query", json={"area_of_interest": open_area}))
    ids = [r["id"] for r in found["operational_intent_references"]]
    assert ahead["operational_intent_reference"]["id"] in ids
    high = dict(open_area)
    high["volume"] = open_area["volume"] | {
        "altitude_lower": {"value": 40_000, "reference": "W84", "units": "M"},
        "altitude_upper": {"value": 50_000, "reference": "W84", "units": "M"},
    }
    nothing = _ok(uss.post(f"{OIR}/query", json={"area_of_interest": high}))
    assert nothing == {"operational_intent_references": []}
    # A query's time range must be a range.
    backwards = volume4d(lng=9.4, start=now + 600, end=now + 60)
    _status(uss.post(f"{OIR}/query", json={"area_of_interest": backwards}), 400)


def test_updates_of_nothing_are_400_where_no_404_is_listed(module_dss: Dss) -> None:
    """updateConstraintReference and updateSubscription list no 404: 400. Their deletes
    do list 404."""
    uss = module_dss.uss("uss1", (SC, CM))
    ovn = "x" * 20
    constraint = {"extents": [volume4d()], "uss_base_url": "https://city.test"}
    _status(uss.put(f"{CR}/{new_id()}/{ovn}", json=constraint), 400)
    _status(uss.put(f"{SUBS}/{new_id()}/v1", json=_subscription()), 400)
    _status(uss.delete(f"{CR}/{new_id()}/{ovn}"), 404)
    _status(uss.delete(f"{SUBS}/{new_id()}/v1"), 404)


def test_relevance_in_time_is_exact(dss: Dss) -> None:
    """An intent ending a second before another starts is not relevant to its key, on
    SQLite too, whose index keeps times as 32-bit floats rounded outward (to 128 s)."""
    uss = dss.uss("uss1", (SC,))
    end = (int(time.time()) // 128 + 40) * 128 + 1  # rounds up to 127 s later
    first = volume4d(lng=8.3, start=end - 1800, end=end)
    _ok(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[first])), 201)
    after = volume4d(lng=8.3, start=end + 1, end=end + 1800)
    _ok(uss.put(f"{OIR}/{new_id()}", json=intent(extents=[after])), 201)
    during = volume4d(lng=8.3, start=end - 1, end=end + 1800)
    assert uss.put(f"{OIR}/{new_id()}", json=intent(extents=[during])).status_code == 409
