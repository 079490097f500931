"""Fixtures: settings from the baked `.env.example` with a fresh secret, a cheap argon2 profile
(real hashing, lower cost) and an empty database of the kind the project was baked for, and an
app built from them.

The database is the one `.env.example` names, already migrated: a copy of a migrated SQLite
file per test, or, for a PostgreSQL bake, one migrated database on a real server started once per
session (tests/postgres.py), its tables emptied before each test. Without a PostgreSQL
installation those tests skip, saying why; under CI=true they fail.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import audit, db
from app.main import create_app
from app.models import Base, LoginAttempt
from app.settings import BACKEND_DIR, Settings

from .mail_support import SmtpServer
from .postgres import PostgresServer, PostgresUnavailable, find_bindir

EXAMPLE_ENV = Path(__file__).resolve().parent.parent / ".env.example"
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 64, "argon2_parallelism": 1}
BAKED_DATABASE = make_url(str(dotenv_values(EXAMPLE_ENV)["DATABASE_URL"])).get_backend_name()
SUITE_DATABASE = "suite"

SettingsFactory = Callable[..., Settings]
AppFactory = Callable[[Settings], FastAPI]


def server_environment(**overrides: Any) -> dict[str, str]:
    """The environment of a backend process run by a test: this one's, the baked `.env.example`
    values, then `overrides` (settings field names), which beat anything in `backend/.env`."""
    example = {key: value for key, value in dotenv_values(EXAMPLE_ENV).items() if value is not None}
    return {
        **os.environ,
        **example,
        **{key.upper(): str(value) for key, value in overrides.items()},
    }


def run_backend(
    arguments: list[str], environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """This interpreter run from backend/ as an operator runs `python -m ...`; output captured."""
    return subprocess.run(  # noqa: S603 - this interpreter with the test's own arguments
        [sys.executable, *arguments],
        cwd=BACKEND_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    id: str


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """This session's own PostgreSQL on 127.0.0.1; a skip (a failure under CI) when absent."""
    try:
        server = PostgresServer(find_bindir())
        server.start()
    except PostgresUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{error} (CI=true: a missing database server is a failure)")
        pytest.skip(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def suite_database(postgres: PostgresServer) -> str:
    """One migrated database shared by the session's in-process tests (emptied before each)."""
    url = postgres.create_database(SUITE_DATABASE)
    engine = create_engine(url)
    db.migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: one migration run per session, not per test."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = create_engine(f"sqlite:///{path}")
    db.migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of the baked kind with no rows, for this test only."""
    if BAKED_DATABASE == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("suite_database")
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables}"))
    engine.dispose()
    return url


@pytest.fixture
def make_settings(database_url: str) -> SettingsFactory:
    """Settings as baked (issuer, audience, lifetimes, origins, registration) plus overrides."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": "development",
            "better_auth_secret": secrets.token_urlsafe(48),
            "better_auth_secret_previous": None,
            "database_url": database_url,
            **FAST_ARGON2,
        }
        values.update(overrides)
        return Settings(_env_file=EXAMPLE_ENV, **values)

    return build


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def make_app() -> Iterator[AppFactory]:
    apps: list[FastAPI] = []

    def build(settings: Settings) -> FastAPI:
        app = create_app(settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.state.services.dispose()


@pytest.fixture
def app(make_app: AppFactory, settings: Settings) -> FastAPI:
    return make_app(settings)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://localhost:8000")


@pytest.fixture
def browser(settings: Settings) -> dict[str, str]:
    """Headers the SPA sends on cookie calls: its own origin and the custom header."""
    return {"Origin": settings.cors_origins[0], "X-Requested-With": "XMLHttpRequest"}


def new_account(app: FastAPI) -> Account:
    email = f"user-{secrets.token_hex(4)}@example.org"
    password = secrets.token_urlsafe(18)
    user = app.state.services.accounts.register(email, password)
    return Account(email=email, password=password, id=user.id)


@pytest.fixture
def account(app: FastAPI) -> Account:
    """An existing user, created through the service so it works with registration off."""
    return new_account(app)


def token_pair(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.post(
        "/auth/token", data={"username": account.email, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


class AuditCapture(logging.Handler):
    """Collects audit lines as parsed JSON, and the raw text to search for leaks."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == name]


@pytest.fixture
def audit_log() -> Iterator[AuditCapture]:
    capture = AuditCapture()
    logger = logging.getLogger(audit.LOGGER_NAME)
    logger.addHandler(capture)
    yield capture
    logger.removeHandler(capture)


@pytest.fixture(autouse=True)
def fresh_audit_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with a full per-process budget of noise lines: a flood in one test
    (the API fuzzer) must not leave the next one's audit lines suppressed."""
    monkeypatch.setattr(audit, "noise", audit.NoiseLimiter())


def browser_login(client: TestClient, account: Account, headers: dict[str, str]) -> dict[str, Any]:
    """A browser login (cookies kept by `client`); its JSON body."""
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": account.password},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def add_counters(factory: db.SessionFactory, **window_started: float) -> None:
    with factory.begin() as session:
        for key, started in window_started.items():
            session.add(LoginAttempt(key=key, window_started=started, attempts=1))


def remaining_counters(factory: db.SessionFactory) -> set[str]:
    with factory.begin() as session:
        return set(session.scalars(select(LoginAttempt.key)))


# --- Mail -----------------------------------------------------------------------------------------
@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 that records what it receives; stopped after the test."""
    server = SmtpServer().start()
    yield server
    server.stop()
