"""Login throttling per account and per client address, counted in the database.

Each attempt is one atomic upsert that both increments the counter and returns it, so
concurrent attempts (in one process or many sharing a database) cannot slip under the limit
between a read and a write. Attempts are counted before the password is checked: an attacker
learns nothing from which attempts were throttled.

Every statement runs in a transaction of its own. A transaction that held one counter's row
lock while waiting for another's could deadlock with a concurrent login on PostgreSQL (and
answer 500); here a counter's upsert holds no other lock while it waits, and the sweep of expired
counters skips locked rows instead of waiting, so no cycle can form.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite

from app import audit, db
from app.db import SessionFactory
from app.models import LoginAttempt

_UPSERT_BY_DIALECT: dict[str, Callable[..., Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


class Throttled(Exception):
    """Too many attempts; `retry_after` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    """Fixed-window attempt counters keyed by account and by client address."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        dialect: str,
        per_account: int,
        per_client: int,
        window_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if dialect not in _UPSERT_BY_DIALECT:
            raise ValueError(f"login throttling does not support the {dialect} database")
        self._insert = _UPSERT_BY_DIALECT[dialect]
        self._factory = factory
        self._limits = {"account": per_account, "client": per_client}
        self._window = window_seconds
        self._clock = clock

    def check_attempt(self, account: str, client: str) -> None:
        """Count one attempt for both keys; raises Throttled when either is over its limit."""
        now = self._clock()
        waits = []
        with self._factory.begin() as session:
            expired = LoginAttempt.window_started <= now - self._window
            db.delete_unlocked(session, LoginAttempt.key, expired)
        for kind, value in (("account", account), ("client", client)):
            with self._factory.begin() as session:
                attempts, started = self._count(session, f"{kind}:{value}", now)
            if attempts > self._limits[kind]:
                waits.append(started + self._window - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            audit.event("login_throttled", client=client, retry_after=retry_after)
            raise Throttled(retry_after)

    def forget_account(self, account: str) -> None:
        """Reset an account's counter after its owner proved the password."""
        with self._factory.begin() as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == f"account:{account}"))

    def _count(self, session: Any, key: str, now: float) -> tuple[int, float]:
        expired = LoginAttempt.window_started <= now - self._window
        statement = (
            self._insert(LoginAttempt)
            .values(key=key, window_started=now, attempts=1)
            .on_conflict_do_update(
                index_elements=[LoginAttempt.key],
                set_={
                    "attempts": case((expired, 1), else_=LoginAttempt.attempts + 1),
                    "window_started": case((expired, now), else_=LoginAttempt.window_started),
                },
            )
            .returning(LoginAttempt.attempts, LoginAttempt.window_started)
        )
        attempts, started = session.execute(statement).one()
        return attempts, started
