"""What the benchmarks need from a baked backend: its app spec, a token, and bench accounts.

Helpers that import the baked `app` package put its `backend/` directory first on sys.path; they
run in the venv the baked backend is installed in. Passwords and tokens are made at run time and
kept in memory: nothing here prints or writes one.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.client import Client
from bench.serve import SERVER_CPU, AppSpec

# Logins and registrations in the benchmarks are the load itself, all from 127.0.0.1; the
# throttle would turn them into 429s. Bench accounts register over HTTP and must sign in at once:
# with verification on, registration answers 202 and the account waits for a mailed link (at
# sign-in, the verified check is one column of the row already read, so the login path measured
# is the same).
BENCH_SETTINGS = {
    "LOGIN_MAX_ATTEMPTS_PER_ACCOUNT": "1000",
    "LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000",
    "THROTTLE_CLIENT_LIMIT_MULTIPLIER": "10000",
    "EMAIL_VERIFICATION": "off",
}


def import_backend(backend: Path) -> None:
    """Make the baked `app` package importable in this process."""
    path = str(backend.resolve())
    if path not in sys.path:
        sys.path.insert(0, path)


def app_spec(
    name: str,
    backend: Path,
    database_url: str,
    *,
    target: str = "bench.baked_app:app",
    env: Mapping[str, str] | None = None,
    cpu: int | None = SERVER_CPU,
    workers: int = 1,
) -> AppSpec:
    """The baked app served from its `backend/` directory, on its own database."""
    return AppSpec(
        name=name,
        target=target,
        cwd=backend,
        python_path=(backend,),
        env={"DATABASE_URL": database_url, **BENCH_SETTINGS, **(env or {})},
        cpu=cpu,
        workers=workers,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def mint_access_token(backend: Path) -> str:
    """A valid access token for a random subject, signed by the baked app's own token module."""
    import_backend(backend)
    from app.settings import load_settings
    from app.tokens import AccessTokens

    return AccessTokens(load_settings()).issue(str(uuid.uuid4()))


@dataclass(frozen=True)
class Account:
    email: str
    password: str


def create_account(backend: Path, database_url: str) -> Account:
    """A ready account made with the bake's operator command (`python -m app.create_user`)."""
    account = Account(f"bench-{uuid.uuid4().hex[:12]}@example.org", secrets.token_urlsafe(18))
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CREATE_USER_PASSWORD": account.password,
    }
    subprocess.run(
        [sys.executable, "-m", "app.create_user", "--email", account.email],
        cwd=backend,
        env=environment,
        check=True,
        capture_output=True,
    )
    return account


def sign_in(base_url: str, account: Account) -> tuple[str, str]:
    """(access token, user id) of `account`, through POST /auth/token and GET /users/me."""
    client = Client(base_url)
    try:
        form = {"username": account.email, "password": account.password}
        tokens = client.request("POST", "/auth/token", form=form)
        if tokens.status != 200:
            raise RuntimeError(f"POST /auth/token answered {tokens.status}")
        access = str(tokens.body["access_token"])
        me = client.request("GET", "/users/me", headers={"Authorization": f"Bearer {access}"})
        if me.status != 200:
            raise RuntimeError(f"GET /users/me answered {me.status}")
        return access, str(me.body["id"])
    finally:
        client.close()


def register_accounts(base_url: str, count: int) -> list[Account]:
    """`count` fresh accounts made through POST /auth/register (each costs one argon2 hash)."""
    accounts = [
        Account(f"bench-{uuid.uuid4().hex[:12]}@example.org", secrets.token_urlsafe(18))
        for _ in range(count)
    ]

    def register(account: Account) -> None:
        client = Client(base_url)
        try:
            reply = client.request(
                "POST",
                "/auth/register",
                json_body={"email": account.email, "password": account.password},
            )
        finally:
            client.close()
        if reply.status != 201:
            raise RuntimeError(
                f"POST /auth/register answered {reply.status}; the benchmarks need the default "
                "bake (registration open)"
            )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(register, accounts))
    return accounts
