"""What-if: check candidate plans without writing, to compare them before submitting one."""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.application import candidates, policy
from deconflict.application.hub import READ, Caller, Hub
from deconflict.application.outcome import sort_conflicts
from deconflict.engine.conflict import Report
from deconflict.engine.resolution import suggest
from deconflict.geo.declaration import Declaration
from deconflict.model.errors import NotAllowed
from deconflict.model.operation_state import OperationState


@dataclass(frozen=True)
class Verdict:
    """What submitting the plan now would do."""

    report: Report
    would_be: OperationState | None
    """accepted, pending (awaiting a zone owner), or None: refused."""


def check_plans(hub: Hub, caller: Caller, plans: list[Declaration]) -> list[Verdict]:
    """Each plan checked against what is in force, with suggestions where it conflicts."""
    caller.require(READ)
    verdicts = []
    with hub.database.read() as connection:
        agreements = policy.load(connection)
        for plan in plans:
            if not caller.is_admin and plan.party != caller.party:
                raise NotAllowed(f"party {caller.party} cannot check plans of {plan.party}")
            near = candidates.neighbourhood(connection, plan, agreements.policy)
            report = near.airspace.check(plan)
            found = sort_conflicts(report, plan)
            if found.blocking:
                would_be = None
            elif found.zones:
                would_be = OperationState.PENDING
            else:
                would_be = OperationState.ACCEPTED
            if report.conflicts:
                wider = candidates.neighbourhood(
                    connection, plan, agreements.policy, for_suggestions=True
                )
                report = suggest(wider.airspace, plan, report)
            verdicts.append(Verdict(report, would_be))
    return verdicts
