"""Schema: organisation, workflows, requests, audit log and the events outbox."""

from __future__ import annotations

from godkend.store.migrations.sqlrun import run_sql_file

revision = "0001_schema"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0001_schema.sql")


def downgrade() -> None:
    raise NotImplementedError("godkend migrates forward only")
