"""Every statement on the mail outbox table, and the claim protocol that keeps instances apart.

A worker takes a row with one UPDATE that sets a lease (`claimed_by`, `claimed_until`) on the
oldest due row nobody holds, and returns it. On PostgreSQL the row is picked with
`FOR UPDATE SKIP LOCKED`, so two instances claiming at once get different rows and neither
waits; on SQLite every write transaction here is `BEGIN IMMEDIATE`, one writer at a time, so the
second claim sees the first one's lease. Marking a row sent, failed or due again is conditional
on still holding the claim. The lease outlasts a delivery's own deadline, so it only runs out
when a worker died mid-delivery; another instance then retries that mail.

Blocking: the worker calls these from a thread, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app import db
from app.db import SessionFactory
from app.models import MailOutbox

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class ClaimedMail:
    """A row this worker now holds, with what it needs to deliver it."""

    id: str
    purpose: str
    recipient: str
    subject: str
    body: bytes | None
    attempts: int
    created_at: float


class OutboxStore:
    """The outbox table; one short transaction per call."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory

    @staticmethod
    def add(session: Session, row: MailOutbox) -> None:
        """Add `row` to the caller's transaction, to commit or roll back with the caller's work."""
        session.add(row)

    def claim(self, claimant: str, now: float, lease_until: float) -> ClaimedMail | None:
        """Take the oldest due row nobody holds, counting the attempt; None when none is due."""
        due = (
            select(MailOutbox.id)
            .where(
                MailOutbox.status == PENDING,
                MailOutbox.next_attempt_at <= now,
                or_(MailOutbox.claimed_until.is_(None), MailOutbox.claimed_until <= now),
            )
            .order_by(MailOutbox.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(MailOutbox)
            .where(MailOutbox.id == due)
            .values(
                claimed_by=claimant,
                claimed_until=lease_until,
                attempts=MailOutbox.attempts + 1,
            )
            .returning(
                MailOutbox.id,
                MailOutbox.purpose,
                MailOutbox.recipient,
                MailOutbox.subject,
                MailOutbox.body,
                MailOutbox.attempts,
                MailOutbox.created_at,
            )
        )
        with self._session_factory.begin() as session:
            row = session.execute(statement).first()
        return None if row is None else ClaimedMail(*row)

    def mark_sent(self, mail_id: str, claimant: str, now: float) -> bool:
        """Record the delivery and drop the body; False when the claim was lost meanwhile."""
        return self._finish(mail_id, claimant, status=SENT, finished_at=now, last_error=None)

    def mark_failed(self, mail_id: str, claimant: str, now: float, reason: str) -> bool:
        """Give the mail up and drop the body (its link must not linger); False if not held."""
        return self._finish(
            mail_id, claimant, status=FAILED, finished_at=now, last_error=reason[:MAX_ERROR_LENGTH]
        )

    def retry_later(
        self, mail_id: str, claimant: str, retry_at: float, reason: str, body: bytes | None
    ) -> bool:
        """Release the claim until `retry_at`, storing the body re-sealed under the current key."""
        return self._update_held(
            mail_id,
            claimant,
            next_attempt_at=retry_at,
            claimed_until=None,
            last_error=reason[:MAX_ERROR_LENGTH],
            body=body,
        )

    def delete_finished_before(self, cutoff: float) -> None:
        """Housekeeping: forget sent and failed mail older than `cutoff`, skipping held rows."""
        with self._session_factory.begin() as session:
            db.delete_unlocked(
                session,
                MailOutbox.id,
                (MailOutbox.status != PENDING) & (MailOutbox.finished_at < cutoff),
            )

    def _finish(self, mail_id: str, claimant: str, **values: object) -> bool:
        return self._update_held(mail_id, claimant, body=None, claimed_until=None, **values)

    def _update_held(self, mail_id: str, claimant: str, **values: object) -> bool:
        statement = (
            update(MailOutbox)
            .where(
                MailOutbox.id == mail_id,
                MailOutbox.claimed_by == claimant,
                MailOutbox.status == PENDING,
            )
            .values(**values)
            .returning(MailOutbox.id)
        )
        with self._session_factory.begin() as session:
            return session.execute(statement).first() is not None
