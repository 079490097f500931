"""Typed errors mapped to HTTP answers in one place, with bodies that leak nothing."""

from __future__ import annotations

import logging
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app import db
from app.accounts import EmailTaken, WeakPassword
from app.logins import EmailNotVerified, LoginFailed
from app.one_time_links import LinkRefused
from app.password_change import WrongCurrentPassword
from app.refresh_sessions import RefreshRejected
from app.throttle import Throttled

NOT_AUTHENTICATED = {"detail": "Not authenticated"}
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
# A busy database is usually free again within a second (a lock holder commits, a connection
# returns to the pool, a restarting server accepts connections).
BUSY_RETRY_AFTER_SECONDS = 1

logger = logging.getLogger(__name__)


class NotAuthenticated(Exception):
    """A request that must be refused as unauthenticated; the audit log already says why."""


class SessionNotFound(Exception):
    """No live session of the caller's with that id: someone else's, unknown or already over."""


class BrowserCheckFailed(Exception):
    """A cookie request without an allowed Origin or an X-Requested-With header; the message
    names what is missing. Not an authentication failure: the credentials were never looked at."""


def not_authenticated() -> JSONResponse:
    """The one answer to every authentication failure, whatever the precise reason was."""
    return JSONResponse(NOT_AUTHENTICATED, status_code=401, headers=BEARER_CHALLENGE)


def _validation_detail(loc: tuple[Any, ...], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


async def _unauthenticated(_request: Request, _error: Exception) -> JSONResponse:
    return not_authenticated()


async def _browser_check_failed(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=403)


# Starlette types every handler as taking any Exception; each of these two is registered for
# one type only (install_error_handlers), which the casts state.
async def _throttled(_request: Request, error: Exception) -> JSONResponse:
    retry_after = cast(Throttled, error).retry_after
    return JSONResponse(
        {"detail": "Too many attempts; try again later"},
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


async def _email_taken(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse({"detail": "This email address is already registered"}, status_code=409)


async def _weak_password(_request: Request, error: Exception) -> JSONResponse:
    # The same shape as any other validation error: where, and why in words.
    field = error.field if isinstance(error, WeakPassword) else "password"
    detail = [_validation_detail(("body", field), str(error), "value_error")]
    return JSONResponse({"detail": detail}, status_code=422)


# --- Account lifecycle: one fixed body per refusal ------------------------------------------------
LINK_REFUSED = {
    "detail": "This link cannot be used: it is invalid, was already used, has expired, or a "
    "newer one replaced it. Ask for a new one."
}
EMAIL_NOT_VERIFIED = {
    "detail": "This email address is not verified yet. Open the link we mailed to it, or ask "
    "for a new one."
}
WRONG_CURRENT_PASSWORD = {"detail": "The current password is not correct."}
NO_SUCH_SESSION = {"detail": "There is no such session among yours."}


async def _link_refused(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(LINK_REFUSED, status_code=400)


async def _email_not_verified(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(EMAIL_NOT_VERIFIED, status_code=403)


async def _wrong_current_password(_request: Request, _error: Exception) -> JSONResponse:
    # 400, not 401: clients take a 401 for an expired access token and would sign the owner out.
    return JSONResponse(WRONG_CURRENT_PASSWORD, status_code=400)


async def _session_not_found(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(NO_SUCH_SESSION, status_code=404)


async def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    # FastAPI's default answer echoes the offending input, which may be a password or a token:
    # keep where and what, drop the value.
    errors = cast(RequestValidationError, error).errors()
    detail = [_validation_detail(item["loc"], item["msg"], item["type"]) for item in errors]
    return JSONResponse({"detail": detail}, status_code=422)


async def _database_unavailable(_request: Request, error: Exception) -> JSONResponse:
    """503 with Retry-After when the database is busy or unreachable; any other database error
    is a real failure and goes on to the generic 500."""
    reason = db.unavailable_reason(error)
    if reason is None:
        raise error
    logger.warning("answered 503: %s", reason)
    return JSONResponse(
        {"detail": "The service is busy; try again in a moment"},
        status_code=503,
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    for error_type in (LoginFailed, RefreshRejected, NotAuthenticated):
        app.add_exception_handler(error_type, _unauthenticated)
    app.add_exception_handler(BrowserCheckFailed, _browser_check_failed)
    app.add_exception_handler(Throttled, _throttled)
    app.add_exception_handler(EmailTaken, _email_taken)
    app.add_exception_handler(WeakPassword, _weak_password)
    app.add_exception_handler(LinkRefused, _link_refused)
    app.add_exception_handler(EmailNotVerified, _email_not_verified)
    app.add_exception_handler(WrongCurrentPassword, _wrong_current_password)
    app.add_exception_handler(SessionNotFound, _session_not_found)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for database_error in (DBAPIError, PoolTimeout):
        app.add_exception_handler(database_error, _database_unavailable)
