"""Load generation with Debian's `wrk` on loopback, and parsing of what it prints.

wrk is an event-driven C client: one wrk thread on its own core outruns a one-worker Python
server, so the server is what gets measured. A bearer token reaches wrk through the environment
and a tiny Lua script, never the command line or a file, so it is neither printed nor persisted.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.serve import CLIENT_CPU, pin_command

BEARER_VARIABLE = "BENCH_BEARER"
_LUA_BEARER = f'wrk.headers["Authorization"] = "Bearer " .. os.getenv("{BEARER_VARIABLE}")\n'
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_REQUESTS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_TOTAL = re.compile(r"^\s+(\d+) requests in", re.MULTILINE)


class WrkMissing(RuntimeError):
    """wrk is not installed (Debian: apt-get install wrk)."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles in milliseconds, and anything that failed."""

    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def parse_wrk(output: str) -> WrkResult:
    """The figures of `wrk --latency` output; ValueError when a figure is missing."""
    rate = _REQUESTS.search(output)
    percentiles = {
        int(match.group(1)): float(match.group(2)) * _UNITS_MS[match.group(3)]
        for match in _PERCENTILE.finditer(output)
    }
    total = _TOTAL.search(output)
    if rate is None or total is None or not {50, 90, 99} <= percentiles.keys():
        raise ValueError(f"wrk printed no figures:\n{output}")
    non_2xx = _NON_2XX.search(output)
    errors = _SOCKET_ERRORS.search(output)
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=percentiles[50],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(value) for value in errors.groups()) if errors else 0,
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing("wrk is not installed: apt-get install wrk")
    return found


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    token: str | None = None,
    cpu: int | None = CLIENT_CPU,
) -> WrkResult:
    """Load `url` for `seconds` from one wrk thread (pinned to `cpu`) with `connections` open."""
    env = dict(os.environ)
    command = [
        *pin_command(cpu),
        wrk_path(),
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        if token is not None:
            script = Path(scratch) / "bearer.lua"
            script.write_text(_LUA_BEARER, encoding="utf-8")
            command += ["--script", str(script)]
            env[BEARER_VARIABLE] = token
        completed = subprocess.run(
            [*command, url], env=env, capture_output=True, text=True, check=False, timeout=120
        )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk(completed.stdout)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")
