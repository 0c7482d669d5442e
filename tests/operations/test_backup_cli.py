"""``croupier backup`` as an operator runs it, against a real PostgreSQL that archives its WAL."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from croupier.kit.keyring import Keyring
from croupier.kit.processes import free_port
from croupier.operations.backups import BackupStore
from croupier.operations.postgres import Binaries, Cluster, hand_over
from tests.cli_support import bare_env_for, croupier, refused, succeeded

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """Clusters' folders outside pytest's own (which it keeps private to root: the server user
    must reach them)."""
    folder = Path(tempfile.mkdtemp(prefix="croupier-backup-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def primary(scratch: Path) -> Iterator[tuple[Cluster, Path]]:
    """A primary archiving its WAL into the backup folder's archive, with one table of rows."""
    folder = scratch
    store = BackupStore(folder / "backups")
    store.wal_dir.mkdir(parents=True)
    cluster = Cluster(folder / "primary", Binaries.find(), name="primary")
    hand_over(store.wal_dir, cluster.user)
    cluster.init(settings={"archive_mode": "on", "archive_command": store.shell_archive_command()})
    cluster.start()
    cluster.sql("CREATE TABLE bets (id int PRIMARY KEY)")
    yield cluster, store.folder
    cluster.remove()


def _env(tmp_path: Path, cluster: Cluster, backups: Path, **extra: str) -> dict[str, str]:
    env = bare_env_for(tmp_path / "data")
    env.update(
        {
            "CROUPIER_DATABASE_URL": cluster.url(),
            "CROUPIER_KEYRING": Keyring.generate().to_json(),
            "CROUPIER_BACKUP_DIR": str(backups),
        }
    )
    env.update(extra)
    return env


def test_restore_to_a_time_keeps_what_committed_before_it_and_nothing_after(
    primary: tuple[Cluster, Path], scratch: Path, tmp_path: Path
) -> None:
    cluster, backups = primary
    env = _env(tmp_path, cluster, backups)
    created = croupier("backup", "create", env=env)
    assert "verified against its manifest" in succeeded(created)
    cluster.sql("INSERT INTO bets VALUES (1)")
    target = cluster.sql("SELECT clock_timestamp()")
    time.sleep(0.1)
    cluster.sql("INSERT INTO bets VALUES (2)")
    cluster.archive_current_wal()

    listed = succeeded(croupier("backup", "list", env=env))
    assert "archived WAL:" in listed
    assert "restorable:" in listed

    into = scratch / "restored"
    restored = succeeded(croupier("backup", "restore", "--to", target, "--into", str(into), env=env))
    assert "last transaction replayed" in restored
    replayed_at = restored.split("last transaction replayed: ", 1)[1].splitlines()[0]
    assert datetime.fromisoformat(replayed_at) <= datetime.fromisoformat(target)

    copy = Cluster(into, Binaries.find(), name="restored")
    copy.start(overrides={"port": str(copy.port), "unix_socket_directories": str(copy.socket_dir)})
    try:
        assert copy.sql("SELECT array_agg(id ORDER BY id) FROM bets") == "{1}"
    finally:
        copy.release()


def test_backups_warn_loudly_until_a_copy_of_the_keyring_is_recorded(
    primary: tuple[Cluster, Path], tmp_path: Path
) -> None:
    cluster, _ = primary
    env = _env(tmp_path, cluster, tmp_path / "own-backups")
    created = croupier("backup", "create", env=env)
    succeeded(created)
    assert "no copy of the keyring is recorded" in created.stderr
    assert "no copy of the keyring is recorded" in croupier("backup", "list", env=env).stderr

    succeeded(croupier("backup", "keyring-kept", "--where", "vault: secret/croupier", env=env))
    listed = croupier("backup", "list", env=env)
    assert "keyring copy: vault: secret/croupier" in succeeded(listed)
    assert "WARNING" not in listed.stderr

    rotated = Keyring.from_json(env["CROUPIER_KEYRING"]).with_new_version().to_json()
    after_rotation = croupier("backup", "list", env={**env, "CROUPIER_KEYRING": rotated})
    assert "lacks KEK version(s) [2]" in after_rotation.stderr


def test_restore_refuses_a_folder_that_is_not_empty(primary: tuple[Cluster, Path], tmp_path: Path) -> None:
    cluster, backups = primary
    env = _env(tmp_path, cluster, backups)
    into = tmp_path / "busy"
    into.mkdir()
    (into / "something").write_text("kept")
    result = croupier("backup", "restore", "--to", "2999-01-01T00:00:00Z", "--into", str(into), env=env)
    refused(result, "is not empty")
    assert (into / "something").read_text() == "kept"


def test_restore_refuses_a_time_before_every_backup(primary: tuple[Cluster, Path], tmp_path: Path) -> None:
    cluster, backups = primary
    env = _env(tmp_path, cluster, backups)
    result = croupier(
        "backup", "restore", "--to", "2001-01-01T00:00:00Z", "--into", str(tmp_path / "new"), env=env
    )
    refused(result, "no base backup finished before 2001-01-01")


def test_restore_refuses_a_time_the_archive_does_not_reach_yet(
    primary: tuple[Cluster, Path], scratch: Path, tmp_path: Path
) -> None:
    cluster, backups = primary
    env = _env(tmp_path, cluster, backups)
    succeeded(croupier("backup", "create", env=env))
    result = croupier(
        "backup", "restore", "--to", "2999-01-01T00:00:00Z", "--into", str(scratch / "future"), env=env
    )
    refused(result, "recovery ended before configured recovery target was reached")


def test_a_backup_of_an_unreachable_database_is_refused_without_showing_its_password(tmp_path: Path) -> None:
    nobody = free_port()
    env = bare_env_for(tmp_path / "data") | {
        "CROUPIER_DATABASE_URL": f"postgresql://croupier:pw-not-shown@127.0.0.1:{nobody}/croupier",
        "CROUPIER_KEYRING": Keyring.generate().to_json(),
        "CROUPIER_BACKUP_DIR": str(tmp_path / "backups"),
    }
    result = croupier("backup", "create", env=env)
    refused(result, "pg_basebackup failed")
    assert "pw-not-shown" not in result.stderr + result.stdout
    assert not list((tmp_path / "backups" / "base").iterdir())


def test_archive_wal_copies_once_accepts_the_same_file_again_and_refuses_a_different_one(
    tmp_path: Path,
) -> None:
    env = bare_env_for(tmp_path / "data") | {"CROUPIER_BACKUP_DIR": str(tmp_path / "backups")}
    segment = tmp_path / "000000010000000000000007"
    segment.write_bytes(os.urandom(4096))
    succeeded(croupier("backup", "archive-wal", str(segment), segment.name, env=env))
    archived = tmp_path / "backups" / "wal" / segment.name
    assert archived.read_bytes() == segment.read_bytes()
    succeeded(croupier("backup", "archive-wal", str(segment), segment.name, env=env))

    segment.write_bytes(os.urandom(4096))
    refused(croupier("backup", "archive-wal", str(segment), segment.name, env=env), "different contents")
    assert archived.read_bytes() != segment.read_bytes()
