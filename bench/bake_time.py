"""Time a whole bake as a user runs it (a `cookiecutter` process), from a path and a git URL.

Prints the median and spread of N runs of each; the goal (issue 7) is a median under 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The template venv's: benchmarks that bake may run inside the baked backend's venv.
COOKIECUTTER = REPO / ".venv" / "bin" / "cookiecutter"
GOAL_SECONDS = 1.0


def committed_copy(into: Path) -> Path:
    """A git repository holding the template's committed HEAD, for a `git+file://` bake."""
    clone = into / "secure-stack"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    return clone


def time_bakes(template: str, runs: int, home: Path) -> list[float]:
    """Seconds taken by each of `runs` bakes of `template` into fresh directories."""
    config = home / "config.yaml"
    config.write_text(f"cookiecutters_dir: {home / 'clones'}\nreplay_dir: {home / 'replay'}\n")
    timings = []
    for index in range(runs):
        output = home / f"out{index}"
        output.mkdir()
        start = time.perf_counter()
        command = [str(COOKIECUTTER), template, "--no-input", "--config-file", str(config)]
        subprocess.run(
            [*command, "-o", str(output)],
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - start)
        shutil.rmtree(output)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="bakes per source (default 5)")
    args = parser.parse_args()
    print(f"{'source':<10} {'median s':>9} {'min s':>7} {'max s':>7}  goal")
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        sources = {"path": str(REPO), "git URL": f"git+file://{committed_copy(base)}"}
        for index, (label, template) in enumerate(sources.items()):
            home = base / f"home{index}"
            home.mkdir()
            timings = time_bakes(template, args.runs, home)
            median = statistics.median(timings)
            verdict = "met" if median < GOAL_SECONDS else "MISSED"
            print(
                f"{label:<10} {median:>9.3f} {min(timings):>7.3f} {max(timings):>7.3f}"
                f"  < {GOAL_SECONDS:.1f} s: {verdict}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
