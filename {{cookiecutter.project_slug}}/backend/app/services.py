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
    tokens: AccessTokens
    accounts: Accounts
    sessions: RefreshSessions


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
        tokens=AccessTokens(settings),
        accounts=Accounts(factory, Passwords(settings), throttle),
        sessions=RefreshSessions(factory, lifetime_seconds=settings.refresh_token_seconds),
    )
