"""Refresh sessions: opaque rotating tokens, stored hashed, with reuse detection per family.

A login starts a family; each refresh replaces its token with the next generation. The family
row holds the one generation that may still be used, and rotation is a conditional UPDATE on
it, so of N concurrent refreshes with one token exactly one wins, whichever instances they reach:
PostgreSQL re-checks the WHERE clause after the row lock is released, SQLite runs one writer at
a time. Revocation is the same kind of UPDATE on the same row, so it is seen by every instance
on the next refresh; nothing about a family is kept in process memory. Presenting any other
generation (a stolen copy, or the loser of a race) revokes the family: the thief and the victim
are both signed out, which is the point.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import audit, db
from app.db import SessionFactory
from app.models import RefreshFamily, RefreshToken

TOKEN_BYTES = 32


class RefreshRejected(Exception):
    """The refresh token cannot be used; `reason` is for the audit log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rotation:
    """The outcome of a successful refresh: who it is for and their next refresh token."""

    user_id: str
    family_id: str
    refresh_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshSessions:
    """Start, rotate and revoke refresh-token families."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        lifetime_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._factory = factory
        self._lifetime = lifetime_seconds
        self._clock = clock

    def start(self, user_id: str) -> Rotation:
        """A new family for `user_id`, with its first token."""
        now = self._clock()
        family_id = secrets.token_hex(16)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._factory.begin() as session:
            # Expired tokens can never be used again; dropping them here keeps the table small.
            db.delete_unlocked(session, RefreshToken.token_hash, RefreshToken.expires_at <= now)
            session.add(RefreshFamily(id=family_id, user_id=user_id, generation=0, created_at=now))
            session.flush()
            session.add(self._token_row(token, family_id, 0, now))
        return Rotation(user_id=user_id, family_id=family_id, refresh_token=token)

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
        now = self._clock()
        with self._factory.begin() as session:
            found = self._find(session, token)
            if found is not None:
                _, family = found
                self._revoke_family(session, family, now, "logout")
                audit.event("logout", user_id=family.user_id, family_id=family.id)

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
        won = session.execute(
            update(RefreshFamily)
            .where(
                RefreshFamily.id == family.id,
                RefreshFamily.generation == stored.generation,
                RefreshFamily.revoked_at.is_(None),
            )
            .values(generation=stored.generation + 1)
        ).rowcount
        if won != 1:
            self._revoke_family(session, family, now, "reuse")
            audit.event(
                "refresh_reuse_detected",
                user_id=family.user_id,
                family_id=family.id,
                generation=stored.generation,
            )
            return "reuse of a rotated refresh token; family revoked"
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session.add(self._token_row(token, family.id, stored.generation + 1, now))
        return Rotation(user_id=family.user_id, family_id=family.id, refresh_token=token)

    @staticmethod
    def _revoke_family(session: Session, family: RefreshFamily, now: float, reason: str) -> None:
        session.execute(
            update(RefreshFamily)
            .where(RefreshFamily.id == family.id, RefreshFamily.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )

    def _token_row(self, token: str, family_id: str, generation: int, now: float) -> RefreshToken:
        return RefreshToken(
            token_hash=_digest(token),
            family_id=family_id,
            generation=generation,
            expires_at=now + self._lifetime,
        )
