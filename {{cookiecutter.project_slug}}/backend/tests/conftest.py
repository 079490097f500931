"""Fixtures: settings from the baked `.env.example` with a fresh secret, a temp SQLite database
and a cheap argon2 profile (real hashing, lower cost), and an app built from them."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import audit
from app.main import create_app
from app.settings import Settings

EXAMPLE_ENV = Path(__file__).resolve().parent.parent / ".env.example"
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 64, "argon2_parallelism": 1}

SettingsFactory = Callable[..., Settings]
AppFactory = Callable[[Settings], FastAPI]


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    id: str


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings as baked (issuer, audience, lifetimes, origins, registration) plus overrides."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": "development",
            "better_auth_secret": secrets.token_urlsafe(48),
            "better_auth_secret_previous": None,
            "database_url": f"sqlite:///{tmp_path / 'test.db'}",
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
        app.state.services.engine.dispose()


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
