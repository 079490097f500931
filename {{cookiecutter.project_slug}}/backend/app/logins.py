"""Sign-in: device-aware throttling, the password check and the new session, in two transactions.

The first transaction counts the attempt (per client, and per account or, for a browser that
signed in to the account before, per device) and looks the user up; the password is checked with
no transaction open, so a slow hash never holds a lock; the second transaction, only after a
success, upgrades a stale hash, ends the refresh family the browser still held, starts the new one
and gives back the attempt. A failed attempt costs one transaction, a successful one two (plus,
at most once a minute per process, the sweep of expired counters).

Unknown accounts and wrong passwords do the same work and raise the same LoginFailed. When the
project requires verified addresses, the right password for an unverified account raises
EmailNotVerified instead (only someone who knows the password learns the account's state), and
no session starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import audit
from app.accounts import normalize_email
from app.db import SessionFactory
from app.devices import Devices
from app.models import User
from app.passwords import Passwords
from app.refresh_sessions import RefreshSessions, Rotation
from app.throttle import Attempt, Throttle


class LoginFailed(Exception):
    """Unknown account or wrong password; deliberately the same exception for both."""


class EmailNotVerified(Exception):
    """The right password, but the account's address is not verified yet."""


@dataclass(frozen=True)
class BrowserCookies:
    """What a browser's cookies bring to a login: its device entries and its current session."""

    device: str | None
    refresh_token: str | None


@dataclass(frozen=True)
class SignedIn:
    """A successful login: the new session and, for a browser, its next device cookie."""

    user_id: str
    rotation: Rotation
    device_cookie: str | None


class Logins:
    """Password logins for browsers (`cookies` given) and other clients (no cookies)."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        passwords: Passwords,
        throttle: Throttle,
        devices: Devices,
        refresh_sessions: RefreshSessions,
        require_verified_email: bool,
    ) -> None:
        self._factory = factory
        self._require_verified_email = require_verified_email
        self._passwords = passwords
        self._throttle = throttle
        self._devices = devices
        self._refresh_sessions = refresh_sessions

    def sign_in(
        self,
        email: str,
        password: str,
        *,
        client: str,
        cookies: BrowserCookies | None = None,
        user_agent: str | None = None,
    ) -> SignedIn:
        """A new session for the owner of `email`; raises Throttled, LoginFailed or
        EmailNotVerified otherwise. `user_agent` is what the session list will show."""
        account = normalize_email(email)
        device = self._devices.recognise(cookies.device, account) if cookies else None
        self._throttle.sweep_if_due()
        with self._factory.begin() as session:
            attempt = self._throttle.count(
                session, "login", client=client, account=account, device=device
            )
            found = None if attempt.retry_after else self._find(session, account)
        self._throttle.enforce(attempt)
        check = self._passwords.check(found.password_hash if found else None, password)
        if found is None or not check.matches:
            audit.event(
                "login_failed",
                reason="wrong password" if found else "unknown account",
                user_id=found.id if found else None,
                client=client,
                known_device=device is not None,
            )
            raise LoginFailed
        if self._require_verified_email and not found.email_verified:
            audit.event(
                "login_refused", reason="email not verified", user_id=found.id, client=client
            )
            raise EmailNotVerified
        new_hash = self._passwords.hash(password) if check.needs_rehash else None
        held = cookies.refresh_token if cookies else None
        rotation = self._start_session(
            found.id, attempt, new_hash=new_hash, held=held, user_agent=user_agent
        )
        audit.event(
            "login_succeeded",
            user_id=found.id,
            family_id=rotation.family_id,
            client=client,
            known_device=device is not None,
        )
        device_cookie = self._devices.enrol(cookies.device, account) if cookies else None
        return SignedIn(user_id=found.id, rotation=rotation, device_cookie=device_cookie)

    def _start_session(
        self,
        user_id: str,
        attempt: Attempt,
        *,
        new_hash: str | None,
        held: str | None,
        user_agent: str | None,
    ) -> Rotation:
        """The second transaction: upgrade the hash, end the session the browser held, start
        the new one, and give the attempt back to the throttle."""
        with self._factory.begin() as session:
            if new_hash is not None:
                session.execute(
                    update(User).where(User.id == user_id).values(password_hash=new_hash)
                )
            replaced = (
                self._refresh_sessions.revoke_in(session, held, "new login") if held else None
            )
            rotation = self._refresh_sessions.start_in(session, user_id, user_agent=user_agent)
            self._throttle.succeeded(session, attempt)
        if new_hash is not None:
            audit.event("password_rehashed", user_id=user_id)
        if replaced is not None and replaced.ended:
            audit.event("session_replaced", user_id=replaced.user_id, family_id=replaced.family_id)
        return rotation

    @staticmethod
    def _find(session: Session, account: str) -> User | None:
        return session.scalar(select(User).where(User.email == account))
