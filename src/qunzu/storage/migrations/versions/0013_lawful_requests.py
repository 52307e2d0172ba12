"""lawful requests from authorities and their answer

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = qunzu.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lawful_requests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("period_from", When, nullable=False),
        sa.Column("period_to", When, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", BigId, nullable=False),
        sa.Column("requested_at", When, nullable=False),
        sa.Column("decided_by", BigId, nullable=True),
        sa.Column("decided_at", When, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("register_id", BigId, nullable=True),
        sa.Column("answered_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lawful_requests")),
    )
    with op.batch_alter_table("lawful_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lawful_requests_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lawful_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lawful_requests_status"))
    op.drop_table("lawful_requests")
