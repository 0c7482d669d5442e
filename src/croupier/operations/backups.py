"""Base backups, the WAL archive, and point-in-time restores into a fresh data folder.

Layout of the backup folder (CROUPIER_BACKUP_DIR)::

    base/<label>/base.tar.gz     a pg_basebackup, verified with pg_verifybackup before it was packed
    base/<label>/backup.json     when it started and finished, its WAL positions, size and SHA-256
    wal/<segment>                archived WAL, written by ``croupier backup archive-wal``
    keyring.json                 where the operator keeps the keyring's copy (never the keys)

A restore takes the newest base backup that finished before the target time, replays archived
WAL up to that time, and promotes (or pauses). The keyring is not in these backups, by design:
a stolen backup must not decrypt players' personal data. Without the keyring, a restored
database's encrypted columns are lost, hence the loud warnings until a copy is recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shlex
import shutil
import tarfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg.conninfo

from croupier.operations.postgres import (
    Binaries,
    Cluster,
    PostgresError,
    iter_segments,
    lsn_bytes,
    quoted_setting,
    run_binary,
)

BASE = "base"
WAL = "wal"
KEYRING_RECORD = "keyring.json"
ARCHIVE_NAME = "base.tar.gz"
META_NAME = "backup.json"
RECOVERY_TIMEOUT_SECONDS = 600.0


class BackupError(PostgresError):
    code = "backup_failed"
    title = "The backup or restore failed"


@dataclass(frozen=True)
class BaseBackup:
    label: str
    started_at: datetime
    finished_at: datetime
    start_lsn: str
    end_lsn: str
    timeline: int
    bytes: int
    sha256: str
    seconds: float

    def to_json(self) -> str:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> BaseBackup:
        data = json.loads(text)
        data["started_at"] = datetime.fromisoformat(data["started_at"])
        data["finished_at"] = datetime.fromisoformat(data["finished_at"])
        return cls(**data)


@dataclass(frozen=True)
class WalRange:
    first: str
    last: str
    segments: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class KeyringRecord:
    recorded_at: datetime
    where: str
    kek_versions: list[int]


@dataclass
class Restored:
    cluster: Cluster
    backup: BaseBackup
    stopped_at: datetime | None  # the last transaction replayed
    wal_replayed_bytes: int
    seconds: float
    stop_reason: str  # PostgreSQL's own "recovery stopping before…" line, when it logged one


class BackupStore:
    """One backup folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def wal_dir(self) -> Path:
        return self.folder / WAL

    # -- WAL archive ----------------------------------------------------------------------------

    def archive_wal(self, source: Path, name: str) -> bool:
        """Copy one WAL file into the archive, durably; False when the identical file is there."""
        if "/" in name or name.startswith("."):
            raise BackupError(f"not a WAL file name: {name}")
        self.wal_dir.mkdir(parents=True, exist_ok=True)
        target = self.wal_dir / name
        if target.exists():
            # PostgreSQL may archive a segment again after a crash: the same bytes are a success.
            if _sha256(target) == _sha256(source):
                return False
            raise BackupError(f"{name} is already archived with different contents; refusing to overwrite")
        partial = self.wal_dir / f".{name}.partial"
        with source.open("rb") as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        partial.rename(target)
        _fsync_dir(self.wal_dir)
        return True

    def shell_archive_command(self) -> str:
        """An archive_command needing only coreutils: copy, fsync, rename; an identical copy is success.

        For servers whose user cannot run ``croupier`` (``croupier backup archive-wal`` does the same).
        """
        folder = shlex.quote(str(self.wal_dir.resolve()))
        return (
            f"if test -f {folder}/%f; then cmp -s %p {folder}/%f; "
            f"else cp %p {folder}/.%f.partial && sync {folder}/.%f.partial "
            f"&& mv {folder}/.%f.partial {folder}/%f && sync {folder}; fi"
        )

    def wal_range(self) -> WalRange | None:
        if not self.wal_dir.exists():
            return None
        segments = list(iter_segments(self.wal_dir))
        if not segments:
            return None
        return WalRange(
            first=segments[0].name,
            last=segments[-1].name,
            segments=len(segments),
            first_at=_mtime(segments[0]),
            last_at=_mtime(segments[-1]),
        )

    # -- base backups ---------------------------------------------------------------------------

    def backups(self) -> list[BaseBackup]:
        folder = self.folder / BASE
        if not folder.exists():
            return []
        found = [
            BaseBackup.from_json((d / META_NAME).read_text())
            for d in folder.iterdir()
            if (d / META_NAME).exists()
        ]
        return sorted(found, key=lambda b: b.finished_at)

    def create(self, binaries: Binaries, conninfo: str) -> BaseBackup:
        """pg_basebackup (with its WAL), verify it against its manifest, pack it as tar.gz."""
        started_at = datetime.now(UTC)
        clock = time.monotonic()
        label = started_at.strftime("%Y%m%dT%H%M%S%fZ")
        partial = self.folder / BASE / f".{label}.partial"
        data = partial / "data"
        partial.mkdir(parents=True)
        try:
            dbname, password = _without_password(conninfo)
            _run_tool(
                binaries,
                "pg_basebackup",
                "--dbname",
                dbname,
                "--pgdata",
                str(data),
                "--wal-method=stream",
                "--checkpoint=fast",
                f"--label=croupier-{label}",
                "--manifest-checksums=SHA256",
                password=password,
            )
            _run_tool(binaries, "pg_verifybackup", "--quiet", str(data))
            label_file = _backup_label(data / "backup_label")
            end_lsn = _manifest_end_lsn(data / "backup_manifest")
            archive = partial / ARCHIVE_NAME
            with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
                tar.add(data, arcname=".")
            shutil.rmtree(data)
            _fsync_file(archive)
            finished_at = datetime.now(UTC)
            backup = BaseBackup(
                label=label,
                started_at=started_at,
                finished_at=finished_at,
                start_lsn=label_file["START WAL LOCATION"].split()[0],
                end_lsn=end_lsn,
                timeline=int(label_file["START TIMELINE"]),
                bytes=archive.stat().st_size,
                sha256=_sha256(archive),
                seconds=round(time.monotonic() - clock, 3),
            )
            (partial / META_NAME).write_text(backup.to_json())
            _fsync_file(partial / META_NAME)
            partial.rename(self.folder / BASE / label)
            _fsync_dir(self.folder / BASE)
            return backup
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def restore(
        self,
        binaries: Binaries,
        *,
        target: datetime,
        into: Path,
        action: str = "promote",
        label: str | None = None,
    ) -> Restored:
        """A fresh data folder at INTO, recovered to TARGET; returns it running (loopback, own port)."""
        backup = self._backup_for(target, label)
        if into.exists() and any(into.iterdir()):
            raise BackupError(f"{into} is not empty; restore into a new folder")
        clock = time.monotonic()
        archive = self.folder / BASE / backup.label / ARCHIVE_NAME
        if _sha256(archive) != backup.sha256:
            raise BackupError(
                f"base backup {backup.label} does not match its recorded SHA-256; it is damaged"
            )
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
        _run_tool(binaries, "pg_verifybackup", "--quiet", str(into))
        into.chmod(0o700)
        recovery = {
            "restore_command": f'cp "{self.wal_dir.resolve()}/%f" "%p"',
            "recovery_target_time": target.isoformat(),
            "recovery_target_action": action,
        }
        with (into / "postgresql.auto.conf").open("a") as conf:
            conf.write("# croupier backup restore\n")
            conf.writelines(f"{key} = {quoted_setting(value)}\n" for key, value in recovery.items())
        (into / "recovery.signal").touch()
        cluster = Cluster(data_dir=into, binaries=binaries, name="croupier-restored")
        _let_server_read(self.wal_dir, cluster.user)
        cluster.start(
            overrides={
                "listen_addresses": "127.0.0.1",
                "port": str(cluster.port),
                "unix_socket_directories": str(cluster.socket_dir),
                # A restored copy must never add its own WAL to the archive it came from.
                "archive_mode": "off",
                "synchronous_standby_names": "",
                "cluster_name": cluster.name,
            }
        )
        expected = (
            ("pg_is_in_recovery()", "f")
            if action == "promote"
            else ("pg_get_wal_replay_pause_state()", "paused")
        )
        try:
            cluster.wait_until(f"SELECT {expected[0]}", expected[1], timeout=RECOVERY_TIMEOUT_SECONDS)
        except PostgresError:
            said = _recovery_failure(cluster.log_file) or cluster.log_tail()
            cluster.release(mode="immediate")
            raise BackupError(f"recovery did not reach {target.isoformat()}: {said}") from None
        replay = cluster.sql(
            "SELECT coalesce(pg_last_xact_replay_timestamp()::text, ''), pg_last_wal_replay_lsn()"
        ).split("|")
        stopped_at = datetime.fromisoformat(replay[0]) if replay[0] else None
        return Restored(
            cluster=cluster,
            backup=backup,
            stopped_at=stopped_at,
            wal_replayed_bytes=max(0, lsn_bytes(replay[1]) - lsn_bytes(backup.start_lsn)),
            seconds=round(time.monotonic() - clock, 3),
            stop_reason=_stop_line(cluster.log_file),
        )

    def _backup_for(self, target: datetime, label: str | None) -> BaseBackup:
        candidates = [b for b in self.backups() if label is None or b.label == label]
        if label is not None and not candidates:
            raise BackupError(f"no base backup labelled {label}")
        usable = [b for b in candidates if b.finished_at <= target]
        if not usable:
            raise BackupError(f"no base backup finished before {target.isoformat()}; `croupier backup list`")
        return usable[-1]

    # -- the keyring's own copy -----------------------------------------------------------------

    def keyring_record(self) -> KeyringRecord | None:
        path = self.folder / KEYRING_RECORD
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return KeyringRecord(
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            where=data["where"],
            kek_versions=data["kek_versions"],
        )

    def record_keyring(self, where: str, kek_versions: list[int]) -> KeyringRecord:
        record = KeyringRecord(recorded_at=datetime.now(UTC), where=where, kek_versions=sorted(kek_versions))
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "recorded_at": record.recorded_at.isoformat(),
            "where": where,
            "kek_versions": record.kek_versions,
        }
        (self.folder / KEYRING_RECORD).write_text(json.dumps(data, indent=2))
        return record


def keyring_warning(record: KeyringRecord | None, current_versions: list[int] | None) -> str | None:
    """Why restoring these backups could lose players' personal data today, or None."""
    if record is None:
        return (
            "no copy of the keyring is recorded: these backups alone cannot decrypt players' personal"
            " data. Keep the keyring in a separate safe place, then run"
            " `croupier backup keyring-kept --where '<where it is>'`"
        )
    missing = sorted(set(current_versions or []) - set(record.kek_versions))
    if missing:
        return (
            f"the keyring copy recorded on {record.recorded_at:%Y-%m-%d} ({record.where}) lacks KEK"
            f" version(s) {missing}: store the current keyring again, then record it with"
            " `croupier backup keyring-kept`"
        )
    return None


def _run_tool(binaries: Binaries, name: str, *args: str, password: str | None = None) -> str:
    env = None if password is None else {**os.environ, "PGPASSWORD": password}
    return run_binary([binaries(name), *args], env=env)


def _without_password(conninfo: str) -> tuple[str, str | None]:
    """The connection string minus its password, and the password: a command line is visible to
    every local user (ps), the environment of a process only to its owner."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    password = params.pop("password", None)
    kept = {key: str(value) for key, value in params.items() if value is not None}
    return psycopg.conninfo.make_conninfo("", **kept), None if password is None else str(password)


def _let_server_read(folder: Path, user: str | None) -> None:
    """Let the server's user (not everyone: WAL holds the players' data) read the archive."""
    if user is None:
        return
    group = pwd.getpwnam(user).pw_gid
    for parent in folder.resolve().parents:
        parent.chmod(parent.stat().st_mode | 0o011)  # traverse only; names stay unlisted
    os.chown(folder, -1, group)
    folder.chmod(folder.stat().st_mode | 0o050)
    for segment in folder.iterdir():
        os.chown(segment, -1, group)
        segment.chmod(segment.stat().st_mode | 0o040)


def _backup_label(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(": ")
        fields[key.strip()] = value.strip()
    return fields


def _manifest_end_lsn(path: Path) -> str:
    ranges = json.loads(path.read_text())["WAL-Ranges"]
    return str(ranges[-1]["End-LSN"])


_STOP_LINE = re.compile(r"(recovery stopping .*|last completed transaction was at log time .*)")


def _stop_line(log: Path) -> str:
    try:
        found = _STOP_LINE.findall(log.read_text(errors="replace"))
    except FileNotFoundError:
        return ""
    return "; ".join(found)


def _recovery_failure(log: Path) -> str:
    """PostgreSQL's own FATAL line, e.g. 'recovery ended before configured recovery target was reached'."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    fatal = [line.split("FATAL:", 1)[1].strip() for line in lines if "FATAL:" in line]
    # Connections refused while the server starts or stops are logged as FATAL too: not the reason.
    reasons = [text for text in fatal if not text.startswith("the database system is")]
    return reasons[-1] if reasons else ""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
