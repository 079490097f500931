"""Two uvicorn processes of the same app, on two ports, sharing one database of the baked kind
(SQLite in WAL mode, or a real PostgreSQL): revocation, reuse detection, the rotation race and
login throttling hold across instances, because all of that state lives in the database.

The schema is created the way an operator would, with `python -m alembic upgrade head` (what
`make migrate` runs). The servers start once for the module; every wait is bounded.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.services import Services, build_services
from app.settings import BACKEND_DIR, Settings

from .conftest import (
    BAKED_DATABASE,
    EXAMPLE_ENV,
    FAST_ARGON2,
    Account,
    run_backend,
    server_environment,
)
from .postgres import free_port

CONCURRENCY = 16
ACCOUNT_LIMIT = 4
STARTUP_SECONDS = 30
REQUEST_SECONDS = 30
START_ATTEMPTS = 3


@dataclass
class Instance:
    """One backend process; its stderr (the audit log) goes to `log`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def audit_events(self, name: str) -> list[dict[str, Any]]:
        events = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == name:
                    events.append(record)
        return events

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Cluster:
    a: Instance
    b: Instance
    services: Services

    def account(self) -> Account:
        email = f"user-{secrets.token_hex(4)}@example.org"
        password = secrets.token_urlsafe(18)
        user = self.services.accounts.register(email, password)
        return Account(email=email, password=password, id=user.id)


@pytest.fixture(scope="module")
def shared_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    if BAKED_DATABASE == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('two-instances') / 'shared.db'}"
    server = request.getfixturevalue("postgres")
    url: str = server.create_database("two_instances")
    return url


def launch(environment: dict[str, str], log: Path) -> Instance:
    """Start uvicorn on a free port and wait for /health; a port lost in between is retried."""
    for _ in range(START_ATTEMPTS):
        port = free_port()
        with log.open("wb") as output:
            # This interpreter's uvicorn with a port number: nothing from outside the test.
            process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "app.main:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                cwd=BACKEND_DIR,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        instance = Instance(f"http://127.0.0.1:{port}", process, log)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{instance.url}/health", timeout=1).status_code == 200:
                    return instance
            except httpx.TransportError:
                time.sleep(0.05)
        instance.stop()
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    pytest.fail(f"uvicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def cluster(shared_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    overrides: dict[str, Any] = {
        "environment": "development",
        "better_auth_secret": secrets.token_urlsafe(48),
        "database_url": shared_database,
        "login_max_attempts_per_account": ACCOUNT_LIMIT,
        # Every request here comes from 127.0.0.1: only the per-account limit is under test.
        "login_max_attempts_per_client": 10_000,
        **FAST_ARGON2,
    }
    environment = server_environment(**overrides)
    migration = run_backend(["-m", "alembic", "upgrade", "head"], environment)
    assert migration.returncode == 0, migration.stderr
    assert "Running upgrade  -> 0001" in migration.stderr
    logs = tmp_path_factory.mktemp("logs")
    a = launch(environment, logs / "a.log")
    try:
        b = launch(environment, logs / "b.log")
    except BaseException:
        a.stop()
        raise
    services = build_services(Settings(_env_file=EXAMPLE_ENV, **overrides))
    yield Cluster(a, b, services)
    services.dispose()
    a.stop()
    b.stop()


def login(url: str, account: Account) -> dict[str, Any]:
    data = {"username": account.email, "password": account.password}
    response = httpx.post(f"{url}/auth/token", data=data, timeout=REQUEST_SECONDS)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(url: str, token: str) -> httpx.Response:
    return httpx.post(f"{url}/auth/refresh", json={"refresh_token": token}, timeout=REQUEST_SECONDS)


def test_reuse_on_b_of_a_token_rotated_on_a_revokes_the_family_on_both(cluster: Cluster) -> None:
    account = cluster.account()
    first = login(cluster.a.url, account)
    rotated = refresh(cluster.a.url, first["refresh_token"])
    assert rotated.status_code == 200

    replay = refresh(cluster.b.url, first["refresh_token"])
    assert replay.status_code == 401
    assert any(
        event["user_id"] == account.id for event in cluster.b.audit_events("refresh_reuse_detected")
    )
    # The legitimately rotated token is dead too, on the instance that issued it and the other.
    current = rotated.json()["refresh_token"]
    assert refresh(cluster.a.url, current).status_code == 401
    assert refresh(cluster.b.url, current).status_code == 401


def test_logout_on_a_ends_the_session_on_b(cluster: Cluster) -> None:
    account = cluster.account()
    pair = login(cluster.b.url, account)
    response = httpx.post(
        f"{cluster.a.url}/auth/logout",
        json={"refresh_token": pair["refresh_token"]},
        timeout=REQUEST_SECONDS,
    )
    assert response.status_code == 204
    assert refresh(cluster.b.url, pair["refresh_token"]).status_code == 401
    assert cluster.a.audit_events("logout")
    # By design (SECURITY.md) the access token lives out its short lifetime on every instance.
    me = httpx.get(
        f"{cluster.b.url}/users/me",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
        timeout=REQUEST_SECONDS,
    )
    assert me.status_code == 200


def test_concurrent_refreshes_across_instances_have_exactly_one_winner(cluster: Cluster) -> None:
    account = cluster.account()
    token = login(cluster.a.url, account)["refresh_token"]
    urls = [cluster.a.url, cluster.b.url]
    start = threading.Barrier(CONCURRENCY, timeout=REQUEST_SECONDS)

    def attempt(index: int) -> httpx.Response:
        with httpx.Client(base_url=urls[index % 2], timeout=REQUEST_SECONDS) as client:
            start.wait()
            return client.post("/auth/refresh", json={"refresh_token": token})

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        responses = list(pool.map(attempt, range(CONCURRENCY)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * (CONCURRENCY - 1)
    winner = next(response for response in responses if response.status_code == 200).json()
    # The losers presented a rotated token, so the family is revoked: the winner's is dead too.
    assert refresh(cluster.a.url, winner["refresh_token"]).status_code == 401


def test_throttling_counts_failures_spread_across_both_instances(cluster: Cluster) -> None:
    account = cluster.account()
    urls = [cluster.a.url, cluster.b.url]
    wrong = {"username": account.email, "password": "not-the-password-at-all"}
    for index in range(ACCOUNT_LIMIT):
        response = httpx.post(f"{urls[index % 2]}/auth/token", data=wrong, timeout=REQUEST_SECONDS)
        assert response.status_code == 401, f"attempt {index + 1} on instance {'ab'[index % 2]}"

    right = {"username": account.email, "password": account.password}
    for url in urls:
        response = httpx.post(f"{url}/auth/token", data=right, timeout=REQUEST_SECONDS)
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
