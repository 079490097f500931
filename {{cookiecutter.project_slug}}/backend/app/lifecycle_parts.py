"""What every account-lifecycle flow (verification, password reset, password change) works with.

The three flows read and write the same things: accounts, one-time links, the mail outbox and
refresh sessions, under the same throttle. One object carries them so that a new flow, or a new
collaborator, is wired once in app/services.py rather than in three constructors.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.account_mail import AccountMail
from app.db import ReadSessionFactory, SessionFactory
from app.mail.outbox import Outbox
from app.one_time_links import OneTimeLinks
from app.passwords import Passwords
from app.refresh_sessions import RefreshSessions
from app.throttle import Throttle


@dataclass(frozen=True)
class LifecycleParts:
    """The shared collaborators of the account-lifecycle flows."""

    factory: SessionFactory
    read_factory: ReadSessionFactory
    passwords: Passwords
    throttle: Throttle
    links: OneTimeLinks
    mail: AccountMail
    outbox: Outbox
    refresh_sessions: RefreshSessions
