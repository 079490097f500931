"""Goal 1: what the security stack costs a trivial route, side by side with bare FastAPI and peers.

All servers start together (each pinned to core 0, idle when not under load), then every round
loads each target in turn with wrk pinned to core 1, in alternating order, so slow drifts of a
shared machine spread over all targets instead of favouring one. A run that other work on the
machine disturbed is repeated once. Medians of the rounds are reported, and ratios are medians of
the ratios within each round. Run with the python of the venv the baked backend is installed in.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import baked, peers
from bench.client import Client
from bench.goals import GOAL_VS_BARE, GOAL_VS_TWIN
from bench.load import WrkResult, median, run_wrk
from bench.quiet import CpuWatch, patience_left, wait_for_quiet
from bench.serve import CLIENT_CPU, AppSpec, Server, serving

BARE = "bare FastAPI"
TWIN_WITH_TOKEN = "baked, public twin, sent the token"  # noqa: S105 - a row name
ROUTE_FIRST = "baked, bench routes first"


@dataclass(frozen=True)
class Target:
    """One row of the table: which server, which path, and whether it sends a bearer token."""

    name: str
    server: str
    path: str
    token: str | None


class CheckFailed(RuntimeError):
    """A target does not answer as the benchmark assumes (e.g. the new route is not protected)."""


def expect(server: Server, path: str, status: int, token: str | None = None) -> None:
    client = Client(server.base_url)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        reply = client.request("GET", path, headers=headers)
    finally:
        client.close()
    if reply.status != status:
        with_token = "with" if token else "without"
        raise CheckFailed(
            f"{server.spec.name} GET {path} {with_token} a token answered {reply.status}, "
            f"expected {status}"
        )


def _specs(backend: Path, database: Path, peer_key: str) -> list[AppSpec]:
    env = {peers.KEY_VARIABLE: peer_key}
    names = {
        BARE: "bare",
        "pure ASGI, no verify": "asgi_floor",
        "pure ASGI + jose": "asgi_jose",
        "Depends(HTTPBearer) + jose": "depends_jose",
        "BaseHTTPMiddleware + jose": "basehttp_jose",
    }
    specs = [
        AppSpec(name=name, target=f"bench.peers:{attr}", env=env) for name, attr in names.items()
    ]
    specs.append(baked.app_spec("baked", backend, baked.sqlite_url(database)))
    specs.append(
        baked.app_spec(
            ROUTE_FIRST,
            backend,
            baked.sqlite_url(database),
            target="bench.baked_app:route_first_app",
        )
    )
    return specs


def _targets(peer_token: str, baked_token: str) -> list[Target]:
    path = peers.PATH
    return [
        Target(BARE, BARE, path, None),
        Target("pure ASGI, no verify", "pure ASGI, no verify", path, peer_token),
        Target("pure ASGI + jose", "pure ASGI + jose", path, peer_token),
        Target("Depends(HTTPBearer) + jose", "Depends(HTTPBearer) + jose", path, peer_token),
        Target("BaseHTTPMiddleware + jose", "BaseHTTPMiddleware + jose", path, peer_token),
        Target("baked, protected", "baked", "/bench/ping", baked_token),
        Target("baked, protected, route first", ROUTE_FIRST, "/bench/ping", baked_token),
        Target("baked, public twin", "baked", "/bench/public", None),
        # The same twin sent the same token (never checked there): protected against this one is
        # the check alone, without the cost of carrying the token in the request.
        Target(TWIN_WITH_TOKEN, "baked", "/bench/public", baked_token),
        Target("baked /health", "baked", "/health", None),
    ]


def _check(servers: dict[str, Server], targets: list[Target]) -> None:
    """The assumptions behind the numbers: each target answers 200, and auth really is on."""
    baked_server = servers["baked"]
    expect(baked_server, "/bench/ping", 401)  # default deny protects a route added at import
    expect(baked_server, "/bench/ping", 401, "not-a-token")
    expect(servers[ROUTE_FIRST], "/bench/ping", 401)
    for name in ("pure ASGI + jose", "BaseHTTPMiddleware + jose"):
        expect(servers[name], peers.PATH, 401, "not-a-token")
    expect(servers["Depends(HTTPBearer) + jose"], peers.PATH, 401, "not-a-token")
    for target in targets:
        expect(servers[target.server], target.path, 200, target.token)


def run_rounds(
    servers: dict[str, Server],
    targets: list[Target],
    *,
    runs: int,
    seconds: float,
    connections: int,
    also_watch: tuple[int, ...] = (),
    client_cpu: int | None = CLIENT_CPU,
) -> tuple[dict[str, list[WrkResult]], dict[str, int]]:
    """wrk results of every target, `runs` rounds each, after a short warm-up.

    Also, per target, how many runs other work disturbed (twice in a row, as it is retried once).
    `also_watch` names more processes whose CPU is the benchmark's own (a database server).
    """
    results: dict[str, list[WrkResult]] = {target.name: [] for target in targets}
    noisy = dict.fromkeys(results, 0)
    for target in targets:
        url = servers[target.server].base_url + target.path
        run_wrk(url, seconds=1, connections=connections, token=target.token, cpu=client_cpu)
    for round_index in range(runs):
        # Alternate the order, so a drift within a round favours no target.
        ordered = targets if round_index % 2 == 0 else targets[::-1]
        for target in ordered:
            server = servers[target.server]
            url = server.base_url + target.path
            # A run that other work disturbed is repeated once; if that one is too, it is kept
            # and counted, so the table can say so.
            for _attempt in range(2):
                wait_for_quiet()
                with CpuWatch(server.process.pid, *also_watch) as watch:
                    result = run_wrk(
                        url,
                        seconds=seconds,
                        connections=connections,
                        token=target.token,
                        cpu=client_cpu,
                    )
                if not (watch.disturbed and patience_left()):
                    break
            noisy[target.name] += watch.disturbed
            results[target.name].append(result)
            print(
                f"  round {round_index + 1}/{runs} {target.name:<32} "
                f"{result.requests_per_second:>8.0f} req/s  p99 {result.p99_ms:6.2f} ms",
                file=sys.stderr,
            )
    return results, noisy


def measure(
    backend: Path, *, runs: int, seconds: float, connections: int
) -> tuple[dict[str, list[WrkResult]], dict[str, int]]:
    """wrk results of every target of the goal-1 table, and how many runs were disturbed."""
    peer_key = secrets.token_urlsafe(32)
    peer_token = peers.mint(peer_key, str(uuid.uuid4()))
    baked_token = baked.mint_access_token(backend)
    targets = _targets(peer_token, baked_token)
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as scratch:
        specs = _specs(backend, Path(scratch) / "bench.db", peer_key)
        with serving(specs, sys.executable) as servers:
            _check(servers, targets)
            return run_rounds(servers, targets, runs=runs, seconds=seconds, connections=connections)


def paired_ratio(runs: list[WrkResult], reference: list[WrkResult]) -> float:
    """Median of the per-round ratios of `runs` to `reference`.

    Each round's pair was measured within a minute, so a shared machine's slow phases cancel
    out instead of landing on one side, as they can in a ratio of two medians.
    """
    pairs = zip(runs, reference, strict=True)
    return median([run.requests_per_second / ref.requests_per_second for run, ref in pairs])


def row(runs: list[WrkResult], reference: list[WrkResult], noisy: int) -> dict[str, float | int]:
    """Median req/s and p99 of one target, its paired ratio to `reference`, failed requests."""
    return {
        "rps": median([run.requests_per_second for run in runs]),
        "p99_ms": median([run.p99_ms for run in runs]),
        "ratio": paired_ratio(runs, reference),
        "failed": sum(run.non_2xx + run.socket_errors for run in runs),
        "runs": len(runs),
        "noisy_runs": noisy,
    }


def summarise(
    results: dict[str, list[WrkResult]], noisy: dict[str, int]
) -> dict[str, dict[str, float | int]]:
    """Median req/s and p99 per target, the paired ratio to bare, and any failed request."""
    summary: dict[str, dict[str, float | int]] = {}
    for name, runs in results.items():
        summary[name] = row(runs, results[BARE], noisy[name])
        summary[name]["vs_bare"] = summary[name].pop("ratio")
    summary["baked, protected"]["vs_twin"] = paired_ratio(
        results["baked, protected"], results["baked, public twin"]
    )
    summary["baked, protected"]["vs_twin_with_token"] = paired_ratio(
        results["baked, protected"], results[TWIN_WITH_TOKEN]
    )
    return summary


def print_table(summary: dict[str, dict[str, float | int]]) -> None:
    print(f"{'target':<28} {'req/s':>8} {'p99 ms':>7} {'x bare':>7} {'failed':>6}")
    for name, row in summary.items():
        print(
            f"{name:<28} {row['rps']:>8.0f} {row['p99_ms']:>7.2f} {row['vs_bare']:>7.2f} "
            f"{row['failed']:>6}"
        )
    protected = summary["baked, protected"]
    print(
        f"goal: protected >= {GOAL_VS_BARE} x bare ({protected['vs_bare']:.2f}), "
        f">= {GOAL_VS_TWIN} x public twin ({protected['vs_twin']:.2f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", type=Path, required=True, help="a baked backend/ directory")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", type=Path, help="write the summary here")
    args = parser.parse_args()
    results, noisy = measure(
        args.backend, runs=args.runs, seconds=args.seconds, connections=args.connections
    )
    summary = summarise(results, noisy)
    print_table(summary)
    if args.json:
        raw = {name: [asdict(run) for run in runs] for name, runs in results.items()}
        args.json.write_text(json.dumps({"summary": summary, "runs": raw}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
