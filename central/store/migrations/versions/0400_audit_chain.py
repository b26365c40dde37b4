"""The audit trail's hash chain (issue 12): one row per audit row, mirroring central/audit_chain.py.

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-22 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0400"
down_revision = "0001"
branch_labels = ("audit_chain",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("audit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("audit_id"),
    )


def downgrade() -> None:
    op.drop_table("audit_chain")
