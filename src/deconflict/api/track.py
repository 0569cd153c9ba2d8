"""/v1/tracks and /v1/alerts: live positions in, latest states and tactical alerts out.

Including this router also runs the tactical cycle in the background of every worker
process (`application.tactical_cycle`); a lease in the database lets one of them at a
time do the work.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import anyio.to_thread
import shapely
from fastapi import APIRouter, Body, FastAPI, Header, Query, Request
from fastapi.responses import StreamingResponse
from prometheus_client import Counter

from deconflict.api.deps import CallerDep, HubDep
from deconflict.application.hub import Caller, Hub
from deconflict.application.ingest_tracks import MAX_BATCH, ingest_tracks
from deconflict.application.query_tracks import (
    SeenTrack,
    alert_events_after,
    list_alerts,
    visible_tracks,
)
from deconflict.application.tactical_cycle import TacticalCycle, TacticalLoop
from deconflict.engine.tactical.state import MAX_AGE_S
from deconflict.geo.errors import InputError
from deconflict.geo.units import format_time
from deconflict.model.party import DetailLevel

STREAM_PERIOD_S = 1.0
REPORTS = Counter("deconflict_track_reports_total", "Position reports received", ["result"])


@asynccontextmanager
async def _cycle(app: FastAPI) -> AsyncIterator[None]:
    loop = TacticalLoop(TacticalCycle(app.state.hub))
    loop.start()
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(loop.stop)


router = APIRouter(prefix="/v1", tags=["tracks"], lifespan=_cycle)


def track_view(seen: SeenTrack) -> dict[str, Any]:
    s = seen.state
    full = seen.detail is DetailLevel.FULL
    return {
        "aircraft": s.aircraft,
        "party": s.party or None,
        "operation": (s.operation or None) if full else None,
        "callsign": s.callsign if full else None,
        "time": format_time(s.time),
        "lon": s.lon,
        "lat": s.lat,
        "alt": s.alt,
        "altitude_reference": s.reference,
        "ground_speed": s.ground_speed,
        "track": s.track,
        "vertical_rate": s.vertical_rate,
        "live": seen.live,
        "detail": str(seen.detail),
    }


def alert_view(alert: dict[str, Any]) -> dict[str, Any]:
    view = dict(alert)
    for name in ("opened_at", "updated_at", "closed_at"):
        if view.get(name) is not None:
            view[name] = format_time(view[name])
    view["parties"] = [p or None for p in view.get("parties", [])]
    return view


def _area(bbox: str | None) -> shapely.Geometry | None:
    if bbox is None:
        return None
    try:
        lon_min, lat_min, lon_max, lat_max = (float(v) for v in bbox.split(","))
    except ValueError:
        raise InputError(
            "must be four numbers: lon_min,lat_min,lon_max,lat_max", field="bbox"
        ) from None
    if not (-180 <= lon_min < lon_max <= 180 and -90 <= lat_min < lat_max <= 90):
        raise InputError("is not a valid lon/lat box", field="bbox")
    return shapely.box(lon_min, lat_min, lon_max, lat_max)


@router.post("/tracks", summary="Report live positions (a batch)")
def report(
    hub: HubDep,
    caller: CallerDep,
    body: Annotated[list[Any], Body(max_length=MAX_BATCH)],
) -> dict[str, Any]:
    """A JSON array of position reports (SI units). Each is checked alone: bad ones are
    counted by reason and the first 100 explained; the good ones are kept."""
    result = ingest_tracks(hub, caller, body)
    REPORTS.labels("accepted").inc(result.accepted)
    for reason, count in result.rejected.items():
        REPORTS.labels(reason).inc(count)
    return {
        "accepted": result.accepted,
        "rejected": sum(result.rejected.values()),
        "reasons": dict(sorted(result.rejected.items())),
        "errors": [
            {"index": index, "reason": reason, "detail": detail}
            for index, reason, detail in result.errors
        ],
    }


@router.get("/tracks", summary="Latest live states")
def tracks(
    hub: HubDep,
    caller: CallerDep,
    bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max")] = None,
    max_age: Annotated[float, Query(ge=0, le=3600, description="seconds")] = MAX_AGE_S,
) -> dict[str, Any]:
    """Every aircraft reported within `max_age` seconds that the caller may see; `live`
    is false for those older than the cycle uses (a silent feed)."""
    seen = visible_tracks(hub, caller, max_age=max_age, area=_area(bbox))
    return {"time": format_time(hub.clock()), "tracks": [track_view(s) for s in seen]}


@router.get("/alerts", summary="Tactical alerts")
def alerts(
    hub: HubDep,
    caller: CallerDep,
    state: Annotated[str, Query(pattern="^(open|all)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Alerts involving the caller's party, newest first: open ones, or all."""
    found = list_alerts(hub, caller, open_only=state == "open", limit=limit)
    return {"alerts": [alert_view(a) for a in found]}


def _sse(event: str, data: Any, ident: int | None = None) -> bytes:
    head = f"id: {ident}\n" if ident is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _events(
    hub: Hub, caller: Caller, after: int | None, with_tracks: bool
) -> AsyncIterator[bytes]:
    seq = after
    yield b"retry: 2000\n\n"
    while True:
        seq, events = await anyio.to_thread.run_sync(alert_events_after, hub, caller, seq)
        for number, kind, time, alert in events:
            body = {"type": kind, "time": format_time(time), "alert": alert_view(alert)}
            yield _sse("alert", body, number)
        if with_tracks:
            seen = await anyio.to_thread.run_sync(lambda: visible_tracks(hub, caller))
            body = {"time": format_time(hub.clock()), "tracks": [track_view(s) for s in seen]}
            yield _sse("tracks", body)
        else:
            yield b": keep-alive\n\n"
        await anyio.sleep(STREAM_PERIOD_S)


@router.get(
    "/tracks/stream",
    # Left out of the OpenAPI description, like /v1/stream: an endless stream is no
    # request/response operation (schema fuzzers would wait forever); docs/api.md.
    include_in_schema=False,
    summary="Server-Sent Events: alerts and live states",
)
def stream(
    request: Request,
    hub: HubDep,
    caller: CallerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    tracks: Annotated[bool, Query(description="also send the live states each second")] = True,
) -> StreamingResponse:
    """`alert` events (id = sequence number: reconnect with Last-Event-ID to get those
    missed) and, each second, a `tracks` event with the visible live states."""
    after = None
    if last_event_id is not None:
        try:
            after = max(0, int(last_event_id))
        except ValueError:
            raise InputError("Last-Event-ID must be an event id", field="Last-Event-ID") from None
    # Checked before streaming starts, so a bad token gets a problem, not an empty stream.
    alert_events_after(hub, caller, 0, limit=1)
    return StreamingResponse(
        _events(hub, caller, after, tracks),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
