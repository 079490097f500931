"""Peer apps for the throughput table: the other ways a FastAPI app authenticates a trivial route.

Each app serves `bench.handler.ping` at /bench/ping, so only the authentication around it differs
from the bare app. Tokens are verified the way the baked app verifies uncached ones (HS256
pinned, every registered claim required, `type` checked) but with no cache: these are the ways
the issue's table measures. The secret comes from the environment at run time, never a file.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import jwt
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.handler import ping

KEY_VARIABLE = "BENCH_PEER_SECRET"
ISSUER = "bench-peer-api"
AUDIENCE = "bench-peer-web"
ALGORITHM = "HS256"
PATH = "/bench/ping"
_OPTIONS = {f"require_{claim}": True for claim in ("iss", "aud", "sub", "iat", "nbf", "exp", "jti")}
_UNAUTHORIZED = b'{"detail":"Not authenticated"}'


def verify(token: str) -> dict[str, Any]:
    """The claims of a valid access token; any failure raises (the callers answer 401)."""
    claims = jwt.decode(
        token,
        os.environ[KEY_VARIABLE],
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=ISSUER,
        options=_OPTIONS,
    )
    if claims.get("type") != "access":
        raise ValueError("not an access token")
    return claims


def mint(secret: str, subject: str, lifetime_seconds: int = 3600) -> str:
    """An access token the peers accept, signed with `secret` (the harness's, made at run time)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "jti": secrets.token_urlsafe(16),
        "type": "access",
    }
    return jwt.encode(claims, secret, ALGORITHM)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


async def _reject(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b"Bearer"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _UNAUTHORIZED})


class PassThroughMiddleware:
    """Pure ASGI, reads the bearer header and verifies nothing: the floor of any auth layer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["auth"] = _bearer(scope)
        await self.app(scope, receive, send)


class JoseMiddleware:
    """Pure ASGI, python-jose verification of every request, no cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _bearer(scope)
        try:
            if token is None:
                raise ValueError("no bearer token")
            scope["auth"] = verify(token)
        except Exception:
            await _reject(send)
            return
        await self.app(scope, receive, send)


class JoseHTTPMiddleware(BaseHTTPMiddleware):
    """The same check written as BaseHTTPMiddleware, the way many tutorials write it."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = _bearer(request.scope)
        try:
            if token is None:
                raise ValueError("no bearer token")
            request.state.auth = verify(token)
        except Exception:
            return JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)


_bearer_scheme = HTTPBearer()


def current_claims(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(_bearer_scheme)],
) -> dict[str, Any]:
    """Per-route dependency, a plain `def` like full-stack-fastapi-template's get_current_user."""
    try:
        return verify(credentials.credentials)
    except Exception:
        raise HTTPException(
            status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"}
        ) from None


def _app(*middleware: type[Any], dependencies: list[Any] | None = None) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_api_route(PATH, ping, methods=["GET"], dependencies=dependencies)
    for layer in middleware:
        app.add_middleware(layer)
    return app


bare = _app()
asgi_floor = _app(PassThroughMiddleware)
asgi_jose = _app(JoseMiddleware)
depends_jose = _app(dependencies=[Depends(current_claims)])
basehttp_jose = _app(JoseHTTPMiddleware)
