"""The central store: every read and write of the database goes through :class:`Store`.

There is one writer per process: writes take ``Store.write_lock`` so the ingest's batch writer and the
API's few writes (commands, users, reports) never fight over SQLite's single write lock.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from central import audit_chain
from central.errors import Conflict, Invalid, NotFound
from central.store import schema as t
from central.store.engine import StoreError, make_engine, migrate

__all__ = [
    "VALUES_CHUNK",
    "AlertRecord",
    "CrossingRecord",
    "DeviceStatus",
    "EventRecord",
    "Store",
    "StoreError",
    "hash_secret",
    "utc",
]

Row = dict[str, Any]
ALERT_STATES = ("open", "acknowledged", "closed")
VALUES_CHUNK = 1000  # rows per multi-row INSERT (6,000 parameters: under SQLite's 32,766)
COMMAND_STATES = ("pending", "acknowledged", "refused", "failed")


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hash_secret(secret: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to keep them unusable at rest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _plain(row: Any) -> Row:
    out = dict(row._mapping)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = utc(value)
    return out


@dataclass(frozen=True)
class CrossingRecord:
    """The crossing projection of an event: what the reports and the crossing search read."""

    outcome: str
    direction: str = ""
    reason: str = ""
    document_number: str = ""
    issuing_state: str = ""
    nationality: str = ""
    holder_name: str = ""
    step_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertRecord:
    """The alert projection of an alarm event: what the supervisors' queue shows."""

    kind: str
    priority: str = "normal"
    details: dict[str, Any] = field(default_factory=dict)
    face_jpeg: bytes | None = None


@dataclass(frozen=True)
class EventRecord:
    """One device fact, validated by the ingest, ready to store idempotently by ``event_id``."""

    event_id: str
    device_id: str
    type: str
    occurred_at: datetime
    body: dict[str, Any]
    crossing: CrossingRecord | None = None
    alert: AlertRecord | None = None


@dataclass(frozen=True)
class DeviceStatus:
    """A device's reported state; ``None`` fields are left as they were."""

    device_id: str
    at: datetime
    online: bool | None = None
    in_service: bool | None = None
    lane_state: str | None = None
    passenger_inside: bool | None = None
    doors: dict[str, str] | None = None
    watchlist_version: str | None = None
    software_version: str | None = None


_CROSSING_COLUMNS = (
    "event_id",
    "device_id",
    "occurred_at",
    "direction",
    "outcome",
    "reason",
    "document_number",
    "issuing_state",
    "nationality",
    "holder_name",
    "step_seconds",
)
_LAST_EVENT_UPDATE = (
    t.devices.update()
    .where(t.devices.c.device_id == sa.bindparam("b_device"))
    .where(
        sa.or_(
            t.devices.c.last_event_at.is_(None),
            t.devices.c.last_event_at <= sa.bindparam("b_at"),
        )
    )
    .values(last_event_id=sa.bindparam("b_event"), last_event_at=sa.bindparam("b_at"))
)
_SQLITE_EVENT_ROW = "(?,?,?,?,?,?)"
_SQLITE_EVENTS = (
    "INSERT INTO events (event_id, device_id, type, occurred_at, received_at, body) VALUES {rows} "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)
_SQLITE_CROSSINGS = (
    f"INSERT INTO crossings ({', '.join(_CROSSING_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_CROSSING_COLUMNS))}) ON CONFLICT (event_id) DO NOTHING"
)
# PostgreSQL: one statement per table for the whole batch, the columns sent as arrays (one round trip,
# no per-row statements; ``executemany`` would be one statement per row even in pipeline mode).
_PG_EVENTS = (
    "INSERT INTO events (event_id, device_id, type, occurred_at, received_at, body) "
    "SELECT e, d, y, o, %b::timestamptz, b::json FROM unnest("
    "%b::text[], %b::text[], %b::text[], %b::timestamptz[], %b::text[]) AS v(e, d, y, o, b) "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)
_PG_CROSSINGS = (
    f"INSERT INTO crossings ({', '.join(_CROSSING_COLUMNS)}) "
    "SELECT e, d, o, di, ou, r, dn, i, na, h, s::json FROM unnest("
    "%b::text[], %b::text[], %b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::text[], "
    "%b::text[], %b::text[], %b::text[], %b::text[]) AS v(e, d, o, di, ou, r, dn, i, na, h, s) "
    "ON CONFLICT (event_id) DO NOTHING"
)


class _SqliteBind:
    """SQLAlchemy's own conversions for the SQLite columns the ingest writes directly."""

    def __init__(self, dialect: sa.Dialect) -> None:
        def processor(column: sa.Column[Any]) -> Any:
            made = column.type.dialect_impl(dialect).bind_processor(dialect)
            return made if made is not None else (lambda value: value)

        self.when = processor(t.events.c.occurred_at)
        self.body = processor(t.events.c.body)
        self.steps = processor(t.crossings.c.step_seconds)


def _sqlite_store(
    dbapi: Any, bind: _SqliteBind, records: list[EventRecord], received_at: datetime
) -> list[str]:
    when, body = bind.when, bind.body
    received = when(utc(received_at))
    cursor = dbapi.cursor()
    new_ids: list[str] = []
    try:
        for start in range(0, len(records), VALUES_CHUNK):
            chunk = records[start : start + VALUES_CHUNK]
            params: list[Any] = []
            for r in chunk:
                params += (r.event_id, r.device_id, r.type, when(utc(r.occurred_at)), received, body(r.body))
            cursor.execute(_SQLITE_EVENTS.format(rows=",".join([_SQLITE_EVENT_ROW] * len(chunk))), params)
            new_ids += [row[0] for row in cursor.fetchall()]
        fresh = set(new_ids)
        crossings = [
            (
                r.event_id,
                r.device_id,
                when(utc(r.occurred_at)),
                c.direction,
                c.outcome,
                c.reason,
                c.document_number,
                c.issuing_state,
                c.nationality,
                c.holder_name,
                bind.steps(c.step_seconds),
            )
            for r in records
            if (c := r.crossing) is not None and r.event_id in fresh
        ]
        if crossings:
            cursor.executemany(_SQLITE_CROSSINGS, crossings)
    finally:
        cursor.close()
    return new_ids


def _pg_store(dbapi: Any, records: list[EventRecord], received_at: datetime) -> list[str]:
    dumps = json.dumps
    with dbapi.cursor() as cursor:
        cursor.execute(
            _PG_EVENTS,
            (
                utc(received_at),
                [r.event_id for r in records],
                [r.device_id for r in records],
                [r.type for r in records],
                [utc(r.occurred_at) for r in records],
                [dumps(r.body) for r in records],
            ),
            binary=True,  # the text format escapes every JSON quote with a regex: 3x the cost
        )
        new_ids = [row[0] for row in cursor.fetchall()]
        fresh = set(new_ids)
        crossings = [(r, c) for r in records if (c := r.crossing) is not None and r.event_id in fresh]
        if crossings:
            cursor.execute(
                _PG_CROSSINGS,
                (
                    [r.event_id for r, _ in crossings],
                    [r.device_id for r, _ in crossings],
                    [utc(r.occurred_at) for r, _ in crossings],
                    [c.direction for _, c in crossings],
                    [c.outcome for _, c in crossings],
                    [c.reason for _, c in crossings],
                    [c.document_number for _, c in crossings],
                    [c.issuing_state for _, c in crossings],
                    [c.nationality for _, c in crossings],
                    [c.holder_name for _, c in crossings],
                    [dumps(c.step_seconds) for _, c in crossings],
                ),
                binary=True,
            )
    return new_ids


class Store:
    """The database behind central: SQLite (WAL) or PostgreSQL, same schema, same behaviour."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.write_lock = threading.RLock()
        if create:
            migrate(self.engine)
        self._is_pg = self.engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if self._is_pg else sqlite.insert
        self._sqlite_bind = _SqliteBind(self.engine.dialect)

    def close(self) -> None:
        self.engine.dispose()

    # -- ingest ---------------------------------------------------------------------------------------

    def store_events(self, records: Sequence[EventRecord], *, received_at: datetime) -> list[str]:
        """Store a batch in one transaction; return the ids that were new (duplicates change nothing).

        The hot path of the ingest, so it speaks to the driver directly (inside SQLAlchemy's transaction,
        on SQLAlchemy's connection): compiling a thousand-row ``VALUES`` through SQLAlchemy cost more
        than everything else in the ingest together. Values are converted with the columns' own
        SQLAlchemy bind processors, so the rows read back exactly as if SQLAlchemy had written them.
        ``ON CONFLICT (event_id) DO NOTHING RETURNING event_id`` keeps it idempotent and tells which
        ids are new, atomically, also with several ingest instances writing at once.
        """
        if not records:
            return []
        unique: dict[str, EventRecord] = {}
        for record in records:
            unique.setdefault(record.event_id, record)
        with self.write_lock, self.engine.begin() as conn:
            dbapi = conn.connection.driver_connection
            if self._is_pg:
                new_ids = _pg_store(dbapi, list(unique.values()), received_at)
            else:
                new_ids = _sqlite_store(dbapi, self._sqlite_bind, list(unique.values()), received_at)
            new = [unique[event_id] for event_id in new_ids]
            alerts = [
                {
                    "event_id": r.event_id,
                    "device_id": r.device_id,
                    "opened_at": utc(r.occurred_at),
                    "status": "open",
                }
                | vars(r.alert)
                for r in new
                if r.alert is not None
            ]
            if alerts:  # rare (alarms, retry requests): the plain SQLAlchemy statement is fine
                conn.execute(
                    self._insert(t.alerts).on_conflict_do_nothing(index_elements=["event_id"]), alerts
                )
            latest: dict[str, EventRecord] = {}
            for r in new:
                if r.device_id not in latest or utc(r.occurred_at) >= utc(latest[r.device_id].occurred_at):
                    latest[r.device_id] = r
            if latest:
                # One executemany for every device in the batch (a busy site has hundreds per batch),
                # in device order, so two instances lock the device rows in the same order (no deadlock).
                rows = [
                    {
                        "b_device": device_id,
                        "b_event": latest[device_id].event_id,
                        "b_at": utc(latest[device_id].occurred_at),
                    }
                    for device_id in sorted(latest)
                ]
                conn.execute(_LAST_EVENT_UPDATE, rows)
        return new_ids

    def quarantine(self, topic: str, payload: bytes, reason: str, *, received_at: datetime) -> None:
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(
                t.quarantine.insert().values(
                    received_at=received_at, topic=topic[:256], payload=payload, reason=reason[:512]
                )
            )

    def quarantined(self, limit: int = 100) -> list[Row]:
        query = sa.select(t.quarantine).order_by(t.quarantine.c.quarantine_id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_plain(row) for row in conn.execute(query)]

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.count()).select_from(t.metadata.tables[table])).scalar()
        return int(value or 0)

    # -- devices --------------------------------------------------------------------------------------

    def add_device(
        self, device_id: str, *, kind: str, site: str = "", lane: str = "", direction: str = "", now: datetime
    ) -> Row:
        values = {
            "device_id": device_id,
            "kind": kind,
            "site": site,
            "lane": lane,
            "direction": direction,
            "doors": {},
            "created_at": now,
        }
        with self.write_lock, self.engine.begin() as conn:
            exists = conn.execute(sa.select(t.devices.c.device_id).where(t.devices.c.device_id == device_id))
            if exists.first() is not None:
                raise Conflict(f"device {device_id!r} already exists; remove it first or choose another id")
            conn.execute(t.devices.insert().values(**values))
        return self.device(device_id)

    def remove_device(self, device_id: str) -> None:
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(t.devices.delete().where(t.devices.c.device_id == device_id))
            conn.execute(t.tokens.delete().where(t.tokens.c.device_id == device_id))

    def device(self, device_id: str) -> Row:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.devices).where(t.devices.c.device_id == device_id)).first()
        if row is None:
            raise NotFound(f"no device {device_id!r}; list them with GET /api/v1/devices")
        return _plain(row)

    def devices(self) -> list[Row]:
        with self.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(sa.select(t.devices).order_by(t.devices.c.device_id))]

    def update_device_status(self, status: DeviceStatus) -> bool:
        """Apply a status report; returns False when the device is not registered."""
        values: dict[str, Any] = {"last_seen_at": utc(status.at)}
        for name in (
            "online",
            "in_service",
            "lane_state",
            "passenger_inside",
            "watchlist_version",
            "software_version",
        ):
            value = getattr(status, name)
            if value is not None:
                values[name] = value
        where = t.devices.c.device_id == status.device_id
        with self.write_lock, self.engine.begin() as conn:
            if status.doors is not None:
                # A door event names one door: merge, so the other door's state stays known.
                current = conn.execute(sa.select(t.devices.c.doors).where(where)).scalar()
                values["doors"] = {**(current or {}), **status.doors}
            result = conn.execute(t.devices.update().where(where).values(**values))
        return bool(result.rowcount)

    # -- users, tokens, audit -------------------------------------------------------------------------

    def add_user(
        self, username: str, password_hash: str, role: str, *, now: datetime, language: str = "id"
    ) -> None:
        with self.write_lock, self.engine.begin() as conn:
            if conn.execute(sa.select(t.users.c.username).where(t.users.c.username == username)).first():
                raise Conflict(f"user {username!r} already exists; choose another name")
            conn.execute(
                t.users.insert().values(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    language=language,
                    created_at=now,
                )
            )

    def user(self, username: str) -> Row | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
        return None if row is None else _plain(row)

    def users(self) -> list[Row]:
        query = sa.select(t.users.c.username, t.users.c.role, t.users.c.language, t.users.c.disabled)
        with self.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(query.order_by(t.users.c.username))]

    def set_password_hash(self, username: str, password_hash: str) -> None:
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(
                t.users.update().where(t.users.c.username == username).values(password_hash=password_hash)
            )

    def issue_token(
        self,
        kind: str,
        *,
        now: datetime,
        username: str | None = None,
        device_id: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[str, str]:
        """A new secret token (returned once, stored hashed) and its CSRF companion for sessions."""
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24) if kind == "session" else ""
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(
                t.tokens.insert().values(
                    token_hash=hash_secret(secret),
                    kind=kind,
                    username=username,
                    device_id=device_id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return secret, csrf

    def token(self, secret: str) -> Row | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.tokens).where(t.tokens.c.token_hash == hash_secret(secret))
            ).first()
        return None if row is None else _plain(row)

    def revoke_token(self, secret: str) -> None:
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(t.tokens.delete().where(t.tokens.c.token_hash == hash_secret(secret)))

    def revoke_device_tokens(self, device_id: str) -> None:
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(t.tokens.delete().where(t.tokens.c.device_id == device_id))

    def audit(self, actor: str, action: str, *, now: datetime, target: str = "", **details: Any) -> None:
        """Append to the audit trail: every login, supervisor action and command lands here."""
        with self.write_lock, self.engine.begin() as conn:
            inserted = conn.execute(
                t.audit.insert().values(
                    at=now, actor=actor, action=action, target=target[:128], details=details
                )
            )
            # Issue 12: chained in the same transaction, so no audit row exists without its hash.
            audit_chain.link(conn, t.audit, int(inserted.inserted_primary_key[0]))  # type: ignore[index]

    def audit_trail(self, limit: int = 200) -> list[Row]:
        with self.engine.connect() as conn:
            query = sa.select(t.audit).order_by(t.audit.c.audit_id.desc()).limit(limit)
            return [_plain(r) for r in conn.execute(query)]

    # -- events, crossings ----------------------------------------------------------------------------

    def events(
        self,
        *,
        device_id: str | None = None,
        type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[Row]:
        query = sa.select(t.events)
        if device_id:
            query = query.where(t.events.c.device_id == device_id)
        if type:
            query = query.where(t.events.c.type == type)
        if since:
            query = query.where(t.events.c.occurred_at >= utc(since))
        if until:
            query = query.where(t.events.c.occurred_at < utc(until))
        query = query.order_by(t.events.c.occurred_at.desc(), t.events.c.event_id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(query)]

    def event(self, event_id: str) -> Row:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.events).where(t.events.c.event_id == event_id)).first()
        if row is None:
            raise NotFound(f"no event {event_id!r}")
        return _plain(row)

    def crossings(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        device_id: str | None = None,
        direction: str | None = None,
        document_number: str | None = None,
        outcome: str | None = None,
        limit: int | None = 100,
    ) -> list[Row]:
        query = sa.select(t.crossings)
        if since:
            query = query.where(t.crossings.c.occurred_at >= utc(since))
        if until:
            query = query.where(t.crossings.c.occurred_at < utc(until))
        if device_id:
            query = query.where(t.crossings.c.device_id == device_id)
        if direction:
            query = query.where(t.crossings.c.direction == direction)
        if document_number:
            query = query.where(t.crossings.c.document_number == document_number.upper())
        if outcome:
            query = query.where(t.crossings.c.outcome == outcome)
        query = query.order_by(t.crossings.c.occurred_at.desc(), t.crossings.c.event_id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(query)]

    def events_of_types(
        self, types: Iterable[str], *, since: datetime | None, until: datetime | None
    ) -> list[Row]:
        query = sa.select(t.events).where(t.events.c.type.in_(list(types)))
        if since:
            query = query.where(t.events.c.occurred_at >= utc(since))
        if until:
            query = query.where(t.events.c.occurred_at < utc(until))
        with self.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(query.order_by(t.events.c.occurred_at))]

    # -- alerts ---------------------------------------------------------------------------------------

    def alerts(
        self, *, status: str | None = None, device_id: str | None = None, limit: int = 100
    ) -> list[Row]:
        query = sa.select(t.alerts)
        if status:
            query = query.where(t.alerts.c.status == status)
        if device_id:
            query = query.where(t.alerts.c.device_id == device_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.alerts.c.alert_id.desc()).limit(limit))
            return [_plain(r) for r in rows]

    def alerts_between(self, since: datetime | None, until: datetime | None) -> list[Row]:
        query = sa.select(t.alerts)
        if since:
            query = query.where(t.alerts.c.opened_at >= utc(since))
        if until:
            query = query.where(t.alerts.c.opened_at < utc(until))
        with self.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(query.order_by(t.alerts.c.opened_at))]

    def alert(self, alert_id: int) -> Row:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.alerts).where(t.alerts.c.alert_id == alert_id)).first()
        if row is None:
            raise NotFound(f"no alert {alert_id}; list them with GET /api/v1/alerts")
        return _plain(row)

    def alert_by_event(self, event_id: str) -> Row | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.alerts).where(t.alerts.c.event_id == event_id)).first()
        return None if row is None else _plain(row)

    def close_alert_by_event(self, event_id: str, *, by: str, now: datetime) -> Row | None:
        """The device cleared its alarm: close the alert it opened, unless a person closed it already."""
        with self.write_lock, self.engine.begin() as conn:
            result = conn.execute(
                t.alerts.update()
                .where(t.alerts.c.event_id == event_id, t.alerts.c.status != "closed")
                .values(status="closed", closed_by=by, closed_at=now)
            )
        return self.alert_by_event(event_id) if result.rowcount else None

    def set_alert_status(self, alert_id: int, status: str, *, by: str, now: datetime) -> Row:
        if status not in ALERT_STATES:
            raise Invalid(f"alert status {status!r} is not one of {', '.join(ALERT_STATES)}")
        current = self.alert(alert_id)
        if current["status"] == "closed":
            raise Conflict(f"alert {alert_id} is already closed; open a new incident instead")
        values: dict[str, Any] = {"status": status}
        if status == "closed":
            values |= {"closed_by": by, "closed_at": now}
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(t.alerts.update().where(t.alerts.c.alert_id == alert_id).values(**values))
        return self.alert(alert_id)

    # -- commands -------------------------------------------------------------------------------------

    def add_command(
        self,
        device_id: str,
        action: str,
        *,
        params: dict[str, Any],
        issued_by: str,
        now: datetime,
        alert_id: int | None = None,
        command_id: str | None = None,
    ) -> Row:
        command_id = command_id or str(uuid.uuid4())
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(
                t.commands.insert().values(
                    command_id=command_id,
                    device_id=device_id,
                    action=action,
                    params=params,
                    alert_id=alert_id,
                    issued_by=issued_by,
                    issued_at=now,
                    state="pending",
                )
            )
        return self.command(command_id)

    def command(self, command_id: str) -> Row:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.commands).where(t.commands.c.command_id == command_id)).first()
        if row is None:
            raise NotFound(f"no command {command_id!r}")
        return _plain(row)

    def commands(
        self, *, device_id: str | None = None, state: str | None = None, limit: int = 100
    ) -> list[Row]:
        query = sa.select(t.commands)
        if device_id:
            query = query.where(t.commands.c.device_id == device_id)
        if state:
            query = query.where(t.commands.c.state == state)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.commands.c.issued_at.desc()).limit(limit))
            return [_plain(r) for r in rows]

    def answer_command(self, command_id: str, state: str, *, answer: str, now: datetime) -> Row | None:
        """Record the device's answer once; a repeated ack (QoS 1 re-delivery) is ignored."""
        if state not in COMMAND_STATES:
            raise Invalid(f"command state {state!r} is not one of {', '.join(COMMAND_STATES)}")
        with self.write_lock, self.engine.begin() as conn:
            result = conn.execute(
                t.commands.update()
                .where(t.commands.c.command_id == command_id)
                .where(t.commands.c.state == "pending")
                .values(state=state, answer=answer[:256], answered_at=now)
            )
        return self.command(command_id) if result.rowcount else None

    # -- incident reports -----------------------------------------------------------------------------

    def add_incident_report(
        self, kind: str, *, author: str, fields: dict[str, Any], now: datetime, alert_id: int | None = None
    ) -> Row:
        with self.write_lock, self.engine.begin() as conn:
            result = conn.execute(
                t.incident_reports.insert()
                .values(alert_id=alert_id, kind=kind, author=author, created_at=now, fields=fields)
                .returning(t.incident_reports.c.report_id)
            )
            report_id = result.scalar_one()
        return self.incident_report(int(report_id))

    def incident_report(self, report_id: int) -> Row:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.incident_reports).where(t.incident_reports.c.report_id == report_id)
            ).first()
        if row is None:
            raise NotFound(f"no incident report {report_id}")
        return _plain(row)

    def incident_reports(self, *, alert_id: int | None = None, limit: int = 200) -> list[Row]:
        query = sa.select(t.incident_reports)
        if alert_id is not None:
            query = query.where(t.incident_reports.c.alert_id == alert_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.incident_reports.c.report_id.desc()).limit(limit))
            return [_plain(r) for r in rows]

    # -- enrolments -----------------------------------------------------------------------------------

    def put_enrolment(
        self, issuing_state: str, document_number: str, record: dict[str, Any], *, now: datetime
    ) -> None:
        key = {"issuing_state": issuing_state.upper(), "document_number": document_number.upper()}
        stmt = self._insert(t.enrolments).values(**key, record=record, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["issuing_state", "document_number"], set_={"record": record, "updated_at": now}
        )
        with self.write_lock, self.engine.begin() as conn:
            conn.execute(stmt)

    def enrolment(self, issuing_state: str, document_number: str) -> dict[str, Any]:
        query = sa.select(t.enrolments.c.record).where(
            t.enrolments.c.issuing_state == issuing_state.upper(),
            t.enrolments.c.document_number == document_number.upper(),
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no enrolment for {issuing_state}/{document_number}; the holder must enrol first")
        record: dict[str, Any] = row[0]
        return record
