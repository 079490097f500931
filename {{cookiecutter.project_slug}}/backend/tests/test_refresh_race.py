"""Rotation is atomic under a real server: of 16 concurrent refreshes with one token, exactly one
succeeds; the losers used a rotated token, so the family is revoked: no refresh token works
twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from .conftest import Account, AuditCapture, new_account

CONCURRENCY = 16


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1, on a port the OS picks, stopped afterwards."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(
    live_url: str, account: Account, audit_log: AuditCapture
) -> None:
    with httpx.Client(base_url=live_url) as client:
        pair = client.post(
            "/auth/token", data={"username": account.email, "password": account.password}
        ).json()
    start = threading.Barrier(CONCURRENCY)

    def refresh(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=30) as client:
            start.wait()
            return client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        responses = list(pool.map(refresh, range(CONCURRENCY)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * (CONCURRENCY - 1)
    assert audit_log.named("refresh_reuse_detected")
    winner = next(response for response in responses if response.status_code == 200).json()
    with httpx.Client(base_url=live_url) as client:
        after = client.post("/auth/refresh", json={"refresh_token": winner["refresh_token"]})
        assert after.status_code == 401
        me = client.get("/users/me", headers={"Authorization": f"Bearer {winner['access_token']}"})
        assert me.status_code == 200


def test_concurrent_refreshes_of_separate_families_all_succeed(live_url: str, app: FastAPI) -> None:
    """Write contention between families waits for the lock; it never fails a request."""
    account = new_account(app)
    with httpx.Client(base_url=live_url) as client:
        tokens = [
            client.post(
                "/auth/token", data={"username": account.email, "password": account.password}
            ).json()["refresh_token"]
            for _ in range(CONCURRENCY)
        ]
    start = threading.Barrier(CONCURRENCY)

    def rotate_three_times(token: str) -> list[int]:
        statuses = []
        with httpx.Client(base_url=live_url, timeout=30) as client:
            start.wait()
            for _ in range(3):
                response = client.post("/auth/refresh", json={"refresh_token": token})
                statuses.append(response.status_code)
                token = response.json().get("refresh_token", token)
        return statuses

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(rotate_three_times, tokens))
    assert results == [[200, 200, 200]] * CONCURRENCY
