"""The workflow tables, on central's one MetaData so one migration run creates everything.

Created by ``central/store/migrations/versions/0100_workflows.py``; keep the two in step.
"""

from __future__ import annotations

import sqlalchemy as sa

from central.store.schema import TS, metadata

wf_cases = sa.Table(
    "wf_cases",
    metadata,
    sa.Column("case_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_no", sa.String(32), nullable=False, unique=True),
    sa.Column("sop_id", sa.String(32), nullable=False, index=True),
    sa.Column("service_code", sa.String(32), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open, held, or an outcome
    sa.Column("current_step", sa.String(16), nullable=True),
    sa.Column("applicant_name", sa.String(128), nullable=False, server_default="", index=True),
    sa.Column("passport_no", sa.String(32), nullable=False, server_default="", index=True),
    sa.Column("data", sa.JSON, nullable=False, default=dict),
    sa.Column("parent_case_id", sa.Integer, nullable=True, index=True),
    sa.Column("opened_by", sa.String(64), nullable=False),
    sa.Column("opened_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
)

wf_transitions = sa.Table(
    "wf_transitions",
    metadata,
    sa.Column("transition_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("sop_id", sa.String(32), nullable=False),
    sa.Column("step_no", sa.String(16), nullable=True),
    sa.Column("to_step", sa.String(48), nullable=True),
    sa.Column("action", sa.String(24), nullable=False),
    sa.Column("decision", sa.String(32), nullable=False, server_default=""),
    sa.Column("reason", sa.String(512), nullable=False, server_default=""),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", TS, nullable=False),
)

wf_tasks = sa.Table(
    "wf_tasks",
    metadata,
    sa.Column("task_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("sop_id", sa.String(32), nullable=False, index=True),
    sa.Column("step_no", sa.String(16), nullable=False),
    sa.Column("role", sa.String(24), nullable=False, index=True),
    sa.Column("assignee", sa.String(64), nullable=True),
    sa.Column("entered_at", TS, nullable=False),
    sa.Column("due_at", TS, nullable=True),
    sa.Column("done_at", TS, nullable=True),
    sa.Column("breached_at", TS, nullable=True),
)

wf_payments = sa.Table(
    "wf_payments",
    metadata,
    sa.Column("billing_code", sa.String(24), primary_key=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("service_code", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "fee" or "overstay"
    sa.Column("amount", sa.BigInteger, nullable=False),  # rupiah
    sa.Column("billed_at", TS, nullable=False),
    sa.Column("paid_at", TS, nullable=True),
    sa.Column("reference", sa.String(64), nullable=False, server_default=""),
    sa.Column("recorded_by", sa.String(64), nullable=False, server_default=""),
)

wf_documents = sa.Table(
    "wf_documents",
    metadata,
    sa.Column("number", sa.String(40), primary_key=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("pdf", sa.LargeBinary, nullable=False),
)

wf_counters = sa.Table(
    "wf_counters",
    metadata,
    sa.Column("name", sa.String(48), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# The submission that opened a case (a kiosk's application id): the same application arriving twice
# (MQTT re-delivery, or both the MQTT event and the kiosk's HTTP fallback) opens one case.
wf_case_sources = sa.Table(
    "wf_case_sources",
    metadata,
    sa.Column("source_ref", sa.String(64), primary_key=True),
    sa.Column("case_id", sa.Integer, nullable=False),
)
