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
    GOAL_LOGIN_TIMING_SPREAD,
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


def workers_rows(summary: dict[str, Any], costs: dict[str, float] | None) -> list[str]:
    """Issue 15 part 4: one worker against two on the machine's two cores, and what the
    per-process token cache costs (from this run's token-check figures, when they ran)."""
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
    lines += ["", noise_line(noisy, sum(int(row["runs"]) for row in rows)), ""]
    one_worker = summary["rows"].get("protected trivial route, 1 worker")
    if costs is None or one_worker is None:
        return [*lines, "The token-check benchmark did not run: no figure for the token cache."]
    miss, hit = costs["baked, cache miss"], costs["baked, cache hit"]
    request_us = 1e6 / one_worker["rps"]
    return [
        *lines,
        f"Token cache: each worker process keeps its own, so a token is checked in full once by "
        f"every worker that serves it. With 2 workers a client's token costs up to 2 full checks "
        f"of {miss:.0f} us instead of 1, once per token and worker (about "
        f"{miss / request_us:.1f} of the {request_us:.0f} us a protected request takes at the "
        f"1-worker rate), then "
        f"{hit:.1f} us per request on either worker. wrk replays one token, so the rows above pay "
        "that once per worker and run; the steady cost is the memory of one cache per worker.",
    ]


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


def login_timing_rows(summary: dict[str, Any]) -> list[str]:
    """Failed logins: an unknown account against a wrong password (the suite proves the same
    argon2 work runs; this is the time it takes, over HTTP)."""
    ratio = summary["ratio"]
    met = abs(ratio - 1) <= GOAL_LOGIN_TIMING_SPREAD
    return [
        f"### Failed logins: unknown account against wrong password ({summary['pairs']} "
        "alternating pairs of `POST /auth/token`, one at a time; production argon2 profile, "
        "server on core 0, client on core 1)",
        "",
        "| attempt | p50 ms | p90 ms |",
        "| --- | ---: | ---: |",
        f"| unknown account | {summary['unknown_p50_ms']:.1f} | {summary['unknown_p90_ms']:.1f} |",
        f"| known account, wrong password | {summary['wrong_p50_ms']:.1f} "
        f"| {summary['wrong_p90_ms']:.1f} |",
        "",
        "| goal | measured | verdict |",
        "| --- | --- | --- |",
        f"| unknown / wrong password latency, median of paired ratios, within "
        f"{GOAL_LOGIN_TIMING_SPREAD:.0%} of 1 | {ratio:.3f} | {verdict(met)} |",
        "",
        noise_line(int(summary["disturbed"]), 1),
    ]


def mail_rows(results: dict[str, Any]) -> list[str]:
    """What queuing a mail adds to a request's transaction, and how fast the outbox empties."""
    medians = results["medians"]
    return [
        f"### Mail outbox (default bake, SQLite; median of {len(results['runs'])} run(s))",
        "",
        "| figure | median | p99 |",
        "| --- | ---: | ---: |",
        f"| a write transaction, no mail | {medians['without_mail_median_ms']:.2f} ms "
        f"| {medians['without_mail_p99_ms']:.2f} ms |",
        f"| the same transaction queuing one mail (render, seal, outbox row) "
        f"| {medians['with_mail_median_ms']:.2f} ms | {medians['with_mail_p99_ms']:.2f} ms |",
        f"| delivery to a local SMTP server, one instance "
        f"| {medians['mails_per_second_1_instance']:.0f} mails/s | |",
        f"| delivery, two instances sharing the outbox "
        f"| {medians['mails_per_second_2_instance']:.0f} mails/s | |",
    ]


# One overview row after its goal number: figure, measured, goal, verdict, runs disturbed.
Cells = tuple[str, str, str, str, str]


def _disturbed(rows: list[dict[str, Any]]) -> str:
    """Disturbed runs of a section's rows out of all its runs ("runs" a count or the list)."""
    noisy = sum(int(row["noisy_runs"]) for row in rows)
    total = sum(len(row["runs"]) if isinstance(row["runs"], list) else row["runs"] for row in rows)
    return f"{noisy}/{total}"


def _throughput_lines(result: dict[str, Any]) -> list[Cells]:
    summary = result["summary"]
    protected = summary["baked, protected"]
    peers = "; ".join(
        f"{name} {summary[name]['vs_bare']:.2f}" for name in PEER_SHARES if name in summary
    )
    disturbed = _disturbed(list(summary.values()))
    return [
        (
            "protected route added after the app's own / the same handler in bare FastAPI",
            f"{protected['vs_bare']:.2f}",
            f">= {GOAL_VS_BARE}",
            verdict(protected["vs_bare"] >= GOAL_VS_BARE),
            disturbed,
        ),
        ("peers, x bare (for comparison)", peers, "", "", disturbed),
        (
            "protected route / its public twin",
            f"{protected['vs_twin']:.2f}",
            f">= {GOAL_VS_TWIN}",
            verdict(protected["vs_twin"] >= GOAL_VS_TWIN),
            disturbed,
        ),
    ]


def _reads_lines(summary: dict[str, Any]) -> list[Cells]:
    idle, busy, locked = summary["idle"], summary["busy"], summary["locked"]
    met = locked["ok"] == locked["reads"] and locked["max_ms"] <= GOAL_LOCKED_READ_MS
    return [
        (
            "`GET /users/me` while another connection holds SQLite's write lock",
            f"{locked['ok']}/{locked['reads']} answered 200, slowest {locked['max_ms']:.1f} ms",
            f"every one 200 in <= {GOAL_LOCKED_READ_MS:.0f} ms",
            verdict(met),
            "",
        ),
        (
            f"`GET /users/me` req/s while {summary['writers']} clients rotate refresh tokens "
            "/ idle",
            f"{summary['busy_vs_idle']:.2f} ({busy['rps']:.0f} / {idle['rps']:.0f} req/s)",
            "(a figure)",
            "",
            _disturbed([idle, busy]),
        ),
    ]


def _reference_lines(summary: dict[str, Any]) -> list[Cells]:
    ours = next(
        row
        for name, row in summary["rows"].items()
        if name.startswith("baked") and name.endswith("/users/me")
    )
    return [
        (
            "PostgreSQL `GET /users/me` / the reference peer (`bench/reference_app.py`), "
            "same run, same pinning",
            f"{ours['ratio']:.2f}",
            f">= {GOAL_VS_REFERENCE}",
            verdict(ours["ratio"] >= GOAL_VS_REFERENCE),
            _disturbed(list(summary["rows"].values())),
        )
    ]


def _workers_lines(summary: dict[str, Any]) -> list[Cells]:
    rows = summary["rows"]
    disturbed = _disturbed(list(rows.values()))
    return [
        (
            f"{name} / 1 worker",
            f"{row['ratio']:.2f}",
            "(a figure; token cache: see Workers)",
            "",
            disturbed,
        )
        for name, row in rows.items()
        if not name.endswith(", 1 worker")
    ]


def _timing_lines(summary: dict[str, Any]) -> list[Cells]:
    ratio = summary["ratio"]
    return [
        (
            "failed login latency, unknown account / wrong password",
            f"{ratio:.3f}",
            f"within {GOAL_LOGIN_TIMING_SPREAD:.0%} of 1",
            verdict(abs(ratio - 1) <= GOAL_LOGIN_TIMING_SPREAD),
            f"{int(summary['disturbed'])}/1",
        )
    ]


def _suite_lines(suite: tuple[float, str, int], make_test: tuple[float, int] | None) -> list[Cells]:
    seconds, output, code = suite
    status = "" if code == 0 else f" (exit {code})"
    lines = [
        (
            "baked backend suite, `make test-backend` (ruff + pytest on 2 xdist workers)",
            f"{seconds:.1f} s{status}; pytest: {pytest_seconds(output)}",
            f"< {GOAL_SUITE_S:.0f} s",
            verdict(seconds < GOAL_SUITE_S and code == 0),
            "",
        )
    ]
    make_goal = f"< {GOAL_MAKE_TEST_S / 60:.0f} min"
    if make_test is None:
        lines.append(("whole `make test`", "not run (`BENCH_ARGS=--make-test`)", make_goal, "", ""))
    else:
        minutes, code = make_test[0] / 60, make_test[1]
        status = "" if code == 0 else f" (exit {code})"
        lines.append(
            (
                "whole `make test`",
                f"{minutes:.1f} min{status}",
                make_goal,
                verdict(make_test[0] < GOAL_MAKE_TEST_S and code == 0),
                "",
            )
        )
    return lines


def overview_rows(
    *,
    throughput: Any,
    reads: Any,
    reference: Any,
    workers: Any,
    timing: Any,
    suite: tuple[float, str, int],
    make_test: tuple[float, int] | None,
) -> list[str]:
    """Every figure of issue 15 beside its goal, in one table; the sections below show how each
    was measured. A benchmark that failed shows as FAILED, never as a missing row."""
    parts: list[tuple[str, str, Any, Callable[[Any], list[Cells]]]] = [
        ("1", "security stack on a trivial route", throughput, _throughput_lines),
        ("2", "reads beside writers (SQLite)", reads, _reads_lines),
        ("3", "PostgreSQL read against the reference", reference, _reference_lines),
        ("4", "one against two workers", workers, _workers_lines),
        ("login", "failed logins look alike in timing", timing, _timing_lines),
    ]
    lines = [
        "### Issue 15: each figure beside its goal",
        "",
        "| part | figure | measured | goal | verdict | runs disturbed |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for goal, title, result, build in parts:
        if result is None:
            lines.append(f"| {goal} | {title} | benchmark failed (see its section) | | FAILED | |")
            continue
        lines += [f"| {goal} | {' | '.join(cells)} |" for cells in build(result)]
    lines += [f"| 5 | {' | '.join(cells)} |" for cells in _suite_lines(suite, make_test)]
    return [
        *lines,
        "",
        "Runs disturbed: runs during which other work on the machine used more than "
        f"{FOREIGN_LIMIT_CPUS} of a core; a verdict resting on disturbed runs needs a quiet rerun.",
    ]


def write_results(text: str) -> None:
    notes = f"{NOTES_MARKER}\n\n## Notes\n\n(none yet)\n"
    if RESULTS.exists():
        old = RESULTS.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            notes = NOTES_MARKER + old.split(NOTES_MARKER, 1)[1]
    RESULTS.write_text(f"{text}\n{notes}", encoding="utf-8")
