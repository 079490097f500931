"""Issue 15 part 2: authenticated reads beside writers, on the default (SQLite) bake.

Two figures. First, `GET /users/me` throughput (wrk) with the server otherwise idle, against the
same while 16 clients rotate their refresh tokens as fast as they can (every rotation is a write
transaction queueing for SQLite's one write lock). Idle and busy runs alternate. The server has
one core, so the writers' CPU is taken from the readers: the figure says how much of the read
throughput is left, and p99 says whether reads queue behind writes. Second, the latency of
`GET /users/me` while another connection holds the write lock (`BEGIN IMMEDIATE`) the whole time.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import baked, cli, refresh_contention
from bench.client import Client
from bench.goals import GOAL_LOCKED_READ_MS
from bench.load import WrkResult, median, run_wrk
from bench.quiet import CpuWatch, wait_for_quiet
from bench.serve import CLIENT_CPU, pin_self, serving
from bench.throughput import expect

CONNECTIONS = 16
LOCKED_READS = 50


def _busy_run(
    base_url: str, accounts: list[baked.Account], token: str, seconds: float
) -> tuple[WrkResult, list[refresh_contention.Chain]]:
    """wrk on /users/me while every account's client rotates its refresh token."""
    chains = [refresh_contention.Chain(account) for account in accounts]
    ready = threading.Barrier(len(chains) + 1)
    threads = [
        threading.Thread(
            target=refresh_contention.rotate_client, args=(base_url, chain, ready, seconds + 1)
        )
        for chain in chains
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    try:
        result = run_wrk(
            base_url + "/users/me", seconds=seconds, connections=CONNECTIONS, token=token
        )
    finally:
        for thread in threads:
            thread.join()
    return result, chains


def _locked_reads(base_url: str, database: Path, token: str) -> dict[str, Any]:
    """Latencies of sequential reads while another connection holds SQLite's write lock."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    client = Client(base_url)
    try:
        replies = [
            client.request("GET", "/users/me", headers={"Authorization": f"Bearer {token}"})
            for _ in range(LOCKED_READS)
        ]
    finally:
        client.close()
        holder.rollback()
        holder.close()
    latencies = [reply.seconds * 1000 for reply in replies]
    return {
        "reads": len(replies),
        "ok": sum(reply.status == 200 for reply in replies),
        "p50_ms": statistics.median(latencies),
        "max_ms": max(latencies),
    }


def _summary(runs: list[WrkResult], noisy: int) -> dict[str, Any]:
    return {
        "rps": median([run.requests_per_second for run in runs]),
        "p50_ms": median([run.p50_ms for run in runs]),
        "p99_ms": median([run.p99_ms for run in runs]),
        "failed": sum(run.non_2xx + run.socket_errors for run in runs),
        "noisy_runs": noisy,
        "runs": [asdict(run) for run in runs],
    }


def measure(backend: Path, *, runs: int, seconds: float) -> dict[str, Any]:
    pin_self(CLIENT_CPU)
    idle: list[WrkResult] = []
    busy: list[WrkResult] = []
    noisy = {"idle": 0, "busy": 0}
    refreshes: list[float] = []
    refresh_errors = 0
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as scratch:
        database = Path(scratch) / "bench.db"
        spec = baked.app_spec("baked", backend, baked.sqlite_url(database))
        with serving([spec], sys.executable) as servers:
            server = servers["baked"]
            token, _ = baked.sign_in(
                server.base_url, baked.create_account(backend, baked.sqlite_url(database))
            )
            expect(server, "/users/me", 200, token)
            writers = baked.register_accounts(server.base_url, refresh_contention.CLIENTS)
            run_wrk(server.base_url + "/users/me", seconds=1, connections=CONNECTIONS, token=token)
            for _ in range(runs):
                wait_for_quiet()
                with CpuWatch(server.process.pid) as watch:
                    idle.append(
                        run_wrk(
                            server.base_url + "/users/me",
                            seconds=seconds,
                            connections=CONNECTIONS,
                            token=token,
                        )
                    )
                noisy["idle"] += watch.disturbed
                wait_for_quiet()
                with CpuWatch(server.process.pid) as watch:
                    result, chains = _busy_run(server.base_url, writers, token, seconds)
                noisy["busy"] += watch.disturbed
                busy.append(result)
                refreshes.append(sum(chain.refreshes for chain in chains) / (seconds + 1))
                refresh_errors += sum(len(chain.errors) for chain in chains)
                print(
                    f"  /users/me idle {idle[-1].requests_per_second:.0f} req/s, beside "
                    f"{refreshes[-1]:.0f} refreshes/s {result.requests_per_second:.0f} req/s",
                    file=sys.stderr,
                )
            locked = _locked_reads(server.base_url, database, token)
    busy_summary = _summary(busy, noisy["busy"])
    busy_summary["refreshes_per_second"] = statistics.median(refreshes)
    busy_summary["refresh_errors"] = refresh_errors
    return {
        "seconds": seconds,
        "connections": CONNECTIONS,
        "writers": refresh_contention.CLIENTS,
        "idle": _summary(idle, noisy["idle"]),
        "busy": busy_summary,
        "busy_vs_idle": median(
            [b.requests_per_second / i.requests_per_second for b, i in zip(busy, idle, strict=True)]
        ),
        "locked": locked,
    }


def show(summary: dict[str, Any]) -> None:
    idle, busy, locked = summary["idle"], summary["busy"], summary["locked"]
    print(f"/users/me idle: {idle['rps']:.0f} req/s, p99 {idle['p99_ms']:.1f} ms")
    print(
        f"/users/me beside {busy['refreshes_per_second']:.0f} refreshes/s: {busy['rps']:.0f} "
        f"req/s, p99 {busy['p99_ms']:.1f} ms ({summary['busy_vs_idle']:.2f} of idle)"
    )
    print(
        f"/users/me with the write lock held: {locked['ok']}/{locked['reads']} answered 200, "
        f"max {locked['max_ms']:.1f} ms (goal <= {GOAL_LOCKED_READ_MS:.0f} ms)"
    )


def main() -> int:
    return cli.run(
        __doc__,
        lambda args: measure(args.backend, runs=args.runs, seconds=args.seconds),
        show,
        runs=3,
        seconds=5.0,
    )


if __name__ == "__main__":
    sys.exit(main())
