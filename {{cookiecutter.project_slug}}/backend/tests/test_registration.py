"""Registration follows the baked answer; switched off, it is 404 with or without a token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings

from .conftest import AppFactory, AuditCapture, SettingsFactory, bearer, new_account, token_pair

PASSWORD = "correct horse battery staple"


def test_register_follows_the_baked_answer(client: TestClient, settings: Settings) -> None:
    response = client.post(
        "/auth/register", json={"email": "new@example.org", "password": PASSWORD}
    )
    assert response.status_code == (201 if settings.allow_registration else 404)


def test_register_creates_an_account_that_can_log_in(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    client = TestClient(make_app(make_settings(allow_registration=True)))
    response = client.post(
        "/auth/register", json={"email": "Ann@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email"}
    assert body["email"] == "ann@example.org"
    assert audit_log.named("user_registered")[0]["user_id"] == body["id"]
    login = client.post("/auth/token", data={"username": "ANN@example.org", "password": PASSWORD})
    assert login.status_code == 200


def test_register_twice_is_409(make_settings: SettingsFactory, make_app: AppFactory) -> None:
    client = TestClient(make_app(make_settings(allow_registration=True)))
    body = {"email": "dup@example.org", "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 201
    again = client.post("/auth/register", json={**body, "email": "DUP@example.org"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.org", "password": "short"}, "password"),
        ({"email": "a@example.org", "password": "x" * 129}, "password"),
        ({"email": "longname@example.org", "password": "my longname@example.org!"}, "email"),
        ({"email": "a@example.org"}, "password"),
        ({"password": PASSWORD}, "email"),
    ],
)
def test_weak_or_invalid_registration_is_422_without_echoing_input(
    make_settings: SettingsFactory, make_app: AppFactory, body: dict[str, str], field: str
) -> None:
    client = TestClient(make_app(make_settings(allow_registration=True)))
    response = client.post("/auth/register", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(field in " ".join(map(str, item["loc"])) + item["msg"] for item in detail)
    assert "password" not in body or body["password"] not in response.text


def test_disabled_registration_is_404_with_or_without_a_token(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = make_app(make_settings(allow_registration=False))
    client = TestClient(app)
    body = {"email": "new@example.org", "password": PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 404
    access = token_pair(client, new_account(app))["access_token"]
    assert client.post("/auth/register", json=body, headers=bearer(access)).status_code == 404
    assert "/auth/register" not in client.get("/openapi.json").json()["paths"]
