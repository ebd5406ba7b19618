"""Named groups, delegations to substitutes, and step timers (reminders and deadlines)."""

from __future__ import annotations

from godkend.store.migrations.sqlrun import run_sql_file

revision = "0003_delegations_timers"
down_revision = "0002_realtime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0003_delegations_timers.sql")


def downgrade() -> None:
    raise NotImplementedError("godkend migrates forward only")
