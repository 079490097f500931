"""The backend's cookies, one object each, so that setting and clearing one cannot drift apart.

Both live under `/auth` (the browser sends them to the auth endpoints only, never to the rest of
the API), are HttpOnly (no script reads them) and SameSite=Strict (no cross-site request carries
them). In production they are Secure and `__Secure-` prefixed: a browser then accepts them only
over https, so a plain-http page on a sibling host cannot plant one.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from app.settings import Settings

AUTH_PATH = "/auth"
DEVICE_COOKIE_SECONDS = 365 * 86400


@dataclass(frozen=True)
class CookieTransport:
    """One cookie's name and attributes; `max_age` is the longest it may ever live."""

    name: str
    max_age: int
    secure: bool
    path: str = AUTH_PATH

    def read(self, request: Request) -> str | None:
        return request.cookies.get(self.name) or None

    def set(self, response: Response, value: str, *, max_age: int | None = None) -> None:
        """Set the cookie for `max_age` seconds, never longer than the transport allows."""
        lifetime = self.max_age if max_age is None else max(0, min(max_age, self.max_age))
        response.set_cookie(
            self.name,
            value,
            max_age=lifetime,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(
            self.name, path=self.path, secure=self.secure, httponly=True, samesite="strict"
        )


def refresh_cookie(settings: Settings) -> CookieTransport:
    """The refresh token of a browser session."""
    return CookieTransport(
        name=f"{settings.cookie_prefix}refresh_token",
        max_age=settings.refresh_token_seconds,
        secure=settings.cookie_secure,
    )


def device_cookie(settings: Settings) -> CookieTransport:
    """Proof that this browser signed in to an account before (see app/devices.py)."""
    return CookieTransport(
        name=f"{settings.cookie_prefix}device",
        max_age=DEVICE_COOKIE_SECONDS,
        secure=settings.cookie_secure,
    )
