"""Alembic environment: the engine is handed in by ``central.store.engine.migrate``."""

from __future__ import annotations

from alembic import context

from central.store.engine import make_engine
from central.store.schema import metadata

engine = context.config.attributes.get("engine")
if engine is None:  # the plain ``alembic`` command line: take the URL from alembic.ini or -x url=
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///central.db upgrade head")
    engine = make_engine(url)

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
