"""Failed logins over HTTP: an unknown account against a wrong password, in milliseconds.

The baked suite proves the structure (both failures run the same argon2 verifications, with
hashes of the same cost); timing belongs here. `POST /auth/token` is sent with an address that
has no account and with a real account's address and a wrong password, in alternating pairs,
one request at a time on one keep-alive connection, to the default bake with its production
argon2 profile (server on core 0, client on core 1). Alternating puts both kinds of attempt in
the same moments of machine load; the ratio is the median of the ratios within each pair.
`--runs` is the number of pairs.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench import baked, cli
from bench.client import Client
from bench.goals import GOAL_LOGIN_TIMING_SPREAD
from bench.login_stall import percentile
from bench.quiet import CpuWatch, wait_for_quiet
from bench.serve import CLIENT_CPU, pin_self, serving

WARM_UP_PAIRS = 2


def _failed_login_ms(client: Client, email: str, password: str) -> float:
    """Milliseconds of one login that must fail with 401 (anything else stops the benchmark)."""
    reply = client.request("POST", "/auth/token", form={"username": email, "password": password})
    if reply.status != 401:
        raise RuntimeError(f"a failed login answered {reply.status}, expected 401")
    return reply.seconds * 1000


def measure(backend: Path, *, pairs: int) -> dict[str, Any]:
    pin_self(CLIENT_CPU)
    unknown_email = f"nobody-{uuid.uuid4().hex[:12]}@example.org"
    wrong_password = secrets.token_urlsafe(18)
    unknown: list[float] = []
    wrong: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-login-timing-") as scratch:
        database = baked.sqlite_url(Path(scratch) / "bench.db")
        with serving([baked.app_spec("baked", backend, database)], sys.executable) as servers:
            server = servers["baked"]
            account = baked.create_account(backend, database)
            client = Client(server.base_url)
            try:
                for _ in range(WARM_UP_PAIRS):
                    _failed_login_ms(client, unknown_email, wrong_password)
                    _failed_login_ms(client, account.email, wrong_password)
                wait_for_quiet()
                with CpuWatch(server.process.pid) as watch:
                    for _ in range(pairs):
                        unknown.append(_failed_login_ms(client, unknown_email, wrong_password))
                        wrong.append(_failed_login_ms(client, account.email, wrong_password))
            finally:
                client.close()
    return {
        "pairs": pairs,
        "unknown_p50_ms": statistics.median(unknown),
        "unknown_p90_ms": percentile(unknown, 0.9),
        "wrong_p50_ms": statistics.median(wrong),
        "wrong_p90_ms": percentile(wrong, 0.9),
        "ratio": statistics.median(u / w for u, w in zip(unknown, wrong, strict=True)),
        "disturbed": watch.disturbed,
        "unknown_ms": unknown,
        "wrong_ms": wrong,
    }


def show(summary: dict[str, Any]) -> None:
    print(
        f"unknown account: p50 {summary['unknown_p50_ms']:.1f} ms, wrong password: p50 "
        f"{summary['wrong_p50_ms']:.1f} ms, unknown / wrong {summary['ratio']:.3f} (goal within "
        f"{GOAL_LOGIN_TIMING_SPREAD:.0%} of 1)"
    )


def main() -> int:
    return cli.run(
        __doc__,
        lambda args: measure(args.backend, pairs=args.runs),
        show,
        runs=30,
    )


if __name__ == "__main__":
    sys.exit(main())
