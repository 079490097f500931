"""How each database's connections are set up for this app, below the engines `app.db` makes.

SQLite: the file private to its owner, WAL, foreign keys, the kind of BEGIN (IMMEDIATE for
writes, deferred for reads) and read-only connections for reads. PostgreSQL: a dead pooled
connection noticed at checkout without a round trip.
"""

from __future__ import annotations

import logging
import os
import select
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError

WAL_SWITCH_RETRY_SECONDS = 0.01
SQLITE_FILE_MODE = 0o600

logger = logging.getLogger(__name__)


def drop_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection that the server has closed (a restart, a terminated backend).

    Instead of a round trip per request (a pre-ping), look at the socket: an idle connection has
    nothing to read unless the server said goodbye. DisconnectionError makes the pool discard
    it and check out another one.
    """
    if dbapi_connection.closed:
        raise DisconnectionError("the connection is closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection")


def make_private(url: URL) -> None:
    """Create the SQLite file readable by its owner only, and tighten one that is wider.

    The file holds password hashes and session state. SQLite gives its -wal and -shm files the
    mode of the database file, so these follow.
    """
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return
    path = Path(url.database)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
        return
    except FileExistsError:
        pass
    except FileNotFoundError:
        return  # its directory is missing: connecting fails next, with a clear message
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & ~SQLITE_FILE_MODE:
            candidate.chmod(SQLITE_FILE_MODE)
            logger.warning(
                "%s was readable or writable by other users (mode %o); it is now %o",
                candidate,
                mode,
                SQLITE_FILE_MODE,
            )


def configure_sqlite_connection(dbapi_connection: Any, busy_timeout_seconds: float) -> None:
    # Leave BEGIN to the "begin" events app.db listens with, not to the driver's own guesswork.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer, and lets several processes on this host share
    # the file (it is stored in the file, so every later connection finds it on).
    switch_to_wal(cursor, busy_timeout_seconds)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def switch_to_wal(cursor: Any, busy_timeout_seconds: float) -> None:
    """Turn WAL on, waiting out a concurrent switch instead of failing.

    Two processes opening a brand-new file at once (two instances, two `make migrate`) both try
    the switch; SQLite answers the loser "database is locked" at once, without its busy handler.
    """
    deadline = time.monotonic() + busy_timeout_seconds
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY_SECONDS)


def read_only_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def begin_immediate(connection: Any) -> None:
    # A deferred SQLite transaction that reads and then writes fails at once with SQLITE_BUSY
    # when another writer got in between; taking the write lock up front makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def begin_deferred(connection: Any) -> None:
    # A read takes no lock up front: in WAL mode it reads a snapshot while a writer works.
    connection.exec_driver_sql("BEGIN")
