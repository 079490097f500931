"""The objects a running app shares, built once from the settings by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from app import db
from app.accounts import Accounts
from app.passwords import Passwords
from app.refresh_sessions import RefreshSessions
from app.settings import Settings
from app.throttle import LoginThrottle
from app.tokens import AccessTokens


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: db.SessionFactory
    read_session_factory: db.ReadSessionFactory
    tokens: AccessTokens
    accounts: Accounts
    sessions: RefreshSessions

    def dispose(self) -> None:
        """Close every pooled connection: the writers' and, on SQLite, the readers' own pool."""
        self.engine.dispose()
        read_engine = self.read_session_factory.kw["bind"]
        if read_engine.pool is not self.engine.pool:
            read_engine.dispose()


def build_services(settings: Settings) -> Services:
    """Connect to the database, make sure its schema is current, and wire the services to it.

    Raises DatabaseNotReady when the database cannot be reached or, in production, when the
    migrations were not applied.
    """
    engine = db.make_engine(settings)
    try:
        db.prepare_schema(engine, settings)
    except BaseException:
        engine.dispose()
        raise
    factory = db.make_session_factory(engine)
    read_factory = db.make_read_session_factory(db.make_read_engine(settings, engine))
    throttle = LoginThrottle(
        factory,
        dialect=engine.dialect.name,
        per_account=settings.login_max_attempts_per_account,
        per_client=settings.login_max_attempts_per_client,
        window_seconds=settings.login_window_seconds,
    )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=factory,
        read_session_factory=read_factory,
        tokens=AccessTokens(settings),
        accounts=Accounts(factory, read_factory, Passwords(settings), throttle),
        sessions=RefreshSessions(factory, lifetime_seconds=settings.refresh_token_seconds),
    )
