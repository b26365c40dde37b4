"""The tamper-evident audit trail (issue 12): each audit row is chained to the one before it.

Every row written by ``Store.audit`` gets a row in ``audit_chain`` in the same transaction:
``hash = SHA-256(prev_hash || canonical JSON of the audit row)``, with ``prev_hash`` the previous row's
hash (64 zeros for the first). Changing, deleting or inserting an audit row afterwards breaks the chain
from that row on, and ``python -m central audit verify`` names the first broken row.

This detects tampering by someone who edits rows but does not recompute every later hash; someone with
write access who rewrites the whole chain is caught only by comparing with a copy of a recent head hash
kept elsewhere (``verify`` prints it; see docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()
GENESIS = "0" * 64

chain = sa.Table(
    "audit_chain",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)


def record_hash(prev_hash: str, row: Any) -> str:
    """The chain hash of one audit row (as read back from the database) after ``prev_hash``."""
    at = row.at
    if isinstance(at, datetime) and at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)  # SQLite reads back naive UTC, PostgreSQL aware
    body = json.dumps(
        [
            row.audit_id,
            at.isoformat() if isinstance(at, datetime) else str(at),
            row.actor,
            row.action,
            row.target,
            row.details,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(prev_hash.encode() + body.encode()).hexdigest()


def link(conn: sa.Connection, audit: sa.Table, audit_id: int) -> str:
    """Chain the just-inserted audit row ``audit_id`` inside the caller's transaction; returns its hash."""
    last = conn.execute(
        sa.select(chain.c.hash).order_by(chain.c.audit_id.desc()).limit(1).with_for_update()
    ).scalar()
    row = conn.execute(sa.select(audit).where(audit.c.audit_id == audit_id)).one()
    prev = last or GENESIS
    digest = record_hash(prev, row)
    conn.execute(chain.insert().values(audit_id=audit_id, prev_hash=prev, hash=digest))
    return digest


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: how many rows checked, the head hash, and the first broken row if any."""

    checked: int
    head: str
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(engine: sa.Engine) -> Verdict:
    """Walk the audit rows in id order and check each against the chain; stop at the first break."""
    from central.store.schema import audit  # here: central.store imports this module

    prev = GENESIS
    checked = 0
    with engine.connect() as conn:
        stored = {r.audit_id: r for r in conn.execute(sa.select(chain))}
        for row in conn.execute(sa.select(audit).order_by(audit.c.audit_id)):
            entry = stored.pop(row.audit_id, None)
            if entry is None:
                return Verdict(
                    checked, prev, row.audit_id, "the row has no chain entry (inserted afterwards?)"
                )
            if entry.prev_hash != prev:
                return Verdict(checked, prev, row.audit_id, "the row before it was deleted or changed")
            if record_hash(prev, row) != entry.hash:
                return Verdict(checked, prev, row.audit_id, "the row was changed after it was written")
            prev = entry.hash
            checked += 1
    if stored:
        missing = min(stored)
        return Verdict(checked, prev, missing, "the row was deleted")
    return Verdict(checked, prev)
