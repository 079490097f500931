"""Changing the password of a signed-in account: the current password proves the owner is at the
keyboard, not just someone holding an access token.

Counted twice before the password check: as a `change_password` attempt (per client and per
account) and as a `login` attempt for the account, so a stolen access token cannot turn this into
a password-guessing oracle beside the login's own limit. A wrong current password stays counted
as a failed login; a right one gives its login attempt back, as a successful login does.

A wrong current password is refused with `400`, never `401`: clients read a `401` as an expired
access token (refresh and retry), which would sign the owner out for a typo.

Success, in one transaction: the new hash is written only if the stored hash is still the one the
current password was checked against (a concurrent change or reset wins, and this one is refused),
every other session of the account ends, outstanding reset links are voided, and the
`password_changed` mail is queued. "Other" is decided by the caller's session id (`sid` in its
access token); a token without one (minted by another service) cannot say which session is the
caller's, so every session ends.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update

from app import audit
from app.accounts import WeakPassword
from app.lifecycle_parts import LifecycleParts
from app.models import User
from app.one_time_links import RESET_PASSWORD
from app.password_policy import password_problem
from app.refresh_sessions import audit_ended

SESSIONS_END_REASON = "password changed"


class WrongCurrentPassword(Exception):
    """The current password given is not the account's (or stopped being it a moment ago)."""


class PasswordChanges:
    """See the module docstring. Blocking: call from a worker thread."""

    def __init__(self, parts: LifecycleParts) -> None:
        self._parts = parts

    def change(
        self, user: User, current: str, new: str, *, client: str, session_id: str | None
    ) -> None:
        """Replace `user`'s password; raises Throttled, WrongCurrentPassword or WeakPassword."""
        self._parts.throttle.check("change_password", client=client, account=user.id)
        self._parts.throttle.sweep_if_due()
        with self._parts.factory.begin() as session:
            attempt = self._parts.throttle.count(
                session, "login", client=client, account=user.email
            )
        self._parts.throttle.enforce(attempt)
        if not self._parts.passwords.verify(user.password_hash, current):
            audit.event(
                "login_failed",
                reason="wrong current password at a password change",
                user_id=user.id,
                client=client,
            )
            raise WrongCurrentPassword
        problem = password_problem(new, user.email)
        if problem:
            # The owner proved the password: this attempt is not a failed login.
            with self._parts.factory.begin() as session:
                self._parts.throttle.succeeded(session, attempt)
            raise WeakPassword(problem, field="new_password")
        new_hash = self._parts.passwords.hash(new)
        ended: list[str] = []
        with self._parts.factory.begin() as session:
            result = session.execute(
                update(User)
                .where(User.id == user.id, User.password_hash == user.password_hash)
                .values(password_hash=new_hash)
            )
            changed = cast("CursorResult[Any]", result).rowcount == 1
            if changed:
                ended = self._parts.refresh_sessions.end_all_in(
                    session, user.id, SESSIONS_END_REASON, keep=session_id
                )
                self._parts.links.void_in(session, user.id, [RESET_PASSWORD])
                self._parts.outbox.enqueue(session, self._parts.mail.password_changed(user.email))
                self._parts.throttle.succeeded(session, attempt)
        if not changed:
            audit.event("password_change_refused", reason="changed concurrently", user_id=user.id)
            raise WrongCurrentPassword
        audit.event(
            "password_changed",
            user_id=user.id,
            sessions_ended=len(ended),
            kept_caller_session=session_id is not None,
        )
        audit_ended(user.id, ended, SESSIONS_END_REASON)
