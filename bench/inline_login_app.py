"""Peer for the login-stall benchmark: the baked app with `POST /auth/token` run on the event loop.

This is what an `async def login` that calls argon2 directly would do. FastAPI runs plain-`def`
endpoints through `fastapi.routing.run_in_threadpool` (as `func(...)` in older releases,
`_run_sync_endpoint(function=func, ...)` in newer ones); this module swaps that name for a
wrapper that calls the token endpoint inline and leaves every other call in the thread pool.
It says so once on stderr, which the benchmark checks, so a FastAPI change cannot silently turn
this peer back into the threaded app. Nothing in the baked project is edited.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import fastapi.routing
from app.routers import auth

from bench.baked_app import app
from bench.login_stall import INLINE_MARKER

_threadpool = fastapi.routing.run_in_threadpool
INLINE_ENDPOINTS: frozenset[Callable[..., Any]] = frozenset({auth.token})
_announced: list[bool] = []


async def _run_login_inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    if func in INLINE_ENDPOINTS or kwargs.get("function") in INLINE_ENDPOINTS:
        if not _announced:
            _announced.append(True)
            print(INLINE_MARKER, file=sys.stderr, flush=True)
        return func(*args, **kwargs)
    return await _threadpool(func, *args, **kwargs)


fastapi.routing.run_in_threadpool = _run_login_inline  # type: ignore[assignment]

__all__ = ["app"]
