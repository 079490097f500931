"""One-time links (email verification, password reset): opaque tokens stored only as SHA-256.

A token is 256 random bits; the database keeps its SHA-256, the purpose, the account, and when it
was made, expires, was used or was superseded. Issuing a link supersedes every older live link of
the same purpose for the account, so only the newest mail works.

Using a link is one conditional UPDATE (`WHERE used_at IS NULL AND superseded_at IS NULL AND
expires_at > now ... RETURNING user_id`) inside the caller's transaction: of concurrent uses
exactly one gets the row back, on every database (PostgreSQL re-checks the WHERE clause after
the row lock is released, SQLite runs one writer at a time), and the effect of the link (a new
password, a verified address) commits with it or not at all.

Every method takes the caller's session: the token, its effect and the mail carrying it commit
together.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app import db
from app.models import OneTimeToken

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
TOKEN_BYTES = 32
# A token in a link is 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 100


class LinkRefused(Exception):
    """A link that cannot be used: bad, used, expired or superseded. One answer for all four, so
    the answer tells a stranger nothing about a token."""


@dataclass(frozen=True)
class LiveLink:
    """A link that would work now: whose it is."""

    user_id: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OneTimeLinks:
    """Issue, look up, use and void one-time links."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def issue_in(self, session: Session, user_id: str, purpose: str, lifetime_seconds: int) -> str:
        """A new link token for `user_id`; older live links of `purpose` stop working."""
        now = self._clock()
        # Expired links can never work again; dropping them here keeps the table small.
        db.delete_unlocked(session, OneTimeToken.token_hash, OneTimeToken.expires_at <= now)
        self.void_in(session, user_id, [purpose])
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session.add(
            OneTimeToken(
                token_hash=digest(token),
                purpose=purpose,
                user_id=user_id,
                created_at=now,
                expires_at=now + lifetime_seconds,
            )
        )
        return token

    def find_live(self, session: Session, token: str, purpose: str) -> LiveLink | None:
        """The account of `token` if it would work now; None for a bad, used, expired or
        superseded one (callers answer all four the same way)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        user_id = session.scalar(
            select(OneTimeToken.user_id).where(*self._live(token, purpose, self._clock()))
        )
        return None if user_id is None else LiveLink(user_id)

    def use_in(self, session: Session, token: str, purpose: str) -> str | None:
        """Spend `token`: the account it belongs to, or None when it cannot be used (bad, used,
        expired, superseded, or spent by a concurrent request a moment ago)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        now = self._clock()
        return session.execute(
            update(OneTimeToken)
            .where(*self._live(token, purpose, now))
            .values(used_at=now)
            .returning(OneTimeToken.user_id)
        ).scalar_one_or_none()

    def void_in(self, session: Session, user_id: str, purposes: Iterable[str]) -> int:
        """Supersede every live link of `purposes` for `user_id`; how many there were."""
        now = self._clock()
        result = session.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.user_id == user_id,
                OneTimeToken.purpose.in_(list(purposes)),
                OneTimeToken.used_at.is_(None),
                OneTimeToken.superseded_at.is_(None),
                OneTimeToken.expires_at > now,
            )
            .values(superseded_at=now)
        )
        return cast("CursorResult[Any]", result).rowcount

    @staticmethod
    def _live(token: str, purpose: str, now: float) -> tuple[Any, ...]:
        return (
            OneTimeToken.token_hash == digest(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.superseded_at.is_(None),
            OneTimeToken.expires_at > now,
        )
