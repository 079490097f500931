"""The newcomer path: the root `make demo` reaches a page a headless Chromium can sign in to.

It runs the real target, as a person would, on free ports and in a temporary directory, then
presses Ctrl-C (SIGINT to the whole foreground process group) and checks nothing is left
running, the demo's mail catcher included. A second run must reuse the bake, its installs and
its secret.
"""

from __future__ import annotations

import fcntl
import os
import re
import smtplib
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.console_run import ConsoleRun, interrupt_and_check_clean, start_console
from tests.support import (
    BACKEND_VENV,
    CACHE,
    NPM_CACHE,
    REPO,
    env_secret,
    free_port,
    missing_tool,
    require_tool,
    write_cookiecutter_config,
)

READY_TIMEOUT_SECONDS = 300
BROWSER_TIMEOUT_SECONDS = 90
CHROMIUM = "/usr/bin/chromium"

# Signs in with the printed credentials, through the baked project's own @playwright/test.
LOGIN_SCRIPT = """
const [module, chromiumPath, url, email, password] = process.argv.slice(1);
const { chromium } = await import(module);
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  timeout: 30000,
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(url);
  const form = page.getByTestId('login-form');
  await form.getByTestId('email').fill(email);
  await form.getByTestId('password').fill(password);
  await form.getByTestId('submit').click();
  const shown = page.getByTestId('me-email');
  await shown.filter({ hasText: email }).waitFor();
  console.log(`signed in as ${await shown.textContent()} at ${new URL(page.url()).pathname}`);
} finally {
  await browser.close();
}
"""


def printed(run: ConsoleRun, label: str) -> str:
    """The value `make demo` printed after `label:` on a line of its own."""
    match = re.search(rf"^\s*{label}:\s*(\S+)\s*$", run.output(), re.MULTILINE)
    assert match, f"`make demo` printed no {label}:\n{run.output()[-4000:]}"
    return match.group(1)


def catcher_ports(run: ConsoleRun) -> tuple[int, ...]:
    """The port of the demo's mail catcher, from the ready message; none before it printed."""
    match = re.search(r"Mail: caught on 127\.0\.0\.1:(\d+)", run.output())
    return (int(match.group(1)),) if match else ()


def mail_port(run: ConsoleRun) -> int:
    ports = catcher_ports(run)
    assert ports, f"`make demo` did not say where mail goes:\n{run.output()[-4000:]}"
    return ports[0]


def mail_reaches_the_catcher(run: ConsoleRun, project: Path) -> None:
    """A mail sent to the demo's catcher prints its line and lands in artifacts/mail/."""
    message = EmailMessage()
    message["From"] = "app@example.org"
    message["To"] = "newcomer@example.org"
    message["Subject"] = "Catcher check"
    message.set_content("Open http://localhost/verify-email#token=demo-check\n")
    with smtplib.SMTP("127.0.0.1", mail_port(run), timeout=10) as client:
        client.send_message(message)
    deadline = time.monotonic() + 10
    while "mail to newcomer@example.org" not in run.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "mail to newcomer@example.org: 'Catcher check' http://localhost/verify-email" in (
        run.output()
    )
    assert list((project / "artifacts" / "mail").glob("*.eml")), "no .eml file was kept"


def start_demo(demo_dir: Path, ports: tuple[int, int], env: dict[str, str]) -> ConsoleRun:
    command = [
        require_tool("make"),
        "-C",
        str(REPO),
        "demo",
        f"DEMO_DIR={demo_dir}",
        f"DEMO_BACKEND_PORT={ports[0]}",
        f"DEMO_FRONTEND_PORT={ports[1]}",
        f"DEMO_VENV={BACKEND_VENV}",
    ]
    return start_console("make demo", command, env)


def sign_in_with_chromium(project: Path, url: str, email: str, password: str) -> str:
    module = project / "frontend" / "node_modules" / "@playwright" / "test" / "index.mjs"
    run = subprocess.run(
        [
            require_tool("node"),
            "--input-type=module",
            "-e",
            LOGIN_SCRIPT,
            "--",
            module.as_uri(),
            CHROMIUM,
            url,
            email,
            password,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_SECONDS,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.fixture
def chromium_available() -> None:
    if not Path(CHROMIUM).exists():
        missing_tool(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.mark.usefixtures("chromium_available")
def test_make_demo_signs_in_in_chromium_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    require_tool("npm")
    demo_dir = tmp_path / "demo"
    project = demo_dir / "secure_stack_app"
    env = {
        **os.environ,
        "npm_config_cache": str(NPM_CACHE),
        "COOKIECUTTER_CONFIG": str(write_cookiecutter_config(tmp_path / "cookiecutter")),
        "NO_COLOR": "1",
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    passwords = []
    # The demo installs into the matrix's shared virtualenv: hold its lock, as the matrix does.
    with (CACHE / "backend-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for attempt in ("cold", "warm"):
            ports = (free_port(), free_port())
            run = start_demo(demo_dir, ports, env)
            try:
                assert run.ready.wait(READY_TIMEOUT_SECONDS), f"{attempt}: not ready in time"
                output = run.output()
                assert "Ready: open" in output, f"{attempt}:\n{output[-4000:]}"
                url = re.search(r"Ready: open (\S+)", output)
                assert url
                assert url.group(1) == f"http://localhost:{ports[1]}"
                passwords.append(printed(run, "password"))
                if attempt == "cold":
                    secret = env_secret(project / "backend" / ".env")
                    signed_in = sign_in_with_chromium(
                        project, url.group(1), printed(run, "email"), passwords[-1]
                    )
                    assert signed_in.strip() == f"signed in as {printed(run, 'email')} at /"
                    mail_reaches_the_catcher(run, project)
                else:
                    # Reused: no reinstall, same secret, yet a fresh demo password.
                    assert "npm ci" not in output, output
                    assert "uv sync" not in output, output
                    assert env_secret(project / "backend" / ".env") == secret
                    assert passwords[1] != passwords[0]
            finally:
                if run.process.poll() is None:
                    interrupt_and_check_clean(run, demo_dir, (*ports, *catcher_ports(run)))
    assert "Traceback" not in run.output()
