"""A test authorization authority (RS256), USS clients, and the standard's bodies."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from live_server import Service

SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"
CMSA = "utm.conformance_monitoring_sa"
AA = "utm.availability_arbitration"
AUDIENCE = "localhost"


@dataclass
class Authority:
    """Signs tokens like a UTM authorization server: RS256, `sub`, `scope`, `aud`."""

    key: rsa.RSAPrivateKey
    public_pem: Path

    @classmethod
    def generate(cls, directory: Path) -> Authority:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = directory / "authority.pem"
        pem.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return cls(key, pem)

    def token(
        self,
        sub: str,
        scopes: list[str] | tuple[str, ...],
        *,
        audience: str = AUDIENCE,
        lifetime_s: float = 3600.0,
        kid: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "sub": sub,
            "aud": audience,
            "iss": "https://auth.test",
            "iat": now,
            "exp": now + int(lifetime_s),
            "jti": str(uuid.uuid4()),
            "scope": " ".join(scopes),
        }
        headers = {"kid": kid} if kid else None
        return jwt.encode(claims, self.key, algorithm="RS256", headers=headers)


@dataclass
class Dss:
    """A running hub and the authority its DSS API trusts."""

    service: Service
    authority: Authority
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.service.url

    def uss(self, sub: str, scopes: tuple[str, ...] = (SC,)) -> httpx.Client:
        token = self.authority.token(sub, list(scopes))
        client = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=60.0
        )
        self.service.clients.append(client)
        return client


def rfc3339(posix: float) -> dict[str, str]:
    text = datetime.fromtimestamp(posix, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"value": text, "format": "RFC3339"}


def volume4d(
    lng: float = 7.47,
    lat: float = 46.95,
    *,
    radius: float | None = None,
    size: float = 0.01,
    lower: float = 0.0,
    upper: float = 120.0,
    start: float | None = None,
    end: float | None = None,
) -> dict[str, Any]:
    """A square (or circle) around (lng, lat), from `start` (default: in 10 min) to `end`."""
    start = time.time() + 600 if start is None else start
    end = start + 3600 if end is None else end
    if radius is not None:
        outline: dict[str, Any] = {
            "outline_circle": {
                "center": {"lng": lng, "lat": lat},
                "radius": {"value": radius, "units": "M"},
            }
        }
    else:
        h = size / 2
        vertices = [
            {"lng": lng - h, "lat": lat - h},
            {"lng": lng + h, "lat": lat - h},
            {"lng": lng + h, "lat": lat + h},
            {"lng": lng - h, "lat": lat + h},
        ]
        outline = {"outline_polygon": {"vertices": vertices}}
    return {
        "volume": {
            **outline,
            "altitude_lower": {"value": lower, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": upper, "reference": "W84", "units": "M"},
        },
        "time_start": rfc3339(start),
        "time_end": rfc3339(end),
    }


def intent(
    extents: list[dict[str, Any]] | None = None,
    *,
    key: list[str] | None = None,
    state: str = "Accepted",
    base: str = "https://uss.test",
    subscription_id: str | None = None,
    new_subscription: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extents": extents or [volume4d()],
        "key": key or [],
        "state": state,
        "uss_base_url": base,
    }
    if subscription_id:
        body["subscription_id"] = subscription_id
    elif new_subscription:
        body["new_subscription"] = {"uss_base_url": base, "notify_for_constraints": False}
    return body


def new_id() -> str:
    return str(uuid.uuid4())
