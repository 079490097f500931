"""Keep other people's work out of the figures: wait for quiet, and catch what came during a run.

Other people's test suites run on the same two cores; a wrk run that overlaps one measures them.
Before each measurement the harness samples /proc/stat and waits (a bounded time) until the CPUs
are mostly idle, since the benchmark's own servers are idle between runs. During a run,
`CpuWatch` subtracts the CPU time of the benchmark's own processes from the machine's, so a run
that something else disturbed can be repeated or counted; the tables say how many there were.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from types import TracebackType

BUSY_THRESHOLD = 0.15
SAMPLE_SECONDS = 0.5
PATIENCE_SECONDS = 60.0
# All the waiting one benchmark process may do, so a machine that stays busy costs minutes, not
# an hour: once it is spent, runs are only counted as noisy. `make bench --quick` sets it to 0.
BUDGET_SECONDS = float(os.environ.get("BENCH_QUIET_BUDGET", "240"))
_spent = [0.0]


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies over all CPUs since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(value) for value in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return idle, sum(values[:8])


def busy_fraction(seconds: float = SAMPLE_SECONDS) -> float:
    """Share of all CPUs that were busy during the next `seconds`."""
    idle_before, total_before = _cpu_times()
    time.sleep(seconds)
    idle_after, total_after = _cpu_times()
    total = total_after - total_before
    return 0.0 if total <= 0 else 1.0 - (idle_after - idle_before) / total


def patience_left() -> bool:
    """Whether waiting (or repeating a disturbed run) is still worth it in this process."""
    return _spent[0] < BUDGET_SECONDS


def wait_for_quiet(patience: float = PATIENCE_SECONDS) -> bool:
    """Block until the machine is quiet or `patience` runs out; False when it never got quiet."""
    start = time.monotonic()
    deadline = start + min(patience, max(0.0, BUDGET_SECONDS - _spent[0]))
    announced = False
    try:
        while True:
            busy = busy_fraction()
            if busy <= BUSY_THRESHOLD:
                return True
            if time.monotonic() >= deadline:
                print(f"  machine still {busy:.0%} busy: measuring anyway", file=sys.stderr)
                return False
            if not announced:
                print(f"  machine {busy:.0%} busy with other work: waiting", file=sys.stderr)
                announced = True
    finally:
        _spent[0] += time.monotonic() - start


# More foreign CPU than this during a run (in cores) marks it as disturbed.
FOREIGN_LIMIT_CPUS = 0.15
_TICKS = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float:
    """CPU seconds used so far by process `pid` and its threads; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (uvicorn's workers under its supervisor)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree_seconds(pid: int) -> float:
    """CPU seconds of `pid` and of every process below it."""
    return _process_seconds(pid) + sum(_tree_seconds(child) for child in _children(pid))


def _own_seconds() -> float:
    """CPU seconds of this process and of its waited-for children (wrk)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CpuWatch:
    """Measure how many cores something other than us and `pids` (with their children) kept busy
    during a block."""

    def __init__(self, *pids: int) -> None:
        self.pids = pids
        self.foreign_cpus = 0.0

    def _snapshot(self) -> tuple[float, float, float]:
        idle, total = _cpu_times()
        ours = _own_seconds() + sum(_tree_seconds(pid) for pid in self.pids)
        busy_seconds = (total - idle) / _TICKS
        return time.monotonic(), busy_seconds, ours

    def __enter__(self) -> CpuWatch:
        self._start = self._snapshot()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        end = self._snapshot()
        elapsed = max(end[0] - self._start[0], 1e-6)
        foreign = (end[1] - self._start[1]) - (end[2] - self._start[2])
        self.foreign_cpus = max(0.0, foreign / elapsed)

    @property
    def disturbed(self) -> bool:
        return self.foreign_cpus > FOREIGN_LIMIT_CPUS
