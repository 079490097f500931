"""Registration with email verification, verifying an address, and asking for a new link.

Registration answers `202` with the same body whatever the address, and counts the attempt (per
client and per address) and checks the password policy before answering; everything that depends
on whether the address has an account runs after the answer is sent (app/after_response.py):

- a new address gets an unverified account and a verification link;
- an address with a verified account gets the `account_exists` mail, and nothing changes;
- an address with an unverified account, registered again with the same password, gets a fresh
  link (the same person asking again);
- an address with an unverified account registered again with another password is contested:
  the provisional password is discarded (replaced by the hash of a random secret nobody knows),
  its verification links are voided and its sessions end, and the address gets `account_exists`,
  whose link leads to a password reset. Only the owner of the mailbox can then choose the
  password, so a stranger who registered the address first (account pre-hijacking) keeps nothing.

Verifying never sets or changes a password: it only marks the address proven.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from app import audit
from app.accounts import WeakPassword, normalize_email
from app.after_response import AfterResponse, guarded
from app.lifecycle_parts import LifecycleParts
from app.models import User
from app.one_time_links import VERIFY_EMAIL, LinkRefused
from app.password_policy import password_problem
from app.refresh_sessions import audit_ended

REGISTRATION_ACCEPTED = (
    "Check your email: we sent a message to this address. Open the link in it to finish "
    "creating your account."
)
RESEND_ACCEPTED = (
    "If this address has an account waiting for verification, a new link is on its way."
)


class Verification:
    """See the module docstring. Blocking: call from a worker thread."""

    def __init__(self, parts: LifecycleParts, *, link_seconds: int) -> None:
        self._parts = parts
        self._link_seconds = link_seconds

    # --- Registration ----------------------------------------------------------------------

    def accept_registration(self, email: str, password: str, *, client: str) -> AfterResponse:
        """Count the attempt and check the password, the same way for every address (raises
        Throttled or WeakPassword); return the work that depends on the address."""
        account = normalize_email(email)
        self._parts.throttle.check("register", client=client, account=account)
        problem = password_problem(password, account)
        if problem:
            audit.event("registration_refused", reason="weak password", client=client)
            raise WeakPassword(problem)
        return guarded(lambda: self.complete_registration(account, password), "registration")

    def complete_registration(self, email: str, password: str) -> None:
        """The address-dependent half of a registration; see the module docstring."""
        existing = self._find(email)
        if existing is None:
            try:
                self._create(email, password)
                return
            except IntegrityError:
                # A concurrent registration of the same address committed first.
                existing = self._find(email)
                if existing is None:
                    raise
        self._registered_again(existing, password)

    def _create(self, email: str, password: str) -> None:
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            password_hash=self._parts.passwords.hash(password),
            created_at=time.time(),
            email_verified=False,
        )
        with self._parts.factory.begin() as session:
            session.add(user)
            session.flush()
            token = self._parts.links.issue_in(session, user.id, VERIFY_EMAIL, self._link_seconds)
            self._parts.outbox.enqueue(session, self._parts.mail.verify_email(email, token))
        audit.event("user_registered", user_id=user.id)
        audit.event("verification_sent", user_id=user.id, cause="registration")

    def _registered_again(self, user: User, password: str) -> None:
        if user.email_verified:
            self._tell_owner(user)
            audit.event("registration_refused", reason="email taken", user_id=user.id)
            return
        if self._parts.passwords.verify(user.password_hash, password):
            self._send_link(user, cause="registered again")
            return
        self._contest(user)

    def _contest(self, user: User) -> None:
        """A second registrant with another password: nobody's password survives; the mailbox
        owner chooses one through a reset."""
        unknowable = self._parts.passwords.hash(secrets.token_urlsafe(32))
        ended: list[str] = []
        with self._parts.factory.begin() as session:
            result = session.execute(
                update(User)
                .where(
                    User.id == user.id,
                    User.email_verified.is_(False),
                    User.password_hash == user.password_hash,
                )
                .values(password_hash=unknowable)
            )
            # Zero rows: verified or reset in the meantime, so it is an owned account now.
            contested = cast("CursorResult[Any]", result).rowcount == 1
            if contested:
                self._parts.links.void_in(session, user.id, [VERIFY_EMAIL])
                ended = self._parts.refresh_sessions.end_all_in(
                    session, user.id, "registration contested"
                )
            self._parts.outbox.enqueue(session, self._parts.mail.account_exists(user.email))
        reason = "email taken by an unverified account; its password was discarded"
        audit.event(
            "registration_refused",
            reason=reason if contested else "email taken",
            user_id=user.id,
        )
        audit_ended(user.id, ended, "registration contested")

    def _tell_owner(self, user: User) -> None:
        with self._parts.factory.begin() as session:
            self._parts.outbox.enqueue(session, self._parts.mail.account_exists(user.email))

    # --- Verifying, and new links ----------------------------------------------------------

    def verify(self, token: str, *, client: str) -> None:
        """Mark the address of the link's account verified; raises LinkRefused or Throttled."""
        live = self._parts.read_factory.run(
            lambda session: self._parts.links.find_live(session, token, VERIFY_EMAIL)
        )
        self._parts.throttle.check("verify", client=client, account=live.user_id if live else None)
        user_id = None
        if live is not None:
            with self._parts.factory.begin() as session:
                user_id = self._parts.links.use_in(session, token, VERIFY_EMAIL)
                if user_id is not None:
                    session.execute(
                        update(User).where(User.id == user_id).values(email_verified=True)
                    )
                    self._parts.links.void_in(session, user_id, [VERIFY_EMAIL])
        if user_id is None:
            audit.event("link_refused", purpose=VERIFY_EMAIL, client=client)
            raise LinkRefused
        audit.event("email_verified", user_id=user_id)

    def accept_resend(self, email: str, *, client: str) -> AfterResponse:
        """Count the attempt (raises Throttled); return the work that depends on the address."""
        account = normalize_email(email)
        self._parts.throttle.check("resend", client=client, account=account)
        return guarded(lambda: self.resend(account), "verification resend")

    def resend(self, email: str) -> None:
        """A new link for an unverified account (older ones stop working); nothing otherwise."""
        user = self._find(email)
        if user is None or user.email_verified:
            reason = "unknown address" if user is None else "already verified"
            audit.event("verification_resend_refused", reason=reason)
            return
        self._send_link(user, cause="resend")

    def _send_link(self, user: User, *, cause: str) -> None:
        with self._parts.factory.begin() as session:
            token = self._parts.links.issue_in(session, user.id, VERIFY_EMAIL, self._link_seconds)
            self._parts.outbox.enqueue(session, self._parts.mail.verify_email(user.email, token))
        audit.event("verification_sent", user_id=user.id, cause=cause)

    def _find(self, email: str) -> User | None:
        query = select(User).where(User.email == email)
        return self._parts.read_factory.run(lambda session: session.scalar(query))
