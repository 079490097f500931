"""FastAPI dependencies as `Annotated` aliases, so route signatures read like sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app import audit
from app.errors import NotAuthenticated
from app.models import User
from app.services import Services
from app.tokens import AccessClaims

# Only documents the bearer scheme in OpenAPI, so Swagger's "Authorize" button works; the
# token itself was already verified by the middleware before routing.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in its
# thread pool, a hop that costs more than the work.
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def client_address(request: Request) -> str:
    """The peer address; behind a proxy, uvicorn's --forwarded-allow-ips makes it the client's."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


def get_current_user(
    request: Request,
    services: ServicesDep,
    _token: Annotated[str | None, Depends(bearer_scheme)],
) -> User:
    """The account the verified access token names; 401 when it no longer exists."""
    claims = request.scope.get("auth")
    # A route on a public path that asks for a user fails closed instead of serving anyone.
    if not isinstance(claims, AccessClaims):
        raise NotAuthenticated
    user = services.accounts.get(claims.subject)
    if user is None:
        audit.event("token_rejected", reason="names an account that no longer exists")
        raise NotAuthenticated
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_browser_request(request: Request, services: ServicesDep) -> None:
    """Cookie calls must come from an allowed origin and carry X-Requested-With.

    SameSite=Strict already keeps the cookie off cross-site requests; this is the second lock:
    a custom header cannot be sent cross-origin without a CORS preflight the browser refuses.
    """
    origin = request.headers.get("origin")
    requested_with = request.headers.get("x-requested-with")
    if origin not in services.settings.cors_origins or requested_with != "XMLHttpRequest":
        audit.event(
            "cookie_request_rejected",
            path=request.url.path,
            origin=origin,
            has_requested_with=requested_with is not None,
        )
        raise NotAuthenticated


BrowserRequest = Depends(require_browser_request)
