"""`make bench`: bake a default project, run every benchmark of issues 7 and 15, print figures
beside goals (an overview of issue 15's first, then a section per benchmark).

Runs in the template's own venv (it has cookiecutter); the baked backend is installed into the
shared backend venv under `.cache/` (under the same lock the template tests take), and each
benchmark runs there as a separate process, so the harness's imports never touch the app's.
The tables are Markdown, printed and also written to bench/RESULTS.md with the machine and date;
the notes section of RESULTS.md (below its marker line) is kept across runs.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import bake_time, report
from bench.report import ARGON2_RUNS, section

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SECURE_STACK_CACHE", REPO / ".cache"))
BACKEND_VENV = CACHE / "backend-venv"
BACKEND_PYTHON = BACKEND_VENV / "bin" / "python"
FAILURES: list[str] = []


def machine() -> dict[str, str]:
    """Date, CPU count and model, Python and load average: what a reader needs to compare runs."""
    model = "unknown"
    with Path("/proc/cpuinfo").open(encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "load": load,
    }


def bake(into: Path, *answers: str) -> Path:
    """A bake (default answers unless given), as a user makes it, its replay kept in `into`."""
    config = into / "config.yaml"
    config.write_text(f"cookiecutters_dir: {into / 'clones'}\nreplay_dir: {into / 'replay'}\n")
    out = into / "out"
    command = [str(bake_time.COOKIECUTTER), str(REPO), "--no-input", "--config-file", str(config)]
    subprocess.run(
        [*command, "-o", str(out), *answers],
        check=True,
        capture_output=True,
    )
    (project,) = [path for path in out.iterdir() if path.is_dir()]
    return project


def install_backend(project: Path) -> None:
    """Install the bake into the shared backend venv; the lock keeps pip runs one at a time."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "backend-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            ["make", "-s", "-C", str(project), "install-backend", f"VENV={BACKEND_VENV}"],
            check=True,
        )


def run_benchmark(module: str, backend: Path, out: Path, *extra: str) -> Any:
    """Run `bench.<module>` in the backend venv; the JSON it wrote, or None when it failed.

    One failing benchmark must not hide the figures of the others: its section says it failed.
    """
    print(f"== {module}", file=sys.stderr, flush=True)
    command = [str(BACKEND_PYTHON), "-m", f"bench.{module}", "--backend", str(backend)]
    completed = subprocess.run([*command, "--json", str(out), *extra], cwd=REPO, check=False)
    if completed.returncode != 0 or not out.exists():
        FAILURES.append(f"bench.{module} exited with {completed.returncode} (its output is above)")
        return None
    return json.loads(out.read_text())


def time_bakes(scratch: Path, runs: int) -> dict[str, list[float]]:
    sources = {
        "path": str(REPO),
        "git URL": f"git+file://{bake_time.committed_copy(scratch)}",
    }
    timings = {}
    for index, (label, template) in enumerate(sources.items()):
        home = scratch / f"bake-home{index}"
        home.mkdir()
        timings[label] = bake_time.time_bakes(template, runs, home)
    return timings


def time_command(command: list[str], cwd: Path) -> tuple[float, str, int]:
    """Wall seconds, output and exit code of `command`."""
    start = time.perf_counter()
    completed = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=3600
    )
    return time.perf_counter() - start, completed.stdout + completed.stderr, completed.returncode


@dataclass(frozen=True)
class Plan:
    """How long each benchmark runs: the full plan, or a quick smoke test of the harness."""

    rounds: int = 5
    seconds: float = 3.0
    runs: int = 3
    stall_seconds: float = 6.0
    refresh_seconds: float = 10.0
    reads_seconds: float = 5.0
    login_pairs: int = 30


QUICK = Plan(
    rounds=2,
    seconds=2.0,
    runs=1,
    stall_seconds=4.0,
    refresh_seconds=4.0,
    reads_seconds=2.0,
    login_pairs=8,
)


@dataclass
class Collected:
    """Every benchmark's results; None where a benchmark failed."""

    throughput: Any = None
    layers: Any = None
    costs: Any = None
    stall: Any = None
    argon: Any = None
    refresh: Any = None
    databases: Any = None
    reads: Any = None
    reference: Any = None
    workers: Any = None
    login_timing: Any = None
    mail: Any = None
    bakes: dict[str, list[float]] | None = None
    suite: tuple[float, str, int] = (0.0, "", 0)
    make_test: tuple[float, int] | None = None


def collect(plan: Plan, with_make_test: bool) -> Collected:
    """Bake once, install, run every benchmark against that bake, then time the template."""
    found = Collected()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = bake(scratch)
        backend = project / "backend"
        install_backend(project)
        found.throughput = run_benchmark(
            "throughput", backend, scratch / "g1.json",
            "--runs", str(plan.rounds), "--seconds", str(plan.seconds),
        )  # fmt: skip
        found.layers = run_benchmark("layer_cost", backend, scratch / "layers.json")
        found.costs = run_benchmark("verify_cost", backend, scratch / "verify.json")
        found.stall = run_benchmark(
            "login_stall", backend, scratch / "g2.json",
            "--runs", str(plan.runs), "--seconds", str(plan.stall_seconds),
        )  # fmt: skip
        found.argon = run_benchmark(
            "argon2_profiles", backend, scratch / "argon.json", "--runs", str(ARGON2_RUNS)
        )
        found.refresh = run_benchmark(
            "refresh_contention", backend, scratch / "g3.json",
            "--runs", str(plan.runs), "--seconds", str(plan.refresh_seconds),
        )  # fmt: skip
        found.databases = run_benchmark(
            "refresh_databases", backend, scratch / "databases.json",
            "--runs", str(plan.runs), "--seconds", str(plan.refresh_seconds),
        )  # fmt: skip
        found.reads = run_benchmark(
            "read_under_writes", backend, scratch / "reads.json",
            "--runs", str(plan.runs), "--seconds", str(plan.reads_seconds),
        )  # fmt: skip
        found.reference = run_benchmark(
            "reference_read", backend, scratch / "reference.json",
            "--runs", str(plan.rounds), "--seconds", str(plan.seconds),
        )  # fmt: skip
        found.workers = run_benchmark(
            "workers", backend, scratch / "workers.json",
            "--runs", str(plan.runs), "--seconds", str(plan.seconds),
        )  # fmt: skip
        found.login_timing = run_benchmark(
            "login_timing", backend, scratch / "login_timing.json", "--runs", str(plan.login_pairs)
        )
        found.mail = run_benchmark(
            "mail_outbox", backend, scratch / "mail.json", "--runs", str(plan.runs)
        )
        print("== bake time, baked backend suite", file=sys.stderr, flush=True)
        try:
            found.bakes = time_bakes(scratch, 5)
        except subprocess.CalledProcessError as error:
            FAILURES.append(f"bake time: {error}")
        found.suite = time_command(
            ["make", "-C", str(project), "test-backend", f"VENV={BACKEND_VENV}"], project
        )
        if with_make_test:
            seconds, _, code = time_command(["make", "test"], REPO)
            found.make_test = (seconds, code)
    return found


def render(found: Collected, plan: Plan, start: dict[str, str]) -> str:
    """The Markdown report: machine and date, then one section per goal."""
    header = [
        "# Benchmark results (issues 7 and 15)",
        "",
        f"Latest `make bench`: {start['date']}; {start['nproc']} CPUs, {start['cpu']}; Python "
        f"{start['python']}; load average before the run {start['load']}. Server figures are "
        "medians, ratios are medians of ratios paired within a round; the machine is a shared "
        "VM, so compare ratios measured in the same run, not absolute numbers across runs.",
    ]
    parts = [
        header,
        report.overview_rows(
            throughput=found.throughput,
            reads=found.reads,
            reference=found.reference,
            workers=found.workers,
            timing=found.login_timing,
            suite=found.suite,
            make_test=found.make_test,
        ),
        section(
            "Security stack overhead",
            lambda result: report.goal1_rows(result["summary"], plan.rounds, plan.seconds),
            found.throughput,
        ),
        section("Layer cost", report.layer_rows, found.layers),
        section("Token check cost", report.verify_rows, found.costs),
        section("Reads beside writers", report.reads_rows, found.reads),
        section("PostgreSQL read against the reference", report.reference_rows, found.reference),
        section(
            "Workers", lambda workers: report.workers_rows(workers, found.costs), found.workers
        ),
        section("Failed logins", report.login_timing_rows, found.login_timing),
        section("Login stall", report.goal2_rows, found.stall, found.argon),
        section("Refresh contention", report.goal3_rows, found.refresh),
        section("Refresh on SQLite and PostgreSQL", report.database_rows, found.databases),
        section("Mail outbox", report.mail_rows, found.mail),
        section(
            "Template",
            lambda timings: report.goal4_rows(timings, found.suite, found.make_test),
            found.bakes,
        ),
    ]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs (a smoke test)")
    parser.add_argument("--make-test", action="store_true", help="also time the whole make test")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite RESULTS.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    plan = QUICK if args.quick else Plan()
    if args.quick:
        os.environ["BENCH_QUIET_BUDGET"] = "0"  # a smoke test counts noisy runs, never waits
    start = machine()
    text = render(collect(plan, args.make_test), plan, start)
    print(text)
    if not args.no_results:
        report.write_results(text)
    for failure in FAILURES:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
