"""Goal 3 of issue 15: authenticated GET /users/me on PostgreSQL against the reference template.

A `database=postgresql` bake and `bench.reference_app` (the reference full-stack FastAPI
template's read path, rebuilt in this repository) are served side by side, one worker each on
core 0, on one throwaway PostgreSQL started here with its durable defaults, both reading the same
`users` row; wrk on core 1 loads each in turn, in alternating order, with the same connections.
Each answers 200 with the user before the load starts, and 401/403 without a valid token.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from bench import baked, cli, reference_app
from bench.goals import GOAL_VS_REFERENCE
from bench.refresh_databases import postgres_bake
from bench.serve import AppSpec, serving
from bench.throughput import Target, expect, row, run_rounds

OURS = "baked (postgresql)"
REFERENCE = "reference template"
ME = "GET /users/me"
HEALTH = "health endpoint"
CONNECTIONS = 32


def _targets(our_token: str, reference_token: str) -> list[Target]:
    return [
        Target(f"{OURS}, {ME}", OURS, "/users/me", our_token),
        Target(f"{REFERENCE}, {ME}", REFERENCE, reference_app.ME_PATH, reference_token),
        Target(f"{OURS}, {HEALTH}", OURS, "/health", None),
        Target(f"{REFERENCE}, {HEALTH}", REFERENCE, reference_app.HEALTH_PATH, None),
    ]


def measure(*, runs: int, seconds: float) -> dict[str, Any]:
    with postgres_bake("bench-reference-") as postgres:
        key = secrets.token_urlsafe(32)
        ours = baked.app_spec(OURS, postgres.backend, postgres.database_url, target="app.main:app")
        peer = AppSpec(
            name=REFERENCE,
            target="bench.reference_app:app",
            env={"DATABASE_URL": postgres.database_url, reference_app.KEY_VARIABLE: key},
        )
        # Ours first: a development server migrates the empty database at start.
        with (
            serving([ours], sys.executable) as started,
            serving([peer], sys.executable) as more,
        ):
            servers = {**started, **more}
            account = baked.create_account(postgres.backend, postgres.database_url)
            our_token, user_id = baked.sign_in(servers[OURS].base_url, account)
            targets = _targets(our_token, reference_app.mint(key, user_id))
            expect(servers[OURS], "/users/me", 401)
            expect(servers[REFERENCE], reference_app.ME_PATH, 403, "not-a-token")
            for target in targets:
                expect(servers[target.server], target.path, 200, target.token)
            results, noisy = run_rounds(
                servers,
                targets,
                runs=runs,
                seconds=seconds,
                connections=CONNECTIONS,
                also_watch=(postgres.server_pid,),
            )
    rows = {
        name: row(runs_of_target, results[f"{REFERENCE}, {kind}"], noisy[name])
        for kind in (ME, HEALTH)
        for name, runs_of_target in results.items()
        if name.endswith(kind)
    }
    return {"runs": runs, "seconds": seconds, "connections": CONNECTIONS, "rows": rows}


def show(summary: dict[str, Any]) -> None:
    for name, figures in summary["rows"].items():
        print(f"{name:<44} {figures['rps']:>8.0f} req/s  x reference {figures['ratio']:.2f}")
    ratio = summary["rows"][f"{OURS}, {ME}"]["ratio"]
    print(f"goal: {ME} >= {GOAL_VS_REFERENCE} x the reference template ({ratio:.2f})")


def main() -> int:
    return cli.run(
        __doc__,
        lambda args: measure(runs=args.runs, seconds=args.seconds),
        show,
        runs=5,
        seconds=3.0,
    )


if __name__ == "__main__":
    sys.exit(main())
