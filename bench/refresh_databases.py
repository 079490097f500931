"""Refresh rotation under contention on SQLite and on PostgreSQL, side by side (issue 8).

The method of `refresh_contention` (16 clients, each rotating its own family, chains audited in
the database afterwards), against the default SQLite bake and against a `database=postgresql`
bake served on a throwaway PostgreSQL started here. That server runs with PostgreSQL's durable
defaults (fsync on), unlike the test suite's, so the two databases pay for their commits alike.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import cli, refresh_contention
from bench.run_all import bake, install_backend
from bench.serve import CLIENT_CPU, pin_self

TARGET = refresh_contention.VARIANTS[refresh_contention.BAKED]


def baked_postgres_harness(backend: Path) -> ModuleType:
    """The postgresql bake's own throwaway-server helper (tests/postgres.py), loaded by path."""
    spec = importlib.util.spec_from_file_location(
        "baked_postgres", backend / "tests" / "postgres.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError(f"{backend}/tests/postgres.py is missing from the postgresql bake")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Production durability: the suite turns fsync off, a benchmark of commits must not.
    module.SERVER_OPTIONS = ""
    return module


@dataclass(frozen=True)
class PostgresBake:
    """An installed `database=postgresql` bake and a database of its own on a throwaway server."""

    backend: Path
    database_url: str
    server_pid: int


@contextmanager
def postgres_bake(prefix: str) -> Iterator[PostgresBake]:
    """Bake, install and serve a PostgreSQL database for it; the server stops and the bake goes
    on the way out, on error too."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        project = bake(Path(scratch), "database=postgresql", "include_frontend=no")
        install_backend(project)
        backend = project / "backend"
        harness = baked_postgres_harness(backend)
        server = harness.PostgresServer(harness.find_bindir())
        server.start()
        try:
            yield PostgresBake(backend, server.create_database("bench"), server.pid)
        finally:
            server.stop()


def measure_postgres(runs: int, seconds: float) -> dict[str, Any]:
    with postgres_bake("bench-pg-") as postgres:
        return refresh_contention.measure_variant(
            postgres.backend,
            TARGET,
            runs=runs,
            seconds=seconds,
            database_url=postgres.database_url,
            also_watch=(postgres.server_pid,),
        )


def measure(sqlite_backend: Path, *, runs: int, seconds: float) -> dict[str, Any]:
    pin_self(CLIENT_CPU)
    variants = {
        "SQLite (default bake, WAL)": refresh_contention.measure_variant(
            sqlite_backend, TARGET, runs=runs, seconds=seconds
        ),
        "PostgreSQL (postgresql bake)": measure_postgres(runs, seconds),
    }
    clients = refresh_contention.CLIENTS
    return {"clients": clients, "seconds": seconds, "runs": runs, "variants": variants}


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
