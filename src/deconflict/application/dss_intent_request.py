"""A create or update of an operational intent reference, checked before the store is.

Everything the definition says of PutOperationalIntentReferenceParameters that needs no
database: the state (and the scope an off-nominal state needs), the key, base URLs,
which subscription the intent will rely on, and the extents (both times and both
altitudes in every volume; the end not in the past).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deconflict.application.dss_common import UssCaller, bool_field
from deconflict.geo.volume import Volume
from deconflict.model.dss import (
    CREATABLE,
    NULL_SUBSCRIPTION,
    UUID_V7,
    DssBadRequest,
    IntentState,
    check_uuid,
)
from deconflict.model.dss_volume import parse_extents, span

CONSTRAINT_PROCESSING = "utm.constraint_processing"
CONFORMANCE_MONITORING = "utm.conformance_monitoring_sa"


@dataclass(frozen=True)
class ImplicitRequest:
    """`new_subscription`: what the DSS needs to make an implicit subscription."""

    uss_base_url: str
    notify_for_constraints: bool


@dataclass(frozen=True)
class IntentRequest:
    state: IntentState
    key: frozenset[str]
    uss_base_url: str
    subscription_id: str | None
    new_subscription: ImplicitRequest | None
    ovn_suffix: str | None
    extents: list[Any]
    volumes: tuple[Volume, ...]

    @property
    def window(self) -> tuple[float, float]:
        return span(self.volumes)


def _state(params: dict[str, Any]) -> IntentState:
    try:
        return IntentState(params.get("state"))
    except ValueError:
        raise DssBadRequest(
            f"state {params.get('state')!r} is not Accepted, Activated, Nonconforming or Contingent"
        ) from None


def _key(params: dict[str, Any]) -> frozenset[str]:
    key = params.get("key")
    if key is None:
        return frozenset()
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        raise DssBadRequest("key must be a list of OVNs")
    return frozenset(key)


def _implicit(caller: UssCaller, params: dict[str, Any]) -> ImplicitRequest | None:
    value = params.get("new_subscription")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DssBadRequest("new_subscription must be an object")
    url = caller.base_url(value)
    constraints = bool_field(value, "notify_for_constraints")
    if constraints:
        caller.require(CONSTRAINT_PROCESSING, "notify_for_constraints")
    return ImplicitRequest(url, constraints)


def parse_intent_request(
    caller: UssCaller, params: dict[str, Any], now: float, *, creating: bool
) -> IntentRequest:
    state = _state(params)
    if creating and state not in CREATABLE:
        raise DssBadRequest(f"an operational intent is created Accepted, not {state}")
    if state.off_nominal:
        caller.require(CONFORMANCE_MONITORING, f"the {state} state")
    key = _key(params)
    uss_base_url = caller.base_url(params)
    subscription_id = params.get("subscription_id")
    if subscription_id is not None:
        subscription_id = check_uuid(subscription_id, "subscription_id")
        if subscription_id == NULL_SUBSCRIPTION:
            subscription_id = None  # what a reference without a subscription shows
    new_subscription = _implicit(caller, params)
    if subscription_id is None and new_subscription is None and state is not IntentState.ACCEPTED:
        raise DssBadRequest(
            f"an {state} operational intent needs subscription_id or new_subscription"
        )
    suffix = params.get("requested_ovn_suffix")
    if suffix is not None and not (isinstance(suffix, str) and UUID_V7.match(suffix)):
        raise DssBadRequest("requested_ovn_suffix must be a UUIDv7")
    extents = params.get("extents")
    volumes = parse_extents(extents, "extents", now=now, complete=True)
    if span(volumes)[1] <= now:
        raise DssBadRequest("the operational intent ends in the past")
    return IntentRequest(
        state=state,
        key=key,
        uss_base_url=uss_base_url,
        subscription_id=subscription_id,
        new_subscription=new_subscription,
        ovn_suffix=suffix.lower() if suffix else None,
        extents=extents,  # type: ignore[arg-type]
        volumes=volumes,
    )
