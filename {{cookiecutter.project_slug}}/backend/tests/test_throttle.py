"""The throttle service: one policy table for every guarded action, per client (IPv6 by /64) and
per account, counted in one statement on hashed keys, with the sweep off the hot path."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from app import db
from app.models import LoginAttempt
from app.throttle import (
    DEFAULT_POLICIES,
    SWEEP_INTERVAL_SECONDS,
    Policy,
    Throttle,
    Throttled,
    client_key,
    policies_for,
)

from .conftest import AppFactory, SettingsFactory

ACTIONS = ["login", "register", "forgot", "resend", "verify", "change_password"]


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def throttle_for(app: FastAPI, clock: Clock | None = None, **policies: Policy) -> Throttle:
    engine = app.state.services.engine
    return Throttle(
        db.make_session_factory(engine),
        dialect=engine.dialect.name,
        key=b"k" * 32,
        policies={**DEFAULT_POLICIES, **policies},
        clock=clock or time.time,
    )


def statements(app: FastAPI) -> list[str]:
    """The SQL statements the app's engine runs from now on (for this test)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().split()[0].upper())

    event.listen(app.state.services.engine, "before_cursor_execute", record)
    return seen


def test_every_action_has_a_policy_and_unknown_ones_are_refused(app: FastAPI) -> None:
    assert sorted(DEFAULT_POLICIES) == sorted(ACTIONS)
    with pytest.raises(ValueError, match="no throttling policy for 'logn'"):
        throttle_for(app).check("logn", client="192.0.2.1")


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_is_limited_per_account_whatever_the_client(app: FastAPI, action: str) -> None:
    throttle = throttle_for(app)
    limit = DEFAULT_POLICIES[action].per_account
    for index in range(limit):
        throttle.check(action, client=f"192.0.2.{index}", account="ann@example.org")
    with pytest.raises(Throttled) as refused:
        throttle.check(action, client="198.51.100.1", account="ann@example.org")
    assert 0 < refused.value.retry_after <= DEFAULT_POLICIES[action].window_seconds
    throttle.check(action, client="198.51.100.1", account="bob@example.org")


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_is_limited_per_client_whatever_the_account(app: FastAPI, action: str) -> None:
    throttle = throttle_for(app)
    limit = DEFAULT_POLICIES[action].per_client
    for index in range(limit):
        throttle.check(action, client="192.0.2.1", account=f"user{index}@example.org")
    with pytest.raises(Throttled):
        throttle.check(action, client="192.0.2.1", account="someone-new@example.org")
    throttle.check(action, client="192.0.2.2", account="someone-new@example.org")


def test_counters_hold_neither_addresses_nor_emails_and_stay_short(app: FastAPI) -> None:
    throttle = throttle_for(app)
    email = "a-very-long-local-part-for-sure@" + "sub." * 60 + "example.org"
    throttle.check("register", client="2001:db8:abcd:12::1", account=email)
    with db.make_session_factory(app.state.services.engine).begin() as session:
        keys = list(session.scalars(select(LoginAttempt.key)))
    assert len(keys) == 2
    for key in keys:
        assert "example" not in key
        assert "2001" not in key
        assert len(key) <= 64


def test_both_keys_are_counted_in_one_statement(app: FastAPI) -> None:
    throttle = throttle_for(app)
    throttle.check("login", client="192.0.2.1", account="ann@example.org")  # sweeps once
    seen = statements(app)
    throttle.check("login", client="192.0.2.1", account="ann@example.org")
    assert [kind for kind in seen if kind not in ("BEGIN", "COMMIT")] == ["INSERT"]


def test_expired_counters_are_swept_at_most_once_a_minute(app: FastAPI) -> None:
    clock = Clock()
    throttle = throttle_for(app, clock)
    seen = statements(app)
    for _ in range(3):
        throttle.check("login", client="192.0.2.1", account="ann@example.org")
    assert seen.count("DELETE") == 1
    clock.now += SWEEP_INTERVAL_SECONDS + 1
    throttle.check("login", client="192.0.2.1", account="ann@example.org")
    assert seen.count("DELETE") == 2


def test_the_sweep_removes_only_counters_older_than_every_window(app: FastAPI) -> None:
    clock = Clock()
    throttle = throttle_for(app, clock)
    throttle.check("register", client="192.0.2.1", account="ann@example.org")
    longest = max(policy.window_seconds for policy in DEFAULT_POLICIES.values())
    clock.now += longest - 10
    throttle.check("login", client="192.0.2.9", account="bob@example.org")  # sweeps: both stay
    factory = db.make_session_factory(app.state.services.engine)
    with factory.begin() as session:
        assert len(list(session.scalars(select(LoginAttempt.key)))) == 4
    clock.now += SWEEP_INTERVAL_SECONDS
    throttle.sweep_if_due()
    with factory.begin() as session:
        assert len(list(session.scalars(select(LoginAttempt.key)))) == 2


def test_settings_set_the_login_limits_and_can_widen_every_client_limit(
    make_settings: SettingsFactory,
) -> None:
    policies = policies_for(
        make_settings(
            login_max_attempts_per_account=7,
            login_max_attempts_per_device=9,
            login_max_attempts_per_client=11,
            login_window_seconds=60,
            throttle_client_limit_multiplier=100,
        )
    )
    assert policies["login"] == Policy(
        per_client=1100, per_account=7, per_device=9, window_seconds=60
    )
    assert policies["register"].per_client == DEFAULT_POLICIES["register"].per_client * 100
    assert policies["register"].per_account == DEFAULT_POLICIES["register"].per_account


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.10", "192.0.2.10"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.10", "192.0.2.10"),
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", "testclient"),
    ],
)
def test_client_keys_group_ipv6_by_64(address: str, key: str) -> None:
    assert client_key(address) == key


def test_a_whole_ipv6_64_is_one_client_over_http(
    make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    app = make_app(make_settings(login_max_attempts_per_client=4))

    def login_from(address: str, index: int) -> int:
        client = TestClient(app, client=(address, 40000))
        data = {"username": f"nobody{index}@example.org", "password": "some password 123"}
        return client.post("/auth/token", data=data).status_code

    same_64 = [login_from(f"2001:db8:1:2::{index:x}", index) for index in range(1, 7)]
    assert same_64 == [401, 401, 401, 401, 429, 429]
    assert login_from("2001:db8:1:3::1", 99) == 401
