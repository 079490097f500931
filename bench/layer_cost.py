"""Microseconds each layer of the baked stack adds to a request, measured in-process.

wrk says how far the baked app is from bare FastAPI; this says where the difference goes. Each
variant is the baked app with one middleware left out (before the stack is built), called
directly as an ASGI app, so neither the network nor uvicorn blur the differences. A layer's cost
is the full stack minus the stack without it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bench import baked, cli, peers
from bench.serve import SERVER_CPU, pin_self

REQUESTS = 3000
LAYERS = ("CorsAndHeadersMiddleware", "AccessTokenMiddleware")


def _scope(path: str, token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _batch_us(app: FastAPI, path: str, token: str | None) -> float:
    """Mean microseconds per request over one batch of REQUESTS calls; each must answer 200."""
    scope = _scope(path, token)
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    start = time.perf_counter()
    for _ in range(REQUESTS):
        await app(dict(scope), receive, send)
    elapsed = (time.perf_counter() - start) / REQUESTS * 1e6
    if statuses != {200}:
        raise RuntimeError(f"{path} answered {sorted(statuses)} in-process")
    return elapsed


async def _interleaved(
    rows: dict[str, tuple[FastAPI, str, str | None]], runs: int
) -> dict[str, float]:
    """The fastest of `runs` batches per row, the rows taking turns.

    The minimum is the figure least disturbed by other work on a shared machine, and taking
    turns spreads any slow phase over every row.
    """
    for app, path, token in rows.values():
        await _batch_us(app, path, token)  # builds the middleware stack, warms caches
    timings: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(runs):
        for name, (app, path, token) in rows.items():
            timings[name].append(await _batch_us(app, path, token))
    return {name: min(values) for name, values in timings.items()}


def _baked_without(*layers: str, route_first: bool = False, dispatch: bool = True) -> FastAPI:
    from app.main import create_app

    from bench.baked_app import add_bench_routes

    app = create_app()
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ not in layers]
    if not dispatch:
        app.router.middleware_stack = app.router.app
    add_bench_routes(app, first=route_first)
    return app


def measure(backend: Path, runs: int) -> dict[str, float]:
    pin_self(SERVER_CPU)
    with tempfile.TemporaryDirectory(prefix="bench-layers-") as scratch:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(scratch) / 'bench.db'}"
        token = baked.mint_access_token(backend)
        full = _baked_without()
        rows = {
            "bare FastAPI": (peers.bare, "/bench/ping", None),
            "baked, protected (full stack)": (full, "/bench/ping", token),
            "baked, public twin (full stack)": (full, "/bench/public", None),
        }
        for layer in LAYERS:
            rows[f"baked, protected, without {layer}"] = (
                _baked_without(layer),
                "/bench/ping",
                token,
            )
        # Without the dispatch, FastAPI's router tries the app's own routes first, one by one.
        rows["baked, protected, without the static dispatch"] = (
            _baked_without(dispatch=False),
            "/bench/ping",
            token,
        )
        # What is left is the app itself: its routes, error handlers and FastAPI's own layers.
        rows["baked, neither layer"] = (_baked_without(*LAYERS), "/bench/ping", None)
        rows["baked, neither layer, bench route matched first"] = (
            _baked_without(*LAYERS, route_first=True),
            "/bench/ping",
            None,
        )
        return asyncio.run(_interleaved(rows, runs))


def print_costs(results: dict[str, float]) -> None:
    full = results["baked, protected (full stack)"]
    for name, value in results.items():
        extra = ""
        if "without" in name:
            extra = f"  -> the layer costs {full - value:5.1f} us"
        print(f"{name:<58} {value:6.1f} us{extra}")


def main() -> int:
    return cli.run(__doc__, lambda args: measure(args.backend, args.runs), print_costs, runs=5)


if __name__ == "__main__":
    sys.exit(main())
