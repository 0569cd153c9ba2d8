"""USS availability (set by an arbitrator, read by anyone coordinating) and DSS reports."""

from __future__ import annotations

import uuid
from typing import Any

from deconflict.application import dss_record
from deconflict.application.dss_common import UssCaller
from deconflict.application.hub import Hub
from deconflict.model.dss import MAX_TEXT, Availability, DssBadRequest, DssConflict
from deconflict.model.dss_volume import parse_time_field, time_field
from deconflict.store import dss_availability


def _status(uss: str, found: tuple[str, str] | None) -> dict[str, Any]:
    availability, version = found if found is not None else (Availability.UNKNOWN, "")
    return {"version": version, "status": {"uss": uss, "availability": str(availability)}}


def _uss(uss: str) -> str:
    if not uss or len(uss) > MAX_TEXT:
        raise DssBadRequest(f"uss_id must be 1 to {MAX_TEXT} characters")
    return uss


def get_availability(hub: Hub, uss: str) -> dict[str, Any]:
    uss = _uss(uss)
    with hub.database.read() as connection:
        return _status(uss, dss_availability.get(connection, uss))


def set_availability(
    hub: Hub, caller: UssCaller, uss: str, params: dict[str, Any]
) -> dict[str, Any]:
    """An arbitrator sets a USS's availability at its current version (`old_version`,
    "" for a USS never set). Any other version is 409, although version 1.0.0 of the
    definition lists no 409 here: later revisions, InterUSS's DSS and the InterUSS
    qualifier (uss_availability_simple, uss_availability_mutation) all say 409, as for
    every other stale version in the API."""
    uss = _uss(uss)
    try:
        availability = Availability(params.get("availability"))
    except ValueError:
        raise DssBadRequest("availability must be Unknown, Normal or Down") from None
    old = params.get("old_version", "")
    if old is None:
        old = ""
    if not isinstance(old, str):
        raise DssBadRequest("old_version must be a string")
    now = hub.clock()
    with hub.database.write() as connection:
        current = dss_availability.get(connection, uss)
        if (current[1] if current is not None else "") != old:
            raise DssConflict(f"old_version {old!r} is not the current version")
        version = uuid.uuid4().hex[:20]
        dss_availability.put(connection, uss, str(availability), version, now)
        dss_record.availability_set(connection, uss, str(availability), version, caller.party, now)
    return _status(uss, (str(availability), version))


_TEXT = ("url", "method", "request_source", "request_body", "response_body", "problem")


def _exchange(value: Any) -> dict[str, Any]:
    """The report's ExchangeRecord, checked field by field (unknown fields are dropped)."""
    if not isinstance(value, dict):
        raise DssBadRequest("a report needs its exchange")
    exchange: dict[str, Any] = {}
    for name in _TEXT:
        if name in value and value[name] is not None:
            if not isinstance(value[name], str):
                raise DssBadRequest(f"exchange.{name} must be a string")
            exchange[name] = value[name]
    # The definition requires request_source too, but the InterUSS qualifier's records
    # (uas-standards' ExchangeRecord) carry none, and InterUSS's DSS takes them: a report
    # is evidence, taken as given. The answer says "" then, as InterUSS's DSS does.
    for name in ("url", "method"):
        if name not in exchange:
            raise DssBadRequest(f"exchange.{name} is required")
    exchange.setdefault("request_source", "")
    if value.get("recorder_role") not in ("Client", "Server"):
        raise DssBadRequest("exchange.recorder_role must be Client or Server")
    exchange["recorder_role"] = value["recorder_role"]
    for name in ("request_time", "response_time"):
        if value.get(name) is not None:
            exchange[name] = time_field(parse_time_field(value[name], f"exchange.{name}"))
    if "request_time" not in exchange:
        raise DssBadRequest("exchange.request_time is required")
    headers = value.get("headers")
    if headers is not None:
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise DssBadRequest("exchange.headers must be a list of strings")
        exchange["headers"] = headers
    code = value.get("response_code")
    if code is not None:
        if isinstance(code, bool) or not isinstance(code, int) or abs(code) >= 2**31:
            raise DssBadRequest("exchange.response_code must be an int32")
        exchange["response_code"] = code
    return exchange


def make_report(hub: Hub, caller: UssCaller, params: dict[str, Any]) -> dict[str, Any]:
    """Archive a report; answer it with the id the DSS gave it."""
    report = {"report_id": str(uuid.uuid4()), "exchange": _exchange(params.get("exchange"))}
    now = hub.clock()
    with hub.database.write() as connection:
        ident = report["report_id"]
        dss_availability.archive_report(connection, ident, caller.manager, report, now)
        dss_record.report_made(connection, report, caller.party, now)
    return report
