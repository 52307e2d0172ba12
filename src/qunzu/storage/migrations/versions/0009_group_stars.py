"""group credit stars (群信用星级) and the owner's choice to be listed in group search

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stars", sa.Integer(), server_default="5", nullable=False))
        batch_op.add_column(sa.Column("listed", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_groups_listed"), ["listed"], unique=False)

    with op.batch_alter_table("enforcement_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stars", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enforcement_records", schema=None) as batch_op:
        batch_op.drop_column("stars")

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_groups_listed"))
        batch_op.drop_column("listed")
        batch_op.drop_column("stars")
