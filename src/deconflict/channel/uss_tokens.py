"""Bearer tokens for the hub's calls to USSs, as ASTM F3548-21 requires of a USS.

A USS accepts `notifyOperationalIntentDetailsChanged` only with an access token for the
`utm.strategic_coordination` scope, issued to the caller by the authorization server
the USSs trust. The hub gets one in one of three ways (docs/configuration.md):

- a static token (`uss_notify_token`), refreshed by whoever configures it;
- the OAuth 2.0 client credentials grant (RFC 6749 §4.4) at `uss_notify_token_url`,
  with `uss_notify_client_id` and `uss_notify_client_secret` (HTTP Basic), asking for
  the scope and, as `audience`, the receiving USS's host name (tokens in UTM are bound
  to their audience, as the DSS's own are); each audience's token is kept until a
  minute before it expires (`expires_in`);
- none, while neither is configured: development only (a USS that checks tokens
  refuses the calls, and they end dead-lettered).

Hand-written: the grant is one form POST and a per-audience cache; a client library
(Authlib) would add a dependency and still leave the cache to write.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from uas_standards.astm.f3548.v21.constants import Scope

SCOPE = Scope.StrategicCoordination.value
MARGIN_S = 60.0
"""A token is renewed this long before it expires (never later than half its life)."""
DEFAULT_LIFETIME_S = 300.0
"""How long a token is kept when the token endpoint does not say (`expires_in`)."""


class TokenUnavailable(Exception):
    """The token endpoint did not issue a token (the attempt fails and is retried)."""


@dataclass(frozen=True)
class TokenSource:
    """Where the hub's outbound tokens come from (all None: it sends none); the settings
    are checked together when they are loaded (`config`)."""

    token: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class UssTokens:
    """The Authorization header for a call to a USS URL (shared by the sending threads)."""

    def __init__(self, source: TokenSource, clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, float]] = {}

    def headers(self, client: httpx.Client, url: str, timeout: float) -> dict[str, str]:
        """{"Authorization": "Bearer …"}, or {} when unconfigured; `TokenUnavailable`
        when the token endpoint refuses or cannot be reached."""
        if self.source.token:
            return {"Authorization": f"Bearer {self.source.token}"}
        if not self.source.token_url:
            return {}
        audience = urllib.parse.urlsplit(url).hostname or ""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(audience)
        if cached is None or cached[1] <= now:
            cached = self._fetch(client, audience, now, timeout)
            with self._lock:
                self._cache[audience] = cached
        return {"Authorization": f"Bearer {cached[0]}"}

    def _fetch(
        self, client: httpx.Client, audience: str, now: float, timeout: float
    ) -> tuple[str, float]:
        source = self.source
        if not (source.token_url and source.client_id and source.client_secret):
            raise TokenUnavailable("uss_notify_token_url needs a client id and secret")
        try:
            answer = client.post(
                source.token_url,
                data={"grant_type": "client_credentials", "scope": SCOPE, "audience": audience},
                auth=(source.client_id, source.client_secret),
                headers={"Accept": "application/json"},
                timeout=timeout,
            )
        except httpx.HTTPError as error:
            raise TokenUnavailable(f"token endpoint: {type(error).__name__}: {error}") from None
        if answer.status_code != 200:
            raise TokenUnavailable(f"token endpoint: HTTP {answer.status_code}")
        try:
            document = answer.json()
            token = document["access_token"]
            lifetime = float(document.get("expires_in") or DEFAULT_LIFETIME_S)
        except (ValueError, KeyError, TypeError):
            raise TokenUnavailable("token endpoint: no access_token in its answer") from None
        if not isinstance(token, str) or not token:
            raise TokenUnavailable("token endpoint: no access_token in its answer")
        return token, now + max(lifetime - MARGIN_S, lifetime / 2)
