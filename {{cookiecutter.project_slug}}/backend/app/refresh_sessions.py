"""Refresh sessions: opaque rotating tokens, stored hashed, with reuse detection per family.

A login starts a family; each refresh replaces its token with the next generation. The family
row holds the one generation that may still be used, and rotation is a conditional UPDATE on
it, so of N concurrent refreshes with one token exactly one wins, whichever instances they reach:
PostgreSQL re-checks the WHERE clause after the row lock is released, SQLite runs one writer at
a time. Revocation is the same kind of UPDATE on the same row, so it is seen by every instance
on the next refresh; nothing about a family is kept in process memory. Presenting any other
generation (a stolen copy, or the loser of a race) revokes the family: the thief and the victim
are both signed out, which is the point.

A family also has an absolute maximum age (SESSION_MAX_DAYS): no token of it outlives that, and
rotation past it is refused, so refreshing often enough cannot keep one login alive forever.

The owner's session list shows the live families (not revoked, current token unexpired, younger
than the maximum age) with when each began, when it last rotated (`last_used_at`, written by the
rotating UPDATE itself) and the browser that signed in; never a token. Ending sessions is the same
revoking UPDATE, restricted to the owner's own families.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, true, update
from sqlalchemy.orm import Session

from app import audit, db
from app.db import ReadSessionFactory, SessionFactory
from app.models import RefreshFamily, RefreshToken

TOKEN_BYTES = 32
# What the session list keeps of a User-Agent header: enough to recognise a browser.
USER_AGENT_LENGTH = 200
# A family id is 32 hex digits; a longer "id" in a request is not one of ours.
MAX_FAMILY_ID_LENGTH = 64


class RefreshRejected(Exception):
    """The refresh token cannot be used; `reason` is for the audit log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rotation:
    """The outcome of a successful login or refresh: who it is for, their next refresh token,
    and for how many seconds that token will be accepted (a cookie should not live longer)."""

    user_id: str
    family_id: str
    refresh_token: str
    max_age: int


@dataclass(frozen=True)
class Revocation:
    """A family a token named: whose it is, and whether this revocation is what ended it."""

    user_id: str
    family_id: str
    ended: bool


@dataclass(frozen=True)
class LiveSession:
    """One live family as its owner's session list shows it; no token material."""

    id: str
    created_at: float
    last_used_at: float | None
    user_agent: str | None


def audit_ended(user_id: str, family_ids: list[str], reason: str) -> None:
    """One `session_ended` line per family a committed transaction ended."""
    for family_id in family_ids:
        audit.event("session_ended", user_id=user_id, family_id=family_id, reason=reason)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_user_agent(header: str | None) -> str | None:
    """The User-Agent as the session list may show it: control and format characters (line
    breaks, escapes, bidi overrides) dropped, whitespace collapsed, cut to USER_AGENT_LENGTH."""
    if header is None:
        return None
    kept = "".join(
        " " if char.isspace() else char
        for char in header[: USER_AGENT_LENGTH * 4]
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    cleaned = " ".join(kept.split())[:USER_AGENT_LENGTH].strip()
    return cleaned or None


class RefreshSessions:
    """Start, rotate and revoke refresh-token families."""

    def __init__(
        self,
        factory: SessionFactory,
        read_factory: ReadSessionFactory,
        *,
        lifetime_seconds: int,
        max_age_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._factory = factory
        self._read_factory = read_factory
        self._lifetime = lifetime_seconds
        self._max_age = max_age_seconds
        self._clock = clock

    def start(self, user_id: str, *, user_agent: str | None = None) -> Rotation:
        """A new family for `user_id`, with its first token."""
        with self._factory.begin() as session:
            return self.start_in(session, user_id, user_agent=user_agent)

    def start_in(
        self, session: Session, user_id: str, *, user_agent: str | None = None
    ) -> Rotation:
        """`start` inside the caller's write transaction; `user_agent` as the browser sent it."""
        now = self._clock()
        family_id = secrets.token_hex(16)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        # Expired tokens can never be used again; dropping them here keeps the table small.
        db.delete_unlocked(session, RefreshToken.token_hash, RefreshToken.expires_at <= now)
        session.add(
            RefreshFamily(
                id=family_id,
                user_id=user_id,
                generation=0,
                created_at=now,
                user_agent=clean_user_agent(user_agent),
            )
        )
        session.flush()
        row = self._token_row(token, family_id, 0, now, family_created_at=now)
        session.add(row)
        return self._rotation(user_id, family_id, token, row, now)

    def rotate(self, token: str) -> Rotation:
        """Replace `token` with the next one; raises RefreshRejected, revoking on reuse."""
        now = self._clock()
        with self._factory.begin() as session:
            found = self._find(session, token)
            if found is None:
                outcome: Rotation | str = "unknown refresh token"
            else:
                outcome = self._rotate_found(session, *found, now)
        if isinstance(outcome, str):
            raise RefreshRejected(outcome)
        return outcome

    def revoke(self, token: str) -> None:
        """End the family of `token` (logout); unknown tokens are ignored."""
        with self._factory.begin() as session:
            revocation = self.revoke_in(session, token, "logout")
        if revocation is not None:
            audit.event("logout", user_id=revocation.user_id, family_id=revocation.family_id)

    def revoke_in(self, session: Session, token: str, reason: str) -> Revocation | None:
        """End the family of `token` inside the caller's transaction; None for unknown tokens."""
        found = self._find(session, token)
        if found is None:
            return None
        _, family = found
        ended = self._revoke_family(session, family, self._clock(), reason)
        return Revocation(user_id=family.user_id, family_id=family.id, ended=ended)

    def list_live(self, user_id: str) -> list[LiveSession]:
        """The live sessions of `user_id`, newest first."""
        now = self._clock()
        query = (
            select(
                RefreshFamily.id,
                RefreshFamily.created_at,
                RefreshFamily.last_used_at,
                RefreshFamily.user_agent,
            )
            .join(
                RefreshToken,
                (RefreshToken.family_id == RefreshFamily.id)
                & (RefreshToken.generation == RefreshFamily.generation),
            )
            .where(
                RefreshFamily.user_id == user_id,
                RefreshFamily.revoked_at.is_(None),
                RefreshFamily.created_at > now - self._max_age,
                RefreshToken.expires_at > now,
            )
            .order_by(RefreshFamily.created_at.desc(), RefreshFamily.id)
        )
        rows = self._read_factory.run(lambda session: session.execute(query).all())
        return [LiveSession(*row) for row in rows]

    def end(self, user_id: str, family_id: str) -> bool:
        """End one session of `user_id`; False when it is not theirs, unknown or already over
        (the caller answers all of those alike)."""
        if len(family_id) > MAX_FAMILY_ID_LENGTH:
            return False
        reason = "ended by its owner"
        with self._factory.begin() as session:
            ended = self._end_where(session, user_id, reason, RefreshFamily.id == family_id)
        audit_ended(user_id, ended, reason)
        return bool(ended)

    def end_others(self, user_id: str, keep: str | None) -> list[str]:
        """End every session of `user_id` but `keep` (every one when `keep` is None)."""
        reason = "ended by its owner"
        with self._factory.begin() as session:
            ended = self.end_all_in(session, user_id, reason, keep=keep)
        audit_ended(user_id, ended, reason)
        return ended

    def end_all_in(
        self, session: Session, user_id: str, reason: str, *, keep: str | None = None
    ) -> list[str]:
        """Inside the caller's transaction, end every live session of `user_id` but `keep`, and
        return their ids; the caller audits them with `audit_ended` once it has committed."""
        others = RefreshFamily.id != keep if keep is not None else true()
        return self._end_where(session, user_id, reason, others)

    def _end_where(self, session: Session, user_id: str, reason: str, condition: Any) -> list[str]:
        ended = session.execute(
            update(RefreshFamily)
            .where(RefreshFamily.user_id == user_id, RefreshFamily.revoked_at.is_(None), condition)
            .values(revoked_at=self._clock(), revoked_reason=reason)
            .returning(RefreshFamily.id)
        )
        return list(ended.scalars())

    def _find(self, session: Session, token: str) -> tuple[RefreshToken, RefreshFamily] | None:
        row = session.execute(
            select(RefreshToken, RefreshFamily)
            .join(RefreshFamily, RefreshFamily.id == RefreshToken.family_id)
            .where(RefreshToken.token_hash == _digest(token))
        ).first()
        return None if row is None else (row[0], row[1])

    def _rotate_found(
        self, session: Session, stored: RefreshToken, family: RefreshFamily, now: float
    ) -> Rotation | str:
        if family.revoked_at is not None:
            return f"family revoked ({family.revoked_reason})"
        if stored.expires_at <= now:
            return "refresh token expired"
        if family.created_at + self._max_age <= now:
            return "session reached its maximum age (SESSION_MAX_DAYS); the user signs in again"
        result = session.execute(
            update(RefreshFamily)
            .where(
                RefreshFamily.id == family.id,
                RefreshFamily.generation == stored.generation,
                RefreshFamily.revoked_at.is_(None),
            )
            .values(generation=stored.generation + 1, last_used_at=now)
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            self._revoke_family(session, family, now, "reuse")
            audit.event(
                "refresh_reuse_detected",
                user_id=family.user_id,
                family_id=family.id,
                generation=stored.generation,
            )
            return "reuse of a rotated refresh token; family revoked"
        token = secrets.token_urlsafe(TOKEN_BYTES)
        row = self._token_row(token, family.id, stored.generation + 1, now, family.created_at)
        session.add(row)
        return self._rotation(family.user_id, family.id, token, row, now)

    @staticmethod
    def _revoke_family(session: Session, family: RefreshFamily, now: float, reason: str) -> bool:
        """Revoke `family` unless it already was; whether this call ended it."""
        result = session.execute(
            update(RefreshFamily)
            .where(RefreshFamily.id == family.id, RefreshFamily.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        # An UPDATE's result is a CursorResult, which knows how many rows matched.
        return cast("CursorResult[Any]", result).rowcount == 1

    def _token_row(
        self, token: str, family_id: str, generation: int, now: float, family_created_at: float
    ) -> RefreshToken:
        return RefreshToken(
            token_hash=_digest(token),
            family_id=family_id,
            generation=generation,
            expires_at=min(now + self._lifetime, family_created_at + self._max_age),
        )

    @staticmethod
    def _rotation(
        user_id: str, family_id: str, token: str, row: RefreshToken, now: float
    ) -> Rotation:
        max_age = math.ceil(row.expires_at - now)
        return Rotation(user_id=user_id, family_id=family_id, refresh_token=token, max_age=max_age)
