"""Which scopes each DSS operation accepts: the `security` section of the standard's
OpenAPI definition, one alternative per line (any one alternative suffices).

A test compares this table with the definition itself.
"""

from __future__ import annotations

from uas_standards.astm.f3548.v21.constants import Scope

SC = Scope.StrategicCoordination.value
CM = Scope.ConstraintManagement.value
CP = Scope.ConstraintProcessing.value
CMSA = Scope.ConformanceMonitoringForSituationalAwareness.value
AA = Scope.AvailabilityArbitration.value

_INTENTS_READ = ((SC,), (CMSA,))
_INTENTS_WRITE = ((SC,), (SC, CP), (CMSA,))
_CONSTRAINTS_READ = ((CM,), (CP,))
_SUBSCRIPTIONS = ((CP,), (SC,))

SECURITY: dict[str, tuple[tuple[str, ...], ...]] = {
    "queryOperationalIntentReferences": _INTENTS_READ,
    "getOperationalIntentReference": _INTENTS_READ,
    "createOperationalIntentReference": _INTENTS_WRITE,
    "updateOperationalIntentReference": _INTENTS_WRITE,
    "deleteOperationalIntentReference": _INTENTS_READ,
    "queryConstraintReferences": _CONSTRAINTS_READ,
    "getConstraintReference": _CONSTRAINTS_READ,
    "createConstraintReference": ((CM,),),
    "updateConstraintReference": ((CM,),),
    "deleteConstraintReference": ((CM,),),
    "querySubscriptions": _SUBSCRIPTIONS,
    "getSubscription": _SUBSCRIPTIONS,
    "createSubscription": _SUBSCRIPTIONS,
    "updateSubscription": _SUBSCRIPTIONS,
    "deleteSubscription": _SUBSCRIPTIONS,
    "makeDssReport": ((CM,), (CP,), (SC,), (CMSA,), (AA,)),
    "setUssAvailability": ((AA,),),
    "getUssAvailability": ((AA,), (SC,), (CMSA,)),
    "getOperationalIntentDetails": ((SC,),),
}

STATUSES_WITH_413 = frozenset(
    {
        "queryOperationalIntentReferences",
        "createOperationalIntentReference",
        "updateOperationalIntentReference",
        "queryConstraintReferences",
        "createConstraintReference",
        "updateConstraintReference",
        "querySubscriptions",
    }
)
"""Operations whose definition lists 413 (area too large); the others answer 400."""


def allowed(operation_id: str, scopes: frozenset[str]) -> bool:
    return any(set(alternative) <= scopes for alternative in SECURITY[operation_id])
