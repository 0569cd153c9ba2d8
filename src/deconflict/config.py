"""Service configuration: defaults, then a TOML file, then DECONFLICT_* environment variables.

Every setting is documented in ``docs/configuration.md`` (a test keeps the two in step).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    """All settings of `deconflict serve`."""

    database_url: str = "sqlite:///deconflict.db"
    """SQLAlchemy URL: ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``."""
    data_dir: str = ".deconflict"
    """Where the development signing key and other local state live."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    """API worker processes (more than one needs PostgreSQL or SQLite in WAL mode)."""
    threads: int = 8
    """Threads per worker that run request handlers (database work)."""
    audience: str = "deconflict"
    """The `aud` every token must carry."""
    issuer: str | None = None
    """If set, the `iss` every token must carry."""
    public_keys: tuple[str, ...] = ()
    """PEM files of keys that may sign tokens (RS256/ES256); the dev key is always trusted."""
    jwks_url: str | None = None
    """A JWKS URL to fetch signing keys from (for an external identity provider)."""
    party_claim: str = "party"
    """The token claim naming the caller's party."""
    max_body_bytes: int = 1_048_576
    retention_days: float = 30.0
    """Ended and cancelled operations older than this leave the hot tables."""
    log_level: str = "info"
    bench_endpoints: bool = False
    """Serve /v1/_bench/insert (token check + one insert): the ceiling benchmarks compare to."""
    dss_audience: tuple[str, ...] = ()
    """Accepted `aud` of /dss/v1 tokens; empty: the server's host name (see docs)."""
    dss_public_keys: tuple[str, ...] = ()
    """PEM files of the RS256 keys of the DSS's authorization authority."""
    dss_jwks_url: str | None = None
    """A JWKS URL of the DSS's authorization authority."""
    dss_base_url: str | None = None
    """The hub's URL as USSs reach it (uss_base_url of native operations); else per request."""
    dss_allow_http_base_urls: bool = False
    """Accept http:// (not only https://) uss_base_url values from USSs: development only."""
    uss_notify_token: str | None = None
    """A static bearer token the hub sends when it notifies USSs (see docs)."""
    uss_notify_token_url: str | None = None
    """An OAuth 2.0 token endpoint the hub gets its USS-notification tokens from."""
    uss_notify_client_id: str | None = None
    """The hub's client id at `uss_notify_token_url` (client credentials grant)."""
    uss_notify_client_secret: str | None = None
    """The hub's client secret at `uss_notify_token_url`."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def dev_key_path(self) -> Path:
        return Path(self.data_dir) / "dev-signing-key.pem"


def _coerce(current: Any, value: Any, name: str) -> Any:
    if isinstance(current, bool):
        return str(value).lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, tuple):
        return (
            tuple(value)
            if isinstance(value, list | tuple)
            else tuple(v for v in str(value).split(",") if v)
        )
    return value


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from defaults, then the TOML file (if any), then the environment."""
    env = dict(os.environ if env is None else env)
    settings = Settings()
    names = {f.name for f in fields(Settings) if f.name != "extra"}
    path = path or env.get("DECONFLICT_CONFIG")
    if path:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
        unknown = sorted(set(document) - names)
        if unknown:
            raise ValueError(f"{path}: unknown setting {unknown[0]!r}")
        settings = replace(
            settings,
            **{k: _coerce(getattr(settings, k), v, k) for k, v in document.items()},
        )
    for name in names:
        value = env.get(f"DECONFLICT_{name.upper()}")
        if value is not None:
            settings = replace(settings, **{name: _coerce(getattr(settings, name), value, name)})
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    """Settings that only make sense together (a ValueError naming them otherwise)."""
    if settings.uss_notify_token and settings.uss_notify_token_url:
        raise ValueError("set uss_notify_token or uss_notify_token_url, not both")
    if settings.uss_notify_token_url and not (
        settings.uss_notify_client_id and settings.uss_notify_client_secret
    ):
        raise ValueError(
            "uss_notify_token_url needs uss_notify_client_id and uss_notify_client_secret"
        )
