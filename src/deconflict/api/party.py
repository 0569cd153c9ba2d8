"""/v1/parties and /v1/agreements: administration of who takes part and what they agreed."""

from __future__ import annotations

import re
from typing import Any

import shapely
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from shapely.errors import GEOSException

from deconflict.api.deps import CallerDep, HubDep
from deconflict.api.views import agreement_view, party_view
from deconflict.application.manage_parties import (
    delete_party,
    get_party,
    list_agreements,
    list_parties,
    put_agreement,
    put_party,
)
from deconflict.geo.errors import InputError
from deconflict.geo.separation import Minima
from deconflict.geo.units import parse_duration, parse_length
from deconflict.model.agreement import PairAgreement
from deconflict.model.party import DetailLevel, DutyContact, Party

router = APIRouter(prefix="/v1", tags=["parties"])
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="duty officer", max_length=100)
    contact: str = Field(default="", max_length=300)


class PartyIn(BaseModel):
    """A party: its name, languages, webhook, duty contacts, area of interest, grants."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    languages: list[str] = Field(default_factory=lambda: ["en"], max_length=10)
    webhook_url: str | None = Field(default=None, max_length=2000)
    duty_contacts: list[ContactIn] = Field(default_factory=list, max_length=100)
    area_of_interest: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon; none means everywhere"
    )
    grants: dict[str, DetailLevel] = Field(default_factory=dict)


class AgreementIn(BaseModel):
    """What two parties agreed: minima (with units) and the notice each owes the other."""

    model_config = ConfigDict(extra="forbid")
    parties: list[str] = Field(min_length=2, max_length=2)
    horizontal: str | float = 0
    vertical: str | float = 0
    time_buffer: str | float = 0
    minimum_notice: str | float = 0


@router.put("/parties/{party_id}", summary="Create or replace a party (admin)")
def put(
    party_id: str, body: PartyIn, hub: HubDep, caller: CallerDep, response: Response
) -> dict[str, Any]:
    if not re.match(ID_PATTERN, party_id):
        raise InputError("party ids are lower-case letters, digits, '.', '_', '-'", field="id")
    area = None
    if body.area_of_interest is not None:
        try:
            area = shapely.geometry.shape(body.area_of_interest)
        except (ValueError, TypeError, AttributeError, KeyError, GEOSException) as error:
            raise InputError(f"not a GeoJSON geometry: {error}", field="area_of_interest") from None
        if area.geom_type not in ("Polygon", "MultiPolygon") or not area.is_valid:
            raise InputError("must be a valid Polygon or MultiPolygon", field="area_of_interest")
        lon_min, lat_min, lon_max, lat_max = area.bounds
        if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
            raise InputError("is outside WGS84 ranges", field="area_of_interest")
    party = Party(
        id=party_id,
        name=body.name,
        languages=tuple(body.languages),
        webhook_url=body.webhook_url,
        duty_contacts=tuple(DutyContact(c.name, c.role, c.contact) for c in body.duty_contacts),
        area_of_interest=area,
        grants=dict(body.grants),
    )
    created = put_party(hub, caller, party)
    response.status_code = 201 if created else 200
    return party_view(party)


@router.get("/parties", summary="List parties")
def list_all(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    parties = list_parties(hub, caller)
    if caller.is_admin:
        return {"parties": [party_view(p) for p in parties]}
    return {"parties": [{"id": p.id, "name": p.name} for p in parties]}


@router.get("/parties/{party_id}", summary="Get a party (your own, or any as admin)")
def get(party_id: str, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return party_view(get_party(hub, caller, party_id))


@router.delete("/parties/{party_id}", status_code=204, summary="Remove a party (admin)")
def delete(party_id: str, hub: HubDep, caller: CallerDep) -> Response:
    delete_party(hub, caller, party_id)
    return Response(status_code=204)


@router.put("/agreements", summary="Set the agreement between two parties (admin)")
def agreement(body: AgreementIn, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    values = {}
    for name, parse in (
        ("horizontal", parse_length),
        ("vertical", parse_length),
        ("time_buffer", parse_duration),
        ("minimum_notice", parse_duration),
    ):
        try:
            values[name] = parse(getattr(body, name))
        except InputError as error:
            raise InputError(error.message, field=name) from None
    if values["minimum_notice"] < 0:
        raise InputError("must not be negative", field="minimum_notice")
    minima = Minima(values["horizontal"], values["vertical"], values["time_buffer"])
    made = PairAgreement(frozenset(body.parties), minima, values["minimum_notice"])
    put_agreement(hub, caller, made)
    return agreement_view(made)


@router.get("/agreements", summary="Agreements you are party to (all, as admin)")
def agreements(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return {"agreements": [agreement_view(a) for a in list_agreements(hub, caller)]}
