"""The rules of ASTM F3548-21 that the DSS enforces: states, transitions, ids, OVNs.

Errors (each a `DomainError`, mapped to the standard's status codes in `api/dss/`):

DomainError
 ├── DssBadRequest     400: invalid input, or a mutation the standard does not allow
 ├── AreaTooLarge      413 where the endpoint documents it, else 400
 ├── MissingKeys       409: the key misses OVNs of relevant entities (lists them)
 ├── DssConflict       409: wrong OVN/version, someone else's entity, native conflict
 └── UssDown           412: the USS is marked Down and may not do this
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
import uuid
from enum import StrEnum
from typing import Any

from deconflict.model.errors import DomainError
from deconflict.model.operation_state import OperationState

UUID_V4 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
UUID_V7 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
NULL_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
"""What `subscription_id` says when an intent has none (a required field; InterUSS's choice).
Given back in a request, it means "no subscription"."""

MAX_TEXT = 255
"""Longest manager (`sub`), USS id or URL the DSS stores (the columns' width)."""

MAX_SUBSCRIPTION_S = 24 * 3600.0
"""DSSMaxSubscriptionDurationHours."""


class DssBadRequest(DomainError):
    """400: a parameter is missing or invalid, or the change is not allowed."""


class AreaTooLarge(DomainError):
    """413 (400 where the endpoint lists no 413): the area is larger than the DSS serves."""


class DssConflict(DomainError):
    """409 with the standard's ErrorResponse: a version/OVN mismatch or an ownership clash."""


class UssDown(DomainError):
    """412: the USS is Down and may not create, change or delete this."""


class MissingKeys(DomainError):
    """409 with an AirspaceConflictResponse: what the key should have contained.

    `intents` and `constraints` are the references (as the standard's dicts) to list.
    """

    def __init__(
        self, message: str, intents: list[dict[str, Any]], constraints: list[dict[str, Any]]
    ) -> None:
        super().__init__(message)
        self.intents = intents
        self.constraints = constraints


class IntentState(StrEnum):
    """The standard's operational intent states (as spelled on the wire)."""

    ACCEPTED = "Accepted"
    ACTIVATED = "Activated"
    NONCONFORMING = "Nonconforming"
    CONTINGENT = "Contingent"

    @property
    def needs_key(self) -> bool:
        """Nonconforming and Contingent intents are adjusted as flown: no key needed."""
        return self in (IntentState.ACCEPTED, IntentState.ACTIVATED)

    @property
    def off_nominal(self) -> bool:
        """Nonconforming and Contingent are the conformance monitoring role's to declare
        (SCD0100: the utm.conformance_monitoring_sa scope)."""
        return not self.needs_key

    @property
    def operation_state(self) -> OperationState:
        return OperationState(self.value.lower())


def intent_state_of(state: OperationState) -> IntentState:
    """How a native operation's state reads as an intent state (pending reads Accepted)."""
    if state in (OperationState.PENDING, OperationState.PROPOSED):
        return IntentState.ACCEPTED
    return IntentState(str(state).capitalize())


_NEXT: dict[IntentState, frozenset[IntentState]] = {
    IntentState.ACCEPTED: frozenset({IntentState.ACCEPTED, IntentState.ACTIVATED}),
    IntentState.ACTIVATED: frozenset(
        {IntentState.ACTIVATED, IntentState.NONCONFORMING, IntentState.CONTINGENT}
    ),
    IntentState.NONCONFORMING: frozenset(
        {IntentState.NONCONFORMING, IntentState.ACTIVATED, IntentState.CONTINGENT}
    ),
    IntentState.CONTINGENT: frozenset({IntentState.CONTINGENT}),
}
"""F3548-21 figure of states: Ended is reached by deleting the reference."""

CREATABLE = frozenset({IntentState.ACCEPTED})
"""An intent starts Accepted (the figure of states has no other way in; InterUSS's DSS
refuses any other first state too)."""


def require_intent_transition(current: IntentState, target: IntentState) -> None:
    if target not in _NEXT[current]:
        allowed = ", ".join(sorted(_NEXT[current]))
        raise DssBadRequest(
            f"an operational intent that is {current} cannot become {target} "
            f"(allowed: {allowed}, or delete it)"
        )


class Availability(StrEnum):
    UNKNOWN = "Unknown"
    NORMAL = "Normal"
    DOWN = "Down"


def check_uuid(value: str, what: str) -> str:
    """A UUIDv4 as the standard's pattern requires, else 400."""
    if not isinstance(value, str) or not UUID_V4.match(value):
        raise DssBadRequest(f"{what} {value!r} is not a UUIDv4")
    return value.lower()


def check_base_url(value: Any, where: str, *, http: bool = False) -> str:
    """A UssBaseURL: an absolute https URL (http too if `http`), no query or fragment,
    and no trailing '/' (the definition: resource paths are appended to it)."""
    if not isinstance(value, str) or not value:
        raise DssBadRequest(f"{where} must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise DssBadRequest(f"{where} is longer than {MAX_TEXT} characters")
    schemes = ("https", "http") if http else ("https",)
    try:
        parts = urllib.parse.urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or not port_ok
        or parts.scheme not in schemes
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise DssBadRequest(f"{where} {value!r} is not an absolute {' or '.join(schemes)} URL")
    if parts.query or parts.fragment:
        raise DssBadRequest(f"{where} may have no query or fragment")
    if value.endswith("/"):
        raise DssBadRequest(f"{where} may not end with '/'")
    return value


def new_ovn(entity_id: str, suffix: str | None = None) -> str:
    """An opaque version number; `{entityid}_{suffix}` if the USS asked for a suffix."""
    if suffix:
        return f"{entity_id}_{suffix}"
    return uuid.uuid4().hex + uuid.uuid4().hex[:8]


def native_entity_id(operation_id: str) -> str:
    """The UUIDv4 a native operation is known by on the DSS API (its own id if it is one)."""
    if UUID_V4.match(operation_id):
        return operation_id.lower()
    digest = bytearray(hashlib.sha256(f"deconflict:{operation_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x40
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def native_ovn(operation_id: str, version: int) -> str:
    """A native operation's OVN: changes with every version, needs no storage."""
    return "native-" + hashlib.sha256(f"{operation_id}@{version}".encode()).hexdigest()[:32]


USS_PARTY_PREFIX = "uss:"


def party_of(manager: str) -> str:
    """The party a USS acts as in the shared airspace: ``uss:`` and its `sub` (a digest of
    it if that would be longer than a party id may be, 64). The prefix keeps USSs apart
    from native parties: a USS whose `sub` is "blue" is not the native party "blue"."""
    party = USS_PARTY_PREFIX + manager
    if len(party) <= 64:
        return party
    return USS_PARTY_PREFIX + hashlib.sha256(manager.encode()).hexdigest()[:40]
