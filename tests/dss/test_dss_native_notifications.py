"""The hub, as the USS of its native parties, notifies subscribed USSs (ASTM F3548-21
notifyOperationalIntentDetailsChanged): a native submission, change, activation, end or
cancellation bumps the notification index of every subscription for intents it meets,
and the USS behind each gets a POST of PutOperationalIntentDetailsParameters on its
`/uss/v1/operational_intents`, with the details `/uss/v1` serves (nothing once the
operation is gone), a bearer token when one is configured, retried until delivered or
dead. Real servers on both backends: the hub, and a tiny USS on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from channel_helpers import wait_for
from dss_helpers import Authority, Dss, intent, new_id, volume4d
from live_server import PostgresCluster, fresh_database, running_server, settings_for
from qualifier import schema_errors
from service_helpers import box_ring, circle_feature, collection, iso, make_party, polygon_feature
from uss_receiver import NOTIFY_PATH, Received, UssReceiver

from deconflict.application.hub import Hub
from deconflict.application.retention import purge
from deconflict.channel import uss_notifications
from deconflict.channel.webhook import Tuning
from deconflict.config import load_settings
from deconflict.store.backend import connect
from deconflict.store.migrate import upgrade

SUBS = "/dss/v1/subscriptions"
OIR = "/dss/v1/operational_intent_references"
LNG, LAT = 7.47, 46.95
FAST = {"channel": {"uss": {"base_delay_s": 0.05, "max_delay_s": 0.4, "max_attempts": 40}}}


@contextlib.contextmanager
def hub(
    backend: str,
    cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    directory: Path,
    *,
    extra: dict[str, Any] = FAST,
    **overrides: Any,
) -> Iterator[Dss]:
    """A hub of the test's own that accepts http:// USS base URLs (the receiver's)."""
    with fresh_database(backend, cluster, directory) as url:
        settings = settings_for(
            url,
            key_dir,
            dss_public_keys=(str(authority.public_pem),),
            dss_allow_http_base_urls=True,
            extra=extra,
            **overrides,
        )
        with running_server(settings, backend) as running:
            yield Dss(running, authority)


def subscribe(
    uss: httpx.Client,
    base: str,
    *,
    lng: float = LNG,
    lat: float = LAT,
    start: float | None = None,
    end: float | None = None,
) -> str:
    """A subscription for intents over a ~20 km square, 0–2,000 m, from now for 6 h (or
    as told)."""
    ident = new_id()
    start = time.time() if start is None else start
    end = start + 6 * 3600 if end is None else end
    body = {
        "extents": volume4d(lng, lat, size=0.2, upper=2000, start=start, end=end),
        "uss_base_url": base,
        "notify_for_operational_intents": True,
    }
    answer = uss.put(f"{SUBS}/{ident}", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["subscription"]["notification_index"] == 0
    return ident


def native(
    ident: str, lng: float = LNG, lat: float = LAT, *, start_in: float = 600, lower: float = 0
) -> dict[str, Any]:
    """A native plan of party blue: a 2 km circle, `lower` to `lower` + 300 m, for 1 h."""
    start = round(time.time() + start_in)
    return collection(
        circle_feature(
            ident,
            "blue",
            lng,
            lat,
            radius="2 km",
            lower=lower,
            upper=lower + 300,
            start=iso(start),
            end=iso(start + 3600),
            callsign="HAWK 1",
        )
    )


def next_notification(receiver: UssReceiver, count: int) -> Received:
    """The `count`-th notification, once it has come (and no more than it)."""
    wait_for(lambda: len(receiver.notifications) >= count, message=f"notification {count}")
    assert len(receiver.notifications) == count, receiver.notifications
    return receiver.notifications[-1]


def check(received: Received, ident: str, subscription: str, index: int) -> dict[str, Any]:
    """A well-formed notification about `ident` for `subscription` at `index`."""
    assert received.path == NOTIFY_PATH
    assert received.headers["content-type"] == "application/json"
    body = received.body
    assert schema_errors("PutOperationalIntentDetailsParameters", body) == []
    assert body["operational_intent_id"] == ident
    assert body["subscriptions"] == [{"subscription_id": subscription, "notification_index": index}]
    assert "HAWK" not in json.dumps(body)  # need-to-know: no callsign
    return body


def served(uss: httpx.Client, ident: str) -> dict[str, Any]:
    answer = uss.get(f"/uss/v1/operational_intents/{ident}")
    assert answer.status_code == 200, answer.text
    return answer.json()["operational_intent"]


def rows(dss: Dss) -> list[Any]:
    """The hub's outbox of notifications, read from its database."""
    engine = sa.create_engine(dss.service.settings.database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    sa.text("SELECT state, attempts, last_error FROM uss_notifications ORDER BY id")
                )
            )
    finally:
        engine.dispose()


def test_native_changes_reach_the_subscribed_uss(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    with (
        UssReceiver().start() as receiver,
        hub(
            dss_backend, postgres_cluster, key_dir, authority, tmp_path, uss_notify_token="hub-t"
        ) as dss,
    ):
        make_party(dss.service.admin(), "blue")
        blue, uss = dss.service.client("blue"), dss.uss("uss1")
        sid = subscribe(uss, receiver.url)

        # Submitted: the details /uss/v1 serves, the hub as uss_base_url, index 1.
        ident = new_id()
        assert blue.post("/v1/operations", json=native(ident)).status_code == 201
        received = next_notification(receiver, 1)
        assert received.headers["authorization"] == "Bearer hub-t"
        first = check(received, ident, sid, 1)["operational_intent"]
        assert first == served(uss, ident)
        assert first["reference"]["uss_base_url"] == dss.url
        assert first["reference"]["state"] == "Accepted"
        centre = first["details"]["volumes"][0]["volume"]["outline_circle"]["center"]
        assert centre == {"lat": LAT, "lng": LNG}

        # Changed: a new OVN and the new volumes.
        moved = native(ident, LNG + 0.01)
        changed = blue.put(f"/v1/operations/{ident}", json=moved, headers={"If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        second = check(next_notification(receiver, 2), ident, sid, 2)["operational_intent"]
        assert second == served(uss, ident)
        assert second["reference"]["ovn"] != first["reference"]["ovn"]
        centre = second["details"]["volumes"][0]["volume"]["outline_circle"]["center"]
        assert centre == {"lat": LAT, "lng": LNG + 0.01}

        # Activated, then ended: gone, so no operational_intent.
        activated = blue.post(f"/v1/operations/{ident}:activate")
        assert activated.status_code == 200, activated.text
        third = check(next_notification(receiver, 3), ident, sid, 3)["operational_intent"]
        assert third["reference"]["state"] == "Activated" and third == served(uss, ident)
        assert blue.post(f"/v1/operations/{ident}:end").status_code == 200
        assert "operational_intent" not in check(next_notification(receiver, 4), ident, sid, 4)
        assert uss.get(f"/uss/v1/operational_intents/{ident}").status_code == 404

        # Another: submitted, then cancelled.
        other = new_id()
        assert blue.post("/v1/operations", json=native(other)).status_code == 201
        assert (
            served(uss, other)
            == check(next_notification(receiver, 5), other, sid, 5)["operational_intent"]
        )
        assert blue.post(f"/v1/operations/{other}:cancel").status_code == 200
        assert "operational_intent" not in check(next_notification(receiver, 6), other, sid, 6)

        # A USS's own intent bumps the subscription (a DSS change), but its USS
        # notifies, not the hub: the next hub notification is index 8, the 7th call.
        made = dss.uss("uss2").put(f"{OIR}/{new_id()}", json=intent())
        assert made.status_code == 201, made.text
        told = [
            s["subscription_id"] for u in made.json()["subscribers"] for s in u["subscriptions"]
        ]
        assert sid in told
        above = new_id()  # clear of the USS's intent (0–120 m) and its subscription
        assert blue.post("/v1/operations", json=native(above, lower=1000)).status_code == 201
        check(next_notification(receiver, 7), above, sid, 8)
        subscription = uss.get(f"{SUBS}/{sid}").json()["subscription"]
        assert subscription["notification_index"] == 8
        assert [r.state for r in rows(dss)] == ["delivered"] * 7


def test_changes_outside_the_subscription_notify_nobody(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    with (
        UssReceiver().start() as receiver,
        hub(dss_backend, postgres_cluster, key_dir, authority, tmp_path) as dss,
    ):
        make_party(dss.service.admin(), "blue")
        blue, uss = dss.service.client("blue"), dss.uss("uss1")
        sid = subscribe(uss, receiver.url)
        later = subscribe(uss, receiver.url, lng=LNG + 1.0, start=time.time() + 3 * 3600)

        # Elsewhere (a degree east, before `later` starts), and above the area's ceiling
        # (2,000 m): nobody is told, nothing bumped.
        away, high = new_id(), new_id()
        assert blue.post("/v1/operations", json=native(away, LNG + 1.0)).status_code == 201
        assert blue.post("/v1/operations", json=native(high, lower=2500)).status_code == 201
        assert blue.post(f"/v1/operations/{away}:cancel").status_code == 200
        # Then one inside: the only call the USS gets (queued after the others would be).
        inside = new_id()
        assert blue.post("/v1/operations", json=native(inside)).status_code == 201
        received = next_notification(receiver, 1)
        check(received, inside, sid, 1)
        assert "authorization" not in received.headers  # no token configured
        time.sleep(1.0)  # a poll or two of the dispatcher
        assert len(receiver.notifications) == 1
        indexes = [
            uss.get(f"{SUBS}/{s}").json()["subscription"]["notification_index"]
            for s in (sid, later)
        ]
        assert indexes == [1, 0]
        assert len(rows(dss)) == 1


def test_a_uss_that_was_down_gets_the_notification_later(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    with (
        UssReceiver() as receiver,  # nothing listens on its port yet
        hub(dss_backend, postgres_cluster, key_dir, authority, tmp_path) as dss,
    ):
        make_party(dss.service.admin(), "blue")
        blue, uss = dss.service.client("blue"), dss.uss("uss1")
        sid = subscribe(uss, receiver.url)
        ident = new_id()
        assert blue.post("/v1/operations", json=native(ident)).status_code == 201

        def tried_twice() -> Any:
            found = rows(dss)
            return found if found and found[0].attempts >= 2 else None

        state, attempts, error = wait_for(tried_twice, message="two failed attempts")[0]
        assert state == "pending" and "Connect" in error, error
        receiver.start()
        check(next_notification(receiver, 1), ident, sid, 1)
        delivered = wait_for(
            lambda: [r for r in rows(dss) if r.state == "delivered"], message="recorded"
        )
        assert delivered[0].attempts > attempts and delivered[0].last_error is None
        assert served(uss, ident) == receiver.notifications[0].body["operational_intent"]


def test_a_uss_that_keeps_refusing_is_dead_lettered(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    extra = {"channel": {"uss": {"base_delay_s": 0.05, "max_attempts": 3}}}
    with (
        UssReceiver(failing=True).start() as receiver,
        hub(dss_backend, postgres_cluster, key_dir, authority, tmp_path, extra=extra) as dss,
    ):
        make_party(dss.service.admin(), "blue")
        subscribe(dss.uss("uss1"), receiver.url)
        client = dss.service.client("blue")
        assert client.post("/v1/operations", json=native(new_id())).status_code == 201
        dead = wait_for(lambda: [r for r in rows(dss) if r.state == "dead"], message="dead")
        assert (dead[0].attempts, dead[0].last_error) == (3, "HTTP 500")
        bodies = [r.body for r in receiver.notifications]
        assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]  # the same call


def test_tokens_from_a_token_endpoint(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    """Client credentials: one token asked for the receiver's host, then reused."""
    with (
        UssReceiver(token="issued-1").start() as receiver,
        hub(
            dss_backend,
            postgres_cluster,
            key_dir,
            authority,
            tmp_path,
            uss_notify_token_url=f"{receiver.url}/token",
            uss_notify_client_id="hub",
            uss_notify_client_secret="s3cret",
        ) as dss,
    ):
        make_party(dss.service.admin(), "blue")
        sid = subscribe(dss.uss("uss1"), receiver.url)
        blue = dss.service.client("blue")
        for count in (1, 2):
            assert blue.post("/v1/operations", json=native(new_id())).status_code == 201
            received = next_notification(receiver, count)
            assert received.headers["authorization"] == "Bearer issued-1"
            assert received.body["subscriptions"][0] == {
                "subscription_id": sid,
                "notification_index": count,
            }
        assert len(receiver.token_requests) == 1
        request = receiver.token_requests[0]
        assert request.body == {
            "grant_type": "client_credentials",
            "scope": "utm.strategic_coordination",
            "audience": "127.0.0.1",
        }
        basic = httpx.BasicAuth("hub", "s3cret")._auth_header
        assert request.headers["authorization"] == basic


def test_token_settings_go_together() -> None:
    """A token endpoint needs the hub's credentials, and excludes a static token."""
    with pytest.raises(ValueError, match="needs uss_notify_client_id"):
        load_settings(env={"DECONFLICT_USS_NOTIFY_TOKEN_URL": "https://auth.test/token"})
    with pytest.raises(ValueError, match="not both"):
        load_settings(
            env={
                "DECONFLICT_USS_NOTIFY_TOKEN": "t",
                "DECONFLICT_USS_NOTIFY_TOKEN_URL": "https://auth.test/token",
                "DECONFLICT_USS_NOTIFY_CLIENT_ID": "hub",
                "DECONFLICT_USS_NOTIFY_CLIENT_SECRET": "s",
            }
        )
    settings = load_settings(
        env={
            "DECONFLICT_USS_NOTIFY_TOKEN_URL": "https://auth.test/token",
            "DECONFLICT_USS_NOTIFY_CLIENT_ID": "hub",
            "DECONFLICT_USS_NOTIFY_CLIENT_SECRET": "s",
        }
    )
    assert settings.uss_notify_client_id == "hub"


def test_settled_notifications_leave_with_retention(tmp_path: Path) -> None:
    """Delivered and dead rows older than the retention period go; pending ones stay."""
    clock = [1_000_000.0]
    database = connect(f"sqlite:///{tmp_path / 'retention.db'}")
    upgrade(database)
    hub = Hub(database, clock=lambda: clock[0])
    note = uss_notifications.Notification("op", "https://uss.test", {"x": 1})
    with database.write() as connection:
        uss_notifications.queue(connection, [note] * 3, clock[0])
    tuning = Tuning(max_attempts=1)
    jobs = uss_notifications.claim(database, clock[0], tuning)
    outcomes = [(jobs[0], None), (jobs[1], "HTTP 500")]  # delivered, dead; third pending
    uss_notifications.settle(database, outcomes, hub.clock, tuning, random.Random(1))

    def left() -> list[tuple[int, str]]:
        with database.read() as connection:
            query = sa.text("SELECT id, state FROM uss_notifications ORDER BY id")
            return [(r.id, r.state) for r in connection.execute(query)]

    purge(hub, 3600.0)
    assert [state for _, state in left()] == ["delivered", "dead", "pending"]  # too recent
    clock[0] += 7200.0
    purge(hub, 3600.0)
    assert left() == [(jobs[2].id, "pending")]


def test_an_approval_that_releases_a_pending_operation_is_notified(
    dss_backend: str,
    postgres_cluster: PostgresCluster | None,
    key_dir: str,
    authority: Authority,
    tmp_path: Path,
) -> None:
    """Pending reads Accepted to USSs; its approval is a new version, hence a new OVN."""
    with (
        UssReceiver().start() as receiver,
        hub(dss_backend, postgres_cluster, key_dir, authority, tmp_path) as dss,
    ):
        admin = dss.service.admin()
        for party in ("blue", "red"):
            make_party(admin, party)
        blue, red, uss = dss.service.client("blue"), dss.service.client("red"), dss.uss("u")
        zone = polygon_feature("red-zone", "red", box_ring(LNG, LAT, 0.05))
        declared = red.post("/v1/zones", json={"geojson": collection(zone), "binds": []})
        assert declared.status_code == 201, declared.text
        sid = subscribe(uss, receiver.url)
        ident = new_id()
        submitted = blue.post("/v1/operations", json=native(ident))
        assert submitted.json()["state"] == "pending", submitted.text
        waiting = check(next_notification(receiver, 1), ident, sid, 1)["operational_intent"]
        assert waiting["reference"]["state"] == "Accepted"
        assert red.post(f"/v1/operations/{ident}:approve").status_code == 200
        approved = check(next_notification(receiver, 2), ident, sid, 2)["operational_intent"]
        assert approved == served(uss, ident)
        assert approved["reference"]["version"] == waiting["reference"]["version"] + 1
        assert approved["reference"]["ovn"] != waiting["reference"]["ovn"]


def test_settled_notifications_go_into_the_record(tmp_path: Path) -> None:
    """A delivered or dead call is a `uss.notified` event (with the digest of the bytes
    sent); a call to be retried is not settled yet, so it is not."""
    database = connect(f"sqlite:///{tmp_path / 'record.db'}")
    upgrade(database)
    notes = [
        uss_notifications.Notification(f"op-{n}", "https://uss.test", {"n": n}) for n in range(3)
    ]
    with database.write() as connection:
        uss_notifications.queue(connection, notes, 1_000_000.0)
    jobs = uss_notifications.claim(database, 1_000_000.0, Tuning())
    rng, clock = random.Random(1), (lambda: 1_000_010.0)
    uss_notifications.settle(database, [(jobs[0], None)], clock, Tuning(), rng)
    uss_notifications.settle(database, [(jobs[1], "HTTP 500")], clock, Tuning(max_attempts=1), rng)
    uss_notifications.settle(database, [(jobs[2], "HTTP 500")], clock, Tuning(max_attempts=3), rng)
    with database.read() as connection:
        query = sa.text("SELECT kind, actor, subjects, payload FROM audit_queue ORDER BY id")
        events = [r for r in connection.execute(query) if r.kind == "uss.notified"]
    told = [(json.loads(r.subjects), r.actor, json.loads(r.payload)) for r in events]
    assert told == [
        (
            ["op-0"],
            "hub",
            {
                "outcome": "delivered",
                "url": "https://uss.test/uss/v1/operational_intents",
                "attempts": 1,
                "body_digest": hashlib.sha256(jobs[0].body).hexdigest(),
            },
        ),
        (
            ["op-1"],
            "hub",
            {
                "outcome": "dead",
                "url": "https://uss.test/uss/v1/operational_intents",
                "attempts": 1,
                "body_digest": hashlib.sha256(b'{"n":1}').hexdigest(),
            },
        ),
    ]
