"""`make dev` and `make demo` stop with one clear sentence when something is missing or taken,
before they change anything."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_script, set_env_value


def preflight(project: Path, *args: str, path: str | None = None) -> tuple[int, str]:
    env = {**os.environ, "PATH": path} if path else None
    run = run_script(project, "preflight.py", *args, env=env)
    return run.returncode, run.stderr


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port a server on 127.0.0.1 listens on for the whole test."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def has_frontend(project: Path) -> bool:
    return (project / "frontend" / "package.json").exists()


def test_missing_env_names_the_command_that_recreates_it(project: Path) -> None:
    (project / "backend" / ".env").unlink()
    code, stderr = preflight(project)
    assert code == 1
    assert stderr.strip() == (
        "error: backend/.env is missing; run 'make env' to create it (it keeps an existing secret)"
    )


def test_taken_port_names_the_port_and_the_setting(project: Path, taken_port: int) -> None:
    set_env_value(project / "backend" / ".env", "BACKEND_PORT", str(taken_port))
    code, stderr = preflight(project)
    assert code == 1
    assert f"port {taken_port} (backend) is already in use" in stderr
    assert "BACKEND_PORT" in stderr
    assert "Traceback" not in stderr


def test_bad_port_value_is_named(project: Path) -> None:
    set_env_value(project / "backend" / ".env", "BACKEND_PORT", "eighty")
    code, stderr = preflight(project)
    assert code == 1
    assert "BACKEND_PORT='eighty' in backend/.env is not a port" in stderr


def test_old_node_is_refused_when_there_is_a_frontend(project: Path, tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for tool, output in (("node", "v18.19.0"), ("npm", "9.2.0")):
        script = fake_bin / tool
        script.write_text(f"#!/bin/sh\necho {output}\n")
        script.chmod(0o755)
    code, stderr = preflight(project, "--tools-only", path=f"{fake_bin}:/usr/bin:/bin")
    if has_frontend(project):
        assert code == 1
        assert "Node.js v18.19.0 is too old; install Node.js 20 or newer" in stderr
    else:
        assert (code, stderr) == (0, ""), "a backend-only project needs no Node.js"


def test_missing_node_is_refused_when_there_is_a_frontend(project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    code, stderr = preflight(project, "--tools-only", path=str(empty))
    if has_frontend(project):
        assert code == 1
        assert "Node.js 20+ with npm is needed" in stderr
    else:
        assert (code, stderr) == (0, ""), "a backend-only project needs no Node.js"


def test_ready_project_passes(project: Path) -> None:
    set_env_value(project / "backend" / ".env", "BACKEND_PORT", str(free_port()))
    if has_frontend(project):
        set_env_value(project / "frontend" / ".env", "FRONTEND_PORT", str(free_port()))
    code, stderr = preflight(project)
    assert code == 0, stderr


def test_demo_on_a_taken_port_says_so_in_one_line_and_changes_nothing(
    project: Path, taken_port: int
) -> None:
    run = run_script(project, "dev.py", "--demo", "--backend-port", str(taken_port))
    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"error: port {taken_port} (backend) is already in use; stop the process that holds it "
        f"(e.g. 'lsof -i :{taken_port}'), or choose another BACKEND_PORT=... for this run"
    )
    assert not (project / "backend" / "demo.db").exists(), "checks come before any change"
