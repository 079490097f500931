"""The command line the measuring modules share: which bake, how many runs, where the JSON goes.

`run_all` starts each module as a process of the baked backend's venv and reads its JSON; a
person runs the same module by hand and reads the printed lines.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run(
    doc: str,
    measure: Callable[[argparse.Namespace], Any],
    show: Callable[[Any], None],
    *,
    runs: int,
    seconds: float | None = None,
) -> int:
    """Parse --backend/--runs[/--seconds]/--json, measure, print, and write the JSON if asked."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--backend", type=Path, required=True, help="a baked backend/ directory")
    parser.add_argument("--runs", type=int, default=runs)
    if seconds is not None:
        parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = measure(args)
    show(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def show_variants(summary: dict[str, Any]) -> None:
    """One line a variant of a {"variants": {...}} summary, its per-run detail left out."""
    for name, row in summary["variants"].items():
        print(f"{name}: {json.dumps({k: v for k, v in row.items() if k != 'runs'})}")
