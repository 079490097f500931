"""CORS (no foreign origin gets CORS approval; allowed ones get it on errors too) and the
security headers every answer carries."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.settings import Settings

from .conftest import AuditCapture

FOREIGN = "https://evil.example.net"


def preflight(client: TestClient, origin: str, path: str = "/auth/login") -> dict[str, str]:
    response = client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-requested-with, content-type, authorization",
        },
    )
    return {"status": str(response.status_code), **response.headers}


def test_preflight_from_the_allowed_origin_is_approved_with_credentials(
    client: TestClient, settings: Settings
) -> None:
    origin = settings.cors_origins[0]
    headers = preflight(client, origin)
    assert headers["status"] == "200"
    assert headers["access-control-allow-origin"] == origin
    assert headers["access-control-allow-credentials"] == "true"
    allowed = headers["access-control-allow-headers"].lower()
    for name in ("x-requested-with", "content-type", "authorization"):
        assert name in allowed


def test_preflight_to_a_protected_path_never_meets_auth(
    client: TestClient, settings: Settings
) -> None:
    assert preflight(client, settings.cors_origins[0], "/users/me")["status"] == "200"


def test_preflight_from_a_foreign_origin_is_refused(client: TestClient) -> None:
    headers = preflight(client, FOREIGN)
    assert headers["status"] == "400"
    assert "access-control-allow-origin" not in headers


def test_foreign_origin_gets_no_cors_headers_on_answers(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in response.headers


def test_allowed_origin_gets_cors_headers_on_a_401(client: TestClient, settings: Settings) -> None:
    origin = settings.cors_origins[0]
    response = client.get("/users/me", headers={"Origin": origin})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed
    assert "x-request-id" in exposed


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for response in (client.get("/health"), client.get("/users/me"), client.post("/auth/token")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert len(response.headers["x-request-id"]) == 16
        assert "strict-transport-security" not in response.headers


def test_request_id_tags_the_audit_lines(client: TestClient, audit_log: AuditCapture) -> None:
    first = client.get("/users/me")
    second = client.post("/auth/refresh", json={"refresh_token": "unknown"})
    events = audit_log.events
    assert events[0]["request_id"] == first.headers["x-request-id"]
    # Set by the middleware, read inside a worker thread by the route.
    assert events[-1]["request_id"] == second.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_health_is_public(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def cors_headers(headers: dict[str, str]) -> set[str]:
    return {name for name in headers if name.lower().startswith("access-control-")}


def test_a_foreign_origin_gets_no_cors_header_at_all(client: TestClient) -> None:
    assert cors_headers(preflight(client, FOREIGN)) == set()
    for response in (client.get("/health", headers={"Origin": FOREIGN}), client.get("/users/me")):
        assert cors_headers(dict(response.headers)) == set()


def test_preflight_for_a_method_or_header_outside_the_lists_is_refused(
    client: TestClient, settings: Settings
) -> None:
    origin = settings.cors_origins[0]
    for method, headers, failure in (
        ("PUT", "content-type", "method"),
        ("POST", "x-custom-header", "headers"),
        ("PATCH", "authorization, x-other", "method, headers"),
    ):
        response = client.options(
            "/auth/login",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
        )
        assert response.status_code == 400
        assert response.text == f"Disallowed CORS {failure}"
        assert cors_headers(dict(response.headers)) == set()


def test_preflight_answers_carry_the_security_headers(
    client: TestClient, settings: Settings
) -> None:
    for origin in (settings.cors_origins[0], FOREIGN):
        headers = preflight(client, origin)
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert len(headers["x-request-id"]) == 16
        assert headers["vary"] == "Origin"


def test_an_answer_to_an_allowed_origin_varies_by_origin(
    client: TestClient, settings: Settings
) -> None:
    response = client.get("/health", headers={"Origin": settings.cors_origins[0]})
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-origin"] == settings.cors_origins[0]
