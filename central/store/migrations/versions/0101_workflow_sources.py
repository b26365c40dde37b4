"""Which device submission opened which case (the kiosk's application id), so a re-sent or twice-sent
application opens one case only.

Revision ID: 0101
Revises: 0100
Create Date: 2026-11-22 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0101"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wf_case_sources",
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_ref", name=op.f("pk_wf_case_sources")),
    )


def downgrade() -> None:
    op.drop_table("wf_case_sources")
