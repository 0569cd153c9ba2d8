"""The duty officer's screen: `/` and the static files of `deconflict/web/static`.

The files ship in the package (pip install alone gives a working UI) and are public:
they carry no data, and every call they make to `/v1` carries the user's token. The
Content-Security-Policy allows nothing but this origin, so the screen also proves it
works offline: a tile server, font or CDN it tried to reach would be blocked.
"""

from __future__ import annotations

import mimetypes
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

mimetypes.add_type("text/javascript", ".mjs")  # module scripts need a JavaScript type
STATIC = Path(str(files("deconflict") / "web" / "static"))

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""Only this origin. MapLibre makes its worker and images from blobs; inline styles are
what it and the layout set on elements (no inline scripts are allowed)."""

IMMUTABLE = "public, max-age=31536000, immutable"
"""Vendored files: their folder names the version, so a new version is a new URL."""
REVALIDATE = "no-cache"
"""Our own modules, translations and the basemap: reused only after an ETag check, so a
new release shows at the next load."""


class _Static(StaticFiles):
    """Static files with caching headers chosen by path, and the security headers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The full path or the path below the mount, depending on the Starlette version.
        cache = IMMUTABLE if "/vendor/" in scope["path"] else REVALIDATE

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", cache.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        await super().__call__(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    """Serve the screen at `/` and its files under `/static/`."""
    app.mount("/static", _Static(directory=STATIC), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def home() -> FileResponse:
        return FileResponse(
            STATIC / "index.html",
            headers={
                "Cache-Control": REVALIDATE,
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )
