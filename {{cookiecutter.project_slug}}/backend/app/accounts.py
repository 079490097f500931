"""User accounts: sign-up without verification (throttled, with the password policy), operator
registration, lookup. Sign-up with email verification is in app/verification.py."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.db import ReadSessionFactory, SessionFactory
from app.models import User
from app.password_policy import password_problem
from app.passwords import Passwords
from app.throttle import Throttle


class EmailTaken(Exception):
    """Another account already uses this email address."""


class WeakPassword(Exception):
    """The password policy refused the password; the message says why and what would pass, and
    `field` names the request field that held it."""

    def __init__(self, problem: str, field: str = "password") -> None:
        super().__init__(problem)
        self.field = field


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively, so `Alice@x.org` cannot open a second account."""
    return email.strip().lower()


class Accounts:
    """The user-facing operations on accounts. Blocking: call from a worker thread."""

    def __init__(
        self,
        factory: SessionFactory,
        read_factory: ReadSessionFactory,
        passwords: Passwords,
        throttle: Throttle,
    ) -> None:
        self._factory = factory
        self._read_factory = read_factory
        self._passwords = passwords
        self._throttle = throttle

    def sign_up(self, email: str, password: str, *, client: str) -> User:
        """Open registration without email verification: throttled per client and per address
        before any costly work (the password policy, the hash), then an account that can sign in
        at once, its address not proven. Refusals are audited."""
        account = normalize_email(email)
        self._throttle.check("register", client=client, account=account)
        problem = password_problem(password, account)
        if problem:
            audit.event("registration_refused", reason="weak password", client=client)
            raise WeakPassword(problem)
        try:
            return self.register(account, password, email_verified=False)
        except EmailTaken:
            audit.event("registration_refused", reason="email taken", client=client)
            raise

    def register(self, email: str, password: str, *, email_verified: bool = True) -> User:
        """A new account, without throttling or policy; raises EmailTaken. Operators vouch for
        the address of the accounts they make, so those are verified unless said otherwise."""
        user = User(
            id=str(uuid.uuid4()),
            email=normalize_email(email),
            password_hash=self._passwords.hash(password),
            created_at=time.time(),
            email_verified=email_verified,
        )
        try:
            with self._factory.begin() as session:
                session.add(user)
        except IntegrityError:
            raise EmailTaken from None
        audit.event("user_registered", user_id=user.id)
        return user

    def find(self, email: str) -> User | None:
        query = select(User).where(User.email == normalize_email(email))
        return self._read_factory.run(lambda session: session.scalar(query))

    def get(self, user_id: str) -> User | None:
        return self._read_factory.run(lambda session: session.get(User, user_id))
