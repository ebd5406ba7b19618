"""${message}"""

from __future__ import annotations

from godkend.store.migrations.sqlrun import run_sql_file

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("${up_revision}.sql")


def downgrade() -> None:
    raise NotImplementedError("godkend migrates forward only")
