"""Time per argon2id hash for the published parameter profiles, to justify the baked default.

OWASP's Password Storage Cheat Sheet gives a minimum (19 MiB, 2 passes, 1 lane); RFC 9106 §4
recommends 2 GiB / 1 pass / 4 lanes first and 64 MiB / 3 passes / 4 lanes where memory is
scarce. Each is timed on one core (as goal 2 pins the server) and on every core, because lanes
run in parallel threads only when there are cores for them.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type

from bench import cli
from bench.baked import import_backend
from bench.serve import SERVER_CPU


@dataclass(frozen=True)
class Profile:
    name: str
    time_cost: int
    memory_kib: int
    parallelism: int


PROFILES = (
    Profile("OWASP minimum", 2, 19 * 1024, 1),
    Profile("RFC 9106 second (64 MiB)", 3, 64 * 1024, 4),
    Profile("RFC 9106 first (2 GiB)", 1, 2 * 1024 * 1024, 4),
)


def baked_default(backend: Path) -> Profile:
    """The parameters the baked app uses when `.env` does not override them."""
    import_backend(backend)
    from app.settings import Settings

    fields = Settings.model_fields
    return Profile(
        "baked default",
        int(fields["argon2_time_cost"].default),
        int(fields["argon2_memory_kib"].default),
        int(fields["argon2_parallelism"].default),
    )


def time_hash(profile: Profile, runs: int, cpus: set[int]) -> float:
    """Median milliseconds of one hash with `profile`, this process confined to `cpus`."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        hasher = PasswordHasher(
            time_cost=profile.time_cost,
            memory_cost=profile.memory_kib,
            parallelism=profile.parallelism,
            type=Type.ID,
        )
        password = secrets.token_urlsafe(18)
        hasher.hash(password)
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            hasher.hash(password)
            timings.append((time.perf_counter() - start) * 1000)
    finally:
        os.sched_setaffinity(0, previous)
    return statistics.median(timings)


def measure(backend: Path, runs: int) -> list[dict[str, object]]:
    every_cpu = set(range(os.cpu_count() or 1))
    rows: list[dict[str, object]] = []
    for profile in (baked_default(backend), *PROFILES):
        rows.append(
            {
                **asdict(profile),
                "one_core_ms": time_hash(profile, runs, {SERVER_CPU}),
                "all_cores_ms": time_hash(profile, runs, every_cpu),
            }
        )
        print(f"  argon2 {profile.name}: done", file=sys.stderr)
    return rows


def print_rows(rows: list[dict[str, object]]) -> None:
    print(f"{'profile':<26} {'t':>2} {'MiB':>5} {'p':>2} {'1 core ms':>10} {'all ms':>8}")
    for row in rows:
        print(
            f"{row['name']:<26} {row['time_cost']:>2} {int(str(row['memory_kib'])) // 1024:>5} "
            f"{row['parallelism']:>2} {row['one_core_ms']:>10.0f} {row['all_cores_ms']:>8.0f}"
        )


def main() -> int:
    return cli.run(__doc__, lambda args: measure(args.backend, args.runs), print_rows, runs=5)


if __name__ == "__main__":
    sys.exit(main())
