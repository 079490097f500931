"""The HTTP contract of the auth endpoints, the browser check on cookie requests, and no
refresh token working twice."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt

from app.cookies import DEVICE_COOKIE_SECONDS
from app.settings import Settings

from .conftest import (
    Account,
    AppFactory,
    AuditCapture,
    SettingsFactory,
    bearer,
    browser_login,
    new_account,
    token_pair,
)

PRODUCTION = {
    "environment": "production",
    "cors_origins": "https://app.example.org",
    "argon2_time_cost": 2,
    "argon2_memory_kib": 19456,
}


# Stands for the bake's own allowed origin in parameters, which cannot read the settings.
ALLOWED_ORIGIN = "allowed-origin"


def allowed_origin_in(headers: dict[str, str], settings: Settings) -> dict[str, str]:
    return {
        name: settings.cors_origins[0] if value == ALLOWED_ORIGIN else value
        for name, value in headers.items()
    }


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
    device = refresh_cookie(raw)["device"]
    assert device["httponly"]
    assert device["samesite"] == "strict"
    assert device["path"] == "/auth"
    assert int(device["max-age"]) == DEVICE_COOKIE_SECONDS


def test_production_cookies_are_secure_and_prefixed(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = make_app(make_settings(**PRODUCTION))
    account = new_account(app)
    client = TestClient(app, base_url="https://api.example.org")
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": account.password},
        headers={"Origin": "https://app.example.org", "X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    cookies = refresh_cookie(response.headers.get_list("set-cookie"))
    assert set(cookies) == {"__Secure-refresh_token", "__Secure-device"}
    assert all(cookies[name]["secure"] for name in cookies)
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    # The prefixed cookie is the one read back: a refresh from the browser works.
    headers = {"Origin": "https://app.example.org", "X-Requested-With": "1"}
    assert client.post("/auth/refresh", headers=headers).status_code == 200
    client.cookies.clear()
    client.cookies.set("refresh_token", cookies["__Secure-refresh_token"].value)
    assert client.post("/auth/refresh", headers=headers).status_code == 401


def test_token_endpoint_returns_both_tokens_and_no_cookie(
    client: TestClient, account: Account
) -> None:
    response = client.post(
        "/auth/token", data={"username": account.email, "password": account.password}
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert "set-cookie" not in response.headers


def test_issued_access_tokens_name_their_session(
    client: TestClient, account: Account, browser: dict[str, str], app: FastAPI
) -> None:
    """`sid` is the refresh family: the same across a login's refreshes, new for a new login."""

    def sid(access_token: str) -> str:
        session_id = app.state.services.tokens.verify(access_token).session_id
        assert session_id == jwt.get_unverified_claims(access_token)["sid"]
        return str(session_id)

    pair = token_pair(client, account)
    rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    assert sid(pair["access_token"]) == sid(rotated["access_token"])
    browser_session = sid(browser_login(client, account, browser)["access_token"])
    assert browser_session != sid(pair["access_token"])
    refreshed = client.post("/auth/refresh", headers=browser).json()
    assert sid(refreshed["access_token"]) == browser_session


def test_users_me_with_the_access_token(client: TestClient, account: Account) -> None:
    access = token_pair(client, account)["access_token"]
    response = client.get("/users/me", headers=bearer(access))
    assert response.status_code == 200
    assert response.json() == {"id": account.id, "email": account.email, "email_verified": True}


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
        pytest.param({"Origin": ALLOWED_ORIGIN}, id="missing-requested-with"),
    ],
)
def test_cross_site_cookie_refresh_is_refused(
    client: TestClient,
    account: Account,
    browser: dict[str, str],
    settings: Settings,
    headers: dict[str, str],
    audit_log: AuditCapture,
) -> None:
    browser_login(client, account, browser)
    response = client.post("/auth/refresh", headers=allowed_origin_in(headers, settings))
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert audit_log.named("cookie_request_rejected")
    # The refused call did not consume the token: the real SPA can still refresh.
    assert client.post("/auth/refresh", headers=browser).status_code == 200


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        pytest.param({}, "Origin header is missing; X-Requested-With header is missing", id="none"),
        pytest.param(
            {"Origin": "https://evil.example.net", "X-Requested-With": "XMLHttpRequest"},
            "Origin https://evil.example.net is not allowed",
            id="foreign-origin",
        ),
        pytest.param(
            {"Origin": ALLOWED_ORIGIN, "X-Requested-With": "  "},
            "X-Requested-With header is missing",
            id="blank-requested-with",
        ),
    ],
)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/refresh", "/auth/logout"])
def test_a_failed_browser_check_is_403_naming_what_is_missing(
    client: TestClient,
    account: Account,
    settings: Settings,
    path: str,
    headers: dict[str, str],
    detail: str,
) -> None:
    """Not `401 Not authenticated`: nothing about the credentials was looked at."""
    headers = allowed_origin_in(headers, settings)
    data = {"username": account.email, "password": account.password}
    response = client.post(path, data=data if path == "/auth/login" else None, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": detail}
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("value", ["XMLHttpRequest", "1", "fetch"])
def test_any_non_empty_requested_with_passes(
    client: TestClient, account: Account, settings: Settings, value: str
) -> None:
    headers = {"Origin": settings.cors_origins[0], "X-Requested-With": value}
    browser_login(client, account, headers)
    assert client.post("/auth/refresh", headers=headers).status_code == 200


def test_a_hostile_origin_is_clipped_in_the_audit_log_and_the_answer(
    client: TestClient, audit_log: AuditCapture
) -> None:
    origin = "https://" + "a" * 5000 + ".example.net"
    response = client.post(
        "/auth/refresh", headers={"Origin": origin, "X-Requested-With": "XMLHttpRequest"}
    )
    assert response.status_code == 403
    assert len(response.text) < 300
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
    assert response.status_code == 403
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
    assert response.status_code == 403
    assert client.post("/auth/refresh", headers=browser).status_code == 200


def test_json_logout_revokes_the_family_and_touches_no_cookie(
    client: TestClient, account: Account
) -> None:
    pair = token_pair(client, account)
    logout = client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert logout.status_code == 204
    assert "set-cookie" not in logout.headers
    refresh = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


def test_cross_site_logout_without_a_cookie_is_refused_and_clears_nothing(
    client: TestClient,
) -> None:
    """A cross-site form posting to /auth/logout: no cookie, no body, no custom header."""
    response = client.post("/auth/logout", headers={"Origin": "https://evil.example.net"})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_logout_without_any_token_is_a_harmless_204(
    client: TestClient, browser: dict[str, str]
) -> None:
    response = client.post("/auth/logout", headers=browser)
    assert response.status_code == 204
    assert refresh_cookie(response.headers.get_list("set-cookie"))["refresh_token"].value == ""
    assert client.post("/auth/logout", json={"refresh_token": "unknown"}).status_code == 204


def test_a_new_browser_login_ends_the_session_the_browser_still_held(
    client: TestClient, account: Account, browser: dict[str, str], audit_log: AuditCapture
) -> None:
    browser_login(client, account, browser)
    old = client.cookies.get("refresh_token")
    browser_login(client, account, browser)
    assert client.cookies.get("refresh_token") != old
    assert client.post("/auth/refresh", json={"refresh_token": old}).status_code == 401
    (replaced,) = audit_log.named("session_replaced")
    assert replaced["user_id"] == account.id
    # The session the new login started is alive.
    assert client.post("/auth/refresh", headers=browser).status_code == 200


def test_a_failed_login_leaves_the_held_session_alone(
    client: TestClient, account: Account, browser: dict[str, str]
) -> None:
    browser_login(client, account, browser)
    response = client.post(
        "/auth/login",
        data={"username": account.email, "password": "not the password at all"},
        headers=browser,
    )
    assert response.status_code == 401
    assert client.post("/auth/refresh", headers=browser).status_code == 200


def test_two_logins_are_independent_families(client: TestClient, account: Account) -> None:
    first = token_pair(client, account)
    second = token_pair(client, account)
    client.post("/auth/logout", json={"refresh_token": first["refresh_token"]})
    response = client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert response.status_code == 200
