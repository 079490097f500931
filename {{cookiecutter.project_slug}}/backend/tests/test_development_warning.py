"""ENVIRONMENT=development reached from another machine says so, loudly, once per process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import AppFactory, AuditCapture, SettingsFactory

PRODUCTION = {
    "environment": "production",
    "cors_origins": "https://app.example.org",
    "argon2_time_cost": 2,
    "argon2_memory_kib": 19456,
}


def test_development_on_a_public_address_warns_once(
    make_settings: SettingsFactory,
    make_app: AppFactory,
    audit_log: AuditCapture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app(make_settings())
    local = TestClient(app, base_url="http://127.0.0.1:8000")
    assert local.get("/health").status_code == 200
    assert audit_log.named("development_mode_exposed") == []
    public = TestClient(app, base_url="http://192.0.2.10:8000")
    for _ in range(3):
        public.get("/users/me")
    (warning,) = audit_log.named("development_mode_exposed")
    assert warning["server"] == "192.0.2.10"
    err = capsys.readouterr().err
    assert err.count("ENVIRONMENT=development") == 1
    assert "set ENVIRONMENT=production in backend/.env" in err


@pytest.mark.parametrize("host", ["[::1]", "localhost", "127.0.0.2"])
def test_loopback_and_names_stay_quiet(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture, host: str
) -> None:
    TestClient(make_app(make_settings()), base_url=f"http://{host}:8000").get("/health")
    assert audit_log.named("development_mode_exposed") == []


def test_production_does_not_warn(
    make_settings: SettingsFactory, make_app: AppFactory, audit_log: AuditCapture
) -> None:
    app = make_app(make_settings(**PRODUCTION))
    TestClient(app, base_url="https://192.0.2.10").get("/health")
    assert audit_log.named("development_mode_exposed") == []
