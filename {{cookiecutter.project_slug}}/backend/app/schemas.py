"""Request and response bodies: the JSON half of the HTTP contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.password_policy import MAX_PASSWORD_LENGTH


class RegisterIn(BaseModel):
    """The password policy (zxcvbn) runs in the route's worker thread, after throttling: body
    validation runs on the event loop, which must not spend milliseconds per request on it."""

    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str


class AccessTokenOut(BaseModel):
    """What a browser gets: the refresh token travels in an HttpOnly cookie instead."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class TokenPairOut(AccessTokenOut):
    """What a non-browser client gets: it keeps the refresh token itself."""

    refresh_token: str


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)
