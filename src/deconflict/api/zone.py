"""/v1/zones: declare, change, accept and withdraw zones and deconfliction lines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import (
    CallerDep,
    FeatureCollection,
    HubDep,
    IdempotencyKey,
    body_hash,
    expected_version,
    one_declaration,
)
from deconflict.api.views import zone_view
from deconflict.application.declare_zone import (
    accept_zone,
    declare_zone,
    get_zone,
    list_zones,
    withdraw_zone,
)
from deconflict.geo.errors import InputError
from deconflict.geo.units import format_time

router = APIRouter(prefix="/v1", tags=["zones"])
IfMatch = Annotated[str | None, Header(alias="If-Match")]


class ZoneIn(BaseModel):
    """A zone or line (GeoJSON), and the parties it binds, who must accept it."""

    model_config = ConfigDict(extra="forbid")
    geojson: FeatureCollection
    binds: list[str] = Field(default_factory=list, max_length=50)


@router.post("/zones", status_code=201, summary="Declare a zone or line")
def declare(
    body: ZoneIn,
    hub: HubDep,
    caller: CallerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    zone, replayed = declare_zone(
        hub,
        caller,
        one_declaration(body.geojson, "/geojson"),
        tuple(body.binds),
        idempotency_key=idempotency_key,
        request_hash=body_hash(idempotency_key, body, "POST /v1/zones"),
    )
    response.status_code = 200 if replayed else 201
    response.headers["ETag"] = f'"{zone.version}"'
    response.headers["Location"] = f"/v1/zones/{zone.id}"
    return {**zone_view(zone), "replayed": replayed}


@router.put("/zones/{zone_id}", summary="Change a zone or line (a new version)")
def change(
    zone_id: str,
    body: ZoneIn,
    hub: HubDep,
    caller: CallerDep,
    response: Response,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    declaration = one_declaration(body.geojson, "/geojson")
    if declaration.id != zone_id:
        raise InputError(f"the body describes {declaration.id!r}, not {zone_id!r}", field="geojson")
    zone, replayed = declare_zone(
        hub,
        caller,
        declaration,
        tuple(body.binds),
        expected_version(if_match, version),
        idempotency_key=idempotency_key,
        request_hash=body_hash(idempotency_key, body, f"PUT /v1/zones/{zone_id}"),
    )
    response.headers["ETag"] = f'"{zone.version}"'
    return {**zone_view(zone), "replayed": replayed}


@router.post("/zones/{zone_id}:accept", summary="Accept another party's zone version")
def accept(
    zone_id: str,
    hub: HubDep,
    caller: CallerDep,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    return zone_view(accept_zone(hub, caller, zone_id, expected_version(if_match, version)))


@router.post("/zones/{zone_id}:withdraw", summary="Withdraw your zone")
def withdraw(
    zone_id: str,
    hub: HubDep,
    caller: CallerDep,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    return zone_view(withdraw_zone(hub, caller, zone_id, expected_version(if_match, version)))


@router.get("/zones", summary="All zones and lines")
def list_all(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return {"zones": [zone_view(z) for z in list_zones(hub, caller)]}


@router.get("/zones/{zone_id}", summary="A zone and its history")
def get(zone_id: str, hub: HubDep, caller: CallerDep, response: Response) -> dict[str, Any]:
    zone, versions = get_zone(hub, caller, zone_id)
    response.headers["ETag"] = f'"{zone.version}"'
    return {
        **zone_view(zone),
        "history": [
            {
                "version": v["version"],
                "binds": v["binds"],
                "accepted_by": v["accepted_by"],
                "withdrawn": v["withdrawn"],
                "recorded_at": format_time(v["recorded_at"]),
                "geojson": v["document"],
            }
            for v in versions
        ],
    }
