"""Forgotten passwords: a one-time reset link by mail, and setting a new password with it.

"Forgot password" answers `202` with the same body whatever the address; it counts the attempt
(per client and per address) before answering, and looks the address up only after the answer is
sent (app/after_response.py), so neither the body nor the time tells a stranger whether the
address has an account. Only a real account gets mail.

A reset, in one transaction: the link is spent (one conditional UPDATE: of concurrent uses one
wins), the password replaced, every other reset and verification link of the account voided,
every session of the account ended, and the address marked verified: the link arrived in that
mailbox, which is what verification proves. A new password the policy refuses is a `422` that
leaves the link unspent, so the person can try another.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import audit
from app.accounts import WeakPassword, normalize_email
from app.after_response import AfterResponse, guarded
from app.lifecycle_parts import LifecycleParts
from app.models import User
from app.one_time_links import RESET_PASSWORD, VERIFY_EMAIL, LinkRefused
from app.password_policy import password_problem
from app.refresh_sessions import audit_ended

FORGOT_ACCEPTED = "If this address has an account, a link to choose a new password is on its way."
SESSIONS_END_REASON = "password reset"


class PasswordResets:
    """See the module docstring. Blocking: call from a worker thread."""

    def __init__(self, parts: LifecycleParts, *, link_seconds: int) -> None:
        self._parts = parts
        self._link_seconds = link_seconds

    def accept_request(self, email: str, *, client: str) -> AfterResponse:
        """Count the attempt (raises Throttled); return the work that depends on the address."""
        account = normalize_email(email)
        self._parts.throttle.check("forgot", client=client, account=account)
        return guarded(lambda: self.send_link(account), "password reset request")

    def send_link(self, email: str) -> None:
        """Mail a reset link to the account of `email` (older links stop working); nothing
        when there is no such account."""
        query = select(User).where(User.email == email)
        user = self._parts.read_factory.run(lambda session: session.scalar(query))
        if user is None:
            audit.event("password_reset_refused", reason="unknown address")
            return
        with self._parts.factory.begin() as session:
            token = self._parts.links.issue_in(session, user.id, RESET_PASSWORD, self._link_seconds)
            self._parts.outbox.enqueue(session, self._parts.mail.reset_password(user.email, token))
        audit.event("password_reset_requested", user_id=user.id)

    def reset(self, token: str, new_password: str, *, client: str) -> None:
        """Set the password of the link's account; raises LinkRefused, WeakPassword (the link
        stays usable) or Throttled."""
        user = self._parts.read_factory.run(lambda session: self._owner(session, token))
        self._parts.throttle.check("verify", client=client, account=user.id if user else None)
        if user is None:
            audit.event("link_refused", purpose=RESET_PASSWORD, client=client)
            raise LinkRefused
        problem = password_problem(new_password, user.email)
        if problem:
            raise WeakPassword(problem, field="new_password")
        new_hash = self._parts.passwords.hash(new_password)
        ended: list[str] = []
        with self._parts.factory.begin() as session:
            user_id = self._parts.links.use_in(session, token, RESET_PASSWORD)
            if user_id is not None:
                session.execute(
                    update(User)
                    .where(User.id == user_id)
                    .values(password_hash=new_hash, email_verified=True)
                )
                self._parts.links.void_in(session, user_id, [RESET_PASSWORD, VERIFY_EMAIL])
                ended = self._parts.refresh_sessions.end_all_in(
                    session, user_id, SESSIONS_END_REASON
                )
        if user_id is None:
            # Spent by a concurrent request between the look-up and now.
            audit.event("link_refused", purpose=RESET_PASSWORD, client=client)
            raise LinkRefused
        audit.event("password_reset_done", user_id=user_id, sessions_ended=len(ended))
        audit_ended(user_id, ended, SESSIONS_END_REASON)

    def _owner(self, session: Session, token: str) -> User | None:
        """The account of a reset link that would work now."""
        live = self._parts.links.find_live(session, token, RESET_PASSWORD)
        return None if live is None else session.get(User, live.user_id)
