"""Goal 2: does a stream of logins stall everyone else? p90 of a /health probe under 5 logins/s.

The server is pinned to one core, the clients to the other. A probe sends GET /health one
request at a time (a short pause between) while a scheduler starts a login every 200 ms,
each on its own connection and whether or not the previous one finished, as real users would.
Variants: the baked app as shipped, the baked app with OWASP's cheaper argon2 profile, and the
peer that hashes on the event loop (`bench.inline_login_app`).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import baked, cli
from bench.client import Client
from bench.goals import GOAL_P90_MS
from bench.quiet import CpuWatch, patience_left, wait_for_quiet
from bench.serve import CLIENT_CPU, pin_self, serving

# Printed once by bench.inline_login_app, so a silently ineffective patch cannot pass for a peer.
INLINE_MARKER = "bench: POST /auth/token runs on the event loop"
LOGINS_PER_SECOND = 5.0
PROBE_PAUSE_SECONDS = 0.005
OWASP_ENV = {"ARGON2_TIME_COST": "2", "ARGON2_MEMORY_KIB": "19456", "ARGON2_PARALLELISM": "1"}
VARIANTS = {
    "baked (hash in thread)": ("bench.baked_app:app", {}),
    "baked, OWASP argon2 profile": ("bench.baked_app:app", OWASP_ENV),
    "peer: hash on the event loop": ("bench.inline_login_app:app", {}),
}


@dataclass(frozen=True)
class Run:
    probe_p50_ms: float
    probe_p90_ms: float
    probe_p99_ms: float
    probes: int
    logins_ok: int
    logins_failed: int
    login_p50_ms: float


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _probe(
    base_url: str, stop: threading.Event, latencies: list[float], failures: list[int]
) -> None:
    client = Client(base_url)
    try:
        while not stop.is_set():
            reply = client.request("GET", "/health")
            if reply.status == 200:
                latencies.append(reply.seconds * 1000)
            else:
                failures.append(reply.status)
            time.sleep(PROBE_PAUSE_SECONDS)
    finally:
        client.close()


def one_run(base_url: str, accounts: list[baked.Account], seconds: float) -> Run:
    """Probe /health for `seconds` while logins start at LOGINS_PER_SECOND."""
    latencies: list[float] = []
    failures: list[int] = []
    login_times: list[float] = []
    login_failures: list[int] = []
    stop = threading.Event()

    def login(account: baked.Account) -> None:
        client = Client(base_url)
        try:
            form = {"username": account.email, "password": account.password}
            reply = client.request("POST", "/auth/token", form=form)
        finally:
            client.close()
        if reply.status == 200:
            login_times.append(reply.seconds * 1000)
        else:
            login_failures.append(reply.status)

    probe = threading.Thread(target=_probe, args=(base_url, stop, latencies, failures))
    probe.start()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for index, account in zip(
            range(int(seconds * LOGINS_PER_SECOND)), itertools.cycle(accounts)
        ):
            delay = start + index / LOGINS_PER_SECOND - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(login, account)
        # The probe keeps going until the last login is answered, so slow ones count too.
    stop.set()
    probe.join()
    if failures:
        raise RuntimeError(f"/health answered {sorted(set(failures))} during the login stream")
    return Run(
        probe_p50_ms=percentile(latencies, 0.50),
        probe_p90_ms=percentile(latencies, 0.90),
        probe_p99_ms=percentile(latencies, 0.99),
        probes=len(latencies),
        logins_ok=len(login_times),
        logins_failed=len(login_failures),
        login_p50_ms=percentile(login_times, 0.50),
    )


def idle_p90(base_url: str, seconds: float) -> float:
    """The probe's p90 with no login running: the floor the loaded figure compares with."""
    latencies: list[float] = []
    stop = threading.Event()
    probe = threading.Thread(target=_probe, args=(base_url, stop, latencies, []))
    probe.start()
    time.sleep(seconds)
    stop.set()
    probe.join()
    return percentile(latencies, 0.90)


def measure(backend: Path, *, runs: int, seconds: float) -> dict[str, dict[str, object]]:
    pin_self(CLIENT_CPU)
    summary: dict[str, dict[str, object]] = {}
    for name, (target, env) in VARIANTS.items():
        with tempfile.TemporaryDirectory(prefix="bench-login-") as scratch:
            spec = baked.app_spec(
                name, backend, baked.sqlite_url(Path(scratch) / "bench.db"), target=target, env=env
            )
            with serving([spec], sys.executable) as servers:
                base_url = servers[name].base_url
                accounts = baked.register_accounts(base_url, 4)
                idle = idle_p90(base_url, 2.0)
                results: list[Run] = []
                noisy = 0
                for _ in range(runs):
                    for _attempt in range(2):  # a run other work disturbed is repeated once
                        wait_for_quiet()
                        with CpuWatch(servers[name].process.pid) as watch:
                            run = one_run(base_url, accounts, seconds)
                        if not (watch.disturbed and patience_left()):
                            break
                    noisy += watch.disturbed
                    results.append(run)
                if "inline" in target and INLINE_MARKER not in servers[name].log_tail(200):
                    raise RuntimeError(f"{name}: the login did not run on the event loop")
        p90 = statistics.median(run.probe_p90_ms for run in results)
        summary[name] = {
            "idle_p90_ms": idle,
            "p90_ms": p90,
            "p50_ms": statistics.median(run.probe_p50_ms for run in results),
            "p99_ms": statistics.median(run.probe_p99_ms for run in results),
            "login_p50_ms": statistics.median(run.login_p50_ms for run in results),
            "logins_ok": sum(run.logins_ok for run in results),
            "logins_failed": sum(run.logins_failed for run in results),
            "probes": sum(run.probes for run in results),
            "noisy_runs": noisy,
            "runs": [run.__dict__ for run in results],
        }
        print(f"  {name}: probe p90 {p90:.1f} ms (idle {idle:.1f} ms)", file=sys.stderr)
    return summary


def print_summary(summary: dict[str, dict[str, Any]]) -> None:
    print(
        f"{'variant':<30} {'p90 ms':>7} {'p99 ms':>7} {'idle p90':>8} {'login p50':>9} {'fail':>4}"
    )
    for name, row in summary.items():
        print(
            f"{name:<30} {row['p90_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['idle_p90_ms']:>8.1f} "
            f"{row['login_p50_ms']:>9.0f} {row['logins_failed']:>4}"
        )
    print(f"goal: p90 <= {GOAL_P90_MS:.0f} ms")


def main() -> int:
    return cli.run(
        __doc__,
        lambda args: measure(args.backend, runs=args.runs, seconds=args.seconds),
        print_summary,
        runs=3,
        seconds=6.0,
    )


if __name__ == "__main__":
    sys.exit(main())
