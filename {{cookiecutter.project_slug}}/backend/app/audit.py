"""Audit log: one JSON object per line for every authentication event, tagged with a request id.

Callers pass identifiers (user id, family id, client address, a reason), never a secret, a
token, a password or a login name as typed: someone who types a password into the email field
must not find it in the logs.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar

LOGGER_NAME = "app.audit"
MAX_FIELD_LENGTH = 200

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_logger = logging.getLogger(LOGGER_NAME)


_stderr_handler = logging.StreamHandler(sys.stderr)
_stderr_handler.setFormatter(logging.Formatter("%(message)s"))


def configure() -> None:
    """Send audit lines to stderr as they are; idempotent, so every app factory may call it."""
    if _stderr_handler not in _logger.handlers:
        _logger.addHandler(_stderr_handler)
    _logger.setLevel(logging.INFO)
    # Our own handler writes the line; propagating would print it again through the root logger.
    _logger.propagate = False


def _clip(value: str | int | float | bool | None) -> str | int | float | bool | None:
    if isinstance(value, str) and len(value) > MAX_FIELD_LENGTH:
        return value[:MAX_FIELD_LENGTH] + "..."
    return value


def event(name: str, **fields: str | int | float | bool | None) -> None:
    """Write the audit event `name` with `fields` and the current request id."""
    record = {"ts": round(time.time(), 3), "event": name, "request_id": request_id.get()}
    record.update({key: _clip(value) for key, value in fields.items()})
    _logger.info(json.dumps(record, ensure_ascii=True, separators=(",", ":")))
