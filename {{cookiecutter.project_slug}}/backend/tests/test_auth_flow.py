"""The HTTP contract of DESIGN.md section 3, and invariant 3: no refresh token works twice."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.settings import Settings

from .conftest import (
    Account,
    AppFactory,
    AuditCapture,
    SettingsFactory,
    bearer,
    new_account,
    token_pair,
)


def browser_login(client: TestClient, account: Account, headers: dict[str, str]) -> str:
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": account.password},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def refresh_cookie(response_headers: list[str]) -> SimpleCookie:
    cookie = SimpleCookie()
    for header in response_headers:
        cookie.load(header)
    return cookie


def test_browser_login_sets_a_strict_http_only_cookie_scoped_to_auth(
    client: TestClient, account: Account, browser: dict[str, str], settings: Settings
) -> None:
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": account.password},
        headers=browser,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_seconds
    raw = response.headers.get_list("set-cookie")
    morsel = refresh_cookie(raw)["refresh_token"]
    assert morsel["httponly"]
    assert morsel["samesite"] == "strict"
    assert morsel["path"] == "/auth"
    assert int(morsel["max-age"]) == settings.refresh_token_seconds
    assert not morsel["secure"]  # development: the API runs on plain http
    assert response.headers["cache-control"] == "no-store"


def test_production_cookie_is_secure(make_settings: SettingsFactory, make_app: AppFactory) -> None:
    settings = make_settings(
        environment="production",
        cors_origins="https://app.example.org",
        argon2_time_cost=2,
        argon2_memory_kib=19456,
    )
    app = make_app(settings)
    account = new_account(app)
    client = TestClient(app, base_url="https://api.example.org")
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": account.password},
        headers={"Origin": "https://app.example.org", "X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert refresh_cookie(response.headers.get_list("set-cookie"))["refresh_token"]["secure"]
    assert "max-age=31536000" in response.headers["strict-transport-security"]


def test_token_endpoint_returns_both_tokens_and_no_cookie(
    client: TestClient, account: Account
) -> None:
    response = client.post(
        "/auth/token", data={"username": account.email, "password": account.password}
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert "set-cookie" not in response.headers


def test_users_me_with_the_access_token(client: TestClient, account: Account) -> None:
    access = token_pair(client, account)["access_token"]
    response = client.get("/users/me", headers=bearer(access))
    assert response.status_code == 200
    assert response.json() == {"id": account.id, "email": account.email}


def test_users_me_for_a_deleted_account_is_401(
    client: TestClient, account: Account, app: FastAPI
) -> None:
    access = token_pair(client, account)["access_token"]
    with app.state.services.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM users")
    response = client.get("/users/me", headers=bearer(access))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_cookie_refresh_rotates_and_reuse_kills_the_family(
    app: FastAPI,
    client: TestClient,
    account: Account,
    browser: dict[str, str],
    audit_log: AuditCapture,
) -> None:
    browser_login(client, account, browser)
    first = client.cookies.get("refresh_token")
    response = client.post("/auth/refresh", headers=browser)
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    second = client.cookies.get("refresh_token")
    assert second
    assert second != first

    thief = TestClient(app, base_url="http://localhost:8000")
    thief.cookies.set("refresh_token", first)
    replay = thief.post("/auth/refresh", headers=browser)
    assert replay.status_code == 401
    assert replay.headers["www-authenticate"] == "Bearer"
    assert audit_log.named("refresh_reuse_detected")

    # The family is dead: even the legitimately rotated token no longer works.
    after = client.post("/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401


def test_json_refresh_rotates_for_non_browser_clients(client: TestClient, account: Account) -> None:
    pair = token_pair(client, account)
    response = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 200
    rotated = response.json()
    assert set(rotated) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert rotated["refresh_token"] != pair["refresh_token"]
    assert "set-cookie" not in response.headers
    assert client.get("/users/me", headers=bearer(rotated["access_token"])).status_code == 200
    again = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    newest = client.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert newest.status_code == 401


def test_refresh_with_an_unknown_token_is_401(client: TestClient) -> None:
    response = client.post("/auth/refresh", json={"refresh_token": "not-a-real-token"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_refresh_after_expiry_is_401(app: FastAPI, client: TestClient, account: Account) -> None:
    refresh_token = token_pair(client, account)["refresh_token"]
    with app.state.services.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE refresh_tokens SET expires_at = 0")
    response = client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert response.status_code == 401


def test_refresh_without_a_cookie_is_401(client: TestClient, browser: dict[str, str]) -> None:
    assert client.post("/auth/refresh", headers=browser).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Requested-With": "XMLHttpRequest"}, id="missing-origin"),
        pytest.param(
            {"Origin": "https://evil.example.net", "X-Requested-With": "XMLHttpRequest"},
            id="foreign-origin",
        ),
        pytest.param({"Origin": "null", "X-Requested-With": "XMLHttpRequest"}, id="null-origin"),
        pytest.param({"Origin": "http://localhost:3000"}, id="missing-requested-with"),
    ],
)
def test_cross_site_cookie_refresh_is_refused(
    client: TestClient,
    account: Account,
    browser: dict[str, str],
    headers: dict[str, str],
    audit_log: AuditCapture,
) -> None:
    browser_login(client, account, browser)
    response = client.post("/auth/refresh", headers=headers)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert audit_log.named("cookie_request_rejected")
    # The refused call did not consume the token: the real SPA can still refresh.
    assert client.post("/auth/refresh", headers=browser).status_code == 200


def test_a_hostile_origin_is_clipped_in_the_audit_log(
    client: TestClient, audit_log: AuditCapture
) -> None:
    origin = "https://" + "a" * 5000 + ".example.net"
    response = client.post(
        "/auth/refresh", headers={"Origin": origin, "X-Requested-With": "XMLHttpRequest"}
    )
    assert response.status_code == 401
    logged = audit_log.named("cookie_request_rejected")[0]["origin"]
    assert len(logged) < 300


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Requested-With": "XMLHttpRequest"}, id="missing-origin"),
        pytest.param({"Origin": "https://evil.example.net"}, id="foreign-origin"),
    ],
)
def test_cross_site_login_is_refused(
    client: TestClient, account: Account, headers: dict[str, str]
) -> None:
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": account.password},
        headers=headers,
    )
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_cookie_logout_revokes_the_family_and_clears_the_cookie(
    client: TestClient, account: Account, browser: dict[str, str], audit_log: AuditCapture
) -> None:
    browser_login(client, account, browser)
    token = client.cookies.get("refresh_token")
    response = client.post("/auth/logout", headers=browser)
    assert response.status_code == 204
    cleared = refresh_cookie(response.headers.get_list("set-cookie"))["refresh_token"]
    assert cleared.value == ""
    assert cleared["path"] == "/auth"
    assert audit_log.named("logout")
    assert client.post("/auth/refresh", json={"refresh_token": token}).status_code == 401


def test_cookie_logout_from_a_foreign_origin_is_refused(
    client: TestClient, account: Account, browser: dict[str, str]
) -> None:
    browser_login(client, account, browser)
    response = client.post(
        "/auth/logout",
        headers={"Origin": "https://evil.example.net", "X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 401
    assert client.post("/auth/refresh", headers=browser).status_code == 200


def test_json_logout_revokes_the_family(client: TestClient, account: Account) -> None:
    pair = token_pair(client, account)
    logout = client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert logout.status_code == 204
    refresh = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


def test_logout_without_any_token_is_a_harmless_204(client: TestClient) -> None:
    assert client.post("/auth/logout").status_code == 204
    assert client.post("/auth/logout", json={"refresh_token": "unknown"}).status_code == 204


def test_two_logins_are_independent_families(client: TestClient, account: Account) -> None:
    first = token_pair(client, account)
    second = token_pair(client, account)
    client.post("/auth/logout", json={"refresh_token": first["refresh_token"]})
    response = client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert response.status_code == 200
