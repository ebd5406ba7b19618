"""The `godkend` command (CONTRACT §3), run as a process against a real database.

Exit codes: 0 on success, 1 with a one-line cause on failure, 2 on bad usage.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.databases import with_database
from tests.integration.clients import API, ClientFactory

GODKEND = str(Path(sys.executable).with_name("godkend"))
FERIE_YAML = str(Path(__file__).parents[2] / "src" / "godkend" / "workflows" / "ferie.yaml")

PROEVE = """\
key: cli-proeve
title: {da: Prøve, en: Trial}
description: {da: En prøve, en: A trial}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
steps:
  - key: manager
    name: {da: Leder, en: Manager}
    approvers: {manager: 1}
"""

# Line 9 names a field type nobody knows; line 14 gives a step two kinds of approvers.
BROKEN = """\
key: cli-proeve
title: {da: Prøve, en: Trial}
description: {da: En prøve, en: A trial}
fields:
  - key: note
    type: text
    label: {da: Note, en: Note}
  - key: colour
    type: colour
    label: {da: Farve, en: Colour}
steps:
  - key: manager
    name: {da: Leder, en: Manager}
    approvers: {manager: 1, user: bo}
"""

PROBLEM_LINE = re.compile(r"^(?P<file>\S+):(?P<line>\d+): (?P<path>[\w.\[\]]+): (?P<message>.+)$")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def failure_line(self) -> str:
        """The one-line cause of a failed command."""
        assert self.code == 1, self
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


@dataclass(frozen=True)
class Cli:
    """Runs `godkend ARGS` with GODKEND_DATABASE_URL pointing at one test database."""

    database_url: str
    data_dir: Path

    def __call__(self, *args: str, stdin: str = "") -> Result:
        env = {
            **os.environ,
            "GODKEND_DATABASE_URL": self.database_url,
            "GODKEND_DATA_DIR": str(self.data_dir),
        }
        done = subprocess.run(
            [GODKEND, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def godkend(demo_db_url: str, tmp_path: Path) -> Cli:
    """The command on the test's database, which has the demo loaded."""
    return Cli(demo_db_url, tmp_path / "data")


async def test_migrate_creates_the_schema_and_is_repeatable(
    empty_db_url: str, tmp_path: Path
) -> None:
    godkend = Cli(empty_db_url, tmp_path)
    for _ in range(2):
        result = godkend("migrate")
        assert result.code == 0, result
        assert "up to date" in result.out
    conn = await asyncpg.connect(empty_db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM roles") > 5
        assert await conn.fetchval("SELECT count(*) FROM alembic_version") == 1
    finally:
        await conn.close()


async def test_users_add_with_a_password_from_stdin_can_log_in(
    godkend: Cli, client_factory: ClientFactory
) -> None:
    result = godkend(
        "users", "add", "pia",
        "--name", "Pia Berg",
        "--email", "pia@fsg.example.dk",
        "--org-unit", "digitalisering",
        "--role", "employee",
        "--role", "hr",
        "--password-stdin",
        stdin="hemmelig-kode\n",
    )  # fmt: skip
    assert result.code == 0, result
    assert "pia" in result.out
    client = client_factory()
    login = await client.post(
        f"{API}/auth/login", json={"username": "pia", "password": "hemmelig-kode"}
    )
    assert login.status_code == 200, login.text
    assert login.json()["user"]["roles"] == ["employee", "hr"]
    assert login.json()["user"]["org_unit"] == "digitalisering"


def _add(godkend: Cli, username: str, *extra: str) -> Result:
    return godkend(
        "users", "add", username,
        "--name", "Per Prøve",
        "--email", f"{username}@fsg.example.dk",
        "--org-unit", "jura",
        *extra,
    )  # fmt: skip


async def test_users_add_refuses_unknown_roles_and_duplicates(
    godkend: Cli, db: asyncpg.Connection
) -> None:
    users = await db.fetchval("SELECT count(*) FROM users")
    line = _add(godkend, "per", "--role", "employee", "--role", "chef").failure_line()
    assert "'chef'" in line
    assert "anna" not in line
    assert "chef" in _add(godkend, "per", "--role", "chef").failure_line()
    assert _add(godkend, "anna", "--role", "employee").failure_line()
    assert "org unit" in godkend(
        "users", "add", "per", "--name", "P", "--email", "per@x.dk", "--org-unit", "mars",
        "--role", "employee",
    ).failure_line()  # fmt: skip
    assert await db.fetchval("SELECT count(*) FROM users") == users
    assert await db.fetchval("SELECT name FROM users WHERE username = 'anna'") == "Anna Jensen"


async def test_workflows_validate_good_and_bad_files(godkend: Cli, tmp_path: Path) -> None:
    good = godkend("workflows", "validate", FERIE_YAML)
    assert good.code == 0, good
    assert "ferie" in good.out

    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    bad = godkend("workflows", "validate", FERIE_YAML, str(broken))
    assert bad.code == 1, bad
    problems = [PROBLEM_LINE.match(line) for line in bad.err.strip().splitlines()]
    assert problems
    assert all(p is not None and p["file"] == str(broken) for p in problems), bad.err
    where = {(int(p["line"]), p["path"]) for p in problems if p is not None}
    assert (9, "fields[1].type") in where, bad.err
    assert any(line == 14 and path.startswith("steps[0].approvers") for line, path in where)

    missing = godkend("workflows", "validate", str(tmp_path / "nope.yaml"))
    assert "nope.yaml" in missing.failure_line()


async def test_workflows_publish_versions_only_changes(
    godkend: Cli, tmp_path: Path, db: asyncpg.Connection
) -> None:
    path = tmp_path / "cli-proeve.yaml"
    path.write_text(PROEVE, encoding="utf-8")
    first = godkend("workflows", "publish", str(path))
    assert first.code == 0, first
    assert "cli-proeve v1 published" in first.out
    again = godkend("workflows", "publish", str(path))
    assert again.code == 0, again
    assert "cli-proeve v1 unchanged" in again.out

    path.write_text(PROEVE.replace("{da: En prøve", "{da: En ny prøve"), encoding="utf-8")
    changed = godkend("workflows", "publish", str(path))
    assert "cli-proeve v2 published" in changed.out
    versions = await db.fetch(
        "SELECT version FROM workflow_versions WHERE key = 'cli-proeve' ORDER BY version"
    )
    assert [v["version"] for v in versions] == [1, 2]

    listed = godkend("workflows", "list")
    assert listed.code == 0
    rows = {line.split()[0]: line.split()[1] for line in listed.out.splitlines() if line.strip()}
    assert rows["cli-proeve"] == "v2"
    assert rows["ferie"] == "v1"


async def test_publishing_an_invalid_definition_stores_nothing(
    godkend: Cli, tmp_path: Path, db: asyncpg.Connection
) -> None:
    before = await db.fetchval("SELECT count(*) FROM workflow_versions")
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    line = godkend("workflows", "publish", str(broken)).failure_line()
    match = PROBLEM_LINE.match(line.removeprefix("godkend: "))
    assert match is not None, line
    assert match["file"] == str(broken)
    assert int(match["line"]) in (9, 14)
    # An approver role the database does not know is caught on publish.
    unknown = tmp_path / "unknown-role.yaml"
    unknown.write_text(PROEVE.replace("{manager: 1}", "{role: chef}"), encoding="utf-8")
    line = godkend("workflows", "publish", str(unknown)).failure_line()
    assert "steps[0].approvers.role" in line
    assert "chef" in line
    assert await db.fetchval("SELECT count(*) FROM workflow_versions") == before


async def test_workflows_show(godkend: Cli) -> None:
    mermaid = godkend("workflows", "show", "ferie", "--mermaid")
    assert mermaid.code == 0, mermaid
    assert mermaid.out.lstrip().startswith("flowchart")
    shown = godkend("workflows", "show", "ferie")
    assert shown.code == 0
    assert '"key": "ferie"' in shown.out
    assert "nope" in godkend("workflows", "show", "nope").failure_line()


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("nosuchcommand",),
        ("workflows",),
        ("workflows", "validate"),
        ("workflows", "show"),
        ("users", "add", "per"),
        ("serve", "--port", "abc"),
        ("db", "explode"),
    ],
    ids=lambda args: " ".join(args) or "nothing",
)
def test_bad_usage_exits_2(args: tuple[str, ...], tmp_path: Path) -> None:
    result = Cli("postgresql://nobody@127.0.0.1:1/none", tmp_path)(*args)
    assert result.code == 2, result
    assert "usage:" in result.err


@pytest.mark.parametrize(
    "args",
    [("migrate",), ("serve", "--no-migrate", "--port", "1"), ("demo",), ("workflows", "list")],
    ids=" ".join,
)
@pytest.mark.parametrize(
    "url",
    ["postgresql://nobody@127.0.0.1:1/none", "PG/godkend_no_such_database"],
    ids=["refused", "no-such-database"],
)
def test_an_unreachable_database_is_a_one_line_failure(
    args: tuple[str, ...], url: str, pg_admin_url: str, tmp_path: Path
) -> None:
    if url.startswith("PG/"):
        url = with_database(pg_admin_url, url.removeprefix("PG/"))
    line = Cli(url, tmp_path)(*args).failure_line()
    assert line.startswith("godkend: ")
    assert "Traceback" not in line
