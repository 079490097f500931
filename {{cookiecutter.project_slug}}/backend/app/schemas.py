"""Request and response bodies: the JSON half of the HTTP contract."""

from __future__ import annotations

from datetime import UTC, datetime
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


class MeOut(UserOut):
    """`GET /users/me`: the account, and whether its owner proved the address."""

    email_verified: bool


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


# --- Account lifecycle ----------------------------------------------------------------------------
# Link tokens are bounded but not shaped here: a malformed one gets the same 400 as a used one.
MAX_LINK_TOKEN_FIELD = 512


class AcceptedOut(BaseModel):
    """A `202`: the request was taken; the sentence is the same whatever the address."""

    detail: str


class EmailIn(BaseModel):
    email: EmailStr = Field(max_length=320)


class LinkTokenIn(BaseModel):
    token: str = Field(max_length=MAX_LINK_TOKEN_FIELD)


class PasswordResetIn(BaseModel):
    token: str = Field(max_length=MAX_LINK_TOKEN_FIELD)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


def instant(epoch_seconds: float) -> datetime:
    """An epoch second as the API shows times: ISO 8601 in UTC."""
    return datetime.fromtimestamp(epoch_seconds, UTC)


class SessionOut(BaseModel):
    """One live session in its owner's list: when and where it began, when last used. No token."""

    id: str
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str | None
    current: bool
