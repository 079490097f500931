"""The goals of issues 7 and 15, in one place for the benchmarks' own printouts and the report."""

from __future__ import annotations

GOAL_VS_BARE = 0.80  # protected trivial route added last / the same handler in a bare FastAPI app
GOAL_VS_TWIN = 0.95  # protected trivial route / its public twin in the baked app
GOAL_P90_MS = 40.0  # /health probe p90 while 5 logins/s run, server on one core
GOAL_LOCKED_READ_MS = 250.0  # GET /users/me while another connection holds SQLite's write lock
GOAL_VS_REFERENCE = 1.15  # authenticated GET /users/me on PostgreSQL / the reference template's
GOAL_BAKE_S = 1.0  # one bake as a process, median of 5
GOAL_SUITE_S = 30.0  # the baked backend's own suite
GOAL_MAKE_TEST_S = 20 * 60.0  # the whole template matrix on 2 cores
# Login failures look the same in timing for an unknown account and a wrong password: the median
# of paired latency ratios stays this close to 1 (the argon2 hash, about 150 ms, is nearly all of
# a failed login's time, so a skipped hash would show as a ratio far below 0.5).
GOAL_LOGIN_TIMING_SPREAD = 0.05
