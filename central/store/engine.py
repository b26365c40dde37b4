"""Opening the database: SQLite in WAL mode by default, PostgreSQL in production, migrated by Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from central.errors import CentralError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///central.db"


class StoreError(CentralError, RuntimeError):
    """The database could not be opened or migrated."""


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite connections get WAL, a busy timeout and foreign keys.

    WAL lets the dashboard read while the ingest's batch writer commits; ``synchronous=NORMAL`` in WAL
    mode still never loses a committed transaction to a process crash (only to a power cut of the host),
    which is what the ack to the device promises.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 8
    try:
        engine = sa.create_engine(url, **kwargs)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(
            f"cannot open the database URL {url!r} ({exc}); use sqlite:///FILE or postgresql://USER@HOST/DB"
        ) from exc
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def alembic_config(engine: sa.Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: sa.Engine, revision: str = "heads") -> None:
    """Bring the schema up to ``revision`` (idempotent: an up-to-date database is left alone).

    ``heads``: other parts of central (the workflows) keep their tables on a migration branch of their
    own, so every branch head is applied.
    """
    try:
        command.upgrade(alembic_config(engine), revision)
    except sa.exc.OperationalError as exc:
        raise StoreError(
            f"cannot migrate the database at {engine.url!r}: {exc.orig}; is it reachable?"
        ) from exc
