"""Audit log: one JSON object per line for every authentication event, tagged with a request id.

Callers pass identifiers (user id, family id, client address, a reason), never a secret, a
token, a password or a login name as typed: someone who types a password into the email field
must not find it in the logs.

Events anyone can cause without credentials (a rejected token, a failed login, a throttled
attempt...) are limited per process: at most NOISE_LINES_PER_WINDOW lines of each such event per
NOISE_WINDOW_SECONDS, so a flood cannot fill the disk. What is left out is still counted, and an
`audit_suppressed` line with the counts is written when the window ends.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar

LOGGER_NAME = "app.audit"
MAX_FIELD_LENGTH = 200
NOISE_WINDOW_SECONDS = 60
NOISE_LINES_PER_WINDOW = 100
# Unauthenticated noise: events that need no credential to cause. Events about a specific
# session (reuse detected, logout) or an operator's action are never limited.
NOISE_EVENTS = frozenset(
    {
        "token_rejected",
        "cookie_request_rejected",
        "refresh_rejected",
        "login_failed",
        "registration_refused",
        # Account lifecycle: a made-up link, or "forgot"/"resend" for an address without a use.
        "link_refused",
        "password_reset_refused",
        "verification_resend_refused",
    }
)
NOISE_SUFFIX = "_throttled"

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_logger = logging.getLogger(LOGGER_NAME)


_stderr_handler = logging.StreamHandler(sys.stderr)
_stderr_handler.setFormatter(logging.Formatter("%(message)s"))

Field = str | int | float | bool | None


def configure() -> None:
    """Send audit lines to stderr as they are; idempotent, so every app factory may call it."""
    if _stderr_handler not in _logger.handlers:
        _logger.addHandler(_stderr_handler)
    _logger.setLevel(logging.INFO)
    # Our own handler writes the line; propagating would print it again through the root logger.
    _logger.propagate = False


def _clip(value: Field) -> Field:
    if isinstance(value, str) and len(value) > MAX_FIELD_LENGTH:
        return value[:MAX_FIELD_LENGTH] + "..."
    return value


def _write(record: dict[str, object]) -> None:
    _logger.info(json.dumps(record, ensure_ascii=True, separators=(",", ":")))


def is_noise(name: str) -> bool:
    return name in NOISE_EVENTS or name.endswith(NOISE_SUFFIX)


class NoiseLimiter:
    """Fixed windows of at most `lines` lines per noise event, with counts of what was left out.

    The first line left out in a window starts a timer that writes the summary when the window
    ends, so the counts arrive even if the flood stops; a new window also writes a pending one.
    """

    def __init__(
        self,
        *,
        lines: int = NOISE_LINES_PER_WINDOW,
        window_seconds: float = NOISE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lines = lines
        self._window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._written: Counter[str] = Counter()
        self._suppressed: Counter[str] = Counter()
        self._timer: threading.Timer | None = None
        self._window_number = 0

    def admit(self, name: str) -> bool:
        """Whether a line of `name` may be written now; counts it either way."""
        with self._lock:
            if self._clock() - self._started >= self._window:
                self._end_window()
            if self._written[name] < self._lines:
                self._written[name] += 1
                return True
            self._suppressed[name] += 1
            if self._timer is None:
                remaining = max(0.0, self._started + self._window - self._clock())
                self._timer = threading.Timer(remaining, self._timer_fired, (self._window_number,))
                self._timer.daemon = True
                self._timer.start()
            return False

    def flush(self) -> None:
        """Write the summary of the current window if anything was left out, and start anew."""
        with self._lock:
            self._end_window()

    def _timer_fired(self, window_number: int) -> None:
        with self._lock:
            # A window ended by a later event already wrote its summary.
            if window_number == self._window_number:
                self._end_window()

    def _end_window(self) -> None:
        if self._suppressed:
            _write(
                {
                    "ts": round(time.time(), 3),
                    "event": "audit_suppressed",
                    "window_seconds": self._window,
                    "suppressed": dict(self._suppressed),
                    "written": {name: self._written[name] for name in self._suppressed},
                }
            )
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._window_number += 1
        self._started = self._clock()
        self._written.clear()
        self._suppressed.clear()


noise = NoiseLimiter()


def event(name: str, **fields: Field) -> None:
    """Write the audit event `name` with `fields` and the current request id."""
    if is_noise(name) and not noise.admit(name):
        return
    record: dict[str, object] = {
        "ts": round(time.time(), 3),
        "event": name,
        "request_id": request_id.get(),
    }
    record.update({key: _clip(value) for key, value in fields.items()})
    _write(record)
