"""Details of the hub's own operations for USSs (the standard's USS API, served by the hub).

A native operation is shown as the standard's OperationalIntent: its reference plus its
volumes, with no callsign, mission or other property (need-to-know: a USS learns where
and when, nothing else). Outlines become polygons that contain them (corridors and
circles drawn outward) and altitudes W84 bands that contain them (a band in another
reference is widened by that reference's margin, as the engine does when it compares).
USS-managed intents are not detailed here: their manager serves them.
"""

from __future__ import annotations

from typing import Any

from deconflict.application.dss_common import (
    UssCaller,
    find_native,
    native_key,
    native_reference,
)
from deconflict.application.hub import Hub
from deconflict.geo.altitude import AltitudeReference, reference_margin
from deconflict.geo.footprint import outline_footprint
from deconflict.geo.outline import Circle
from deconflict.geo.volume import Volume
from deconflict.model.dss import check_uuid
from deconflict.model.dss_volume import time_field
from deconflict.model.errors import NotFound
from deconflict.model.operation import Operation
from deconflict.store import dss_intents


def _altitude(value: float) -> dict[str, Any]:
    return {"value": value, "reference": "W84", "units": "M"}


def volume4d(volume: Volume) -> dict[str, Any]:
    """A hub volume as the standard's Volume4D (containing it)."""
    outline = volume.outline
    volume3d: dict[str, Any]
    if isinstance(outline, Circle):
        lon, lat = outline.center
        volume3d = {
            "outline_circle": {
                "center": {"lat": lat, "lng": lon},
                "radius": {"value": outline.radius, "units": "M"},
            }
        }
    else:
        shape = outline_footprint(outline)
        ring = list(shape.exterior.coords)[:-1]
        volume3d = {"outline_polygon": {"vertices": [{"lat": y, "lng": x} for x, y in ring]}}
    margin = reference_margin(volume.band.reference, AltitudeReference.W84)
    volume3d["altitude_lower"] = _altitude(volume.band.lower - margin)
    volume3d["altitude_upper"] = _altitude(volume.band.upper + margin)
    return {
        "volume": volume3d,
        "time_start": time_field(volume.window.start),
        "time_end": time_field(volume.window.end),
    }


def details(operation: Operation, caller: UssCaller) -> dict[str, Any]:
    reference = native_reference(operation, caller) | {"ovn": native_key(operation)}
    volumes = [volume4d(v) for v in operation.declaration.volumes]
    off_nominal = reference["state"] in ("Nonconforming", "Contingent")
    return {
        "operational_intent": {
            "reference": reference,
            "details": {
                "volumes": [] if reference["state"] == "Contingent" else volumes,
                "off_nominal_volumes": volumes if off_nominal else [],
                "priority": operation.declaration.priority,
            },
        }
    }


def get_details(hub: Hub, caller: UssCaller, entity_id: str) -> dict[str, Any]:
    entity_id = check_uuid(entity_id, "entityid")
    with hub.database.read() as connection:
        if dss_intents.get(connection, entity_id) is not None:
            raise NotFound(
                f"operational intent {entity_id} is managed by a USS: ask its uss_base_url"
            )
        operation = find_native(connection, entity_id)
    if operation is None or not operation.in_force:
        raise NotFound(f"operational intent {entity_id} not found")
    return details(operation, caller)
