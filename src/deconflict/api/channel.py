"""/v1/channel: link status, duty roster, officers' keys, arrangements, webhook settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import CallerDep, HubDep
from deconflict.application import channel_settings as settings
from deconflict.channel.escalation import Officer
from deconflict.channel.policy import Arrangement

router = APIRouter(prefix="/v1/channel", tags=["channel"])
PARTY = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
OFFICER = r"^[A-Za-z0-9._:@~-]{1,200}$"
TEXT = r"^[^\x00]*$"
PartyId = Annotated[str, Path(pattern=PARTY)]
OfficerId = Annotated[str, Path(pattern=OFFICER)]


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200, pattern=OFFICER)
    name: str = Field(min_length=1, max_length=200, pattern=TEXT)
    contact: str = Field(default="", max_length=300, pattern=TEXT)
    on_duty: bool = True


class RosterIn(BaseModel):
    """The party's duty officers, in escalation order."""

    model_config = ConfigDict(extra="forbid")
    officers: list[OfficerIn] = Field(max_length=200)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_key: str = Field(
        min_length=40, max_length=64, pattern=r"^[A-Za-z0-9+/=]+$", description="base64 raw Ed25519"
    )


class ArrangementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suspended: bool


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parties: list[Annotated[str, Field(pattern=PARTY)]] = Field(min_length=2, max_length=2)
    deadlines: dict[str, Annotated[float, Field(gt=0, le=7 * 86400)]] = Field(default_factory=dict)
    ladder: list[str] | None = Field(default=None, max_length=3)
    step_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    critical_window_s: float = Field(default=3600.0, ge=0, le=30 * 86400)
    supervisor: str = Field(default="", max_length=300, pattern=TEXT)
    on_exhausted: str = "hold"


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")


def _roster(officers: list[Officer]) -> dict[str, Any]:
    return {
        "officers": [
            {"id": o.id, "name": o.name, "contact": o.contact, "on_duty": o.on_duty}
            for o in officers
        ]
    }


def _arrangement(a: Arrangement) -> dict[str, Any]:
    return {
        "parties": list(a.parties),
        "suspended": a.suspended,
        "changed_by": a.changed_by,
        "changed_at": a.changed_at,
        "policy": a.policy.as_dict(),
    }


@router.get("/status", summary="Link health per counterpart")
def status(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return settings.link_status(hub, caller)


@router.post("/heartbeat", status_code=204, summary="The party's receiver is alive")
def heartbeat(hub: HubDep, caller: CallerDep) -> Response:
    settings.heartbeat(hub, caller)
    return Response(status_code=204)


@router.get("/roster", summary="The caller's party's duty roster")
def get_roster(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return _roster(settings.get_roster(hub, caller))


@router.put("/roster", summary="Replace the duty roster")
def put_roster(body: RosterIn, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    officers = [
        Officer(o.id, o.name, o.contact, rank, o.on_duty) for rank, o in enumerate(body.officers)
    ]
    return _roster(settings.put_roster(hub, caller, officers))


@router.put("/officers/{officer}/key", status_code=204, summary="Register an officer's key")
def put_key(officer: OfficerId, body: KeyIn, hub: HubDep, caller: CallerDep) -> Response:
    settings.register_key(hub, caller, officer, body.public_key)
    return Response(status_code=204)


@router.get("/arrangements", summary="The caller's pair arrangements")
def arrangements(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return {"arrangements": [_arrangement(a) for a in settings.arrangements(hub, caller)]}


@router.put("/arrangements/{other}", summary="Suspend or resume the arrangement with a party")
def put_arrangement(
    other: PartyId, body: ArrangementIn, hub: HubDep, caller: CallerDep
) -> dict[str, Any]:
    return _arrangement(settings.set_suspended(hub, caller, other, body.suspended))


@router.put("/policy", summary="A pair's deadlines and escalation ladder (admin)")
def put_policy(body: PolicyIn, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    value = body.model_dump(exclude={"parties"}, exclude_none=True)
    return _arrangement(settings.put_policy(hub, caller, body.parties, value))


@router.get("/webhook", summary="The secret webhook bodies are signed with")
def webhook(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return settings.webhook_settings(hub, caller)


@router.put("/settings", status_code=204, summary="The party's local time zone for notices")
def put_settings(body: SettingsIn, hub: HubDep, caller: CallerDep) -> Response:
    settings.set_timezone(hub, caller, body.timezone)
    return Response(status_code=204)
