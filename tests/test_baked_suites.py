"""Every variant's own `make test` (its install step, linters and test suites) passes.

All bakes share one backend virtualenv and one npm cache, so the matrix installs each dependency
once; the install step (`uv sync --inexact`, so one bake keeps what another needs) runs under a
lock because two installs must not write the shared venv at once.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Bake
from tests.support import BACKEND_VENV, CACHE, NPM_CACHE, Variant, require_tool, variant_params

SUITE_TIMEOUT_SECONDS = 1200


def make(project: Path, target: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "npm_config_cache": str(NPM_CACHE), "VENV": str(BACKEND_VENV)}
    return subprocess.run(
        [require_tool("make"), "-C", str(project), target, f"VENV={BACKEND_VENV}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_SECONDS,
        check=False,
    )


def install_backend_exclusively(project: Path) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "backend-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = make(project, "install-backend")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]


@pytest.mark.parametrize("variant", variant_params())
def test_baked_project_passes_its_own_make_test(
    variant: Variant, bake: Callable[[Variant], Bake]
) -> None:
    baked = bake(variant)
    assert baked.exit_code == 0, baked.exception
    require_tool("python3")
    if variant.has_frontend:
        require_tool("npm")
    install_backend_exclusively(baked.project)
    run = make(baked.project, "test")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    assert " passed" in output
    print(output[-3000:])
