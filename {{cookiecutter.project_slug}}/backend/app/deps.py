"""FastAPI dependencies as `Annotated` aliases, so route signatures read like sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app import audit
from app.errors import BrowserCheckFailed, NotAuthenticated
from app.models import User
from app.services import Services
from app.tokens import AccessClaims

# Only documents the bearer scheme in OpenAPI, so Swagger's "Authorize" button works; the
# token itself was already verified by the middleware before routing.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
# Enough to recognise an origin in an error message; a hostile header is not echoed whole.
MAX_SHOWN_ORIGIN = 100


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


async def current_session_id(request: Request) -> str | None:
    """The refresh family (login) the caller's access token belongs to; None for a token minted
    elsewhere, which carries no `sid`."""
    claims = request.scope.get("auth")
    return claims.session_id if isinstance(claims, AccessClaims) else None


CurrentSessionId = Annotated[str | None, Depends(current_session_id)]


async def user_agent(request: Request) -> str | None:
    """The User-Agent header as sent; the session list keeps a cleaned, shortened copy."""
    return request.headers.get("user-agent")


UserAgent = Annotated[str | None, Depends(user_agent)]


def require_browser_request(request: Request, services: ServicesDep) -> None:
    """Cookie calls must come from an allowed Origin and carry a non-empty X-Requested-With.

    SameSite=Strict already keeps the cookies off cross-site requests; this is the second lock:
    a custom header (any value) cannot be sent cross-origin without a CORS preflight that the
    browser refuses for origins outside CORS_ORIGINS, and a cross-site form cannot send it at
    all. Checked whether or not a cookie came along, before anything sets or clears one.
    """
    origin = request.headers.get("origin")
    requested_with = request.headers.get("x-requested-with", "").strip()
    missing = []
    if origin is None:
        missing.append("Origin header is missing")
    elif origin not in services.settings.cors_origins:
        shown = origin if len(origin) <= MAX_SHOWN_ORIGIN else origin[:MAX_SHOWN_ORIGIN] + "..."
        missing.append(f"Origin {shown} is not allowed")
    if not requested_with:
        missing.append("X-Requested-With header is missing")
    if missing:
        audit.event(
            "cookie_request_rejected",
            path=request.url.path,
            origin=origin,
            has_requested_with=bool(requested_with),
        )
        raise BrowserCheckFailed("; ".join(missing))


BrowserRequest = Annotated[None, Depends(require_browser_request)]
