"""Bearer tokens of the DSS's authorization authority: RS256 JWTs (the standard's rule).

The USS is the token's `sub`; its scopes come from `scope` (space-separated). Keys come
from PEM files (`dss_public_keys`) or a JWKS URL (`dss_jwks_url`); a token may name its
key with `kid` or not (then every configured key is tried). The audience is
`dss_audience`, or by default the server's host name.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from deconflict.config import Settings
from deconflict.model.dss import MAX_TEXT

ALGORITHMS = ["RS256"]
VERIFIED_CACHE_SIZE = 4096


class DssUnauthorized(Exception):
    """401: no token, or one that does not verify."""


def default_audiences(host: str) -> list[str]:
    """The server's host name: its configured host, `localhost` where that is a loopback
    or wildcard address, and the machine's fully qualified name."""
    names = {host}
    try:
        address = ipaddress.ip_address(host)
        if address.is_loopback or address.is_unspecified:
            names.add("localhost")
    except ValueError:
        pass
    names.add(socket.getfqdn())
    return sorted(n for n in names if n)


class DssVerifier:
    """Verifies DSS tokens; remembers verified ones until they expire (never refusals)."""

    def __init__(self, settings: Settings) -> None:
        self.audiences = list(settings.dss_audience) or default_audiences(settings.host)
        self.keys: list[Any] = [
            serialization.load_pem_public_key(Path(p).read_bytes())
            for p in settings.dss_public_keys
        ]
        self.jwks = jwt.PyJWKClient(settings.dss_jwks_url) if settings.dss_jwks_url else None
        self._verified: dict[str, tuple[str, frozenset[str], float]] = {}

    def _candidates(self, token: str) -> list[Any]:
        keys = list(self.keys)
        if self.jwks is None:
            return keys
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if kid is not None:
                return [self.jwks.get_signing_key(kid).key, *keys]
            return [k.key for k in self.jwks.get_signing_keys()] + keys
        except (jwt.PyJWKClientError, jwt.DecodeError):
            return keys

    def verify(self, authorization: str | None) -> tuple[str, frozenset[str]]:
        """(sub, scopes) of a valid bearer token, else `DssUnauthorized`."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise DssUnauthorized("missing bearer token")
        token = authorization[7:].strip()
        known = self._verified.get(token)
        if known is not None and time.time() < known[2]:
            return known[0], known[1]
        claims = self._decode(token)
        scope = claims.get("scope", "")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        subject = str(claims["sub"])
        if not subject or len(subject) > MAX_TEXT:
            raise DssUnauthorized(f"invalid token: sub must be 1 to {MAX_TEXT} characters")
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (subject, scopes, float(claims["exp"]))
        return subject, scopes

    def _decode(self, token: str) -> dict[str, Any]:
        last: Exception | None = None
        for key in self._candidates(token):
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=ALGORITHMS,
                    audience=self.audiences,
                    options={"require": ["exp", "sub"]},
                )
            except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as error:
                last = error
            except (jwt.PyJWTError, ValueError, TypeError) as error:
                raise DssUnauthorized(f"invalid token: {error}") from None
        raise DssUnauthorized(f"invalid token: {last or 'no key verifies it'}")
