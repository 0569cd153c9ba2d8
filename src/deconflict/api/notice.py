"""/v1/notices and /v1/hotline: read and acknowledge notices; message another party."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import CallerDep, HubDep, IdempotencyKey, body_hash
from deconflict.application.acknowledge_notice import (
    acknowledge,
    list_notices,
    read_notice,
    send_hotline,
)

router = APIRouter(prefix="/v1", tags=["notices"])
NoticeId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:~-]{1,64}$")]
PARTY = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
TEXT = r"^[^\x00]*$"


class AckIn(BaseModel):
    """Who acknowledges (default: the token's subject), and optionally their signature."""

    model_config = ConfigDict(extra="forbid")
    officer: str | None = Field(default=None, max_length=200, pattern=TEXT)
    signature: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9+/=]*$",
        description="base64 Ed25519 signature over the notice's `digest` (hex text)",
    )


class HotlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=64, pattern=PARTY)
    text: str = Field(min_length=1, max_length=4000, pattern=TEXT)


@router.get("/notices", summary="Notices to the caller's party")
def notices(
    hub: HubDep,
    caller: CallerDep,
    state: Annotated[str, Query(pattern="^(all|open)$")] = "all",
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """In stream order; `state=open`: those still awaiting acknowledgement."""
    found = list_notices(hub, caller, open_only=state == "open", after=after, limit=limit)
    return {"notices": found, "next_after": found[-1]["seq"] if len(found) == limit else None}


@router.get("/notices/{ident}", summary="One notice (records the recipient's first read)")
def notice(ident: NoticeId, hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    return read_notice(hub, caller, ident)


@router.post("/notices/{ident}:ack", summary="Acknowledge a notice")
def ack(
    ident: NoticeId, hub: HubDep, caller: CallerDep, body: AckIn | None = None
) -> dict[str, Any]:
    """Any on-duty officer of the receiving party; idempotent."""
    body = body or AckIn()
    return acknowledge(hub, caller, ident, officer=body.officer, signature=body.signature)


@router.post("/hotline", status_code=201, summary="Send a hotline message")
def hotline(
    body: HotlineIn,
    hub: HubDep,
    caller: CallerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """A retry with the same Idempotency-Key and body answers the first message's id
    (200) and sends nothing; the same key with another body is refused (422)."""
    ident, replayed = send_hotline(
        hub,
        caller,
        body.to,
        body.text,
        idempotency_key=idempotency_key,
        request_hash=body_hash(idempotency_key, body, "POST /v1/hotline"),
    )
    if replayed:
        response.status_code = 200
    return {"id": ident}
