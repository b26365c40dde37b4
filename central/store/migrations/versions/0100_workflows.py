"""Permit workflows (issue 9): cases, transitions, tasks, payments, documents, counters.

A branch of its own so the central store's revisions and this one can land independently; the
store must then upgrade to "heads".

Revision ID: 0100
Revises: 0001
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0001"
branch_labels = ("workflows",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wf_cases",
        sa.Column("case_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_no", sa.String(length=32), nullable=False),
        sa.Column("sop_id", sa.String(length=32), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_step", sa.String(length=16), nullable=True),
        sa.Column("applicant_name", sa.String(length=128), server_default="", nullable=False),
        sa.Column("passport_no", sa.String(length=32), server_default="", nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("parent_case_id", sa.Integer(), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_wf_cases")),
        sa.UniqueConstraint("application_no", name=op.f("uq_wf_cases_application_no")),
    )
    with op.batch_alter_table("wf_cases") as batch:
        for col in ("sop_id", "service_code", "status", "applicant_name", "passport_no", "parent_case_id"):
            batch.create_index(batch.f(f"ix_wf_cases_{col}"), [col], unique=False)
    op.create_table(
        "wf_transitions",
        sa.Column("transition_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.String(length=32), nullable=False),
        sa.Column("step_no", sa.String(length=16), nullable=True),
        sa.Column("to_step", sa.String(length=48), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("decision", sa.String(length=32), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=512), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("transition_id", name=op.f("pk_wf_transitions")),
    )
    with op.batch_alter_table("wf_transitions") as batch:
        batch.create_index(batch.f("ix_wf_transitions_case_id"), ["case_id"], unique=False)
    op.create_table(
        "wf_tasks",
        sa.Column("task_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.String(length=32), nullable=False),
        sa.Column("step_no", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("entered_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("breached_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_wf_tasks")),
    )
    with op.batch_alter_table("wf_tasks") as batch:
        for col in ("case_id", "sop_id", "role"):
            batch.create_index(batch.f(f"ix_wf_tasks_{col}"), [col], unique=False)
    op.create_table(
        "wf_payments",
        sa.Column("billing_code", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("billed_at", TS, nullable=False),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("reference", sa.String(length=64), server_default="", nullable=False),
        sa.Column("recorded_by", sa.String(length=64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("billing_code", name=op.f("pk_wf_payments")),
    )
    with op.batch_alter_table("wf_payments") as batch:
        batch.create_index(batch.f("ix_wf_payments_case_id"), ["case_id"], unique=False)
    op.create_table(
        "wf_documents",
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_wf_documents")),
    )
    with op.batch_alter_table("wf_documents") as batch:
        batch.create_index(batch.f("ix_wf_documents_case_id"), ["case_id"], unique=False)
    op.create_table(
        "wf_counters",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_wf_counters")),
    )


def downgrade() -> None:
    for table in ("wf_counters", "wf_documents", "wf_payments", "wf_tasks", "wf_transitions", "wf_cases"):
        op.drop_table(table)
