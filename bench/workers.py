"""Issue 15 part 4: one against two uvicorn workers on the machine's two cores.

The default bake is served twice on one SQLite file, with `--workers 1` and `--workers 2`, neither
pinned (the workers share both cores with wrk, as on a small server that runs its own load
balancer); wrk loads the protected trivial route and the authenticated `GET /users/me` (one
database read) on each in turn. Each worker keeps its own token cache, so a token's first request
on each worker is a full verification: with one wrk token that is one miss per worker per run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import baked, cli
from bench.handler import PROTECTED_PATH
from bench.serve import AppSpec, serving
from bench.throughput import Target, expect, row, run_rounds

WORKER_COUNTS = (1, 2)
CONNECTIONS = 64
ROUTES = {"protected trivial route": PROTECTED_PATH, "GET /users/me": "/users/me"}


def _name(workers: int) -> str:
    return f"{workers} worker{'s' if workers > 1 else ''}"


def measure(backend: Path, *, runs: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as scratch:
        database = baked.sqlite_url(Path(scratch) / "bench.db")
        specs: list[AppSpec] = [
            baked.app_spec(_name(count), backend, database, cpu=None, workers=count)
            for count in WORKER_COUNTS
        ]
        with serving(specs, sys.executable) as servers:
            account = baked.create_account(backend, database)
            token, _ = baked.sign_in(servers[_name(1)].base_url, account)
            targets = [
                Target(f"{route}, {_name(count)}", _name(count), path, token)
                for route, path in ROUTES.items()
                for count in WORKER_COUNTS
            ]
            for target in targets:
                expect(servers[target.server], target.path, 401)
                expect(servers[target.server], target.path, 200, target.token)
            results, noisy = run_rounds(
                servers,
                targets,
                runs=runs,
                seconds=seconds,
                connections=CONNECTIONS,
                client_cpu=None,
            )
    rows = {
        target.name: row(
            results[target.name],
            results[f"{target.name.rsplit(', ', 1)[0]}, {_name(1)}"],
            noisy[target.name],
        )
        for target in targets
    }
    return {"runs": runs, "seconds": seconds, "connections": CONNECTIONS, "rows": rows}


def show(summary: dict[str, Any]) -> None:
    for name, figures in summary["rows"].items():
        print(f"{name:<40} {figures['rps']:>8.0f} req/s  x 1 worker {figures['ratio']:.2f}")


def main() -> int:
    return cli.run(
        __doc__,
        lambda args: measure(args.backend, runs=args.runs, seconds=args.seconds),
        show,
        runs=3,
        seconds=3.0,
    )


if __name__ == "__main__":
    sys.exit(main())
