"""Runs a revision's .sql file as one multi-statement script on the raw asyncpg connection."""

from __future__ import annotations

from alembic import op
from sqlalchemy.util import await_only

from godkend.store.migrations import read_sql


def run_sql_file(name: str) -> None:
    # SQLAlchemy's asyncpg adapter prepares every statement, which forbids multi-statement
    # scripts; the driver connection runs them in the same transaction.
    raw = op.get_bind().connection.driver_connection
    if raw is None:
        raise RuntimeError("the migration connection has no driver connection")
    await_only(raw.execute(read_sql(name)))
