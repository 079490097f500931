"""The database layer: DATABASE_URL checks, migrations that match the models and can run
concurrently, and a production start that refuses an unmigrated or unreachable database."""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, inspect

from app import db
from app.main import create_app
from app.models import Base, LoginAttempt
from app.settings import BACKEND_DIR, ENV_FILE_VARIABLE, SettingsError, load_settings

from .conftest import (
    BAKED_DATABASE,
    EXAMPLE_ENV,
    AppFactory,
    SettingsFactory,
    add_counters,
    remaining_counters,
    run_backend,
    server_environment,
)

PRODUCTION = {
    "environment": "production",
    "cors_origins": "https://app.example.org",
    "argon2_time_cost": 2,
    "argon2_memory_kib": 19456,
}


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, of the baked kind."""
    if BAKED_DATABASE == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server = request.getfixturevalue("postgres")
    url: str = server.create_database(f"empty_{secrets.token_hex(4)}")
    return url


@pytest.fixture
def engine(empty_database: str, make_settings: SettingsFactory) -> Engine:
    return db.make_engine(make_settings(database_url=empty_database))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://user:pw@host/db", "names the 'mysql' database"),
        ("postgresql://user:pw@host/db", "starts with postgresql://; use postgresql+psycopg://"),
        ("postgresql+asyncpg://user:pw@host/db", "starts with postgresql+asyncpg://"),
        ("not a url", "is not a SQLAlchemy URL"),
    ],
)
def test_unusable_database_urls_are_refused_without_echoing_them(url: str, expected: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=EXAMPLE_ENV, better_auth_secret="x" * 48, database_url=url)
    assert f"DATABASE_URL {expected}" in str(refused.value)
    assert "pw@" not in str(refused.value)


def test_migrations_create_exactly_the_models_schema(engine: Engine) -> None:
    db.migrate(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert db.schema_revisions(engine) == db.expected_revisions()
    engine.dispose()


def test_migrations_downgrade_to_nothing_and_upgrade_again(engine: Engine) -> None:
    db.migrate(engine)
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    db.migrate(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def journal_mode_once_both_start(together: threading.Barrier, engine: Engine) -> str:
    together.wait()
    with engine.connect() as connection:
        return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar())


def test_first_connections_racing_on_a_new_sqlite_file_both_get_wal(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """Two instances starting at once on a new file: SQLite refuses the loser's switch to WAL at
    once ("database is locked", no busy handler), so the switch must wait it out."""
    for attempt in range(30):
        settings = make_settings(database_url=f"sqlite:///{tmp_path / f'new-{attempt}.db'}")
        engines = [db.make_engine(settings) for _ in range(2)]
        together = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            modes = list(pool.map(journal_mode_once_both_start, [together] * 2, engines))
        for engine in engines:
            engine.dispose()
        assert modes == ["wal", "wal"]


def test_two_migrators_at_once_take_turns(empty_database: str, engine: Engine) -> None:
    """Two `make migrate` (or two development instances) on one empty database: one migrates,
    the other waits for its lock and then finds nothing to do."""
    environment = server_environment(
        better_auth_secret=secrets.token_urlsafe(48), database_url=empty_database
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=BACKEND_DIR,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("Running upgrade  -> 0001" in output for output in outputs) == 1
    assert db.schema_revisions(engine) == db.expected_revisions()
    engine.dispose()


def test_production_refuses_an_unmigrated_database_and_creates_nothing(
    empty_database: str, make_settings: SettingsFactory, make_app: AppFactory
) -> None:
    settings = make_settings(database_url=empty_database, **PRODUCTION)
    with pytest.raises(db.DatabaseNotReady, match="Run 'make migrate'"):
        create_app(settings)
    engine = create_engine(empty_database)
    assert inspect(engine).get_table_names() == []
    db.migrate(engine)
    engine.dispose()
    assert make_app(settings).state.services.settings.is_production


def test_unreachable_database_is_one_clear_sentence(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'missing-dir' / 'app.db'}")
    with pytest.raises(db.DatabaseNotReady, match=r"cannot use sqlite:///.*: unable to open"):
        create_app(settings)


def test_unreachable_database_names_the_env_file_in_use(
    tmp_path: Path, make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    production_file = tmp_path / ".env.production"
    production_file.touch()
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(production_file))
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'missing-dir' / 'app.db'}")
    with pytest.raises(db.DatabaseNotReady, match=r"database name in .*/\.env\.production right"):
        create_app(settings)


def test_uvicorn_entry_point_in_production_refuses_an_unmigrated_database(
    empty_database: str,
) -> None:
    environment = server_environment(
        better_auth_secret=secrets.token_urlsafe(48), database_url=empty_database, **PRODUCTION
    )
    result = run_backend(["-c", "import app.main; app.main.app"], environment)
    assert result.returncode == 1
    assert "The backend cannot start:" in result.stderr
    assert "Run 'make migrate'" in result.stderr
    assert "Traceback" not in result.stderr


def test_sweep_deletes_expired_rows_only(app: FastAPI) -> None:
    factory = db.make_session_factory(app.state.services.engine)
    add_counters(factory, old=1.0, older=0.0, current=time.time())
    with factory.begin() as session:
        db.delete_unlocked(session, LoginAttempt.key, LoginAttempt.window_started < 100)
    assert remaining_counters(factory) == {"current"}
