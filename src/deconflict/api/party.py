"""/v1/parties and /v1/agreements: administration of who takes part and what they agreed."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

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


PartyId = Annotated[str, Field(pattern=ID_PATTERN)]
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$")]
"""A BCP 47 language tag (``en``, ``ru-RU``, ``ar``): notices use the first one we have."""


class PartyIn(BaseModel):
    """A party: its name, languages, webhook, duty contacts, area of interest, grants."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    languages: list[Language] = Field(default_factory=lambda: ["en"], min_length=1, max_length=10)
    webhook_url: str | None = Field(
        default=None,
        max_length=2000,
        description="http or https URL the party's notices are POSTed to (signed)",
    )
    duty_contacts: list[ContactIn] = Field(default_factory=list, max_length=100)
    area_of_interest: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon; none means everywhere"
    )
    grants: dict[PartyId, DetailLevel] = Field(default_factory=dict, max_length=1000)


class AgreementIn(BaseModel):
    """What two parties agreed: minima (with units) and the notice each owes the other."""

    model_config = ConfigDict(extra="forbid")
    parties: list[PartyId] = Field(min_length=2, max_length=2)
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
    area = None if body.area_of_interest is None else _area(body.area_of_interest)
    webhook_url = None if body.webhook_url is None else _webhook_url(body.webhook_url)
    party = Party(
        id=party_id,
        name=body.name,
        languages=tuple(body.languages),
        webhook_url=webhook_url,
        duty_contacts=tuple(DutyContact(c.name, c.role, c.contact) for c in body.duty_contacts),
        area_of_interest=area,
        grants=dict(body.grants),
    )
    created = put_party(hub, caller, party)
    response.status_code = 201 if created else 200
    return party_view(party)


def _area(geometry: dict[str, Any]) -> shapely.Geometry:
    """A party's area of interest: a valid, non-empty lon/lat (Multi)Polygon."""
    try:
        area = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, GEOSException) as error:
        raise InputError(f"not a GeoJSON geometry: {error}", field="area_of_interest") from None
    if area.geom_type not in ("Polygon", "MultiPolygon") or not area.is_valid:
        raise InputError("must be a valid Polygon or MultiPolygon", field="area_of_interest")
    if area.is_empty or area.area <= 0:
        # An empty area would silently mean "hears of nothing" (no area means everywhere).
        raise InputError(
            "must not be empty (leave it out to hear of everything)", field="area_of_interest"
        )
    lon_min, lat_min, lon_max, lat_max = area.bounds
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        raise InputError("is outside WGS84 ranges", field="area_of_interest")
    return area


WEBHOOK_SCHEMES = ("https", "http")


def _webhook_url(text: str) -> str:
    """An absolute http(s) URL with a host, no credentials and no fragment.

    Plain http is allowed: the body is signed (HMAC with a timestamp), so a notice read
    on the way can still be neither changed nor forged nor replayed undetected, and
    receivers often sit on the hub's own host or a closed link (or behind a proxy that
    ends TLS). What http does not give is secrecy: use https wherever the path leaves a
    trusted network (docs/channel.md). Credentials in the URL are refused: they would
    be stored and shown in clear; the signature is how a receiver knows the hub.
    """
    try:
        parts = urlsplit(text)
        port = parts.port  # a bad port raises here
    except ValueError as error:
        raise InputError(f"is not a URL: {error}", field="webhook_url") from None
    if parts.scheme.lower() not in WEBHOOK_SCHEMES:
        raise InputError("must be an http or https URL", field="webhook_url")
    if not parts.hostname or any(c.isspace() or ord(c) < 32 for c in text):
        raise InputError("must name a host (and hold no spaces)", field="webhook_url")
    if parts.username is not None or parts.password is not None:
        raise InputError("must not carry credentials", field="webhook_url")
    if parts.fragment:
        raise InputError("must not have a fragment", field="webhook_url")
    if port == 0:
        raise InputError("port 0 is no port", field="webhook_url")
    return text


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
    minima = Minima(values["horizontal"], values["vertical"], values["time_buffer"])
    made = PairAgreement(frozenset(body.parties), minima, values["minimum_notice"])
    put_agreement(hub, caller, made)
    return agreement_view(made)


@router.get("/agreements", summary="Agreements you are party to (all, as admin)")
def agreements(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return {"agreements": [agreement_view(a) for a in list_agreements(hub, caller)]}
