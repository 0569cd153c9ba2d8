"""Bearer tokens of the DSS's authorization authority: RS256 JWTs (the standard's rule).

The USS is the token's `sub`; its scopes come from `scope` (space-separated). Keys come
from PEM files (`dss_public_keys`) or a JWKS URL (`dss_jwks_url`); a token may name its
key with `kid` or not (then every configured key is tried). The audience is
`dss_audience`, or by default the server's host name.

With neither keys nor a JWKS URL configured, the DSS trusts a development RS256 key in
`data_dir` (made on first use, like the native API's), with which `deconflict token
--dss` signs: a hub tried out on one machine needs no authorization server. Configuring
a real authority's keys turns it off.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from deconflict.config import Settings
from deconflict.model.dss import MAX_TEXT

ALGORITHMS = ["RS256"]
VERIFIED_CACHE_SIZE = 4096
DEV_KEY_FILE = "dss-dev-signing-key.pem"
DEV_KID = "dss-dev"


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


def token_audience(settings: Settings) -> str:
    """The audience a token for this hub's DSS carries by default: the first configured
    `dss_audience`, else the host name the server accepts (`localhost` for a loopback
    or wildcard `host`)."""
    if settings.dss_audience:
        return settings.dss_audience[0]
    try:
        address = ipaddress.ip_address(settings.host)
        if address.is_loopback or address.is_unspecified:
            return "localhost"
    except ValueError:
        pass
    return settings.host


def dev_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The development RS256 key of `data_dir`, made on first use (mode 0600). Made in a
    temporary file and linked into place, so workers starting together agree on one."""
    path = Path(settings.data_dir) / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dss-key-")
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, pem)
            os.close(handle)
            os.link(temporary, path)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return load_private_key(path)


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    """An RSA private key from a PEM file (unencrypted), or ValueError saying why not."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ValueError(f"{path}: not a readable unencrypted PEM private key ({error})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA key (the DSS's tokens are RS256)")
    return key


def mint_dss_token(
    settings: Settings,
    *,
    subject: str,
    scopes: Sequence[str],
    audience: str | None = None,
    lifetime_s: float = 3600.0,
    key_path: Path | None = None,
    kid: str | None = None,
) -> str:
    """An RS256 token for /dss/v1 as a UTM authorization server issues it: the USS's
    `sub`, space-separated `scope`, `aud`; signed with `key_path` or the development key
    (whose `kid` it then names)."""
    key = load_private_key(key_path) if key_path is not None else dev_private_key(settings)
    if key_path is None and kid is None:
        kid = DEV_KID
    now = int(time.time())
    claims = {
        "sub": subject,
        "aud": audience or token_audience(settings),
        "iss": settings.issuer or "deconflict-dev",
        "iat": now,
        "exp": now + int(lifetime_s),
        "jti": str(uuid.uuid4()),
        "scope": " ".join(scopes),
    }
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


class DssVerifier:
    """Verifies DSS tokens; remembers verified ones until they expire (never refusals)."""

    def __init__(self, settings: Settings) -> None:
        self.audiences = list(settings.dss_audience) or default_audiences(settings.host)
        self.keys: list[Any] = [
            serialization.load_pem_public_key(Path(p).read_bytes())
            for p in settings.dss_public_keys
        ]
        self.jwks = jwt.PyJWKClient(settings.dss_jwks_url) if settings.dss_jwks_url else None
        if not self.keys and self.jwks is None:
            self.keys.append(dev_private_key(settings).public_key())
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
