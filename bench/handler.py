"""The one trivial handler every throughput target serves, so that only the stack around it varies.

It is `async def` on purpose: a plain `def` would add a thread-pool hop to every request and hide
part of the stack's cost behind it.
"""

from __future__ import annotations

PING_BODY = {"status": "ok"}
# Where bench.baked_app serves it in the baked app: left to default deny, and its public twin.
PROTECTED_PATH = "/bench/ping"
PUBLIC_TWIN_PATH = "/bench/public"


async def ping() -> dict[str, str]:
    return PING_BODY
