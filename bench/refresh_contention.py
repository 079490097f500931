"""Goal 3: 16 clients rotating their own refresh families at once on SQLite, for 10 s.

Each client logs in with POST /auth/token, then chains JSON POST /auth/refresh calls as fast as
the server answers. SQLite has one writer, so the clients contend on its lock: the figure is
refreshes per second, and the proof is in the database afterwards: every family's chain is
exactly as long as its client's count of successful refreshes, with no generation twice, and its
head is the token the client holds. Finally one client replays an old token, which must be
refused and must end its family (reuse detection still works after the storm).
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import baked, cli
from bench.client import Client
from bench.login_stall import percentile
from bench.quiet import CpuWatch, wait_for_quiet
from bench.serve import CLIENT_CPU, pin_self, serving

CLIENTS = 16
BAKED = "baked"
VARIANTS = {
    BAKED: "bench.baked_app:app",
    "peer: SQLite writers queue on an in-process lock": "bench.serial_writes_app:app",
}


@dataclass
class Chain:
    """What one client saw: its first and current refresh token, successes and failures."""

    account: baked.Account
    first_token: str = ""
    head_token: str = ""
    refreshes: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_client(base_url: str, chain: Chain, ready: threading.Barrier, seconds: float) -> None:
    """Log in, wait for the others at `ready`, then chain refreshes for `seconds`."""
    client = Client(base_url)
    try:
        form = {"username": chain.account.email, "password": chain.account.password}
        reply = client.request("POST", "/auth/token", form=form)
        if reply.status != 200:
            chain.errors.append(f"login answered {reply.status}")
        else:
            chain.first_token = chain.head_token = reply.body["refresh_token"]
        ready.wait()
        deadline = time.monotonic() + seconds
        while not chain.errors and time.monotonic() < deadline:
            reply = client.request(
                "POST", "/auth/refresh", json_body={"refresh_token": chain.head_token}
            )
            if reply.status != 200 or not isinstance(reply.body, dict):
                # The token's state is unknown after a failure: this client stops here.
                chain.errors.append(f"refresh answered {reply.status}")
                break
            chain.head_token = reply.body["refresh_token"]
            chain.refreshes += 1
            chain.latencies_ms.append(reply.seconds * 1000)
    except Exception as error:
        chain.errors.append(type(error).__name__)
        if ready.n_waiting:
            ready.abort()
    finally:
        client.close()


def audit_chains(backend: Path, database_url: str, chains: list[Chain]) -> dict[str, int]:
    """Compare each client's count with its family in the database, through the app's models."""
    baked.import_backend(backend)
    from app.models import RefreshFamily, RefreshToken
    from sqlalchemy import create_engine, select

    engine = create_engine(database_url)
    lost = doubled = wrong_head = revoked = 0
    try:
        with engine.connect() as connection:
            for chain in chains:
                head = connection.execute(
                    select(RefreshToken.family_id, RefreshToken.generation).where(
                        RefreshToken.token_hash == _digest(chain.head_token)
                    )
                ).first()
                if head is None:
                    lost += 1
                    continue
                family = connection.execute(
                    select(RefreshFamily.generation, RefreshFamily.revoked_at).where(
                        RefreshFamily.id == head.family_id
                    )
                ).one()
                generations = list(
                    connection.scalars(
                        select(RefreshToken.generation).where(
                            RefreshToken.family_id == head.family_id
                        )
                    )
                )
                rotations = len(generations) - 1
                doubled += len(generations) - len(set(generations))
                lost += abs(chain.refreshes - len(set(generations)) + 1)
                # The one live token is the family's current generation, and it is the client's.
                if family.generation != head.generation or head.generation != rotations:
                    wrong_head += 1
                if family.revoked_at is not None:
                    revoked += 1
    finally:
        engine.dispose()
    return {"lost": lost, "doubled": doubled, "wrong_head": wrong_head, "revoked": revoked}


def replay_is_refused(base_url: str, chain: Chain) -> bool:
    """An old token of a busy chain is refused, and then the family's head is dead too."""
    client = Client(base_url)
    try:
        old = client.request(
            "POST", "/auth/refresh", json_body={"refresh_token": chain.first_token}
        )
        head = client.request(
            "POST", "/auth/refresh", json_body={"refresh_token": chain.head_token}
        )
    finally:
        client.close()
    return old.status == 401 and head.status == 401


def one_run(base_url: str, accounts: list[baked.Account], seconds: float) -> list[Chain]:
    chains = [Chain(account) for account in accounts]
    ready = threading.Barrier(len(chains) + 1)
    threads = [
        threading.Thread(target=rotate_client, args=(base_url, chain, ready, seconds))
        for chain in chains
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join()
    return chains


@dataclass(frozen=True)
class RunResult:
    """One timed run of every client at once, and what the database says afterwards."""

    refreshes_per_second: float
    refreshes: int
    errors: int
    error_kinds: list[str]
    p50_ms: float
    p99_ms: float
    slowest_client: int
    fastest_client: int
    lost: int
    doubled: int
    wrong_head: int
    revoked: int
    replay_refused: bool


def _result(
    backend: Path, database_url: str, base_url: str, chains: list[Chain], seconds: float
) -> RunResult:
    refreshes = sum(chain.refreshes for chain in chains)
    latencies = [value for chain in chains for value in chain.latencies_ms]
    return RunResult(
        refreshes_per_second=refreshes / seconds,
        refreshes=refreshes,
        errors=sum(len(chain.errors) for chain in chains),
        error_kinds=sorted({error for chain in chains for error in chain.errors}),
        p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99),
        slowest_client=min(chain.refreshes for chain in chains),
        fastest_client=max(chain.refreshes for chain in chains),
        **audit_chains(backend, database_url, chains),
        # Last, because it revokes the first client's family on purpose.
        replay_refused=replay_is_refused(base_url, chains[0]),
    )


def measure_variant(
    backend: Path,
    target: str,
    *,
    runs: int,
    seconds: float,
    database_url: str | None = None,
    also_watch: tuple[int, ...] = (),
) -> dict[str, Any]:
    """`runs` timed runs against one server and database (a fresh SQLite file unless given);
    `also_watch` names a database server whose CPU is the benchmark's own."""
    results: list[RunResult] = []
    noisy = 0
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as scratch:
        database = database_url or baked.sqlite_url(Path(scratch) / "bench.db")
        spec = baked.app_spec("baked", backend, database, target=target)
        with serving([spec], sys.executable) as servers:
            base_url = servers["baked"].base_url
            accounts = baked.register_accounts(base_url, CLIENTS)
            for _ in range(runs):
                wait_for_quiet()
                with CpuWatch(servers["baked"].process.pid, *also_watch) as watch:
                    chains = one_run(base_url, accounts, seconds)
                noisy += watch.disturbed
                result = _result(backend, database, base_url, chains, seconds)
                results.append(result)
                print(
                    f"  refresh run ({target}): {result.refreshes_per_second:.0f}/s, "
                    f"errors {result.errors}",
                    file=sys.stderr,
                )
    return {
        "refreshes_per_second": statistics.median(row.refreshes_per_second for row in results),
        "p50_ms": statistics.median(row.p50_ms for row in results),
        "p99_ms": statistics.median(row.p99_ms for row in results),
        "slowest_client": min(row.slowest_client for row in results),
        "fastest_client": max(row.fastest_client for row in results),
        "errors": sum(row.errors for row in results),
        "lost": sum(row.lost for row in results),
        "doubled": sum(row.doubled for row in results),
        "wrong_head": sum(row.wrong_head for row in results),
        "revoked": sum(row.revoked for row in results),
        "replay_refused": all(row.replay_refused for row in results),
        "noisy_runs": noisy,
        "runs": [asdict(row) for row in results],
    }


def measure(backend: Path, *, runs: int, seconds: float) -> dict[str, Any]:
    """Every variant; a failing peer is reported as such instead of hiding the baked figures."""
    pin_self(CLIENT_CPU)
    variants: dict[str, Any] = {}
    for name, target in VARIANTS.items():
        try:
            variants[name] = measure_variant(backend, target, runs=runs, seconds=seconds)
        except Exception as error:
            if name == BAKED:
                raise
            variants[name] = {"failed": f"{type(error).__name__}: {error}"}
    return {"clients": CLIENTS, "seconds": seconds, "runs": runs, "variants": variants}


def main() -> int:
    return cli.run(
        __doc__,
        lambda args: measure(args.backend, runs=args.runs, seconds=args.seconds),
        cli.show_variants,
        runs=3,
        seconds=10.0,
    )


if __name__ == "__main__":
    sys.exit(main())
