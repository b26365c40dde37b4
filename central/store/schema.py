"""The central database schema (SQLAlchemy Core), shared by SQLite and PostgreSQL.

The Alembic migrations in ``central/store/migrations`` create exactly this schema; a test compares the
two so they cannot drift. Every table a device fact lands in is keyed by the wire's event id, so storing
the same event twice changes nothing (the edge outbox re-sends until it gets our ack).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("site", sa.String(64), nullable=False, server_default=""),
    sa.Column("lane", sa.String(32), nullable=False, server_default=""),
    sa.Column("direction", sa.String(16), nullable=False, server_default=""),
    sa.Column("online", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("in_service", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("lane_state", sa.String(48), nullable=False, server_default=""),
    sa.Column("passenger_inside", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("doors", sa.JSON, nullable=False, default=dict),
    sa.Column("watchlist_version", sa.String(64), nullable=False, server_default=""),
    sa.Column("software_version", sa.String(64), nullable=False, server_default=""),
    sa.Column("last_event_id", sa.String(36), nullable=True),
    sa.Column("last_event_at", TS, nullable=True),
    sa.Column("last_seen_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False, index=True),
    sa.Column("type", sa.String(48), nullable=False, index=True),
    sa.Column("occurred_at", TS, nullable=False, index=True),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
)

crossings = sa.Table(
    "crossings",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False, index=True),
    sa.Column("occurred_at", TS, nullable=False, index=True),
    sa.Column("direction", sa.String(16), nullable=False, server_default=""),
    sa.Column("outcome", sa.String(24), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False, server_default=""),
    sa.Column("document_number", sa.String(32), nullable=False, server_default="", index=True),
    sa.Column("issuing_state", sa.String(3), nullable=False, server_default=""),
    sa.Column("nationality", sa.String(3), nullable=False, server_default=""),
    sa.Column("holder_name", sa.String(128), nullable=False, server_default=""),
    sa.Column("step_seconds", sa.JSON, nullable=False, default=dict),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("device_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False, server_default="normal"),
    sa.Column("opened_at", TS, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open", index=True),
    sa.Column("details", sa.JSON, nullable=False, default=dict),
    sa.Column("face_jpeg", sa.LargeBinary, nullable=True),
    sa.Column("closed_by", sa.String(64), nullable=True),
    sa.Column("closed_at", TS, nullable=True),
)

commands = sa.Table(
    "commands",
    metadata,
    sa.Column("command_id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("params", sa.JSON, nullable=False, default=dict),
    sa.Column("alert_id", sa.Integer, nullable=True),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("issued_at", TS, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("answered_at", TS, nullable=True),
    sa.Column("answer", sa.String(256), nullable=False, server_default=""),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("quarantine_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("topic", sa.String(256), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("reason", sa.String(512), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(24), nullable=False),
    sa.Column("language", sa.String(2), nullable=False, server_default="id"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Bearer tokens and dashboard sessions: only a SHA-256 of the secret is stored, so a copy of the
# database does not let anyone act as a user or a device.
tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),  # "session", "api" or "device"
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("device_id", sa.String(64), nullable=True),
    sa.Column("csrf", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=True),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(48), nullable=False),
    sa.Column("target", sa.String(128), nullable=False, server_default=""),
    sa.Column("details", sa.JSON, nullable=False, default=dict),
)

incident_reports = sa.Table(
    "incident_reports",
    metadata,
    sa.Column("report_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, nullable=True, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # "cekal" (SOP-003-A03) or "interpol" (A04)
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("fields", sa.JSON, nullable=False, default=dict),
)

enrolments = sa.Table(
    "enrolments",
    metadata,
    sa.Column("issuing_state", sa.String(3), primary_key=True),
    sa.Column("document_number", sa.String(32), primary_key=True),
    sa.Column("record", sa.JSON, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)
