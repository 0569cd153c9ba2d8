"""Replay: feed reports into `Tracks` and stop at every cycle time, as a live feed would.

The caller runs its cycle (detection, conformance, alerts) at each yielded time; by
then every report up to and including that time has been ingested, and none later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from deconflict.engine.tactical.state import PositionReport, Tracks

DEFAULT_PERIOD_S = 1.0


def cycles(
    reports: Iterable[PositionReport],
    tracks: Tracks,
    period: float = DEFAULT_PERIOD_S,
    idle_after: float | None = None,
) -> Iterator[float]:
    """Cycle times on multiples of `period` from the first report to the last.

    With `idle_after`, a silence longer than that (no report since `idle_after` seconds
    before the cycle) is skipped to the next report: once every track is stale and
    every alert closed, the cycles in between would find nothing (a recording of a
    week of sparse flights replays in seconds, not in 600,000 empty cycles).
    """
    if period <= 0.0:
        raise ValueError(f"the cycle period must be positive, not {period:g} s")
    cycle: float | None = None
    latest = -math.inf
    for report in reports:
        if cycle is None:
            cycle = math.ceil(report.time / period) * period
        while report.time > cycle:
            if idle_after is not None and cycle - latest > idle_after:
                cycle = math.ceil(report.time / period) * period
                break
            yield cycle
            cycle += period
        tracks.ingest(report)
        latest = max(latest, report.time)
    if cycle is not None:
        yield cycle
