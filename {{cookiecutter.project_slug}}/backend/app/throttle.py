"""Attempt throttling for every guarded action, per client and per target account, in the database.

One statement counts an attempt for all of its keys at once: a multi-row `INSERT ... ON CONFLICT
DO UPDATE ... RETURNING` increments each counter and reads it back, so concurrent attempts (in one
process or many sharing the database) cannot slip under a limit between a read and a write.
Attempts are counted before the guarded work (a password check, a hash), so an attacker learns
nothing from which attempts were refused.

The statement writes its rows in one global order (sorted by key), so two attempts that share a
counter lock it in the same order and cannot deadlock on PostgreSQL. The sweep of expired counters
runs at most once a minute per process, in a transaction of its own, skipping rows that other
transactions hold instead of waiting for them.

Counter keys are keyed hashes (HMAC with a key derived from BETTER_AUTH_SECRET) of the action and
the value: bounded in length, and the table never holds an address or an email in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import audit, db
from app.db import SessionFactory
from app.models import LoginAttempt
from app.settings import Settings

SWEEP_INTERVAL_SECONDS = 60
# 128 bits of the HMAC: collisions between counters are out of reach, and keys stay short.
KEY_DIGEST_HEX = 32
_UPSERT_BY_DIALECT: dict[str, Callable[..., Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


@dataclass(frozen=True)
class Policy:
    """Attempts allowed per window for one action: per client, per target account and, for
    logins from a browser that signed in to the account before, per (account, device)."""

    per_client: int
    per_account: int
    window_seconds: int
    per_device: int | None = None


DEFAULT_POLICIES: Mapping[str, Policy] = MappingProxyType(
    {
        "login": Policy(per_client=50, per_account=5, per_device=10, window_seconds=900),
        "register": Policy(per_client=10, per_account=3, window_seconds=3600),
        "forgot": Policy(per_client=10, per_account=3, window_seconds=3600),
        "resend": Policy(per_client=10, per_account=3, window_seconds=3600),
        "verify": Policy(per_client=30, per_account=10, window_seconds=3600),
        "change_password": Policy(per_client=20, per_account=5, window_seconds=900),
    }
)


def policies_for(settings: Settings) -> dict[str, Policy]:
    """The default table with the login limits from the settings, and every per-client limit
    multiplied by THROTTLE_CLIENT_LIMIT_MULTIPLIER."""
    login = replace(
        DEFAULT_POLICIES["login"],
        per_client=settings.login_max_attempts_per_client,
        per_account=settings.login_max_attempts_per_account,
        per_device=settings.login_max_attempts_per_device,
        window_seconds=settings.login_window_seconds,
    )
    table = {**DEFAULT_POLICIES, "login": login}
    factor = settings.throttle_client_limit_multiplier
    return {
        action: replace(policy, per_client=policy.per_client * factor)
        for action, policy in table.items()
    }


def client_key(address: str) -> str:
    """The unit a per-client limit counts: an IPv4 address, or the /64 an IPv6 address is in.

    One subscriber usually holds a whole IPv6 /64, so counting single IPv6 addresses would give
    one client 2**64 budgets. IPv4-mapped IPv6 addresses count as their IPv4 address; anything
    that is not an address (a test client's name) is used as it is.
    """
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class Throttled(Exception):
    """Too many attempts; `retry_after` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class CountedKey:
    """One counter after an attempt was counted on it."""

    kind: str
    key: str
    attempts: int
    window_started: float


@dataclass(frozen=True)
class Attempt:
    """A counted attempt: its counters, and how long to wait when one is over its limit."""

    action: str
    client: str
    counters: tuple[CountedKey, ...]
    retry_after: int | None


class Throttle:
    """Fixed-window attempt counters for the actions of `policies`."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        dialect: str,
        key: bytes,
        policies: Mapping[str, Policy],
        clock: Callable[[], float] = time.time,
    ) -> None:
        if dialect not in _UPSERT_BY_DIALECT:
            raise ValueError(f"throttling does not support the {dialect} database")
        self._insert = _UPSERT_BY_DIALECT[dialect]
        self._session_factory = session_factory
        self._key = key
        self._policies = dict(policies)
        self._longest_window = max(policy.window_seconds for policy in self._policies.values())
        self._clock = clock
        self._sweep_lock = threading.Lock()
        self._next_sweep = 0.0

    def check(self, action: str, *, client: str, account: str | None = None) -> None:
        """Count one attempt at `action` for the client and the account; raises Throttled when
        either is over its limit. The count commits either way."""
        self.sweep_if_due()
        with self._session_factory.begin() as session:
            attempt = self.count(session, action, client=client, account=account)
        self.enforce(attempt)

    def count(
        self,
        session: Session,
        action: str,
        *,
        client: str,
        account: str | None = None,
        device: str | None = None,
    ) -> Attempt:
        """Count one attempt inside the caller's write transaction (call `sweep_if_due` before
        opening it). With `device`, a browser's proof that it signed in to `account` before, the
        attempt counts against that device's own budget instead of the account's, which strangers
        can exhaust."""
        policy = self._policy(action)
        now = self._clock()
        limits = {"client": policy.per_client}
        values = {"client": client_key(client)}
        if device is not None:
            if account is None or policy.per_device is None:
                raise ValueError(
                    f"a device budget needs an account and a per-device limit ({action})"
                )
            limits["device"], values["device"] = policy.per_device, f"{account}\0{device}"
        elif account is not None:
            limits["account"], values["account"] = policy.per_account, account
        kinds = {self._counter_key(action, kind, value): kind for kind, value in values.items()}
        expired = LoginAttempt.window_started <= now - policy.window_seconds
        statement = (
            self._insert(LoginAttempt)
            .values([{"key": key, "window_started": now, "attempts": 1} for key in sorted(kinds)])
            .on_conflict_do_update(
                index_elements=[LoginAttempt.key],
                set_={
                    "attempts": case((expired, 1), else_=LoginAttempt.attempts + 1),
                    "window_started": case((expired, now), else_=LoginAttempt.window_started),
                },
            )
            .returning(LoginAttempt.key, LoginAttempt.attempts, LoginAttempt.window_started)
        )
        counters = tuple(
            CountedKey(kinds[key], key, attempts, started)
            for key, attempts, started in session.execute(statement).all()
        )
        waits = [
            counter.window_started + policy.window_seconds - now
            for counter in counters
            if counter.attempts > limits[counter.kind]
        ]
        retry_after = max(1, math.ceil(max(waits))) if waits else None
        return Attempt(action, client, counters, retry_after)

    def enforce(self, attempt: Attempt) -> None:
        """Raise Throttled (and audit it) when the counted attempt is over a limit."""
        if attempt.retry_after is None:
            return
        over = sorted({counter.kind for counter in attempt.counters})
        audit.event(
            f"{attempt.action}_throttled",
            client=attempt.client,
            counters=",".join(over),
            retry_after=attempt.retry_after,
        )
        raise Throttled(attempt.retry_after)

    def succeeded(self, session: Session, attempt: Attempt) -> None:
        """The guarded work succeeded: a device's failures are forgotten, and the attempt is
        taken back from the account's count, leaving the failures of others where they are, so a
        success never reopens guessing for strangers. The client's count stays."""
        for counter in attempt.counters:
            if counter.kind == "device":
                session.execute(delete(LoginAttempt).where(LoginAttempt.key == counter.key))
            elif counter.kind == "account":
                session.execute(
                    update(LoginAttempt)
                    .where(
                        LoginAttempt.key == counter.key,
                        LoginAttempt.window_started == counter.window_started,
                        LoginAttempt.attempts > 0,
                    )
                    .values(attempts=LoginAttempt.attempts - 1)
                )

    def sweep_if_due(self) -> None:
        """Delete expired counters, at most once per SWEEP_INTERVAL_SECONDS in this process."""
        now = self._clock()
        with self._sweep_lock:
            if now < self._next_sweep:
                return
            self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        with self._session_factory.begin() as session:
            expired = LoginAttempt.window_started <= now - self._longest_window
            db.delete_unlocked(session, LoginAttempt.key, expired)

    def _policy(self, action: str) -> Policy:
        try:
            return self._policies[action]
        except KeyError:
            known = ", ".join(sorted(self._policies))
            raise ValueError(f"no throttling policy for {action!r}; known: {known}") from None

    def _counter_key(self, action: str, kind: str, value: str) -> str:
        message = f"{action}\0{kind}\0{value}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()[:KEY_DIGEST_HEX]
        return f"{action}:{kind}:{digest}"
