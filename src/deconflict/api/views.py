"""JSON bodies of responses: operations, zones, parties, check reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deconflict.application.check_plans import Verdict
from deconflict.application.outcome import Decision
from deconflict.application.query_operations import Seen
from deconflict.geo.units import format_time
from deconflict.model.agreement import PairAgreement
from deconflict.model.operation import Operation
from deconflict.model.party import DetailLevel, Party
from deconflict.model.visibility import redact
from deconflict.model.zone import Zone
from deconflict.store.documents import to_document


def operation_view(
    operation: Operation,
    detail: DetailLevel = DetailLevel.FULL,
    document: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An operation as its reader may see it; `document`: its GeoJSON, if made already."""
    declaration = operation.declaration
    view: dict[str, Any] = {
        "id": operation.id,
        "party": operation.party,
        "version": operation.version,
        "state": str(operation.state),
        "priority": operation.priority,
        "start": format_time(declaration.start),
        "end": format_time(declaration.end),
        "submitted_at": format_time(operation.submitted_at),
        "updated_at": format_time(operation.updated_at),
        "late_notice": list(operation.late_notice),
        "overridden_by": list(operation.overridden_by),
        "awaiting": list(operation.awaiting),
        "detail": str(detail),
        "geojson": redact(document or to_document(declaration), detail),
    }
    return view


def seen_view(seen: Seen) -> dict[str, Any]:
    return operation_view(seen.operation, seen.detail)


def decision_view(decision: Decision) -> dict[str, Any]:
    body = operation_view(decision.operation, document=decision.document)
    report = decision.report.as_dict() if decision.report is not None else None
    body["conflicts"] = report["conflicts"] if report else []
    body["overridden"] = list(decision.overridden)
    body["replayed"] = decision.replayed
    return body


def verdict_view(verdict: Verdict) -> dict[str, Any]:
    report = verdict.report.as_dict()
    return {
        "id": report["declaration"],
        "would_be": str(verdict.would_be) if verdict.would_be else "rejected",
        "clear": report["clear"],
        "conflicts": report["conflicts"],
        "suggestions": report["suggestions"],
    }


def zone_view(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id,
        "party": zone.party,
        "kind": str(zone.declaration.kind),
        "version": zone.version,
        "binds": list(zone.binds),
        "accepted_by": list(zone.accepted_by),
        "withdrawn": zone.withdrawn,
        "in_force_version": zone.in_force_version,
        "created_at": format_time(zone.created_at),
        "geojson": to_document(zone.declaration),
    }


def party_view(party: Party) -> dict[str, Any]:
    return {
        "id": party.id,
        "name": party.name,
        "languages": list(party.languages),
        "webhook_url": party.webhook_url,
        "duty_contacts": [
            {"name": c.name, "role": c.role, "contact": c.contact} for c in party.duty_contacts
        ],
        "area_of_interest": party.area_of_interest.__geo_interface__
        if party.area_of_interest is not None
        else None,
        "grants": {k: str(v) for k, v in party.grants.items()},
    }


def agreement_view(agreement: PairAgreement) -> dict[str, Any]:
    return {
        "parties": sorted(agreement.parties),
        "horizontal_m": agreement.minima.horizontal,
        "vertical_m": agreement.minima.vertical,
        "time_buffer_s": agreement.minima.time,
        "minimum_notice_s": agreement.minimum_notice_s,
    }
