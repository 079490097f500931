"""The goals of issue 7, in one place for the benchmarks' own printouts and the report."""

from __future__ import annotations

GOAL_VS_BARE = 0.75  # protected trivial route / the same handler in a bare FastAPI app
GOAL_VS_TWIN = 0.90  # protected trivial route / its public twin in the baked app
GOAL_P90_MS = 40.0  # /health probe p90 while 5 logins/s run, server on one core
GOAL_BAKE_S = 1.0  # one bake as a process, median of 5
GOAL_SUITE_S = 30.0  # the baked backend's own suite
GOAL_MAKE_TEST_S = 15 * 60.0  # the whole template matrix on 2 cores
