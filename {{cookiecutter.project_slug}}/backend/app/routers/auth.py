"""Login, token, refresh, logout and registration: the paths DESIGN.md section 3 fixes.

Handlers are plain `def`: FastAPI runs them in its thread pool, so argon2 and database work
never block the event loop that serves every other request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status

from app import audit
from app.accounts import MAX_PASSWORD_LENGTH
from app.deps import BrowserRequest, ClientAddress, ServicesDep, require_browser_request
from app.refresh_sessions import RefreshRejected, Rotation
from app.schemas import AccessTokenOut, RefreshIn, RegisterIn, TokenPairOut, UserOut
from app.services import Services

REFRESH_COOKIE = "refresh_token"
# The browser sends the refresh cookie to the auth endpoints only, never to the rest of the API.
REFRESH_COOKIE_PATH = "/auth"

router = APIRouter(prefix="/auth", tags=["auth"])
registration_router = APIRouter(prefix="/auth", tags=["auth"])

Username = Annotated[str, Form(min_length=1, max_length=320)]
Password = Annotated[str, Form(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


def _access_token(services: Services, user_id: str) -> AccessTokenOut:
    return AccessTokenOut(
        access_token=services.tokens.issue(user_id),
        expires_in=services.settings.access_token_seconds,
    )


def _token_pair(services: Services, rotation: Rotation) -> TokenPairOut:
    access = _access_token(services, rotation.user_id)
    return TokenPairOut(**access.model_dump(), refresh_token=rotation.refresh_token)


def _set_refresh_cookie(response: Response, services: Services, token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=services.settings.refresh_token_seconds,
        path=REFRESH_COOKIE_PATH,
        secure=services.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _rotate(services: Services, token: str | None) -> Rotation:
    try:
        if not token:
            raise RefreshRejected("no refresh token in the request")
        rotation = services.sessions.rotate(token)
    except RefreshRejected as error:
        audit.event("refresh_rejected", reason=error.reason)
        raise
    audit.event("refresh_succeeded", user_id=rotation.user_id, family_id=rotation.family_id)
    return rotation


@router.post("/login", dependencies=[BrowserRequest])
def login(
    username: Username,
    password: Password,
    response: Response,
    services: ServicesDep,
    client: ClientAddress,
) -> AccessTokenOut:
    """Browser login: the access token in the body, the refresh token in an HttpOnly cookie."""
    user = services.accounts.authenticate(username, password, client)
    rotation = services.sessions.start(user.id)
    _set_refresh_cookie(response, services, rotation.refresh_token)
    return _access_token(services, user.id)


@router.post("/token")
def token(
    username: Username, password: Password, services: ServicesDep, client: ClientAddress
) -> TokenPairOut:
    """Login for CLIs, native apps and Swagger's "Authorize": both tokens in the body."""
    user = services.accounts.authenticate(username, password, client)
    return _token_pair(services, services.sessions.start(user.id))


@router.post("/refresh")
def refresh(
    request: Request,
    response: Response,
    services: ServicesDep,
    body: RefreshIn | None = None,
) -> TokenPairOut | AccessTokenOut:
    """A JSON body means a non-browser client; otherwise the cookie, under the browser rules."""
    if body is not None:
        return _token_pair(services, _rotate(services, body.refresh_token))
    require_browser_request(request, services)
    rotation = _rotate(services, request.cookies.get(REFRESH_COOKIE))
    _set_refresh_cookie(response, services, rotation.refresh_token)
    return _access_token(services, rotation.user_id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, services: ServicesDep, body: RefreshIn | None = None) -> Response:
    """End the session family of the given refresh token, and clear the cookie either way."""
    token = body.refresh_token if body is not None else request.cookies.get(REFRESH_COOKIE)
    if body is None and token is not None:
        require_browser_request(request, services)
    if token:
        services.sessions.revoke(token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=services.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@registration_router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterIn, services: ServicesDep) -> UserOut:
    """Open sign-up; the app factory leaves this route out when registration is switched off."""
    return UserOut.model_validate(services.accounts.register(body.email, body.password))
