"""No stranger can lock an owner out of a browser the owner has used before (device cookies).

Strangers who exhaust an account's budget for untrusted clients keep being refused; the owner's
browser, holding a device cookie from an earlier sign-in, has a budget of its own for that
account. Forged, foreign and other-account cookies give no budget.
"""

from __future__ import annotations

import secrets

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.derived_keys import derive_key
from app.devices import MAX_ENTRIES, Devices

from .conftest import Account, AppFactory, AuditCapture, SettingsFactory, new_account

ACCOUNT_LIMIT = 3
DEVICE_LIMIT = 4
WRONG = "not the password, whoever types it"


@pytest.fixture
def locked_app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return make_app(
        make_settings(
            login_max_attempts_per_account=ACCOUNT_LIMIT,
            login_max_attempts_per_device=DEVICE_LIMIT,
        )
    )


def browser_client(app: FastAPI, address: str) -> TestClient:
    """A browser at `address`: it keeps its cookies and passes the browser check."""
    origin = app.state.services.settings.cors_origins[0]
    return TestClient(
        app,
        base_url="http://localhost:8000",
        client=(address, 40000),
        headers={"Origin": origin, "X-Requested-With": "XMLHttpRequest"},
    )


def login(client: TestClient, account: Account, password: str | None = None) -> int:
    data = {"username": account.email, "password": password or account.password}
    return client.post("/auth/login", data=data).status_code


def lock_out(app: FastAPI, account: Account, strangers: int = 6) -> None:
    """Wrong passwords from several fresh clients, past the account's untrusted budget."""
    for index in range(strangers):
        stranger = browser_client(app, f"198.51.100.{index + 1}")
        assert login(stranger, account, WRONG) in (401, 429)
    assert login(browser_client(app, "198.51.100.250"), account) == 429


def test_the_owners_browser_still_signs_in_while_strangers_are_throttled(
    locked_app: FastAPI, audit_log: AuditCapture
) -> None:
    account = new_account(locked_app)
    owner = browser_client(locked_app, "203.0.113.7")
    assert login(owner, account) == 200
    assert owner.cookies.get("device")
    lock_out(locked_app, account)
    assert login(owner, account) == 200
    assert audit_log.named("login_succeeded")[-1]["known_device"] is True
    # Fresh clients stay throttled, with the right password too; so does /auth/token, which
    # never counts as a known device even when the client holds the cookie.
    assert login(browser_client(locked_app, "192.0.2.99"), account) == 429
    token = owner.post(
        "/auth/token", data={"username": account.email, "password": account.password}
    )
    assert token.status_code == 429


def test_forged_and_foreign_device_cookies_give_no_budget(locked_app: FastAPI) -> None:
    account = new_account(locked_app)
    other = new_account(locked_app)
    lock_out(locked_app, account)
    forged = f"{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(32)}"
    # A real entry, but for another account of this deployment.
    elsewhere = browser_client(locked_app, "203.0.113.8")
    assert login(elsewhere, other) == 200
    other_account_cookie = elsewhere.cookies.get("device")
    # A well-made entry for this very email, from a deployment with another secret.
    foreign_key = derive_key(secrets.token_urlsafe(48), "device cookies")
    foreign_cookie = Devices(foreign_key).enrol(None, account.email)
    for cookie in (forged, other_account_cookie or "", foreign_cookie, "x" * 5000):
        client = browser_client(locked_app, "203.0.113.10")
        client.cookies.set("device", cookie)
        assert login(client, account) == 429, cookie[:40]


def test_a_known_device_has_a_budget_of_its_own_which_a_success_resets(
    locked_app: FastAPI,
) -> None:
    account = new_account(locked_app)
    owner = browser_client(locked_app, "203.0.113.7")
    assert login(owner, account) == 200
    for _ in range(DEVICE_LIMIT - 1):
        assert login(owner, account, WRONG) == 401
    assert login(owner, account) == 200
    for _ in range(DEVICE_LIMIT):
        assert login(owner, account, WRONG) == 401
    assert login(owner, account) == 429
    # That device's failures did not touch the account's budget for other clients.
    assert login(browser_client(locked_app, "203.0.113.9"), account) == 200


def test_one_browser_keeps_entries_for_several_accounts(locked_app: FastAPI) -> None:
    accounts = [new_account(locked_app) for _ in range(MAX_ENTRIES + 1)]
    owner = browser_client(locked_app, "203.0.113.7")
    for account in accounts:
        assert login(owner, account) == 200
    cookie = owner.cookies.get("device") or ""
    assert len(cookie.split("~")) == MAX_ENTRIES
    # The newest MAX_ENTRIES accounts are remembered; the oldest was dropped.
    newest, oldest = accounts[-1], accounts[0]
    lock_out(locked_app, newest)
    lock_out(locked_app, oldest)
    assert login(owner, newest) == 200
    assert login(owner, oldest) == 429


def test_device_entries_are_bound_to_key_and_account() -> None:
    devices = Devices(derive_key(secrets.token_urlsafe(48), "device cookies"))
    cookie = devices.enrol(None, "ann@example.org")
    nonce = devices.recognise(cookie, "ann@example.org")
    assert nonce is not None
    assert devices.recognise(cookie, "bob@example.org") is None
    assert (
        Devices(derive_key(secrets.token_urlsafe(48), "device cookies")).recognise(
            cookie, "ann@example.org"
        )
        is None
    )
    tampered = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    assert devices.recognise(tampered, "ann@example.org") is None
    # Signing in again keeps the device's identity and puts its entry first.
    both = devices.enrol(devices.enrol(cookie, "bob@example.org"), "ann@example.org")
    assert devices.recognise(both, "ann@example.org") == nonce
    assert both.split("~")[0].startswith(f"{nonce}.")
