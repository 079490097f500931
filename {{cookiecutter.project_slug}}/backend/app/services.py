"""The objects a running app shares, built once from the settings by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from app import db
from app.account_mail import AccountMail
from app.accounts import Accounts
from app.cookies import CookieTransport, device_cookie, refresh_cookie
from app.derived_keys import derive_key
from app.devices import Devices
from app.lifecycle_parts import LifecycleParts
from app.logins import Logins
from app.mail.outbox import Outbox
from app.mail.sealing import BodyCipher
from app.mail.smtp import SmtpTransport
from app.mail.store import OutboxStore
from app.mail.worker import MailWorker, RetryPolicy
from app.one_time_links import OneTimeLinks
from app.password_change import PasswordChanges
from app.password_reset import PasswordResets
from app.passwords import Passwords
from app.refresh_sessions import RefreshSessions
from app.settings import Settings
from app.throttle import Throttle, policies_for
from app.tokens import AccessTokens
from app.verification import Verification


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: db.SessionFactory
    read_session_factory: db.ReadSessionFactory
    tokens: AccessTokens
    accounts: Accounts
    refresh_sessions: RefreshSessions
    # Throttling for every guarded action, device-aware logins, the two cookies.
    throttle: Throttle
    logins: Logins
    refresh_cookie: CookieTransport
    device_cookie: CookieTransport
    # Mail: request code queues with `outbox.enqueue`; the app's lifespan runs `mail_worker`.
    outbox: Outbox
    mail_worker: MailWorker
    # The account lifecycle: verified addresses, forgotten and changed passwords.
    verification: Verification
    password_resets: PasswordResets
    password_changes: PasswordChanges

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
    secret = settings.better_auth_secret.get_secret_value()
    throttle = Throttle(
        factory,
        dialect=engine.dialect.name,
        key=derive_key(secret, "throttle counters"),
        policies=policies_for(settings),
    )
    passwords = Passwords(settings)
    refresh_sessions = RefreshSessions(
        factory,
        read_factory,
        lifetime_seconds=settings.refresh_token_seconds,
        max_age_seconds=settings.session_max_seconds,
    )
    logins = Logins(
        factory,
        passwords=passwords,
        throttle=throttle,
        devices=Devices(derive_key(secret, "device cookies")),
        refresh_sessions=refresh_sessions,
        require_verified_email=settings.verification_required,
    )
    outbox, mail_worker = build_mail(settings, factory)
    parts = LifecycleParts(
        factory,
        read_factory,
        passwords=passwords,
        throttle=throttle,
        links=OneTimeLinks(),
        mail=AccountMail(settings),
        outbox=outbox,
        refresh_sessions=refresh_sessions,
    )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=factory,
        read_session_factory=read_factory,
        tokens=AccessTokens(settings),
        accounts=Accounts(factory, read_factory, passwords, throttle),
        refresh_sessions=refresh_sessions,
        throttle=throttle,
        logins=logins,
        refresh_cookie=refresh_cookie(settings),
        device_cookie=device_cookie(settings),
        outbox=outbox,
        mail_worker=mail_worker,
        verification=Verification(parts, link_seconds=settings.verification_link_seconds),
        password_resets=PasswordResets(parts, link_seconds=settings.reset_link_seconds),
        password_changes=PasswordChanges(parts),
    )


def build_mail(settings: Settings, session_factory: db.SessionFactory) -> tuple[Outbox, MailWorker]:
    """The outbox and its worker, sharing one store and one body cipher; nothing starts here."""
    store = OutboxStore(session_factory)
    cipher = BodyCipher(settings.verification_secrets)
    worker = MailWorker(
        store,
        cipher,
        SmtpTransport(settings.smtp, timeout=settings.smtp_timeout_seconds),
        RetryPolicy(
            max_delay_seconds=settings.mail_retry_max_seconds,
            give_up_after_seconds=settings.mail_give_up_hours * 3600,
            poll_seconds=settings.mail_poll_seconds,
        ),
        mail_from=settings.mail_from,
    )
    return Outbox(store, cipher, wake=worker.wake), worker
