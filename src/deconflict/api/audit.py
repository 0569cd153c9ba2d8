"""/v1/audit: the hub's key, signed checkpoints, events, proofs and export bundles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from deconflict.api.deps import CallerDep, HubDep
from deconflict.application import read_record

router = APIRouter(prefix="/v1/audit", tags=["audit"])


def _data_dir(request: Request) -> str:
    return str(request.app.state.settings.data_dir)


@router.get("/key", summary="The hub's checkpoint verifier key (note text form)")
def key(request: Request, caller: CallerDep) -> dict[str, Any]:
    return {"key": read_record.verifier_key(_data_dir(request))}


@router.get("/checkpoints", summary="Every signed checkpoint, oldest first")
def checkpoints(hub: HubDep, caller: CallerDep) -> dict[str, Any]:
    notes = read_record.checkpoints(hub, caller)
    return {"checkpoints": notes, "latest": notes[-1] if notes else None}


@router.get("/events", summary="Stored event lines (payloads others' business redacted)")
def events(
    hub: HubDep,
    caller: CallerDep,
    start: Annotated[int, Query(alias="from", ge=0, le=2**62)] = 0,
    end: Annotated[int | None, Query(alias="to", ge=0, le=2**62)] = None,
) -> dict[str, Any]:
    return read_record.events(hub, caller, start, end)


@router.get("/proof/inclusion", summary="RFC 9162 inclusion proof")
def inclusion(
    hub: HubDep,
    caller: CallerDep,
    index: Annotated[int, Query(ge=0, le=2**62)],
    size: Annotated[int, Query(ge=1, le=2**62)],
) -> dict[str, Any]:
    return read_record.inclusion(hub, caller, index, size)


@router.get("/proof/consistency", summary="RFC 9162 consistency proof")
def consistency(
    hub: HubDep,
    caller: CallerDep,
    old: Annotated[int, Query(alias="from", ge=1, le=2**62)],
    new: Annotated[int, Query(alias="to", ge=1, le=2**62)],
) -> dict[str, Any]:
    return read_record.consistency(hub, caller, old, new)


@router.get("/bundle", summary="A self-verifying bundle of events [from, to)")
def bundle(
    request: Request,
    hub: HubDep,
    caller: CallerDep,
    start: Annotated[int, Query(alias="from", ge=0, le=2**62)] = 0,
    end: Annotated[int | None, Query(alias="to", ge=0, le=2**62)] = None,
    known: Annotated[list[int] | None, Query(description="checkpoint sizes you hold")] = None,
) -> dict[str, Any]:
    return read_record.bundle(hub, caller, _data_dir(request), start, end, known or [])
