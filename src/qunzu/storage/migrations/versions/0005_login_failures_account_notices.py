"""login failures and account notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lock_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failures_last_failure_at"), ["last_failure_at"], unique=False)

    op.create_table(
        "account_notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_notices_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_notices")),
    )
    with op.batch_alter_table("account_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_notices_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_notices_user_id"))
    op.drop_table("account_notices")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failure_at"))
    op.drop_table("login_failures")
