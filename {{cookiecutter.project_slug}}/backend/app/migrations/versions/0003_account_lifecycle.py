"""The account lifecycle: verified addresses, one-time links, and what the session list shows.

Existing users become verified: they signed up before verification existed, and locking them
out now would help nobody. Columns are only added (SQLite's ALTER TABLE ADD COLUMN), never
altered: a SQLite table rebuild of `users` would, with foreign keys on, cascade-delete every
session.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("email_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    users = sa.table("users", sa.column("email_verified", sa.Boolean()))
    op.execute(users.update().values(email_verified=True))
    op.add_column("refresh_families", sa.Column("last_used_at", sa.Float(), nullable=True))
    op.add_column("refresh_families", sa.Column("user_agent", sa.String(200), nullable=True))
    op.create_table(
        "one_time_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.Column("superseded_at", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('verify_email', 'reset_password')",
            name=op.f("ck_one_time_tokens_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_one_time_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_one_time_tokens")),
    )
    op.create_index("ix_one_time_tokens_user_purpose", "one_time_tokens", ["user_id", "purpose"])
    op.create_index(op.f("ix_one_time_tokens_expires_at"), "one_time_tokens", ["expires_at"])


def downgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+), never a batch rebuild: see the module docstring.
    op.drop_table("one_time_tokens")
    op.drop_column("refresh_families", "user_agent")
    op.drop_column("refresh_families", "last_used_at")
    op.drop_column("users", "email_verified")
