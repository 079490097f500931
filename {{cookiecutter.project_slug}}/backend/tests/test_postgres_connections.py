"""PostgreSQL only: a restarted or killed server connection fails no request, without a ping per
request, and a read costs BEGIN READ ONLY, SELECT, ROLLBACK and nothing else.

SQLite has no server to restart, so the bake's post-generation hook removes this module from
SQLite projects.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text

from .conftest import Account, bearer, token_pair
from .postgres import PostgresServer


def statements_of(engine: Engine, sent: list[str]) -> None:
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2].split()[0]))
    event.listen(engine, "commit", lambda _connection: sent.append("COMMIT"))
    event.listen(engine, "rollback", lambda _connection: sent.append("ROLLBACK"))


def test_an_authenticated_read_sends_one_select_and_no_commit(
    app: FastAPI, client: TestClient, account: Account
) -> None:
    token = app.state.services.tokens.issue(account.id)
    assert client.get("/users/me", headers=bearer(token)).status_code == 200
    sent: list[str] = []
    statements_of(app.state.services.engine, sent)
    assert client.get("/users/me", headers=bearer(token)).status_code == 200
    assert sent == ["SELECT", "ROLLBACK"]
    with app.state.services.read_session_factory.begin() as session:
        assert session.execute(text("SHOW transaction_read_only")).scalar() == "on"


def test_a_database_restart_fails_no_request(
    app: FastAPI, client: TestClient, account: Account, postgres: PostgresServer
) -> None:
    pair = token_pair(client, account)
    headers = bearer(pair["access_token"])
    assert client.get("/users/me", headers=headers).status_code == 200
    postgres.restart()
    # Every pooled connection is dead now. A write first (writes are never retried: the dead
    # connection must be noticed before use), then a read.
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    postgres.restart()
    assert client.get("/users/me", headers=headers).status_code == 200


def test_a_read_on_a_connection_killed_after_checkout_is_retried_once(
    app: FastAPI, client: TestClient, account: Account, database_url: str
) -> None:
    """The socket check at checkout cannot see a connection that dies just after it; a read
    that then fails on the dead connection runs again on a fresh one."""
    token = app.state.services.tokens.issue(account.id)
    headers = bearer(token)
    assert client.get("/users/me", headers=headers).status_code == 200
    killer = create_engine(database_url)
    killed: list[int] = []

    def kill_own_backend(connection: Any, *_args: Any) -> None:
        if not killed:
            pid = connection.connection.dbapi_connection.info.backend_pid
            killed.append(pid)
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    engine = app.state.services.engine
    event.listen(engine, "before_cursor_execute", kill_own_backend)
    try:
        assert client.get("/users/me", headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", kill_own_backend)
        killer.dispose()
    assert len(killed) == 1
