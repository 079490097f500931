"""Database tables: users, refresh-token families and tokens, login-attempt counters, mail outbox,
one-time links.

Times are epoch seconds (UTC) in floating-point columns: they compare the same way on SQLite and
PostgreSQL, with no timezone conversion in between.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names that are the same on every database, so a migration can name what it alters.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The metadata every table registers with; the migrations are checked against it."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    # Random ids, so an id says nothing about how many accounts exist or when one was made.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Float)
    # Whether the owner proved the address (a verification or reset link). Defaults to false at
    # every level, so a row written without it is never taken for a proven address.
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RefreshFamily(Base):
    """One login's chain of refresh tokens. `generation` names the only token that may be used.

    Rotation is a conditional UPDATE of this row (`WHERE generation = :seen AND revoked_at IS
    NULL`), so concurrent rotations and revocations serialise on one row on every database.
    """

    __tablename__ = "refresh_families"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    # For the owner's session list: the last rotation, and the browser that signed in (cleaned
    # of control characters and cut to USER_AGENT_LENGTH).
    last_used_at: Mapped[float | None] = mapped_column(Float, default=None)
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)


class RefreshToken(Base):
    """A refresh token, stored only as the SHA-256 of its value."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(
        ForeignKey("refresh_families.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class LoginAttempt(Base):
    """A fixed-window counter of login attempts for one account or one client address."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_started: Mapped[float] = mapped_column(Float, index=True)
    attempts: Mapped[int] = mapped_column(Integer)


# --- Mail outbox ---------------------------------------------------------------------------------


class MailOutbox(Base):
    """A mail to deliver, or delivered. Written in the transaction that asked for it.

    `body` is sealed (app/mail/sealing.py) and emptied once the mail is sent or given up;
    recipient and subject stay readable for operators. A worker owns a row while
    `claimed_until` lies ahead (see app/mail/store.py).
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    claimed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_until: Mapped[float | None] = mapped_column(Float, default=None)
    finished_at: Mapped[float | None] = mapped_column(Float, default=None, index=True)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)


# --- One-time links ------------------------------------------------------------------------------


class OneTimeToken(Base):
    """The token of a mailed link (email verification, password reset), stored only as SHA-256.

    A link works while `used_at` and `superseded_at` are empty and `expires_at` lies ahead; using
    it is one conditional UPDATE (see app/one_time_links.py), so of concurrent uses one wins.
    """

    __tablename__ = "one_time_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('verify_email', 'reset_password')", name="purpose"),
        Index("ix_one_time_tokens_user_purpose", "user_id", "purpose"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    used_at: Mapped[float | None] = mapped_column(Float, default=None)
    superseded_at: Mapped[float | None] = mapped_column(Float, default=None)
