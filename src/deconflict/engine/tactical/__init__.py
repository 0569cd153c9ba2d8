"""Tactical: live tracks watched for predicted losses of separation and non-conformance.

Pure and vectorised like the rest of `engine`: reports in, findings and alert events out,
no sockets, files or clocks (the caller says what time it is).

- `state`: position reports, their sanity checks, the latest state per aircraft.
- `motion`: the linear motion model (positions and velocities in Earth-centred metres).
- `pairs`: the exact pair test (quadratic horizontal, linear vertical, same moment).
- `grid`: the spatial join that prunes pairs, so a cycle costs ~N log N, not N².
- `detector`: one detection cycle over all live tracks (pruning + the exact test).
- `conformance`: aircraft outside their operation, or inside another party's zone.
- `alerts`: findings into alerts that open, update and close with hysteresis.
"""

from deconflict.engine.tactical.alerts import Alert, AlertEvent, AlertSink, AlertTracker
from deconflict.engine.tactical.conformance import ConformanceMonitor, Deviation
from deconflict.engine.tactical.detector import Detector, PredictedConflicts
from deconflict.engine.tactical.state import PositionReport, Rejection, Tracks, TrackStates

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertSink",
    "AlertTracker",
    "ConformanceMonitor",
    "Detector",
    "Deviation",
    "PositionReport",
    "PredictedConflicts",
    "Rejection",
    "TrackStates",
    "Tracks",
]
