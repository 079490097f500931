"""The baked app as uvicorn serves it, plus two bench routes added at import time.

`/bench/ping` is added like any new route and left to default deny: the throughput benchmark
checks it answers 401 without a token before loading it with one. `/bench/public` serves the same
handler and is added to the auth middleware's public list, so it is the protected route's exact
public twin: the two differ by the auth check alone. (`/health` returns a different body and sits
first among the app's routes, so it is reported but not used as the twin.)
Import from the baked `backend/` directory, with the template root on PYTHONPATH.
"""

from __future__ import annotations

from app.main import create_app
from fastapi import FastAPI

from bench.handler import PROTECTED_PATH, PUBLIC_TWIN_PATH, ping


def _add_public_path(app: FastAPI, path: str) -> bool:
    """Add `path` to the auth middleware's public list before the stack is built."""
    for layer in app.user_middleware:
        paths = layer.kwargs.get("public_paths")
        if paths is not None:
            layer.kwargs["public_paths"] = frozenset(paths) | {path}
            return True
    return False


def add_bench_routes(app: FastAPI, *, first: bool = False) -> bool:
    """Add both bench routes; False when the app has no auth middleware to make one public.

    Appended, they come after the app's own routers, where a user's new route would be, and pay
    for matching those first; `first` moves them to the front to measure that cost apart.
    """
    app.add_api_route(PROTECTED_PATH, ping, methods=["GET"])
    app.add_api_route(PUBLIC_TWIN_PATH, ping, methods=["GET"])
    if first:
        routes = app.router.routes
        routes[:] = routes[-2:] + routes[:-2]
    return _add_public_path(app, PUBLIC_TWIN_PATH)


app = create_app()
HAS_PUBLIC_TWIN = add_bench_routes(app)


def __getattr__(name: str) -> FastAPI:
    """`route_first_app`, built only when a server asks for it (PEP 562)."""
    if name != "route_first_app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    variant = create_app()
    add_bench_routes(variant, first=True)
    return variant
