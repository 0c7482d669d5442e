"""PostgreSQL clusters driven through their own binaries: init, start, kill, replicate, promote.

Backups, restores and drills need more than a database URL: they create data folders, start
servers on chosen ports, take base backups and promote standbys. They use the binaries named by
CROUPIER_PG_BIN, else those the embedded mode ships (pgserver), else ``pg_config --bindir``.

Every server listens on loopback only, on a free port, with its Unix socket in a short private
folder under /tmp (a socket path longer than ~107 bytes is refused by the kernel). PostgreSQL will
not run as root; as root the server binaries run as the unprivileged system user the embedded
mode uses, and the folders they write are handed to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess  # nosec B404 - runs PostgreSQL's own binaries with argument lists, never a shell
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from croupier.kit.errors import CroupierError
from croupier.kit.processes import free_port

# The unprivileged system user pgserver itself runs PostgreSQL as when started by root.
SERVER_USER_WHEN_ROOT = "pgserver"
SUPERUSER = "postgres"
CONFIG_FILE = "croupier.conf"
START_TIMEOUT_SECONDS = 60.0


class PostgresError(CroupierError):
    code = "postgres_failed"
    status = 500
    title = "A PostgreSQL command failed"


@dataclass(frozen=True)
class Binaries:
    """One PostgreSQL installation's ``bin`` folder."""

    folder: Path

    def __call__(self, name: str) -> str:
        path = self.folder / name
        if not path.exists():
            raise PostgresError(f"{name} not found in {self.folder} (set CROUPIER_PG_BIN)")
        return str(path)

    @classmethod
    def find(cls, configured: Path | None = None) -> Binaries:
        """CROUPIER_PG_BIN, else the embedded mode's binaries, else the ``pg_config`` on PATH."""
        if configured is not None:
            return cls(configured)
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # pgserver's import-time notice
        try:
            import pgserver  # the embedded mode's wheel; absent on a slim production image

            return cls(Path(pgserver.__file__).parent / "pginstall" / "bin")
        except ImportError:
            pass
        pg_config = shutil.which("pg_config")
        if pg_config is None:
            raise PostgresError("no PostgreSQL binaries: set CROUPIER_PG_BIN to their bin folder")
        found = run_binary([pg_config, "--bindir"]).strip()
        return cls(Path(found))


def server_user() -> str | None:
    """The system user PostgreSQL runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from pgserver.utils import ensure_user_exists  # creates it with useradd, as pgserver does

    ensure_user_exists(SERVER_USER_WHEN_ROOT)
    return SERVER_USER_WHEN_ROOT


def hand_over(path: Path, user: str | None) -> None:
    """Give PATH (recursively) to the server's user, and let it reach PATH through its parents."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for parent in path.resolve().parents:
        parent.chmod(parent.stat().st_mode | 0o011)  # traverse only; names stay unlisted
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def short_socket_dir() -> Path:
    """A private folder with a short path for Unix sockets."""
    return Path(tempfile.mkdtemp(prefix="crpg-", dir="/tmp"))  # nosec B108 - mkdtemp: private, and short for socket paths


@dataclass
class Cluster:
    """One PostgreSQL data folder and the server that runs on it (loopback, one port)."""

    data_dir: Path
    binaries: Binaries
    port: int = field(default_factory=free_port)
    socket_dir: Path = field(default_factory=short_socket_dir)
    user: str | None = field(default_factory=server_user)
    name: str = "croupier"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def url(self, database: str = "postgres") -> str:
        """A libpq URL over TCP on loopback (trust authentication: drills and restores only)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def init(self, *, settings: Mapping[str, str] | None = None) -> None:
        """initdb a new cluster with data checksums, WAL fit for replication, and SETTINGS."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self._hand_over_folders()
        self.run(
            [
                self.binaries("initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--data-checksums",
                "--no-instructions",
            ]
        )
        self._include_config()
        self.configure({"wal_level": "replica", "max_wal_senders": "10", **(settings or {})})

    def configure(self, settings: Mapping[str, str]) -> None:
        """Write SETTINGS (with this cluster's port and socket) to its own included file."""
        values = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "cluster_name": self.name,
            **settings,
        }
        lines = [f"{key} = {quoted_setting(value)}\n" for key, value in values.items()]
        config = self.data_dir / CONFIG_FILE
        config.write_text("".join(lines))
        self._hand_over_folders()

    def _include_config(self) -> None:
        main = self.data_dir / "postgresql.conf"
        text = main.read_text()
        include = f"include_if_exists = '{CONFIG_FILE}'\n"
        if include not in text:
            main.write_text(text + include)

    def _hand_over_folders(self) -> None:
        hand_over(self.data_dir, self.user)
        hand_over(self.socket_dir, self.user)
        if self.user is not None:
            self.log_file.touch()
            hand_over(self.log_file, self.user)

    def start(self, *, overrides: Mapping[str, str] | None = None, wait: bool = True) -> None:
        """Start the server; OVERRIDES are ``-c`` settings for this run only."""
        self._hand_over_folders()
        options = " ".join(f"-c {key}={_quoted_option(value)}" for key, value in (overrides or {}).items())
        args = [self.binaries("pg_ctl"), "--pgdata", str(self.data_dir), "--log", str(self.log_file)]
        if options:
            args += ["-o", options]
        args += ["--wait" if wait else "--no-wait", f"--timeout={int(START_TIMEOUT_SECONDS)}", "start"]
        try:
            self.run(args)
        except PostgresError as exc:
            raise PostgresError(f"{exc.detail}\n{self.log_tail()}") from None

    def stop(self, mode: str = "fast") -> None:
        if self.pid() is not None:
            self.run(
                [self.binaries("pg_ctl"), "--pgdata", str(self.data_dir), "--mode", mode, "--wait", "stop"]
            )

    def kill(self) -> None:
        """SIGKILL the postmaster: a crash, not a shutdown (its backends exit on their own)."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)

    def promote(self) -> None:
        self.run([self.binaries("pg_ctl"), "--pgdata", str(self.data_dir), "--wait", "promote"])

    def pid(self) -> int | None:
        """The running postmaster's process id, or None."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            pid = int(first)
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def sql(self, statement: str, *, database: str = "postgres") -> str:
        """Run one statement with psql; return its unaligned, tuples-only output."""
        return self.run(
            [
                self.binaries("psql"),
                "--no-psqlrc",
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.url(database),
                "-c",
                statement,
            ],
            as_server_user=False,
        ).strip()

    def wait_until(self, statement: str, expected: str, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Poll STATEMENT until it answers EXPECTED (a standby catching up, recovery ending)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise PostgresError(f"the server stopped while waiting for {statement!r}:\n{self.log_tail()}")
            try:
                last = self.sql(statement)
                if last == expected:
                    return
            except PostgresError as exc:
                last = exc.detail
            time.sleep(0.1)
        raise PostgresError(f"waited {timeout:.0f} s for {statement!r} to answer {expected!r}; last: {last}")

    def archive_current_wal(self, *, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """Close the current WAL segment and wait until archive_command has archived it."""
        segment = self.sql("SELECT pg_walfile_name(pg_switch_wal())")
        self.wait_until(
            # The segment name comes from pg_walfile_name(): 24 hex digits.
            f"SELECT coalesce(last_archived_wal >= '{segment}', false) FROM pg_stat_archiver",  # noqa: S608  # nosec B608
            "t",
            timeout=timeout,
        )
        return segment

    def create_standby(self, data_dir: Path, *, name: str) -> Cluster:
        """A streaming replica of this running cluster (pg_basebackup -R), not yet started."""
        standby = Cluster(data_dir=data_dir, binaries=self.binaries, user=self.user, name=name)
        data_dir.mkdir(parents=True, mode=0o700)  # pg_basebackup fills an empty folder
        hand_over(data_dir, self.user)
        standby.run(
            [
                self.binaries("pg_basebackup"),
                "--dbname",
                f"host=127.0.0.1 port={self.port} user={SUPERUSER}",
                "--pgdata",
                str(data_dir),
                "--wal-method=stream",
                "--checkpoint=fast",
                "--write-recovery-conf",
                "--no-sync",
            ]
        )
        # Its own port and name; never the primary's archiving or synchronous standbys.
        standby.configure({"wal_level": "replica", "max_wal_senders": "10", "hot_standby": "on"})
        return standby

    def require_synchronous(self, standby_names: Sequence[str]) -> None:
        """A commit returns only once one of STANDBY_NAMES has it on disk too."""
        names = ", ".join(f'"{name}"' for name in standby_names)
        self.sql(f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({names})'")
        self.sql("ALTER SYSTEM SET synchronous_commit = 'on'")
        self.sql("SELECT pg_reload_conf()")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def run(self, args: Sequence[str], *, as_server_user: bool = True) -> str:
        """Run a PostgreSQL binary (as the server's user when it writes the server's files)."""
        return run_binary(args, user=self.user if as_server_user else None)

    def release(self, mode: str = "fast") -> None:
        """Stop the server and delete its socket folder; the data folder stays."""
        self.stop(mode=mode)
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def remove(self) -> None:
        """Stop (immediately) and delete the data folder, its log and its socket folder."""
        if self.pid() is not None:
            self.stop(mode="immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.log_file.unlink(missing_ok=True)


def run_binary(args: Sequence[str], *, user: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run a PostgreSQL binary (as USER when given); its output, or PostgresError with what it said."""
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603 - PostgreSQL's binaries, argument list
            list(args),
            capture_output=True,
            text=True,
            check=False,
            user=user,
            group=_group_of(user),
            extra_groups=[] if user is not None else None,
            env=dict(env) if env is not None else None,
            cwd="/" if user is not None else None,
            timeout=600,
        )
    except OSError as exc:
        raise PostgresError(f"{Path(args[0]).name}: {exc.strerror}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()
        raise PostgresError(f"{Path(args[0]).name} failed (exit {done.returncode}): {said}")
    return done.stdout


def _group_of(user: str | None) -> int | None:
    return None if user is None else pwd.getpwnam(user).pw_gid


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def quoted_setting(value: str) -> str:
    """A value as a postgresql.conf string literal."""
    return "'" + value.replace("'", "''") + "'"


def _quoted_option(value: str) -> str:
    # pg_ctl hands -o to the postmaster through a shell: single quotes, closing around a quote.
    return "'" + value.replace("'", "'\\''") + "'"


def lsn_bytes(lsn: str) -> int:
    """``16/B374D848`` as a byte position."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def iter_segments(folder: Path) -> Iterator[Path]:
    """WAL segment files (24 hex digits) in FOLDER, oldest first."""
    return iter(sorted(p for p in folder.iterdir() if len(p.name) == 24 and _is_hex(p.name)))


def _is_hex(text: str) -> bool:
    return all(c in "0123456789ABCDEF" for c in text)
