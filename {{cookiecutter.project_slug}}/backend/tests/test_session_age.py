"""A login ends after SESSION_MAX_DAYS, however often it is refreshed: rotation is refused past
that age, and no refresh token or cookie is issued to live beyond it."""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.settings import Settings

from .conftest import Account, AuditCapture, browser_login, token_pair

DAY = 86400


def age_every_session(app: FastAPI, seconds: float) -> None:
    """Move the start of every login `seconds` into the past (its tokens stay unexpired)."""
    with app.state.services.engine.begin() as connection:
        connection.execute(
            text("UPDATE refresh_families SET created_at = created_at - :seconds"),
            {"seconds": seconds},
        )


def test_rotation_is_refused_once_the_session_reached_its_maximum_age(
    app: FastAPI, client: TestClient, account: Account, settings: Settings, audit_log: AuditCapture
) -> None:
    refresh_token = token_pair(client, account)["refresh_token"]
    age_every_session(app, settings.session_max_seconds)
    response = client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert response.status_code == 401
    assert "maximum age" in audit_log.named("refresh_rejected")[-1]["reason"]


def test_refreshing_within_the_maximum_age_keeps_working(
    app: FastAPI, client: TestClient, account: Account, settings: Settings
) -> None:
    refresh_token = token_pair(client, account)["refresh_token"]
    age_every_session(app, settings.session_max_seconds - DAY)
    response = client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert response.status_code == 200


def test_the_cookie_never_outlives_the_session(
    app: FastAPI, client: TestClient, account: Account, browser: dict[str, str], settings: Settings
) -> None:
    """A day before the end, a refresh hands out a cookie (and token) for that day only."""
    assert settings.refresh_token_seconds > DAY
    browser_login(client, account, browser)
    age_every_session(app, settings.session_max_seconds - DAY)
    response = client.post("/auth/refresh", headers=browser)
    assert response.status_code == 200
    cookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookie.load(header)
    assert 0 < int(cookie["refresh_token"]["max-age"]) <= DAY
    with app.state.services.engine.connect() as connection:
        newest = connection.execute(
            text("SELECT expires_at FROM refresh_tokens ORDER BY generation DESC LIMIT 1")
        ).scalar_one()
        started = connection.execute(text("SELECT created_at FROM refresh_families")).scalar_one()
    assert newest <= started + settings.session_max_seconds
