"""PostgreSQL only: housekeeping and mail claims never queue behind a row another transaction
holds.

SQLite has a single writer and no row locks, so the bake's post-generation hook removes this
module from SQLite projects instead of the suite skipping it there.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from sqlalchemy import create_engine, text

from app import db
from app.mail import render
from app.mail.store import OutboxStore
from app.models import LoginAttempt
from app.settings import Settings

from .conftest import add_counters, remaining_counters


def test_sweep_skips_rows_another_transaction_holds_instead_of_waiting(app: FastAPI) -> None:
    engine = app.state.services.engine
    factory = db.make_session_factory(engine)
    add_counters(factory, held=0.0, free=0.0)
    with engine.connect() as holder:
        holder.execute(text("SELECT 1 FROM login_attempts WHERE key = 'held' FOR UPDATE"))
        started = time.monotonic()
        with factory.begin() as session:
            # A sweep that waited for the lock would fail here instead of finishing at once.
            session.execute(text("SET LOCAL lock_timeout = '5s'"))
            db.delete_unlocked(session, LoginAttempt.key, LoginAttempt.window_started < 100)
        assert time.monotonic() - started < 2
        holder.rollback()
    assert remaining_counters(factory) == {"held"}


def test_a_mail_claim_skips_mail_another_transaction_holds_instead_of_waiting(
    app: FastAPI, settings: Settings
) -> None:
    """Two instances claiming at once: the second gets the next mail, and never waits (a wait
    would exceed this connection's lock_timeout and fail)."""
    services = app.state.services
    factory = db.make_session_factory(services.engine)
    queued = []
    for _ in range(2):
        with factory.begin() as session:
            message = render("account_exists", to="ada@example.org", link="https://x.org")
            queued.append(services.outbox.enqueue(session, message))
    held, free = queued
    impatient = create_engine(settings.database_url, connect_args={"options": "-c lock_timeout=2s"})
    try:
        with services.engine.connect() as holder:
            holder.execute(
                text("SELECT 1 FROM mail_outbox WHERE id = :id FOR UPDATE"), {"id": held}
            )
            now = time.time()
            claimed = OutboxStore(db.make_session_factory(impatient)).claim("b", now, now + 60)
            holder.rollback()
    finally:
        impatient.dispose()
    assert claimed is not None
    assert claimed.id == free
