"""Bearer JWT authentication: who is calling, for which party, with which scopes.

Tokens are verified with RS256 or ES256 keys from PEM files, a JWKS URL, or the
development key `deconflict token` generates on first use. The party comes from a
claim (`party` by default), scopes from `scope` (space-separated) or `scp` (a list).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from deconflict.application.hub import Caller
from deconflict.config import Settings
from deconflict.model.errors import NotAllowed

ALGORITHMS = ["RS256", "ES256"]


class AuthError(Exception):
    """The request is not authenticated (401)."""


def dev_private_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The development signing key, generated on first use (file mode 0600)."""
    path = settings.dev_key_path
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


def mint_token(
    settings: Settings,
    *,
    subject: str,
    party: str | None,
    scopes: list[str],
    lifetime_s: float = 12 * 3600,
) -> str:
    """A development token signed with the dev key (ES256)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "aud": settings.audience,
        "iat": now,
        "exp": now + int(lifetime_s),
        "jti": str(uuid.uuid4()),
        "scope": " ".join(scopes),
    }
    if party is not None:
        claims[settings.party_claim] = party
    if settings.issuer:
        claims["iss"] = settings.issuer
    return jwt.encode(claims, dev_private_key(settings), algorithm="ES256", headers={"kid": "dev"})


VERIFIED_CACHE_SIZE = 4096


class Verifier:
    """Checks bearer tokens against the configured keys.

    A token that verified once is remembered with its expiry (a signature check costs
    about 0.1 ms, a tenth of a bare request): the same bytes verify the same way until
    `exp`, which is checked again on every use. Refusals are never cached.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._verified: dict[str, tuple[Caller, float]] = {}
        self.keys: list[Any] = [dev_private_key(settings).public_key()]
        for pem in settings.public_keys:
            self.keys.append(serialization.load_pem_public_key(Path(pem).read_bytes()))
        self.jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    def _candidate_keys(self, token: str) -> list[Any]:
        if self.jwks is not None:
            try:
                return [self.jwks.get_signing_key_from_jwt(token).key, *self.keys]
            except jwt.PyJWKClientError:
                pass
        return self.keys

    def verify(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthError("missing bearer token")
        token = authorization[7:].strip()
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        caller, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (caller, expires)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float]:
        last: Exception | None = None
        for key in self._candidate_keys(token):
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=ALGORITHMS,
                    audience=self.settings.audience,
                    issuer=self.settings.issuer,
                    options={"require": ["exp", "sub"]},
                )
                break
            except jwt.InvalidSignatureError as error:
                last = error
            except jwt.PyJWTError as error:
                raise AuthError(f"invalid token: {error}") from None
        else:
            raise AuthError(f"invalid token: {last or 'no key verifies it'}")
        scopes = claims.get("scope", "")
        scope_set = set(scopes.split()) if isinstance(scopes, str) else set()
        if isinstance(claims.get("scp"), list):
            scope_set |= {str(s) for s in claims["scp"]}
        party = claims.get(self.settings.party_claim)
        if party is not None and not (isinstance(party, str) and 0 < len(party) <= 64):
            raise NotAllowed(f"the token's {self.settings.party_claim!r} claim is not a party id")
        caller = Caller(
            subject=str(claims["sub"]),
            party=str(party) if party is not None else None,
            scopes=frozenset(scope_set),
        )
        return caller, float(claims["exp"])
