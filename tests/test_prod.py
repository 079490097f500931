"""`make prod`, the production rehearsal, run as an operator runs it in a fresh bake.

It comes up over https with the production file `make env` wrote at bake time, every listener
on 127.0.0.1, says which certificate to trust and how to add the first account, and Ctrl-C
(SIGINT to the whole foreground group) leaves no process behind. A bake without a frontend
serves the API alone; a PostgreSQL bake is told to name its database first; a machine without
Caddy is told how to install it. The browser suite against the rehearsal runs in the default
bake's own `make test` (test_baked_suites.py).
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Bake
from tests.console_run import ConsoleRun, interrupt_and_check_clean, start_console
from tests.support import (
    BACKEND_VENV,
    NPM_CACHE,
    Variant,
    free_port,
    processes_under,
    require_tool,
)
from tests.test_baked_suites import install_backend_exclusively

READY_TIMEOUT_SECONDS = 300
DEFAULTS = Variant("defaults")
BACKEND_ONLY = Variant("backend-only", {"include_frontend": "no"})
POSTGRESQL = Variant("postgresql", {"database": "postgresql", "include_frontend": "no"})
CADDY_HINT = (
    "error: Caddy (the https proxy) is not installed; install Debian's package with 'sudo "
    "apt-get install caddy' (other systems: https://caddyserver.com/docs/install), then run "
    "'make prod' again"
)


def environment() -> dict[str, str]:
    # The bake's production file sends mail to 127.0.0.1:1025; parallel runs each get a port.
    return {
        **os.environ,
        "npm_config_cache": str(NPM_CACHE),
        "SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
    }


def start_prod(project: Path, caddy_dir: Path) -> tuple[ConsoleRun, dict[str, int]]:
    """`make prod` on free ports, and those ports by role."""
    ports = {"app": free_port(), "api": free_port(), "http": free_port()}
    command = [
        require_tool("make"),
        "-C",
        str(project),
        "--no-print-directory",
        "prod",
        f"VENV={BACKEND_VENV}",
        f"APP_PORT={ports['app']}",
        f"API_PORT={ports['api']}",
        f"HTTP_PORT={ports['http']}",
        f"CADDY_DIR={caddy_dir}",
    ]
    return start_console("make prod", command, environment()), ports


def get(url: str, root_certificate: Path) -> tuple[int, str, str]:
    """Status, content type and body of `url`, the certificate verified against Caddy's root."""
    context = ssl.create_default_context(cafile=str(root_certificate))
    with urllib.request.urlopen(url, timeout=10, context=context) as answer:  # noqa: S310
        return answer.status, answer.headers["Content-Type"], answer.read().decode()


def listening_addresses(pids: set[str]) -> list[str]:
    """Local addresses of the TCP and UDP sockets that processes `pids` listen on (ss -p)."""
    found = []
    for flags in ("-ltnpH", "-lunpH"):
        table = subprocess.run(
            [require_tool("ss"), flags], capture_output=True, text=True, check=True
        ).stdout
        for line in table.splitlines():
            owners = set(re.findall(r"pid=(\d+)", line))
            if owners & pids:
                found.append(f"{flags} {line.split()[3]}")
    return found


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(variant, id=variant.id, marks=pytest.mark.xdist_group(variant.id))
        for variant in (DEFAULTS, BACKEND_ONLY)
    ],
)
def test_make_prod_serves_https_on_loopback_and_ctrl_c_leaves_nothing(
    variant: Variant, bake: Callable[[Variant], Bake], tmp_path: Path
) -> None:
    require_tool("caddy")
    if variant.has_frontend:
        require_tool("npm")
    project = bake(variant).project
    install_backend_exclusively(project)
    run, ports = start_prod(project, tmp_path / "caddy")
    try:
        assert run.ready.wait(READY_TIMEOUT_SECONDS), "not ready in time"
        output = run.output()
        app, api = (f"https://localhost:{ports[side]}" for side in ("app", "api"))
        if variant.has_frontend:
            assert f"Ready (production rehearsal): open {app}\n" in output, output[-4000:]
        else:
            assert f"the API answers at {api}\n" in output, output[-4000:]
        assert "settings from backend/.env.production (ENVIRONMENT=production)" in output
        assert (
            "First account: make user EMAIL=you@example.com ENV_FILE=backend/.env.production"
        ) in output
        root = tmp_path / "caddy" / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        assert f"    {root}\n" in output, "the certificate to trust is named"

        status, kind, body = get(f"{api}/health", root)
        assert (status, kind, json.loads(body)) == (200, "application/json", {"status": "ok"})
        if variant.has_frontend:
            status, kind, page = get(f"{app}/reset-password", root)
            assert (status, kind) == (200, "text/html; charset=utf-8")
            assert '<div id="root"></div>' in page
        pids = {line.split(":")[0] for line in processes_under(project)}
        sockets = listening_addresses(pids)
        assert len(sockets) >= 4, sockets  # Caddy's three ports and the backend, at least
        assert [s for s in sockets if not s.split()[1].startswith("127.0.0.1:")] == []
    finally:
        if run.process.poll() is None:
            interrupt_and_check_clean(run, project, ports.values())
    assert "Traceback" not in run.output()


@pytest.mark.xdist_group(POSTGRESQL.id)
def test_make_prod_asks_a_postgresql_project_for_its_database_first(
    bake: Callable[[Variant], Bake],
) -> None:
    require_tool("caddy")
    project = bake(POSTGRESQL).project
    install_backend_exclusively(project)
    make = [require_tool("make"), "-C", str(project), "--no-print-directory"]
    run = subprocess.run(
        [*make, "prod", f"VENV={BACKEND_VENV}"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=READY_TIMEOUT_SECONDS,
        check=False,
    )
    assert run.returncode != 0
    assert (
        "error: DATABASE_URL in backend/.env.production is still the example's placeholder; set "
        "it to your PostgreSQL database (postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME), "
        "then run make prod again"
    ) in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "migrating" not in run.stdout, "nothing runs before the settings are usable"


@pytest.mark.xdist_group(DEFAULTS.id)
def test_make_prod_without_caddy_says_how_to_install_it(
    bake: Callable[[Variant], Bake], tmp_path: Path
) -> None:
    project = bake(DEFAULTS).project
    install_backend_exclusively(project)
    empty = tmp_path / "no-tools"
    empty.mkdir()
    run = subprocess.run(
        [str(BACKEND_VENV / "bin" / "python"), "scripts/prod.py"],
        cwd=project,
        env={**os.environ, "PATH": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip() == CADDY_HINT
