"""Checking a whole scenario: every operation against everything other parties declared.

A conflict between two operations is one problem, not two, so it is reported once,
under the operation that should give way: the lower priority one, or on equal priority
the one declared later (as if the file listed operations in order of submission).
Conflicts with zones and lines are reported under the operation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from deconflict.engine.airspace import Airspace
from deconflict.engine.conflict import Report
from deconflict.engine.resolution import suggest as make_suggestions
from deconflict.geo.declaration import Declaration, Kind
from deconflict.geo.separation import SeparationPolicy


@dataclass(frozen=True)
class ScenarioResult:
    """Reports for the operations that must give way, in declaration order."""

    declarations: tuple[Declaration, ...]
    reports: tuple[Report, ...]
    policy: SeparationPolicy

    @property
    def conflict_count(self) -> int:
        return sum(len(r.conflicts) for r in self.reports)


def _yields(own: Declaration, other: Declaration, order: dict[str, int]) -> bool:
    """Whether `own` is the one to report (and move) for its conflict with `other`."""
    if other.kind is not Kind.OPERATION:
        return True
    if own.priority != other.priority:
        return own.priority < other.priority
    return order[own.id] > order[other.id]


def check_scenario(
    declarations: Sequence[Declaration],
    policy: SeparationPolicy,
    *,
    suggest: bool = True,
    with_areas: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ScenarioResult:
    """Check each operation against all other declarations; suggest for those that yield.

    `on_progress(done, total)` is called after each operation, for a progress bar.
    """
    airspace = Airspace(policy)
    airspace.add_many(declarations)
    order = {d.id: n for n, d in enumerate(declarations)}
    by_id = {d.id: d for d in declarations}
    operations = [d for d in declarations if d.kind is Kind.OPERATION]
    reports = []
    for operation in operations:
        report = airspace.check(operation, with_areas=with_areas)
        kept = tuple(c for c in report.conflicts if _yields(operation, by_id[c.other], order))
        report = replace(report, conflicts=kept)
        if suggest and kept:
            report = make_suggestions(airspace, operation, report)
        reports.append(report)
        if on_progress is not None:
            on_progress(len(reports), len(operations))
    return ScenarioResult(tuple(declarations), tuple(reports), policy)
