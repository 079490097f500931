"""`make dev` and `make demo` stop with one clear sentence when something is missing or taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Bake
from tests.support import Variant

DEFAULTS = Variant("defaults")


def preflight(
    project: Path, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path} if path else None
    return subprocess.run(
        [sys.executable, str(project / "scripts" / "preflight.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.fixture
def project(bake: Callable[[Variant], Bake], tmp_path: Path) -> Path:
    """A private copy of the default bake, so tests may break it."""
    copy = tmp_path / "project"
    subprocess.run(["cp", "-a", str(bake(DEFAULTS).project), str(copy)], check=True)
    return copy


def set_env_value(path: Path, key: str, value: str) -> None:
    lines = [
        f"{key}={value}" if line.startswith(f"{key}=") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


def test_missing_env_names_the_command_that_recreates_it(project: Path) -> None:
    (project / "backend" / ".env").unlink()
    run = preflight(project)
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "error: backend/.env is missing; run 'make env' to create it (it keeps an existing secret)"
    )


def test_taken_port_names_the_port_and_the_setting(project: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        set_env_value(project / "backend" / ".env", "BACKEND_PORT", str(port))
        run = preflight(project)
    assert run.returncode == 1
    assert f"port {port} (backend) is already in use" in run.stderr
    assert "BACKEND_PORT" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_port_value_is_named(project: Path) -> None:
    set_env_value(project / "backend" / ".env", "BACKEND_PORT", "eighty")
    run = preflight(project)
    assert run.returncode == 1
    assert "BACKEND_PORT='eighty' in backend/.env is not a port" in run.stderr


def test_old_node_is_refused(project: Path, tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for tool, output in (("node", "v18.19.0"), ("npm", "9.2.0")):
        script = fake_bin / tool
        script.write_text(f"#!/bin/sh\necho {output}\n")
        script.chmod(0o755)
    run = preflight(project, "--tools-only", path=f"{fake_bin}:/usr/bin:/bin")
    assert run.returncode == 1
    assert "Node.js v18.19.0 is too old; install Node.js 20 or newer" in run.stderr


def test_missing_node_is_refused(project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    run = preflight(project, "--tools-only", path=str(empty))
    assert run.returncode == 1
    assert "Node.js 20+ with npm is needed" in run.stderr


def test_ready_project_passes(project: Path) -> None:
    for side, key in (("backend", "BACKEND_PORT"), ("frontend", "FRONTEND_PORT")):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        set_env_value(project / side / ".env", key, str(free))
    run = preflight(project)
    assert run.returncode == 0, run.stderr
