"""The interactive API docs (`/docs`), served whole by this backend: nothing loads from elsewhere.

FastAPI's own page pulls Swagger UI from a CDN, unpinned and without an integrity check, into
the API's origin, on the very page where people type a password into "Authorize" (and on a
machine without internet access it shows nothing). Here the page loads Swagger UI's script and
style from this server: the copies the fastapi-offline package ships (Swagger UI 5, Apache-2.0,
packaged under MIT), pinned and hash-checked by `backend/uv.lock`. Only the exact paths in
`DOCS_PATHS` exist, and the app factory installs them, and lists them as public, only when docs
are enabled (never in production).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from fastapi import FastAPI, Response
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
OPENAPI_URL = "/openapi.json"
ASSETS_URL = "/docs/assets"
# Each asset the page needs, with its content type; nothing else of the package is served.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
DOCS_PATHS = frozenset(
    {DOCS_URL, OAUTH2_REDIRECT_URL, OPENAPI_URL} | {f"{ASSETS_URL}/{name}" for name in ASSETS}
)


def _asset_endpoint(content: bytes, media_type: str) -> Callable[[], Awaitable[Response]]:
    """An endpoint answering one file read once at start (no path or query reaches the disk)."""

    async def asset() -> Response:
        return Response(content=content, media_type=media_type)

    return asset


def install(app: FastAPI) -> None:
    """Add `/docs`, its OAuth2 redirect page and its assets to `app` (built with docs_url=None)."""
    static = resources.files("fastapi_offline").joinpath("static")
    for name, media_type in ASSETS.items():
        endpoint = _asset_endpoint(static.joinpath(name).read_bytes(), media_type)
        path = f"{ASSETS_URL}/{name}"
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)

    title = f"{app.title} - API docs"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=title,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
