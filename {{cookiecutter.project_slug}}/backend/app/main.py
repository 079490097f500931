"""ASGI entry point: `uvicorn app.main:app` from `backend/`, and the `create_app` factory.

Request path, outermost first: CORS, security headers and request id in one layer (so errors
and 401s still carry CORS headers, and preflights never meet auth) -> default-deny access tokens
-> a dictionary dispatch for fixed paths -> FastAPI's router.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import api_docs, audit, static_dispatch
from app.db import DatabaseNotReady
from app.errors import install_error_handlers
from app.middleware.auth import AccessTokenMiddleware
from app.middleware.cors_and_headers import CorsAndHeadersMiddleware
from app.middleware.exposure import DevelopmentExposureWarning
from app.project import PROJECT_NAME
from app.routers import account, account_links, auth, health, users
from app.services import build_services
from app.settings import Settings, SettingsError, load_settings

PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/auth/login",
        "/auth/token",
        "/auth/refresh",
        "/auth/logout",
        "/auth/register",
        # Anonymous by nature: the mailed link's token or the typed address is the only input.
        "/auth/verify-email",
        "/auth/verify-email/resend",
        "/auth/password/forgot",
        "/auth/password/reset",
    }
)
# The interactive docs and their own assets (served from this backend), when docs are on.
DOCS_PATHS = api_docs.DOCS_PATHS
# DELETE: ending one session (`DELETE /auth/sessions/{id}`).
CORS_ALLOWED_METHODS = ("GET", "POST", "DELETE")
CORS_ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Requested-With")
CORS_EXPOSED_HEADERS = ("Retry-After", "WWW-Authenticate", "X-Request-ID")
CORS_MAX_AGE_SECONDS = 600


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operation id is its function's name: the typed frontend client names
    its calls after it (`readMe`, not `readMeUsersMeGet`)."""
    return route.name


def public_paths(settings: Settings) -> frozenset[str]:
    """Paths served without an access token; everything else, known or not, needs one."""
    return PUBLIC_PATHS | DOCS_PATHS if settings.docs_enabled else PUBLIC_PATHS


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; tests pass their own settings to get a fresh, isolated app."""
    settings = settings or load_settings()
    services = build_services(settings)
    audit.configure()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with services.mail_worker.running():
            yield
        services.dispose()
        # The counts of audit lines a flood made us leave out, up to the last moment.
        audit.noise.flush()

    docs = settings.docs_enabled
    app = FastAPI(
        title=PROJECT_NAME,
        lifespan=lifespan,
        # /docs comes from api_docs (assets served here, not from a CDN), when docs are on.
        docs_url=None,
        redoc_url=None,
        openapi_url=api_docs.OPENAPI_URL if docs else None,
        generate_unique_id_function=operation_id,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    if settings.allow_registration and settings.verification_required:
        app.include_router(auth.verified_registration_router)
    elif settings.allow_registration:
        app.include_router(auth.registration_router)
    if settings.verification_required:
        app.include_router(account_links.verification_router)
    app.include_router(account_links.reset_router)
    app.include_router(account.router)
    app.include_router(users.router)
    if docs:
        api_docs.install(app)
    static_dispatch.install(app.router)
    # add_middleware wraps what is already there: the last one added is the outermost.
    app.add_middleware(
        AccessTokenMiddleware, tokens=services.tokens, public_paths=public_paths(settings)
    )
    app.add_middleware(
        CorsAndHeadersMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=CORS_ALLOWED_METHODS,
        allow_headers=CORS_ALLOWED_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=CORS_MAX_AGE_SECONDS,
        hsts=settings.is_production,
    )
    # Hardening: a development server reached from another machine says so, loudly (outermost,
    # so that it sees every request, even one the layers below refuse).
    if not settings.is_production:
        app.add_middleware(DevelopmentExposureWarning)
    return app


@cache
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    """Build `app` on first access (PEP 562), so importing this module reads no `.env`.

    Tests import `create_app` from here without a `backend/.env`; uvicorn's `app.main:app`
    still gets the app, or a clean one-line-per-problem exit when the settings are unusable or
    (in production) the database has not been migrated.
    """
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return _default_app()
    except (SettingsError, DatabaseNotReady) as error:
        print(f"The backend cannot start:\n{error}", file=sys.stderr)
        raise SystemExit(1) from None
