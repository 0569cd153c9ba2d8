"""Need-to-know: what a party may see of another party's plans.

A party sees its own objects in full. It sees another party's operation only where the
operation's footprint touches its area of interest, and then only at the detail the
owner granted it (by default volumes, times, state and priority, without callsign,
mission or other properties). An administrator sees everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely

from deconflict.model.party import DetailLevel, Party

PUBLIC_PROPERTIES = frozenset(
    {
        "party",
        "kind",
        "priority",
        "altitude_lower",
        "altitude_upper",
        "altitude_reference",
        "start",
        "end",
        "radius",
        "buffer",
        "times",
        "half_width",
        "vertical_half_width",
        "time_buffer",
    }
)
"""Properties that describe the 4D volume itself: shown at every detail level."""


def detail_for(
    *,
    viewer: Party | None,
    viewer_is_admin: bool,
    owner: Party | None,
    owner_id: str,
    footprint: shapely.Geometry,
) -> DetailLevel | None:
    """The detail `viewer` may see, or None when the object is not to be shown at all."""
    if viewer_is_admin or (viewer is not None and viewer.id == owner_id):
        return DetailLevel.FULL
    if viewer is None:
        return None
    area = viewer.area_of_interest
    if area is not None and not area.intersects(footprint):
        return None
    return owner.detail_for(viewer.id) if owner is not None else DetailLevel.VOLUMES


def redact(document: Mapping[str, Any], detail: DetailLevel) -> dict[str, Any]:
    """A GeoJSON FeatureCollection cut down to `detail`."""
    if detail is DetailLevel.FULL:
        return dict(document)
    features = []
    for feature in document.get("features", []):
        properties = {
            k: v for k, v in (feature.get("properties") or {}).items() if k in PUBLIC_PROPERTIES
        }
        features.append({**feature, "properties": properties})
    return {**document, "features": features}
