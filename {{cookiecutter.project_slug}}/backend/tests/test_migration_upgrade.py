"""A project made before the account lifecycle upgrades with `make migrate`: its users become
verified (they predate verification) and sign in, its sessions survive and show up in the session
list, and its queued mail stays queued."""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app import db
from app.passwords import Passwords

from .conftest import (
    BAKED_DATABASE,
    AppFactory,
    SettingsFactory,
    bearer,
    run_backend,
    server_environment,
)

PASSWORD = "an account from before verification"
BEFORE_LIFECYCLE = "0002"


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if BAKED_DATABASE == "sqlite":
        return f"sqlite:///{tmp_path / 'older.db'}"
    url: str = request.getfixturevalue("postgres").create_database(f"older_{secrets.token_hex(4)}")
    return url


def test_make_migrate_upgrades_a_database_with_data_from_before_the_lifecycle(
    empty_database: str, make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    settings = make_settings(
        database_url=empty_database, email_verification="required", allow_registration=True
    )
    engine = create_engine(empty_database)
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, BEFORE_LIFECYCLE)
    refresh_token = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as connection:
        rows = {
            "users": {
                "id": "00000000-0000-4000-8000-000000000001",
                "email": "early@example.org",
                "password_hash": Passwords(settings).hash(PASSWORD),
                "created_at": now - 86400,
            },
            "refresh_families": {
                "id": "f" * 32,
                "user_id": "00000000-0000-4000-8000-000000000001",
                "generation": 0,
                "created_at": now - 3600,
            },
            "refresh_tokens": {
                "token_hash": hashlib.sha256(refresh_token.encode()).hexdigest(),
                "family_id": "f" * 32,
                "generation": 0,
                "expires_at": now + 86400,
            },
            "mail_outbox": {
                "id": "a" * 32,
                "purpose": "custom",
                "recipient": "early@example.org",
                "subject": "Queued before the upgrade",
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            },
        }
        for table, row in rows.items():
            columns = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)  # noqa: S608 - fixed table and column names

    upgrade = run_backend(
        ["-m", "alembic", "upgrade", "head"],
        server_environment(
            better_auth_secret=settings.better_auth_secret.get_secret_value(),
            database_url=empty_database,
        ),
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert f"Running upgrade {BEFORE_LIFECYCLE} -> 0003" in upgrade.stderr
    assert db.schema_revisions(engine) == db.expected_revisions()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM mail_outbox")).scalar_one() == "pending"
    engine.dispose()

    client = TestClient(make_app(settings))
    signed_in = client.post(
        "/auth/token", data={"username": "early@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    me = client.get("/users/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.json()["email_verified"] is True
    rotated = client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert rotated.status_code == 200
    listed = client.get("/auth/sessions", headers=bearer(rotated.json()["access_token"])).json()
    old = next(item for item in listed if item["id"] == "f" * 32)
    assert old["current"] is True
    assert old["user_agent"] is None
    assert old["last_used_at"] is not None
    # A row written after the upgrade without the column is unverified, never the reverse.
    with create_engine(empty_database).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, password_hash, created_at) "
                "VALUES ('later', 'later@example.org', 'x', 0)"
            )
        )
        assert not connection.execute(
            text("SELECT email_verified FROM users WHERE id = 'later'")
        ).scalar_one()
