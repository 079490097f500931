"""Peer for the refresh benchmark: the baked app with SQLite write transactions taken in turn.

The baked app opens every write with `BEGIN IMMEDIATE` and lets SQLite's busy handler retry;
that handler sleeps in growing steps (up to 100 ms), so under contention some requests wait far
longer than others. This bench-only variant makes threads queue on one in-process lock before
`BEGIN IMMEDIATE` and release it at commit or rollback, to measure what such a lock would change.
Nothing in the baked project is edited; the engine factory is wrapped at import, before the app
is built. (A lock only orders writers of one process; several workers still need busy_timeout.)
"""

from __future__ import annotations

import threading
from typing import Any

from app import connections
from app import db as baked_db
from sqlalchemy import Engine, event

_writer = threading.RLock()
_make_engine = baked_db.make_engine


def _begin_in_turn(connection: Any) -> None:
    _writer.acquire()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _writer.release()
        raise


def _end_turn(_connection: Any) -> None:
    _writer.release()


def make_engine(*args: Any, **kwargs: Any) -> Engine:
    engine = _make_engine(*args, **kwargs)
    if not event.contains(engine, "begin", connections.begin_immediate):
        raise RuntimeError("app.db no longer opens writes with begin_immediate: update this peer")
    event.remove(engine, "begin", connections.begin_immediate)
    event.listen(engine, "begin", _begin_in_turn)
    event.listen(engine, "commit", _end_turn)
    event.listen(engine, "rollback", _end_turn)
    return engine


baked_db.make_engine = make_engine

from bench.baked_app import app as app  # noqa: E402  (built after the patch above, on purpose)
