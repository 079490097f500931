"""A flood of unauthenticated requests cannot fill the disk through the audit log: noise events
are limited per process and window, and what was left out is counted in a summary line."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import audit

from .conftest import AuditCapture


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def summaries(audit_log: AuditCapture) -> list[dict[str, Any]]:
    return audit_log.named("audit_suppressed")


@pytest.fixture(autouse=True)
def audit_configured() -> None:
    """What the app factory does: audit lines at INFO go out (here without building an app)."""
    audit.configure()


def test_a_flood_is_cut_to_the_budget_and_counted(
    monkeypatch: pytest.MonkeyPatch, audit_log: AuditCapture
) -> None:
    clock = Clock()
    monkeypatch.setattr(
        audit, "noise", audit.NoiseLimiter(lines=10, window_seconds=60, clock=clock)
    )
    for index in range(1000):
        audit.event("token_rejected", reason="is missing", index=index)
        audit.event("login_throttled", client="192.0.2.1")
    audit.event("refresh_reuse_detected", user_id="u1")  # never limited
    assert len(audit_log.named("token_rejected")) == 10
    assert len(audit_log.named("login_throttled")) == 10
    assert len(audit_log.named("refresh_reuse_detected")) == 1
    assert summaries(audit_log) == []
    clock.now += 60
    audit.event("token_rejected", reason="is missing")
    (summary,) = summaries(audit_log)
    assert summary["suppressed"] == {"token_rejected": 990, "login_throttled": 990}
    assert summary["written"] == {"token_rejected": 10, "login_throttled": 10}
    # The new window has its own budget.
    assert len(audit_log.named("token_rejected")) == 11


def test_the_summary_arrives_when_the_window_ends_even_if_the_flood_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arrived = threading.Event()
    lines: list[str] = []

    class Watcher(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())
            if '"audit_suppressed"' in record.getMessage():
                arrived.set()

    watcher = Watcher()
    logger = logging.getLogger(audit.LOGGER_NAME)
    logger.addHandler(watcher)
    monkeypatch.setattr(audit, "noise", audit.NoiseLimiter(lines=1, window_seconds=0.2))
    try:
        for _ in range(5):
            audit.event("cookie_request_rejected", path="/auth/refresh")
        assert arrived.wait(timeout=10), lines
    finally:
        logger.removeHandler(watcher)
    assert '"suppressed":{"cookie_request_rejected":4}' in lines[-1]


def test_unauthenticated_requests_write_at_most_the_budget(
    app: FastAPI, client: TestClient, audit_log: AuditCapture
) -> None:
    flood = audit.NOISE_LINES_PER_WINDOW + 50
    for _ in range(flood):
        assert client.get("/users/me").status_code == 401
    assert len(audit_log.named("token_rejected")) == audit.NOISE_LINES_PER_WINDOW
    audit.noise.flush()
    (summary,) = summaries(audit_log)
    assert summary["suppressed"] == {"token_rejected": 50}
