"""Mail outbox costs in a baked backend: what queuing adds to a request, and delivery rates.

`enqueue`: one transaction that renders a mail and queues it (sealing included), against the
same transaction without mail, on the bake's SQLite file: what a request that sends mail pays.
`delivery`: mails per second a worker delivers to a local aiosmtpd server (one connection per
mail), with one instance and with two sharing the outbox. Run by hand in the backend venv:
`python -m bench.mail_outbox --backend build/bench/.../backend`.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import cli
from bench.baked import import_backend
from bench.serve import free_port

ENQUEUES = 300
WARM_UP = 20
MAILS = 200


def settings_for(database: Path, smtp_port: int) -> Any:
    from app.settings import load_settings

    return load_settings(
        better_auth_secret=secrets.token_urlsafe(48),
        database_url=f"sqlite:///{database}",
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
    )


def transaction_ms(services: Any, with_mail: bool) -> float:
    from app import db
    from app.mail import render
    from app.models import LoginAttempt

    factory = db.make_session_factory(services.engine)
    started = time.perf_counter()
    with factory.begin() as session:
        # Stands for the request's own write (a token row), so both sides commit something.
        session.add(LoginAttempt(key=secrets.token_hex(8), window_started=0.0, attempts=1))
        if with_mail:
            link = f"https://app.example.org/reset-password#token={secrets.token_urlsafe(32)}"
            message = render("reset_password", to="ada@example.org", link=link, valid_for="30 min")
            services.outbox.enqueue(session, message)
    return (time.perf_counter() - started) * 1000


def measure_enqueue(services: Any) -> dict[str, float]:
    """Both kinds of transaction taking turns, after a warm-up: run one after the other, the
    first kind paid for the new connections and the cold caches and looked the dearer."""
    for _ in range(WARM_UP):
        transaction_ms(services, with_mail=False)
        transaction_ms(services, with_mail=True)
    times: dict[str, list[float]] = {"without_mail": [], "with_mail": []}
    for _ in range(ENQUEUES):
        times["without_mail"].append(transaction_ms(services, with_mail=False))
        times["with_mail"].append(transaction_ms(services, with_mail=True))
    figures: dict[str, float] = {}
    for label, values in times.items():
        ordered = sorted(values)
        figures[f"{label}_median_ms"] = round(statistics.median(ordered), 3)
        figures[f"{label}_p99_ms"] = round(ordered[int(len(ordered) * 0.99) - 1], 3)
    return figures


async def deliver_all(workers: list[Any]) -> None:
    await asyncio.gather(*(worker.deliver_due() for worker in workers))


def measure_delivery(database: Path, instances: int) -> float:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink
    from app.services import build_services

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    services = [build_services(settings_for(database, port)) for _ in range(instances)]
    try:
        for _ in range(MAILS):
            transaction_ms(services[0], with_mail=True)
        started = time.perf_counter()
        asyncio.run(deliver_all([service.mail_worker for service in services]))
        return round(MAILS / (time.perf_counter() - started), 1)
    finally:
        for service in services:
            service.engine.dispose()
        controller.stop()


def private_copy(source: Path, target: Path) -> Path:
    """A copy with the mode the app gives its database files, so it has nothing to tighten (and
    to print) at start."""
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return target


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import_backend(args.backend)
    from app import db
    from app.services import build_services

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as scratch:
        template = Path(scratch) / "migrated.db"
        engine = db.make_engine(settings_for(template, free_port()))
        db.migrate(engine)
        engine.dispose()
        for run in range(args.runs):
            database = private_copy(template, Path(scratch) / f"run-{run}.db")
            services = build_services(settings_for(database, free_port()))
            try:
                figures: dict[str, Any] = measure_enqueue(services)
            finally:
                services.engine.dispose()
            for instances in (1, 2):
                copy = private_copy(template, Path(scratch) / f"run-{run}-{instances}.db")
                figures[f"mails_per_second_{instances}_instance"] = measure_delivery(
                    copy, instances
                )
            runs.append(figures)
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    return {"medians": medians, "runs": runs}


def show(results: dict[str, Any]) -> None:
    for key, value in results["medians"].items():
        print(f"{key}: {value}")


def main() -> int:
    return cli.run(__doc__ or "", measure, show, runs=3)


if __name__ == "__main__":
    raise SystemExit(main())
