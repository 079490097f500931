"""The one call request code makes to send mail: `Services.outbox.enqueue(session, message)`.

The mail becomes a row in the caller's own transaction, so it exists exactly when the work that
asked for it does: a token and the mail carrying its link commit together, or neither does. The
request never talks to SMTP and never fails because of it. After the commit the local worker is
woken (other instances find the row when they next poll) and `mail_queued` is audited; a
rolled-back transaction leaves no row, no wake-up and no audit line.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from app import audit
from app.mail.message import Message
from app.mail.sealing import BodyCipher
from app.mail.store import PENDING, OutboxStore
from app.models import MailOutbox

# Where a session keeps the mail it queued until its transaction ends.
_QUEUED_KEY = "mail_outbox_queued"


class Outbox:
    """Queues mail inside the caller's transaction; see the module docstring."""

    def __init__(
        self,
        store: OutboxStore,
        cipher: BodyCipher,
        *,
        wake: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._wake = wake
        self._clock = clock

    def enqueue(self, session: Session, message: Message) -> str:
        """Add `message` to `session`'s transaction; returns its outbox id. Nothing is sent yet."""
        now = self._clock()
        mail_id = secrets.token_hex(16)
        row = MailOutbox(
            id=mail_id,
            purpose=message.purpose,
            recipient=message.to,
            subject=message.subject,
            body=self._cipher.seal(mail_id, message.text, message.html),
            status=PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        self._store.add(session, row)
        self._after_transaction(session).append((mail_id, message.purpose))
        return mail_id

    def _after_transaction(self, session: Session) -> list[tuple[str, str]]:
        """The mail this session queued in its current transaction, announced once it commits.

        Listeners fire once; a session reused for another transaction hooks again. Whichever
        listener fires at a commit pops the list, so each mail is announced exactly once.
        """
        queued: list[tuple[str, str]] | None = session.info.get(_QUEUED_KEY)
        if queued is None:
            queued = []
            session.info[_QUEUED_KEY] = queued
            event.listen(session, "after_commit", self._committed, once=True)
            event.listen(session, "after_rollback", self._rolled_back, once=True)
        return queued

    def _committed(self, session: Session) -> None:
        queued: list[tuple[str, str]] = session.info.pop(_QUEUED_KEY, [])
        for mail_id, purpose in queued:
            audit.event("mail_queued", outbox_id=mail_id, purpose=purpose)
        if queued:
            self._wake()

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop(_QUEUED_KEY, None)
