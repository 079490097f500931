"""The owner's sessions: only live ones are listed, with the caller's marked and no token in
sight; one can be ended, or all but the caller's; another account's session is as unknown as a
made-up id."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.errors import NO_SUCH_SESSION
from app.models import RefreshFamily, RefreshToken
from app.refresh_sessions import USER_AGENT_LENGTH, clean_user_agent

from .conftest import Account, AppFactory, AuditCapture, SettingsFactory, bearer, new_account
from .forge import sign, valid_claims
from .lifecycle_support import lifecycle_app, refreshes, services_of

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return lifecycle_app(make_settings, make_app)


@pytest.fixture
def owner(app: FastAPI) -> Account:
    return new_account(app)


def signed_in(client: TestClient, account: Account, agent: str = FIREFOX) -> dict[str, Any]:
    response = client.post(
        "/auth/token",
        data={"username": account.email, "password": account.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def sessions(client: TestClient, access_token: str) -> list[dict[str, Any]]:
    response = client.get("/auth/sessions", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def test_the_list_shows_live_sessions_with_the_callers_marked_and_no_token(
    client: TestClient, owner: Account
) -> None:
    first = signed_in(client, owner, "Agent One")
    second = signed_in(client, owner, FIREFOX)
    listed = sessions(client, second["access_token"])
    assert [item["user_agent"] for item in listed] == [FIREFOX, "Agent One"]
    assert [item["current"] for item in listed] == [True, False]
    for item in listed:
        assert set(item) == {"id", "created_at", "last_used_at", "user_agent", "current"}
        assert datetime.fromisoformat(item["created_at"]).utcoffset() is not None
        assert item["last_used_at"] is None
    text = str(listed)
    for pair in (first, second):
        assert pair["refresh_token"] not in text
        assert pair["access_token"] not in text
    assert sessions(client, first["access_token"])[1]["current"] is True


def test_a_refresh_records_when_the_session_was_last_used(
    client: TestClient, owner: Account
) -> None:
    pair = signed_in(client, owner)
    before = time.time()
    rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    (item,) = sessions(client, rotated["access_token"])
    used = datetime.fromisoformat(item["last_used_at"]).timestamp()
    assert before - 1 <= used <= time.time() + 1
    assert item["current"] is True


def test_ended_expired_and_too_old_sessions_are_not_listed(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    caller = signed_in(client, owner)
    ended = signed_in(client, owner)
    client.post("/auth/logout", json={"refresh_token": ended["refresh_token"]})
    expired = signed_in(client, owner)
    too_old = signed_in(client, owner)
    services = services_of(app)
    listed_ids = {item["id"] for item in sessions(client, caller["access_token"])}
    assert len(listed_ids) == 3
    with services.session_factory.begin() as session:
        session.execute(
            update(RefreshFamily)
            .where(RefreshFamily.id == services.tokens.verify(too_old["access_token"]).session_id)
            .values(created_at=time.time() - services.settings.session_max_seconds - 1)
        )
        session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.family_id == services.tokens.verify(expired["access_token"]).session_id
            )
            .values(expires_at=0)
        )
    (only,) = sessions(client, caller["access_token"])
    assert only["current"] is True


def test_ending_one_session_signs_that_browser_out_at_its_next_refresh(
    client: TestClient, owner: Account, audit_log: AuditCapture
) -> None:
    caller = signed_in(client, owner)
    other = signed_in(client, owner)
    (target,) = [item for item in sessions(client, caller["access_token"]) if not item["current"]]
    ended = client.delete(f"/auth/sessions/{target['id']}", headers=bearer(caller["access_token"]))
    assert ended.status_code == 204
    assert not refreshes(client, other)
    assert refreshes(client, caller)
    event = audit_log.named("session_ended")[0]
    assert (event["user_id"], event["family_id"]) == (owner.id, target["id"])
    again = client.delete(f"/auth/sessions/{target['id']}", headers=bearer(caller["access_token"]))
    assert again.status_code == 404


def test_another_accounts_session_is_404_exactly_like_an_unknown_one(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    stranger = signed_in(client, new_account(app))
    victim = signed_in(client, owner)
    (victims,) = sessions(client, victim["access_token"])
    answers = [
        client.delete(f"/auth/sessions/{session_id}", headers=bearer(stranger["access_token"]))
        for session_id in (victims["id"], "0" * 32, "x" * 500)
    ]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert {answer.content for answer in answers} == {answers[0].content}
    assert answers[0].json() == NO_SUCH_SESSION
    assert refreshes(client, victim)


def test_revoke_others_keeps_only_the_callers_session(client: TestClient, owner: Account) -> None:
    caller = signed_in(client, owner)
    others = [signed_in(client, owner) for _ in range(2)]
    answer = client.post("/auth/sessions/revoke-others", headers=bearer(caller["access_token"]))
    assert answer.status_code == 204
    assert not any(refreshes(client, pair) for pair in others)
    (only,) = sessions(client, caller["access_token"])
    assert only["current"] is True


def test_revoke_others_with_a_token_without_session_id_ends_them_all(
    app: FastAPI, client: TestClient, owner: Account
) -> None:
    pairs = [signed_in(client, owner) for _ in range(2)]
    settings = services_of(app).settings
    foreign = sign(
        valid_claims(settings, sub=owner.id), settings.better_auth_secret.get_secret_value()
    )
    listed = sessions(client, foreign)
    assert [item["current"] for item in listed] == [False, False]
    assert client.post("/auth/sessions/revoke-others", headers=bearer(foreign)).status_code == 204
    assert not any(refreshes(client, pair) for pair in pairs)


def test_the_session_paths_need_an_access_token(client: TestClient) -> None:
    for method, path in (
        ("GET", "/auth/sessions"),
        ("DELETE", "/auth/sessions/abc"),
        ("POST", "/auth/sessions/revoke-others"),
    ):
        assert client.request(method, path).status_code == 401


def test_browsers_may_send_delete_across_origins(client: TestClient, app: FastAPI) -> None:
    origin = services_of(app).settings.cors_origins[0]
    preflight = client.options(
        "/auth/sessions/abc",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert "DELETE" in preflight.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        (FIREFOX, FIREFOX),
        ("Bad\r\nInjected: header\x1b[31m\u202e", "Bad Injected: header[31m"),
        ("   ", None),
        (None, None),
        ("\u00e9" * 500, "\u00e9" * USER_AGENT_LENGTH),
    ],
)
def test_user_agents_are_kept_printable_and_short(header: str | None, shown: str | None) -> None:
    assert clean_user_agent(header) == shown
