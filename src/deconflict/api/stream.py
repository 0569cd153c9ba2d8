"""GET /v1/stream: a party's notices as Server-Sent Events, resumable by Last-Event-ID.

Each event's id is the notice's stream position (`seq`), gap-free in commit order, so a
client that reconnects with ``Last-Event-ID: n`` gets every notice after n and skips
none. One broadcaster thread per process polls the stream head (any worker's notices
reach every worker's subscribers) and hands new notices to the subscribers of their
recipient; a subscriber first reads its backlog from the database, then follows the
broadcast, dropping what it already sent. Deliveries are recorded in batches by a
recorder thread (`notice.delivered`, channel ``sse``). The process's channel runner
(sequencer, webhooks, escalation) is started and stopped with the app here too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import StreamingResponse

from deconflict.api.deps import CallerDep, HubDep
from deconflict.application import dss_native_notify
from deconflict.application.acknowledge_notice import view
from deconflict.application.hub import READ, Hub
from deconflict.channel import delivery, interest, keys, notice_store, wakeups
from deconflict.channel.runner import Runner, Timing
from deconflict.channel.uss_tokens import TokenSource, UssTokens
from deconflict.store.channel_tables import channel_head, notices

log = logging.getLogger("deconflict.stream")
KEEPALIVE_S = 15.0
POLL_S = 0.02
"""How often the stream looks for notices other processes numbered, while it has listeners."""
IDLE_POLL_S = 1.0


_zones: dict[str, tuple[str, float]] = {}
ZONE_TTL_S = 5.0
"""Parties' time zones, re-read every few seconds (a copy of the store, for rendering)."""


def _views(hub: Hub, rows: list[Any]) -> list[dict[str, Any]]:
    with hub.database.read() as connection:
        links = interest.parties(connection)
        out = []
        now = time.monotonic()
        for row in rows:
            link = links.get(row.recipient)
            zone = _zones.get(row.recipient)
            if zone is None or now - zone[1] > ZONE_TTL_S:
                name = notice_store.channel_party_timezone(connection, row.recipient)
                zone = _zones[row.recipient] = (name, now)
            languages = link.languages if link else ("en",)
            out.append(view(row, languages, zone[0]))
    return out


_HEAD = sa.select(channel_head.c.seq)
_NEW_FOR = (
    sa.select(notices)
    .where(
        notices.c.seq > sa.bindparam("after"),
        notices.c.seq <= sa.bindparam("head"),
        notices.c.recipient.in_(sa.bindparam("wanted", expanding=True)),
    )
    .order_by(notices.c.seq)
)


class Broadcaster:
    """Polls the stream head; fans new notices out to this process's subscribers."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = (
            defaultdict(set)
        )
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.last = 0
        self.thread = threading.Thread(target=self._run, name="sse-broadcast", daemon=True)

    def subscribe(self, party: str) -> asyncio.Queue:
        box: asyncio.Queue = asyncio.Queue()
        with self.lock:
            self.subscribers[party].add((asyncio.get_running_loop(), box))
        return box

    def unsubscribe(self, party: str, box: asyncio.Queue) -> None:
        with self.lock:
            self.subscribers[party] = {s for s in self.subscribers[party] if s[1] is not box}

    def _run(self) -> None:
        with self.hub.database.read() as connection:
            self.last = int(connection.execute(sa.select(channel_head.c.seq)).scalar() or 0)
        flag = wakeups.SEQUENCED.subscribe()
        try:
            while not self.stop.is_set():
                # Woken at once by this process's sequencer; other processes' notices are
                # found by polling, fast only while someone here is listening.
                with self.lock:
                    listening = any(self.subscribers.values())
                wakeups.wait(flag, POLL_S if listening else IDLE_POLL_S)
                try:
                    self._poll()
                except Exception:
                    log.exception("stream poll failed")
        finally:
            wakeups.SEQUENCED.unsubscribe(flag)

    def _poll(self) -> None:
        with self.lock:
            wanted = sorted(p for p, subs in self.subscribers.items() if subs)
        with self.hub.database.read() as connection:
            head = int(connection.execute(_HEAD).scalar() or 0)
            if head <= self.last:
                return
            # Only the notices someone here listens for (often none: then only the head).
            rows = (
                connection.execute(
                    _NEW_FOR, {"after": self.last, "head": head, "wanted": wanted}
                ).all()
                if wanted
                else []
            )
        shown = _views(self.hub, rows)
        self.last = head
        for item in shown:
            with self.lock:
                targets = list(self.subscribers.get(item["to"], ()))
            for loop, box in targets:
                loop.call_soon_threadsafe(box.put_nowait, item)


class Recorder:
    """Writes SSE deliveries in batches (one transaction per batch)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.items: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sse-recorder", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.05) or not self.items.empty():
            batch = []
            while not self.items.empty():
                batch.append(self.items.get_nowait())
            if not batch:
                continue
            try:
                with self.hub.database.write() as connection:
                    now = self.hub.clock()
                    delivery.record(connection, batch, now)
                    notice_store.heartbeats(connection, {p for _, p, _ in batch}, now)
            except Exception:
                log.exception("recording SSE deliveries failed")
            if self.stop.is_set():
                return


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub: Hub = app.state.hub
    settings = app.state.settings
    runner = Runner(
        hub.database,
        hub.clock,
        keys.hub_signer(settings.data_dir),
        Timing.from_extra(settings.extra),
        UssTokens(
            TokenSource(
                token=settings.uss_notify_token,
                token_url=settings.uss_notify_token_url,
                client_id=settings.uss_notify_client_id,
                client_secret=settings.uss_notify_client_secret,
            )
        ),
        released=lambda connection, operation, now: dss_native_notify.changed(
            connection, None, operation, now
        ),
    )
    broadcaster, recorder = Broadcaster(hub), Recorder(hub)
    app.state.channel = runner
    app.state.broadcaster, app.state.recorder = broadcaster, recorder
    runner.start()
    broadcaster.thread.start()
    recorder.thread.start()
    try:
        yield
    finally:
        broadcaster.stop.set()
        recorder.stop.set()
        runner.stop()
        broadcaster.thread.join(timeout=5)
        recorder.thread.join(timeout=5)


router = APIRouter(prefix="/v1", tags=["channel"], lifespan=lifespan)


def _backlog(hub: Hub, party: str, after: int) -> list[dict[str, Any]]:
    with hub.database.read() as connection:
        rows = notice_store.for_party(connection, party, after=after, limit=500)
    return _views(hub, rows)


def _frame(item: dict[str, Any]) -> str:
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return f"id: {item['seq']}\nevent: notice\ndata: {data}\n\n"


@router.get(
    "/stream",
    # Left out of the OpenAPI description: an endless stream is no request/response
    # operation (generated clients and schema fuzzers would wait forever); docs/api.md.
    include_in_schema=False,
    summary="Notices as Server-Sent Events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    hub: HubDep,
    caller: CallerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Resume after this")] = None,
) -> StreamingResponse:
    """Every notice to the caller's party after `Last-Event-ID` (or `after`), then live."""
    caller.require(READ)
    party = caller.own_party()
    try:
        start = int(last_event_id) if last_event_id else (after or 0)
    except ValueError:
        start = after or 0
    broadcaster: Broadcaster = request.app.state.broadcaster
    recorder: Recorder = request.app.state.recorder

    async def events() -> AsyncIterator[str]:
        # Subscribed before the backlog is read: a notice committed in between is in both,
        # and the position check drops the second copy; none can fall between.
        box = broadcaster.subscribe(party)
        last = start
        try:
            yield "retry: 1000\n: connected\n\n"
            while True:
                backlog = await anyio.to_thread.run_sync(_backlog, hub, party, last)
                for item in backlog:
                    yield _frame(item)
                    last = item["seq"]
                    recorder.items.put((item["id"], party, "sse"))
                if len(backlog) < 500:
                    break
            while True:
                try:
                    item = await asyncio.wait_for(box.get(), KEEPALIVE_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keepalive\n\n"
                    await anyio.to_thread.run_sync(_beat, hub, party)
                    continue
                if item["seq"] <= last:
                    continue
                yield _frame(item)
                last = item["seq"]
                recorder.items.put((item["id"], party, "sse"))
        finally:
            broadcaster.unsubscribe(party, box)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _beat(hub: Hub, party: str) -> None:
    with hub.database.write() as connection:
        notice_store.heartbeat(connection, party, hub.clock())
