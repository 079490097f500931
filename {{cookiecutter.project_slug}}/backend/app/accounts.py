"""User accounts: registration, login and lookup, with the same cost for every login failure."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import audit
from app.db import ReadSessionFactory, SessionFactory
from app.models import User
from app.passwords import Passwords
from app.throttle import LoginThrottle

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase, short enough that hashing stays cheap to refuse.
MAX_PASSWORD_LENGTH = 128


class EmailTaken(Exception):
    """Another account already uses this email address."""


class LoginFailed(Exception):
    """Unknown account or wrong password; deliberately the same exception for both."""


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively, so `Alice@x.org` cannot open a second account."""
    return email.strip().lower()


def password_problem(password: str, email: str) -> str | None:
    """Why `password` is too weak for `email`, as a sentence; None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    if normalize_email(email) in password.lower():
        return "password must not contain the email address"
    return None


class Accounts:
    """The user-facing operations on accounts. Blocking: call from a worker thread."""

    def __init__(
        self,
        factory: SessionFactory,
        read_factory: ReadSessionFactory,
        passwords: Passwords,
        throttle: LoginThrottle,
    ) -> None:
        self._factory = factory
        self._read_factory = read_factory
        self._passwords = passwords
        self._throttle = throttle

    def register(self, email: str, password: str) -> User:
        """A new account; raises EmailTaken when the address is in use."""
        user = User(
            id=str(uuid.uuid4()),
            email=normalize_email(email),
            password_hash=self._passwords.hash(password),
            created_at=time.time(),
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

    def authenticate(self, email: str, password: str, client: str) -> User:
        """The user whose password this is; raises Throttled or LoginFailed otherwise.

        No transaction is open while the hash is checked, so a slow hash never holds a lock.
        """
        account = normalize_email(email)
        self._throttle.check_attempt(account, client)
        user = self.find(account)
        matches = self._passwords.verify(user.password_hash if user else None, password)
        if user is None or not matches:
            audit.event(
                "login_failed",
                reason="wrong password" if user else "unknown account",
                user_id=user.id if user else None,
                client=client,
            )
            raise LoginFailed
        if self._passwords.needs_rehash(user.password_hash):
            self._upgrade_hash(user, password)
        self._throttle.forget_account(account)
        audit.event("login_succeeded", user_id=user.id, client=client)
        return user

    def _upgrade_hash(self, user: User, password: str) -> None:
        new_hash = self._passwords.hash(password)
        with self._factory.begin() as session:
            session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        audit.event("password_rehashed", user_id=user.id)
