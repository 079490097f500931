"""The Markdown tables `make bench` prints and keeps in bench/RESULTS.md: figures beside goals.

Pure formatting of the JSON the benchmarks write, so the numbers and their presentation can
change apart. Verdicts are computed here, from the goals of issues 7 and 15, and nowhere else.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.goals import (
    GOAL_BAKE_S,
    GOAL_LOCKED_READ_MS,
    GOAL_MAKE_TEST_S,
    GOAL_P90_MS,
    GOAL_SUITE_S,
    GOAL_VS_BARE,
    GOAL_VS_REFERENCE,
    GOAL_VS_TWIN,
)
from bench.quiet import FOREIGN_LIMIT_CPUS
from bench.quiet import PATIENCE_SECONDS as PATIENCE_S

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
NOTES_MARKER = "<!-- notes below this line are kept when make bench rewrites this file -->"
PEER_SHARES = {
    "pure ASGI, no verify": "~0.82",
    "pure ASGI + jose": "~0.58-0.71",
    "Depends(HTTPBearer) + jose": "~0.50-0.62",
    "BaseHTTPMiddleware + jose": "~0.33-0.44",
}
# The 2 GiB profile takes seconds a hash; three are enough for a median.
ARGON2_RUNS = 3


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def section(title: str, rows: Callable[..., list[str]], *results: Any) -> list[str]:
    """The rows of a section, or one line saying its benchmark failed."""
    if any(result is None for result in results):
        return [f"### {title}", "", "FAILED: see the benchmark's output above."]
    return rows(*results)


def pytest_seconds(output: str) -> str:
    """Pytest's own summary ("123 passed in 9.87s"), for the suite-time row."""
    found = re.findall(r"=+ (.*? in [\d.]+s.*?) =+", output)
    return found[-1] if found else "no pytest summary"


def noise_line(noisy: int, total: int) -> str:
    """Whether other work on the machine overlapped the runs of a section."""
    if noisy == 0:
        return f"None of the {total} runs overlapped other work on the machine."
    return (
        f"{noisy} of {total} runs overlapped other work on the machine (more than "
        f"{FOREIGN_LIMIT_CPUS} of a core not ours, even after waiting up to {PATIENCE_S:.0f} s "
        "for quiet): read this section with care."
    )


def goal1_rows(summary: dict[str, dict[str, float]], runs: int, seconds: float) -> list[str]:
    lines = [
        f"### Security stack overhead (wrk, 32 connections, median of {runs} x "
        f"{seconds:.0f} s; server on core 0, wrk on core 1)",
        "",
        "| way of serving the trivial route | req/s | p99 ms | x bare | goal / issue's share "
        "| verdict |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for name, row in summary.items():
        goal, mark = PEER_SHARES.get(name, ""), ""
        if name == "baked, protected":
            goal = f">= {GOAL_VS_BARE} x bare"
            mark = verdict(row["vs_bare"] >= GOAL_VS_BARE)
        elif name == "baked, protected, route first":
            goal = "(not a goal: shows that routing position no longer costs)"
        if row["failed"]:
            mark = f"{mark} ({row['failed']:.0f} failed requests)".strip()
        lines.append(
            f"| {name} | {row['rps']:.0f} | {row['p99_ms']:.2f} | {row['vs_bare']:.2f} "
            f"| {goal} | {mark} |"
        )
    protected = summary["baked, protected"]
    lines.append(
        f"| baked, protected / its public twin | | | {protected['vs_twin']:.2f} "
        f"| >= {GOAL_VS_TWIN} x twin | {verdict(protected['vs_twin'] >= GOAL_VS_TWIN)} |"
    )
    lines.append(
        "| baked, protected / its public twin sent the same token | | | "
        f"{protected['vs_twin_with_token']:.2f} | (not a goal: the check alone) | |"
    )
    noisy = sum(int(row["noisy_runs"]) for row in summary.values())
    total = sum(int(row["runs"]) for row in summary.values())
    return [*lines, "", noise_line(noisy, total)]


def layer_rows(costs: dict[str, float]) -> list[str]:
    full = costs["baked, protected (full stack)"]
    lines = [
        "Where the time goes, in-process (ASGI calls without server or network, core 0, "
        "fastest of 5 interleaved batches of 3000 requests):",
        "",
        "| app | us per request | the part left out costs |",
        "| --- | ---: | ---: |",
    ]
    for name, value in costs.items():
        share = f"{full - value:.1f} us" if "without" in name else ""
        if "static dispatch" in name:
            share = f"saves {value - full:.1f} us"
        lines.append(f"| {name} | {value:.1f} | {share} |")
    return lines


def verify_rows(costs: dict[str, float]) -> list[str]:
    lines = [
        "Cost of one token check in-process (core 0, fastest of 5 batches of 2000 tokens):",
        "",
        "| check | us per token |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {value:.1f} |" for name, value in costs.items()]
    return lines


def goal2_rows(summary: dict[str, dict[str, Any]], argon: list[dict[str, Any]]) -> list[str]:
    lines = [
        "### Logins stall nobody: /health probe p90 while 5 logins/s run (server pinned to core 0)",
        "",
        "| variant | p90 ms | p99 ms | idle p90 ms | login p50 ms | failed logins | goal "
        "| verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for name, row in summary.items():
        mark = verdict(row["p90_ms"] <= GOAL_P90_MS)
        if name.startswith("peer"):
            mark = f"(peer: {mark.lower()})"
        lines.append(
            f"| {name} | {row['p90_ms']:.1f} | {row['p99_ms']:.1f} | {row['idle_p90_ms']:.1f} "
            f"| {row['login_p50_ms']:.0f} | {row['logins_failed']:.0f} "
            f"| <= {GOAL_P90_MS:.0f} ms | {mark} |"
        )
    noisy = sum(int(row["noisy_runs"]) for row in summary.values())
    total = sum(len(row["runs"]) for row in summary.values())
    lines += [
        "",
        noise_line(noisy, total),
        "",
        f"argon2id cost per hash (median of {ARGON2_RUNS}):",
        "",
        "| profile | passes | memory MiB | lanes | ms, 1 core | ms, all cores |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in argon:
        lines.append(
            f"| {row['name']} | {row['time_cost']} | {row['memory_kib'] // 1024} "
            f"| {row['parallelism']} | {row['one_core_ms']:.0f} | {row['all_cores_ms']:.0f} |"
        )
    return lines


def refresh_table(summary: dict[str, Any], first_column: str) -> list[str]:
    """One row a variant of a refresh-contention summary, then whether noise touched the runs."""
    lines = [
        f"| {first_column} | refreshes/s | p50 ms | p99 ms | refreshes by the slowest / fastest "
        "client | errors | lost / doubled / wrong head | replay refused |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, row in summary["variants"].items():
        if "failed" in row:
            lines.append(f"| {name} | FAILED: {row['failed']} | | | | | | |")
            continue
        lines.append(
            f"| {name} | {row['refreshes_per_second']:.0f} | {row['p50_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | {row['slowest_client']} / {row['fastest_client']} "
            f"| {row['errors']} | {row['lost']} / {row['doubled']} / {row['wrong_head']} "
            f"| {row['replay_refused']} |"
        )
    measured = [row for row in summary["variants"].values() if "failed" not in row]
    noisy = sum(int(row["noisy_runs"]) for row in measured)
    return [*lines, "", noise_line(noisy, len(measured) * int(summary["runs"]))]


def goal3_rows(summary: dict[str, Any]) -> list[str]:
    baked = summary["variants"]["baked"]
    clean = not (baked["lost"] or baked["doubled"] or baked["wrong_head"])
    return [
        f"### Refresh contention: {summary['clients']} clients each rotating their own family, "
        f"{summary['seconds']:.0f} s on SQLite (median of {summary['runs']} runs)",
        "",
        *refresh_table(summary, "variant"),
        "",
        "| goal (baked) | measured | verdict |",
        "| --- | --- | --- |",
        f"| zero errors | {baked['errors']} | {verdict(baked['errors'] == 0)} |",
        f"| zero lost or doubled rotations (DB chains = client counts, one live head) "
        f"| {baked['lost']} / {baked['doubled']} / {baked['wrong_head']} | {verdict(clean)} |",
        f"| reuse detection still works afterwards | {baked['replay_refused']} "
        f"| {verdict(bool(baked['replay_refused']))} |",
    ]


def database_rows(summary: dict[str, Any]) -> list[str]:
    """Issue 8's comparison: the same contention on the two databases a bake can choose."""
    return [
        f"### Refresh rotation on SQLite and PostgreSQL: {summary['clients']} clients, "
        f"{summary['seconds']:.0f} s, one instance (median of {summary['runs']} runs)",
        "",
        *refresh_table(summary, "database"),
    ]


def reads_rows(summary: dict[str, Any]) -> list[str]:
    """Issue 15 part 2: reads beside writers, and reads under a held write lock (SQLite)."""
    idle, busy, locked = summary["idle"], summary["busy"], summary["locked"]
    noisy = int(idle["noisy_runs"]) + int(busy["noisy_runs"])
    total = len(idle["runs"]) + len(busy["runs"])
    met = locked["ok"] == locked["reads"] and locked["max_ms"] <= GOAL_LOCKED_READ_MS
    return [
        f"### Reads beside writers: `GET /users/me` on SQLite (wrk, {summary['connections']} "
        f"connections, median of {len(idle['runs'])} x {summary['seconds']:.0f} s; server on "
        "core 0, clients on core 1)",
        "",
        "| `GET /users/me` | req/s | p50 ms | p99 ms | failed | x idle |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| idle | {idle['rps']:.0f} | {idle['p50_ms']:.2f} | {idle['p99_ms']:.2f} "
        f"| {idle['failed']} | 1.00 |",
        f"| while {summary['writers']} clients rotate refresh tokens "
        f"({busy['refreshes_per_second']:.0f}/s, {busy['refresh_errors']} errors) "
        f"| {busy['rps']:.0f} | {busy['p50_ms']:.2f} | {busy['p99_ms']:.2f} | {busy['failed']} "
        f"| {summary['busy_vs_idle']:.2f} |",
        "",
        "| goal | measured | verdict |",
        "| --- | --- | --- |",
        f"| `GET /users/me` answers 200 in <= {GOAL_LOCKED_READ_MS:.0f} ms while another "
        f"connection holds the write lock | {locked['ok']}/{locked['reads']} answered 200; "
        f"p50 {locked['p50_ms']:.1f} ms, slowest {locked['max_ms']:.1f} ms | {verdict(met)} |",
        "",
        noise_line(noisy, total),
    ]


def reference_rows(summary: dict[str, Any]) -> list[str]:
    """Issue 15 part 3: the PostgreSQL authenticated read against the reference template."""
    lines = [
        "### PostgreSQL authenticated read against the reference template (wrk, "
        f"{summary['connections']} connections, median of {summary['runs']} x "
        f"{summary['seconds']:.0f} s; each server one worker on core 0, wrk on core 1, one "
        "PostgreSQL for both)",
        "",
        "| server, request | req/s | p99 ms | x reference | goal | verdict |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for name, row in summary["rows"].items():
        goal = mark = ""
        if name.startswith("baked") and name.endswith("/users/me"):
            goal = f">= {GOAL_VS_REFERENCE} x reference"
            mark = verdict(row["ratio"] >= GOAL_VS_REFERENCE)
        if row["failed"]:
            mark = f"{mark} ({row['failed']:.0f} failed requests)".strip()
        lines.append(
            f"| {name} | {row['rps']:.0f} | {row['p99_ms']:.2f} | {row['ratio']:.2f} | {goal} "
            f"| {mark} |"
        )
    rows = summary["rows"].values()
    noisy = sum(int(row["noisy_runs"]) for row in rows)
    return [*lines, "", noise_line(noisy, sum(int(row["runs"]) for row in rows))]


def workers_rows(summary: dict[str, Any]) -> list[str]:
    """Issue 15 part 4: one worker against two on the machine's two cores."""
    lines = [
        f"### Workers: one against two on 2 cores (wrk, {summary['connections']} connections, "
        f"median of {summary['runs']} x {summary['seconds']:.0f} s; servers and wrk not pinned)",
        "",
        "| route, workers | req/s | p99 ms | x 1 worker |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, row in summary["rows"].items():
        failed = f" ({row['failed']:.0f} failed requests)" if row["failed"] else ""
        lines.append(
            f"| {name}{failed} | {row['rps']:.0f} | {row['p99_ms']:.2f} | {row['ratio']:.2f} |"
        )
    rows = summary["rows"].values()
    noisy = sum(int(row["noisy_runs"]) for row in rows)
    return [*lines, "", noise_line(noisy, sum(int(row["runs"]) for row in rows))]


def goal4_rows(
    bakes: dict[str, list[float]],
    suite: tuple[float, str, int],
    make_test: tuple[float, int] | None,
) -> list[str]:
    lines = [
        "### Template",
        "",
        "| figure | measured | goal | verdict |",
        "| --- | ---: | --- | --- |",
    ]
    for label, timings in bakes.items():
        median = statistics.median(timings)
        lines.append(
            f"| bake from a {label}, median of {len(timings)} (min-max "
            f"{min(timings):.2f}-{max(timings):.2f}) | {median:.2f} s | < 1 s "
            f"| {verdict(median < GOAL_BAKE_S)} |"
        )
    seconds, output, code = suite
    status = "" if code == 0 else f" (exit {code})"
    lines.append(
        f"| baked backend suite, `make test-backend` (ruff + pytest, 2 xdist workers: "
        f"{pytest_seconds(output)}) | {seconds:.1f} s{status} | < {GOAL_SUITE_S:.0f} s "
        f"| {verdict(seconds < GOAL_SUITE_S and code == 0)} |"
    )
    make_goal = f"< {GOAL_MAKE_TEST_S / 60:.0f} min"
    if make_test is None:
        lines.append(
            f"| whole `make test` | not run (`make bench BENCH_ARGS=--make-test`) | {make_goal} | |"
        )
    else:
        seconds, code = make_test
        status = "" if code == 0 else f" (exit {code})"
        lines.append(
            f"| whole `make test` | {seconds / 60:.1f} min{status} | {make_goal} "
            f"| {verdict(seconds < GOAL_MAKE_TEST_S and code == 0)} |"
        )
    return lines


def write_results(text: str) -> None:
    notes = f"{NOTES_MARKER}\n\n## Notes\n\n(none yet)\n"
    if RESULTS.exists():
        old = RESULTS.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            notes = NOTES_MARKER + old.split(NOTES_MARKER, 1)[1]
    RESULTS.write_text(f"{text}\n{notes}", encoding="utf-8")
