"""Default deny: no request reaches a non-public route without a valid access token."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.websockets import WebSocketDisconnect

from app.deps import get_current_user
from app.errors import NotAuthenticated
from app.main import PUBLIC_PATHS, public_paths
from app.settings import Settings

from .conftest import Account, AppFactory, AuditCapture, SettingsFactory, bearer, token_pair


def protected_routes(app: FastAPI, settings: Settings) -> list[tuple[str, str]]:
    """Every documented route outside the public list, read from the app's own OpenAPI schema."""
    public = public_paths(settings)
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path not in public
        for method in operations
    ]


def test_every_non_public_route_demands_a_token(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    routes = protected_routes(app, settings)
    assert ("GET", "/users/me") in routes
    for method, path in routes:
        response = client.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"detail": "Not authenticated"}


def test_a_route_added_later_is_protected_by_default(app: FastAPI, client: TestClient) -> None:
    @app.get("/reports")
    def reports() -> dict[str, str]:
        return {"secret": "data"}

    assert client.get("/reports").status_code == 401


@pytest.mark.parametrize(
    "path", ["/does-not-exist", "/admin", "/health/", "/users/me/", "/auth", "/.env"]
)
def test_unknown_paths_without_a_token_are_401_not_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_middleware_and_route_401s_are_byte_identical(client: TestClient) -> None:
    from_middleware = client.get("/users/me")
    from_route = client.post("/auth/refresh", json={"refresh_token": "unknown"})
    assert from_middleware.status_code == from_route.status_code == 401
    assert from_middleware.content == from_route.content
    assert from_middleware.headers["www-authenticate"] == from_route.headers["www-authenticate"]


def test_unknown_path_with_a_valid_token_is_404(client: TestClient, account: Account) -> None:
    access = token_pair(client, account)["access_token"]
    assert client.get("/does-not-exist", headers=bearer(access)).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer not.a.jwt",
        "Token abc",
        "Bearer \u00ff\u00fe".encode("latin-1"),
        "Bearer " + "a" * 10000,
    ],
)
def test_malformed_authorization_headers_are_401(
    client: TestClient, authorization: str | bytes
) -> None:
    response = client.get("/users/me", headers={"Authorization": authorization})
    assert response.status_code == 401


def test_refresh_token_is_not_an_access_token(client: TestClient, account: Account) -> None:
    refresh_token = token_pair(client, account)["refresh_token"]
    assert client.get("/users/me", headers=bearer(refresh_token)).status_code == 401


def test_rejections_are_audited_with_their_reason(
    client: TestClient, audit_log: AuditCapture
) -> None:
    client.get("/users/me", headers={"Authorization": "Bearer abc"})
    client.get("/users/me")
    reasons = [event["reason"] for event in audit_log.named("token_rejected")]
    assert any("well-formed" in reason for reason in reasons)
    assert any("missing" in reason for reason in reasons)


def test_public_paths_are_exactly_the_documented_ones(
    make_settings: SettingsFactory,
) -> None:
    assert public_paths(make_settings()) == PUBLIC_PATHS | {
        "/docs",
        "/docs/oauth2-redirect",
        "/openapi.json",
        # Swagger UI's own files, served by the backend instead of a CDN.
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon.png",
    }
    production = make_settings(
        environment="production",
        cors_origins="https://app.example.org",
        argon2_time_cost=2,
        argon2_memory_kib=19456,
    )
    assert public_paths(production) == PUBLIC_PATHS


def test_production_publishes_no_docs(make_settings: SettingsFactory, make_app: AppFactory) -> None:
    settings = make_settings(
        environment="production",
        cors_origins="https://app.example.org",
        argon2_time_cost=2,
        argon2_memory_kib=19456,
    )
    client = TestClient(make_app(settings))
    assert client.get("/docs").status_code == 401
    assert client.get("/openapi.json").status_code == 401


def test_websockets_are_denied_without_a_token(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
        pass
    assert closed.value.code == 1008


def test_current_user_fails_closed_on_an_unverified_request(app: FastAPI) -> None:
    """A route on a public path that asks for a user gets 401, never an anonymous user."""
    request = Request({"type": "http", "app": app, "headers": []})
    with pytest.raises(NotAuthenticated):
        get_current_user(request, app.state.services, None)
