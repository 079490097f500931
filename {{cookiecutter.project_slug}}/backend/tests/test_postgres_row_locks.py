"""PostgreSQL only: housekeeping never queues behind a row another transaction holds.

SQLite has a single writer and no row locks, so the bake's post-generation hook removes this
module from SQLite projects instead of the suite skipping it there.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from sqlalchemy import text

from app import db
from app.models import LoginAttempt

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
