"""Registration (with verification), "forgot password" and "send the link again" tell a stranger
nothing about an address: through a real uvicorn server, the answers are byte for byte the same,
and the time they take cannot depend on the address either.

Time is proven by structure, not by a stopwatch (a ratio of medians is at the mercy of a busy
machine, and blind to differences under a millisecond): the work after the answer is held at a
gate, and each answer must arrive while it is held, so no address-dependent work can have been
done before answering; and what runs before the answer (each SQL statement, each argon2 hash or
verification) must be the same, step for step, whatever the address. An implementation that
looked the address up, hashed a password or wrote a link before answering fails one of the two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from app import password_reset, verification
from app.after_response import AfterResponse
from app.models import MailOutbox
from app.passwords import Passwords

from .conftest import AppFactory, SettingsFactory, new_account
from .lifecycle_support import PASSWORD, lifecycle_app, new_email, services_of
from .mail_support import wait_until
from .postgres import free_port

SAMPLES = 3
GATE_SECONDS = 15
# Headers that differ on every answer by design.
PER_ANSWER_HEADERS = {"date", "x-request-id"}


@dataclass
class HeldWork:
    """Holds each request's after-answer work at a gate, and records the steps run meanwhile."""

    gate: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    steps: list[str] = field(default_factory=list)

    def wrap(self, guarded: Callable[[AfterResponse, str], AfterResponse]) -> Callable[..., Any]:
        def held(work: AfterResponse, what: str) -> AfterResponse:
            run = guarded(work, what)

            def after_the_gate() -> None:
                self.arrived.set()
                assert self.gate.wait(GATE_SECONDS), "the test never opened the gate"
                try:
                    run()
                finally:
                    self.finished.set()

            return after_the_gate

        return held

    def record(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not self.gate.is_set():
            self.steps.append(statement)

    def counting(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if not self.gate.is_set():
                self.steps.append(name)
            return method(*args, **kwargs)

        return counted

    def close(self) -> None:
        self.gate.clear()
        self.arrived.clear()
        self.finished.clear()
        self.steps = []


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldWork]:
    holder = HeldWork()
    monkeypatch.setattr(verification, "guarded", holder.wrap(verification.guarded))
    monkeypatch.setattr(password_reset, "guarded", holder.wrap(password_reset.guarded))
    monkeypatch.setattr(Passwords, "hash", holder.counting("argon2 hash", Passwords.hash))
    monkeypatch.setattr(Passwords, "_verify", holder.counting("argon2 verify", Passwords._verify))
    event.listen(Engine, "before_cursor_execute", holder.record)
    try:
        yield holder
    finally:
        event.remove(Engine, "before_cursor_execute", holder.record)
        holder.gate.set()


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn on a free 127.0.0.1 port, in this process; stopped on exit."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, "uvicorn to start", seconds=15)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(15)


def mail_count(app: FastAPI) -> int:
    services = services_of(app)
    count = services.read_session_factory.run(
        lambda session: session.scalar(select(func.count()).select_from(MailOutbox))
    )
    return int(count or 0)


def shape(response: httpx.Response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_ANSWER_HEADERS)
    return response.status_code, response.content, tuple(headers)


def ask(held: HeldWork, http: httpx.Client, path: str, body: dict[str, Any]) -> tuple[Any, ...]:
    """One request: its answer must arrive while its after-answer work waits at the gate."""
    held.close()
    response = http.post(path, json=body)
    assert held.arrived.wait(GATE_SECONDS), f"{path} handed no work to after the answer"
    assert not held.finished.is_set()
    answered_before_work = (shape(response), tuple(held.steps))
    held.gate.set()
    assert held.finished.wait(GATE_SECONDS), f"the after-answer work of {path} never ended"
    return answered_before_work


def compare(
    app: FastAPI,
    held: HeldWork,
    http: httpx.Client,
    path: str,
    bodies: dict[str, Callable[[int], dict[str, Any]]],
    mails: dict[str, int],
) -> None:
    """Alternate the two kinds; one answer and one list of pre-answer steps for both."""
    seen: dict[str, set[tuple[Any, ...]]] = {kind: set() for kind in bodies}
    expected = mail_count(app)
    for index in range(SAMPLES):
        for kind, body in bodies.items():
            seen[kind].add(ask(held, http, path, body(index)))
            expected += mails[kind]
            assert mail_count(app) == expected, f"the mail of {path} ({kind})"
    first, second = seen.values()
    assert len(first) == 1, f"{path} answered or worked differently for the same kind: {first}"
    assert first == second, f"{path}: {dict(zip(bodies, (first, second), strict=True))}"
    (answer, steps), *_ = first
    assert answer[0] == 202
    assert steps, "no pre-answer step recorded: the attempt was not counted"


@pytest.fixture
def app(make_settings: SettingsFactory, make_app: AppFactory) -> FastAPI:
    return lifecycle_app(make_settings, make_app)


def test_register_forgot_and_resend_answer_alike_and_do_alike_before_answering(
    app: FastAPI, held: HeldWork
) -> None:
    owners = [new_account(app) for _ in range(SAMPLES)]
    services = services_of(app)
    pending = [
        services.accounts.register(new_email(), PASSWORD, email_verified=False).email
        for _ in range(SAMPLES)
    ]
    fresh = [new_email() for _ in range(SAMPLES)]
    with served(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        # The throttle's periodic sweep runs on a first request; let it pass before comparing.
        ask(held, http, "/auth/password/forgot", {"email": new_email()})
        compare(
            app,
            held,
            http,
            "/auth/register",
            {
                "new address": lambda i: {"email": fresh[i], "password": PASSWORD},
                "taken address": lambda i: {"email": owners[i].email, "password": PASSWORD},
            },
            {"new address": 1, "taken address": 1},
        )
        compare(
            app,
            held,
            http,
            "/auth/password/forgot",
            {
                "account": lambda i: {"email": owners[i].email},
                "no account": lambda i: {"email": new_email()},
            },
            {"account": 1, "no account": 0},
        )
        compare(
            app,
            held,
            http,
            "/auth/verify-email/resend",
            {
                "waiting for verification": lambda i: {"email": pending[i]},
                "no account": lambda i: {"email": new_email()},
            },
            {"waiting for verification": 1, "no account": 0},
        )
    assert services.accounts.find(fresh[-1]) is not None
