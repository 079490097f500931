"""The delivery worker: an asyncio task, started and stopped with the app, that empties the outbox.

Each pass claims due mail one row at a time (app/mail/store.py keeps instances from taking the
same row), sends it, and records the outcome. A failure schedules the next attempt with an
exponential backoff capped at MAIL_RETRY_MAX_SECONDS (at most 30), so while SMTP is down each
mail is retried at least every 30 s; mail older than MAIL_GIVE_UP_HOURS is given up. A failure
of the server itself (no connection, no TLS, a login refused) ends the pass rather than failing
every queued mail in a row.

Database work runs in a thread, so neither a slow database nor SQLite's write lock ever stalls
the event loop that serves requests. The worker sleeps until the earliest retry it scheduled or
MAIL_POLL_SECONDS, whichever comes first, or until `wake()` (called when a request on this
instance commits mail). Audit events carry the outbox id and the purpose, never a body, a link
or an address.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from app import audit
from app.mail.message import Message, to_email
from app.mail.sealing import BodyCipher, BodyUnreadable
from app.mail.smtp import DeliveryFailed, SmtpTransport
from app.mail.store import ClaimedMail, OutboxStore

RETRY_FIRST_SECONDS = 1.0
# A lease outlives the longest possible delivery by this much: it only runs out when the
# instance holding it died, and clocks of several hosts may differ by a few seconds.
LEASE_MARGIN_SECONDS = 60.0
# Sent and failed rows (their bodies already gone) are kept this long for operators.
KEEP_FINISHED_SECONDS = 30 * 86400
SWEEP_EVERY_SECONDS = 3600.0
# How long stopping waits for a delivery in progress before cancelling it. A cancelled delivery
# keeps its lease and is retried after it (possibly a duplicate, never a loss).
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class RetryPolicy:
    max_delay_seconds: float
    give_up_after_seconds: float
    poll_seconds: float

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: 1, 2, 4, ... up to the cap."""
        exponent = min(max(attempts - 1, 0), 30)
        return float(min(self.max_delay_seconds, RETRY_FIRST_SECONDS * 2**exponent))


class MailWorker:
    """Delivers the outbox; one per app instance, all sharing the table."""

    def __init__(
        self,
        store: OutboxStore,
        cipher: BodyCipher,
        transport: SmtpTransport,
        policy: RetryPolicy,
        *,
        mail_from: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._transport = transport
        self._policy = policy
        self._mail_from = mail_from
        self._clock = clock
        self._claimant = secrets.token_hex(16)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_sweep = 0.0

    @property
    def lease_seconds(self) -> float:
        return self._transport.delivery_deadline + LEASE_MARGIN_SECONDS

    def wake(self) -> None:
        """Start a pass now. Safe from any thread; a no-op while the worker is not running."""
        loop, wakeup = self._loop, self._wakeup
        if loop is None or wakeup is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between: nothing to wake
            loop.call_soon_threadsafe(wakeup.set)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the worker for the duration of the block (the app's lifespan)."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = wakeup = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(wakeup), name="mail-worker")
        try:
            yield
        finally:
            await self._stop()

    async def _stop(self) -> None:
        task, self._stopping = self._task, True
        self.wake()
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop = self._wakeup = self._task = None

    async def _run(self, wakeup: asyncio.Event) -> None:
        while not self._stopping:
            wakeup.clear()
            try:
                next_retry = await self.deliver_due()
                await self._sweep_if_due()
            except Exception as error:  # the worker outlives a database outage
                audit.event("mail_worker_error", reason=type(error).__name__)
                next_retry = None
            wait = self._policy.poll_seconds
            if next_retry is not None:
                wait = min(wait, max(0.0, next_retry - self._clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=wait)

    async def deliver_due(self) -> float | None:
        """Deliver every due mail; the time of the earliest retry this pass scheduled, if any."""
        earliest: float | None = None
        while not self._stopping:
            now = self._clock()
            claimed = await asyncio.to_thread(
                self._store.claim, self._claimant, now, now + self.lease_seconds
            )
            if claimed is None:
                break
            retry_at, server_failed = await self._deliver(claimed)
            if retry_at is not None:
                earliest = retry_at if earliest is None else min(earliest, retry_at)
            if server_failed:
                break
        return earliest

    async def _deliver(self, mail: ClaimedMail) -> tuple[float | None, bool]:
        """Send one claimed mail and record the outcome: (retry time or None, server failed)."""
        try:
            text, html = self._cipher.open(mail.id, mail.body or b"")
        except BodyUnreadable as error:
            await self._give_up(mail, f"body unreadable: {error}")
            return None, False
        try:
            message = Message(mail.recipient, mail.subject, text, html, purpose=mail.purpose)
            email = to_email(message, mail_from=self._mail_from, message_id=mail.id)
        except ValueError as error:  # InvalidMessage, or a header the MIME library refuses
            await self._give_up(mail, f"not a sendable message ({type(error).__name__})")
            return None, False
        try:
            await self._transport.send(email)
        except DeliveryFailed as failure:
            retry_at = await self._failed(mail, failure, text, html)
            return retry_at, failure.affects_all
        if await asyncio.to_thread(self._store.mark_sent, mail.id, self._claimant, self._clock()):
            audit.event("mail_sent", outbox_id=mail.id, purpose=mail.purpose, attempt=mail.attempts)
        else:
            audit.event("mail_claim_lost", outbox_id=mail.id, purpose=mail.purpose)
        return None, False

    async def _failed(
        self, mail: ClaimedMail, failure: DeliveryFailed, text: str, html: str
    ) -> float | None:
        now = self._clock()
        if failure.permanent:
            await self._give_up(mail, failure.reason)
            return None
        if now - mail.created_at >= self._policy.give_up_after_seconds:
            await self._give_up(mail, f"no delivery within the give-up age; last: {failure.reason}")
            return None
        delay = self._policy.delay(mail.attempts)
        resealed = self._cipher.seal(mail.id, text, html)
        await asyncio.to_thread(
            self._store.retry_later, mail.id, self._claimant, now + delay, failure.reason, resealed
        )
        audit.event(
            "mail_retry",
            outbox_id=mail.id,
            purpose=mail.purpose,
            attempt=mail.attempts,
            retry_in=delay,
            reason=failure.reason,
        )
        return now + delay

    async def _give_up(self, mail: ClaimedMail, reason: str) -> None:
        await asyncio.to_thread(
            self._store.mark_failed, mail.id, self._claimant, self._clock(), reason
        )
        audit.event(
            "mail_failed",
            outbox_id=mail.id,
            purpose=mail.purpose,
            attempt=mail.attempts,
            reason=reason,
        )

    async def _sweep_if_due(self) -> None:
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY_SECONDS
            await asyncio.to_thread(self._store.delete_finished_before, now - KEEP_FINISHED_SECONDS)
