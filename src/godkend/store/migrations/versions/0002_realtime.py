"""Real-time delivery: the pruning mark, godkend_publish() and the idle-transaction bound."""

from __future__ import annotations

from godkend.store.migrations.sqlrun import run_sql_file

revision = "0002_realtime"
down_revision = "0001_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0002_realtime.sql")


def downgrade() -> None:
    raise NotImplementedError("godkend migrates forward only")
