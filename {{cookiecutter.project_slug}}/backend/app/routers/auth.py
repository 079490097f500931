"""Login, token, refresh, logout and registration: the auth paths of the HTTP contract.

Registration comes in two forms, and the app factory mounts the one the settings ask for: with
email verification (`202`, the same answer for every address, the rest after the answer is sent)
or without (`201` with the account, `409` for a taken address).

Handlers are plain `def`: FastAPI runs them in its thread pool, so argon2, the password policy
and database work never block the event loop that serves every other request.

A request without a JSON body is a browser's cookie request and must pass the browser check
(allowed Origin, non-empty X-Requested-With) whether or not a cookie came along, before any
cookie is read, set or cleared. A JSON body means a non-browser client: no cookie is involved.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request, Response, status

from app import audit
from app.deps import (
    BrowserRequest,
    ClientAddress,
    ServicesDep,
    UserAgent,
    require_browser_request,
)
from app.logins import BrowserCookies
from app.password_policy import MAX_PASSWORD_LENGTH
from app.refresh_sessions import RefreshRejected, Rotation
from app.schemas import (
    AcceptedOut,
    AccessTokenOut,
    RefreshIn,
    RegisterIn,
    TokenPairOut,
    UserOut,
)
from app.services import Services
from app.verification import REGISTRATION_ACCEPTED

router = APIRouter(prefix="/auth", tags=["auth"])
registration_router = APIRouter(prefix="/auth", tags=["auth"])
verified_registration_router = APIRouter(prefix="/auth", tags=["auth"])

Username = Annotated[str, Form(min_length=1, max_length=320)]
Password = Annotated[str, Form(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


def _access_token(services: Services, rotation: Rotation) -> AccessTokenOut:
    return AccessTokenOut(
        access_token=services.tokens.issue(rotation.user_id, session_id=rotation.family_id),
        expires_in=services.settings.access_token_seconds,
    )


def _token_pair(services: Services, rotation: Rotation) -> TokenPairOut:
    access = _access_token(services, rotation)
    return TokenPairOut(**access.model_dump(), refresh_token=rotation.refresh_token)


def _rotate(services: Services, token: str | None) -> Rotation:
    try:
        if not token:
            raise RefreshRejected("no refresh token in the request")
        rotation = services.refresh_sessions.rotate(token)
    except RefreshRejected as error:
        audit.event("refresh_rejected", reason=error.reason)
        raise
    audit.event("refresh_succeeded", user_id=rotation.user_id, family_id=rotation.family_id)
    return rotation


@router.post("/login")
def login(
    username: Username,
    password: Password,
    _browser: BrowserRequest,
    request: Request,
    response: Response,
    services: ServicesDep,
    client: ClientAddress,
    agent: UserAgent,
) -> AccessTokenOut:
    """Browser login: the access token in the body, the refresh token in an HttpOnly cookie,
    and the device cookie that keeps this browser's own attempt budget for the account."""
    cookies = BrowserCookies(
        device=services.device_cookie.read(request),
        refresh_token=services.refresh_cookie.read(request),
    )
    signed_in = services.logins.sign_in(
        username, password, client=client, cookies=cookies, user_agent=agent
    )
    rotation = signed_in.rotation
    services.refresh_cookie.set(response, rotation.refresh_token, max_age=rotation.max_age)
    if signed_in.device_cookie is not None:
        services.device_cookie.set(response, signed_in.device_cookie)
    return _access_token(services, rotation)


@router.post("/token")
def token(
    username: Username,
    password: Password,
    services: ServicesDep,
    client: ClientAddress,
    agent: UserAgent,
) -> TokenPairOut:
    """Login for CLIs, native apps and Swagger's "Authorize": both tokens in the body, no
    cookies, so always throttled as an untrusted client."""
    signed_in = services.logins.sign_in(username, password, client=client, user_agent=agent)
    return _token_pair(services, signed_in.rotation)


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
    rotation = _rotate(services, services.refresh_cookie.read(request))
    services.refresh_cookie.set(response, rotation.refresh_token, max_age=rotation.max_age)
    return _access_token(services, rotation)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, services: ServicesDep, body: RefreshIn | None = None) -> Response:
    """End the session family of the given refresh token; a browser's cookie is cleared too."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if body is not None:
        services.refresh_sessions.revoke(body.refresh_token)
        return response
    require_browser_request(request, services)
    token = services.refresh_cookie.read(request)
    if token:
        services.refresh_sessions.revoke(token)
    services.refresh_cookie.clear(response)
    return response


@registration_router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterIn, services: ServicesDep, client: ClientAddress) -> UserOut:
    """Open sign-up without email verification: the account, ready to sign in."""
    return UserOut.model_validate(
        services.accounts.sign_up(body.email, body.password, client=client)
    )


@verified_registration_router.post("/register", status_code=status.HTTP_202_ACCEPTED)
def register_and_verify(
    body: RegisterIn, services: ServicesDep, client: ClientAddress, later: BackgroundTasks
) -> AcceptedOut:
    """Open sign-up with email verification: the same answer for a new and a taken address;
    the mail (a link, or a note to the owner) is decided after the answer is sent."""
    # Counts and checks the password now (429, 422); what depends on the address runs later.
    later.add_task(
        services.verification.accept_registration(body.email, body.password, client=client)
    )
    return AcceptedOut(detail=REGISTRATION_ACCEPTED)
