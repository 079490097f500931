"""A real SMTP peer for the mail tests (aiosmtpd on 127.0.0.1, a free port), and bounded waits.

The server records every message it accepts. It can refuse recipients, and it can hold the
first message until a second one arrives at the same time, which proves two senders were
delivering concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from .postgres import free_port

HOST = "127.0.0.1"
# Every wait in these tests is bounded: a broken outbox fails the test instead of hanging it.
WAIT_SECONDS = 30.0


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll `condition` until it holds; fail with `what` when `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Recorder:
    """aiosmtpd handler keeping what it accepts; see the module docstring for its options."""

    refuse_recipients_with: str | None = None
    meet_a_second_sender: bool = False
    messages: list[EmailMessage] = field(default_factory=list)
    met_a_second_sender: bool = False
    _in_flight: int = 0
    _second_sender: asyncio.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_recipients_with is not None:
            return self.refuse_recipients_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        assert isinstance(message, EmailMessage)
        # Every handler runs on the server's one event loop, so this event needs no lock.
        second = self._second_sender = self._second_sender or asyncio.Event()
        with self._lock:
            self._in_flight += 1
            first = not self.messages and self._in_flight == 1
            if self._in_flight > 1:
                self.met_a_second_sender = True
                second.set()
        try:
            if first and self.meet_a_second_sender:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(second.wait(), timeout=10)
            with self._lock:
                self.messages.append(message)
        finally:
            with self._lock:
                self._in_flight -= 1
        return "250 Message accepted"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


class SmtpServer:
    """An aiosmtpd server on `port` (a free one unless given); `stop` is idempotent."""

    def __init__(self, recorder: Recorder | None = None, port: int | None = None) -> None:
        self.recorder = recorder or Recorder()
        self.port = port or free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = Controller(self.recorder, hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int) -> list[EmailMessage]:
        wait_until(lambda: len(self.recorder.received()) >= count, f"{count} message(s)")
        return self.recorder.received()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
