"""The embedded PostgreSQL server: start, share, inspect and stop it for one data dir."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from godkend.domain.errors import EmbeddedServerError
from godkend.store import embedded_process as proc
from godkend.store.embedded_layout import (
    Layout,
    absolute,
    existing_cluster_dir,
    make_data_dir,
    provision,
    read_password,
    remove_cluster,
    write_private,
)

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
LOCK_TIMEOUT = 120.0
LAUNCH_ATTEMPTS = 5
# Retried with another port: it was taken between our check and postgres' bind.
PORT_TAKEN = ("could not bind", "could not create any TCP/IP")
# Retried after a pause: backends of a killed postmaster still hold its lock or shared memory.
STILL_EXITING = ("is still in use", "already exists")
LOG_ROTATE_BYTES = 10 * 1024 * 1024
LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] ")
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "fsync": "on",
    "synchronous_commit": "on",
    "password_encryption": "scram-sha-256",
    "log_destination": "stderr",
    "logging_collector": "off",
    "jit": "off",
}


@dataclass(frozen=True)
class ServerInfo:
    """A running embedded server and how to reach it."""

    url: str  # postgresql://godkend:PASSWORD@127.0.0.1:PORT/godkend
    port: int
    pid: int
    data_dir: Path


def status(data_dir: Path) -> ServerInfo | None:
    """The server running for this data dir, or None (a stale postmaster.pid counts as none)."""
    with _os_errors_explained():
        return _status(data_dir)


def _status(data_dir: Path) -> ServerInfo | None:
    cluster = existing_cluster_dir(data_dir)
    if cluster is None:
        return None
    pid_file = proc.read_pid_file(cluster / "data")
    if pid_file is None or pid_file.status != "ready" or pid_file.port is None:
        return None
    if proc.postmaster_state(pid_file.pid, cluster / "data") is not proc.State.RUNNING:
        return None
    # Listening is enough here: a busy server may refuse a new session and still be running.
    if not proc.is_listening(pid_file.port):
        return None
    return _info(absolute(data_dir), pid_file.port, pid_file.pid)


def start_detached(data_dir: Path) -> ServerInfo:
    """Start a server that outlives this process (`godkend db start`), or return the running one."""
    info, _ = _start(data_dir, as_child=False)
    return info


def stop(data_dir: Path) -> bool:
    """Fast shutdown of the server for this data dir, waiting for it; False if none ran."""
    cluster = existing_cluster_dir(data_dir)
    if cluster is None:
        return False
    with _os_errors_explained(), _locked(absolute(data_dir) / "pg.lock"):
        pid_file = proc.read_pid_file(cluster / "data")
        if pid_file is None:
            return False
        if proc.postmaster_state(pid_file.pid, cluster / "data") is not proc.State.RUNNING:
            return False
        _shut_down(pid_file.pid, cluster / "data")
        return True


def destroy(data_dir: Path) -> None:
    """Stop the server and delete its cluster, password and port records: the data is gone."""
    stop(data_dir)
    remove_cluster(data_dir)


def ensure_running(data_dir: Path) -> tuple[ServerInfo, ChildServer | None]:
    """Reuse the server running for this data dir (owner None) or start a child the caller owns."""
    info, child = _start(data_dir, as_child=True, reuse=True)
    if child is None:
        return info, None
    return info, ChildServer._adopt(absolute(data_dir), info, child)


class ChildServer:
    """A server that is a direct child of this process: it stops on exit and dies with us.

    Enter it from a long-lived thread: the kernel sends the parent-death signal when the thread
    that started postgres ends, not only the process.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = absolute(data_dir)
        self._info: ServerInfo | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def _adopt(
        cls, data_dir: Path, info: ServerInfo, process: subprocess.Popen[bytes]
    ) -> ChildServer:
        server = cls(data_dir)
        server._info, server._process = info, process
        return server

    @property
    def info(self) -> ServerInfo:
        if self._info is None:
            raise EmbeddedServerError("the embedded server has not been started")
        return self._info

    def __enter__(self) -> ChildServer:
        if self._process is None:
            self._info, self._process = _start(self.data_dir, as_child=True, reuse=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Fast shutdown, escalating to immediate shutdown and SIGKILL if it hangs."""
        process, self._process, self._info = self._process, None, None
        if process is None or process.poll() is not None:
            return
        for signum, timeout in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 5.0)):
            process.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
                return
        process.kill()
        process.wait()


def _start(
    data_dir: Path, *, as_child: bool, reuse: bool = True
) -> tuple[ServerInfo, subprocess.Popen[bytes] | None]:
    data_dir = make_data_dir(data_dir)
    with _os_errors_explained(), _locked(data_dir / "pg.lock"):
        layout = provision(data_dir)
        running = _settled(layout)
        if running is not None:
            if not reuse:
                raise EmbeddedServerError(
                    f"an embedded server already runs for {layout.data_dir} (pid {running.pid})"
                )
            return running, None
        _initialize(layout)
        _prepare_run(layout)
        return _launch(layout, as_child=as_child)


def _settled(layout: Layout) -> ServerInfo | None:
    """The running server once it is ready; waits out one that is starting or stopping."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        pid_file = proc.read_pid_file(layout.pgdata)
        if pid_file is None:
            return None
        state = proc.postmaster_state(pid_file.pid, layout.pgdata)
        if state is proc.State.GONE:
            return None
        port = pid_file.port if pid_file.status == "ready" else None
        if state is proc.State.RUNNING and port and proc.is_listening(port):
            return _info(layout.data_dir, port, pid_file.pid)
        if time.monotonic() > deadline:
            raise EmbeddedServerError(
                f"the embedded server (pid {pid_file.pid}) is stuck {pid_file.status or 'starting'}"
            )
        time.sleep(0.02)


def _launch(layout: Layout, *, as_child: bool) -> tuple[ServerInfo, subprocess.Popen[bytes] | None]:
    for attempt in range(LAUNCH_ATTEMPTS):
        port = _choose_port(layout)
        log_offset = layout.log_file.stat().st_size if layout.log_file.is_file() else 0
        process = proc.spawn_postmaster(layout, port=port, as_child=as_child)
        if _wait_ready(layout, process, port, log_offset=log_offset):
            write_private(layout.port_file, str(port))
            info = _info(layout.data_dir, port, process.pid)
            if as_child:
                return info, process
            # A detached server outlives us on purpose: Popen would warn that it still runs.
            # (It stays on Popen's reaping list, so it never lingers as our zombie.)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                del process
            return info, None
        output = _log_since(layout, log_offset)
        if any(cause in output for cause in PORT_TAKEN):
            continue  # someone took the port between our check and the bind: pick again
        if not any(cause in output for cause in STILL_EXITING) or attempt == LAUNCH_ATTEMPTS - 1:
            raise EmbeddedServerError(f"the embedded server did not start: {_last_lines(output)}")
        time.sleep(0.1 * (attempt + 1))
    raise EmbeddedServerError(f"the embedded server found no free port in {LAUNCH_ATTEMPTS} tries")


def _wait_ready(
    layout: Layout, process: subprocess.Popen[bytes], port: int, *, log_offset: int
) -> bool:
    """True once our postmaster reports ready and answers; False if it exited."""
    deadline = time.monotonic() + START_TIMEOUT
    while process.poll() is None:
        # postgres marks its pid file "ready"; then connect as a client would, to be sure.
        if _reports_ready(layout, process.pid) and proc.accepts_connections(port):
            return True
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise EmbeddedServerError(
                f"the embedded server was not ready after {START_TIMEOUT:.0f} s: "
                + _last_lines(_log_since(layout, log_offset))
            )
        time.sleep(0.005)
    return False


def _reports_ready(layout: Layout, pid: int) -> bool:
    pid_file = proc.read_pid_file(layout.pgdata)
    return pid_file is not None and pid_file.pid == pid and pid_file.status == "ready"


def _choose_port(layout: Layout) -> int:
    """The recorded port if still free (stable URLs across restarts), else a new free one."""
    with contextlib.suppress(OSError, ValueError):
        recorded = int(layout.port_file.read_text(encoding="ascii").strip())
        if proc.port_is_free(recorded):
            return recorded
    return proc.free_port()


def _initialize(layout: Layout) -> None:
    """initdb once, into a staging folder renamed at last: a crash never leaves half a cluster."""
    if (layout.pgdata / "PG_VERSION").exists():
        return
    staging = layout.cluster_dir / "data.init"
    password_file = layout.cluster_dir / ".initdb-password"
    # rmtree does not follow symlinks, so root cannot be tricked into deleting elsewhere.
    shutil.rmtree(staging, ignore_errors=True)
    write_private(password_file, layout.password(), owner=layout.user)
    try:
        _run_tool(layout, _initdb_args(layout, staging, password_file))
        # Single-user mode: the database exists before anyone can connect, without a client.
        single = ["postgres", "--single", "-D", str(staging), "template1"]
        _run_tool(layout, single, stdin="CREATE DATABASE godkend;\n")
    finally:
        password_file.unlink(missing_ok=True)
    os.rename(staging, layout.pgdata)


def _initdb_args(layout: Layout, pgdata: Path, password_file: Path) -> list[str]:
    args = ["initdb", "-D", str(pgdata), "-U", "godkend", f"--pwfile={password_file}"]
    args += ["--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions"]
    args += ["--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
    for name, value in SETTINGS.items():
        args += ["-c", f"{name}={value}"]
    return args


def _run_tool(layout: Layout, args: list[str], *, stdin: str | None = None) -> None:
    try:
        proc.run_tool(layout, args, stdin=stdin)
    except subprocess.CalledProcessError as e:
        output = f"{e.stdout or ''}\n{e.stderr or ''}"
        raise EmbeddedServerError(f"{args[0]} failed: {_last_lines(output)}") from e
    except (OSError, subprocess.SubprocessError) as e:
        raise EmbeddedServerError(f"{args[0]} failed: {e}") from e


def _prepare_run(layout: Layout) -> None:
    """The socket folder and a rotated log.

    A stale postmaster.pid stays: postgres itself checks it, including whether orphaned
    backends of a killed postmaster still hold the shared memory.
    """
    if not layout.socket_dir.is_dir():
        layout.socket_dir.mkdir(mode=0o700)
        _hand_over(layout, layout.socket_dir)
    log = layout.log_file
    if log.is_file() and log.stat().st_size > LOG_ROTATE_BYTES:
        log.replace(log.with_suffix(".log.1"))


def _hand_over(layout: Layout, path: Path) -> None:
    if layout.user is not None:
        os.chown(path, layout.user.uid, layout.user.gid, follow_symlinks=False)


@contextlib.contextmanager
def _os_errors_explained() -> Iterator[None]:
    """A file system error becomes the one-line cause a CLI user can act on."""
    try:
        yield
    except OSError as e:
        raise EmbeddedServerError(f"the embedded server could not be managed: {e}") from e


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One godkend at a time starts or stops the server of a data dir."""
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(f"{path} stayed locked by another godkend") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _info(data_dir: Path, port: int, pid: int) -> ServerInfo:
    password = read_password(data_dir)
    url = f"postgresql://godkend:{password}@127.0.0.1:{port}/godkend"
    return ServerInfo(url=url, port=port, pid=pid, data_dir=data_dir)


def _shut_down(pid: int, pgdata: Path) -> None:
    for signum, timeout in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 5.0)):
        proc.signal_process(pid, signum)
        if proc.wait_stopped(pid, pgdata, timeout):
            return
    raise EmbeddedServerError(f"the embedded server (pid {pid}) did not stop")


def _log_since(layout: Layout, offset: int) -> str:
    try:
        fd = os.open(layout.log_file, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace")


def _last_lines(text: str, count: int = 3) -> str:
    """The last lines of a log as one line, without their timestamp and pid prefix."""
    lines = [LOG_PREFIX.sub("", line).strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no output"
