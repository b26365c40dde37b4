"""The shared database fixtures give real, empty, writable databases."""

from __future__ import annotations

import sqlalchemy as sa


def test_database_fixture_is_real_empty_and_writable(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("CREATE TABLE probe (id INTEGER PRIMARY KEY, note TEXT)"))
            conn.execute(sa.text("INSERT INTO probe (id, note) VALUES (1, 'ok')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT note FROM probe WHERE id = 1")).scalar_one() == "ok"
    finally:
        engine.dispose()
