"""``croupier drill restore``: point-in-time recovery proven on a real cluster.

A primary archives its WAL; it gets the real migrations, a player and transfer A; the time T is
noted; transfer B follows. The drill restores the base backup and the archive to T into a fresh
cluster and proves that A is there, B is not, the books balance and the audit chain holds up to
the head recorded at T.
"""

from __future__ import annotations

import time
from datetime import datetime
from subprocess import CompletedProcess  # nosec B404 - the type only
from typing import Annotated

import typer

from croupier.kit.errors import CroupierError
from croupier.kit.keyring import Keyring
from croupier.kit.settings import get_settings
from croupier.operations.backups import BackupStore
from croupier.operations.drills.cli import app
from croupier.operations.drills.report import DrillReport, print_and_exit
from croupier.operations.drills.support import croupier, drill_env, register_player, said, scratch_folder
from croupier.operations.postgres import Binaries, Cluster, PostgresError, hand_over

ARCHIVE_WAIT_SECONDS = 60.0


def run(*, keep: bool = False) -> DrillReport:
    report = DrillReport("restore")
    binaries = Binaries.find(get_settings().pg_bin)
    with scratch_folder("restore", keep=keep) as folder:
        store = BackupStore(folder / "backups")
        store.wal_dir.mkdir(parents=True)
        primary = Cluster(folder / "primary", binaries, name="primary")
        hand_over(store.wal_dir, primary.user)  # the server writes the archive
        restored: Cluster | None = None
        try:
            primary.init(settings={"archive_mode": "on", "archive_command": store.shell_archive_command()})
            primary.start()
            primary.sql("CREATE DATABASE croupier")
            env = drill_env(
                data_dir=folder / "data",
                database_url=primary.url("croupier"),
                keyring=Keyring.generate().to_json(),
                CROUPIER_BACKUP_DIR=str(store.folder),
            )
            _step(croupier("db", "upgrade", env=env), "the migrations failed")
            player = register_player(env)

            backup = store.create(binaries, primary.url("croupier"))
            report.measure("backup MB", round(backup.bytes / 1e6, 1))
            report.measure("backup seconds", backup.seconds)

            _step(
                croupier(
                    "wallet", "adjust", str(player), "1000", "EUR", "--reason", "drill: transfer A", env=env
                ),
                "transfer A failed",
            )
            head = croupier("audit", "head", env=env).stdout.strip()
            target = datetime.fromisoformat(primary.sql("SELECT clock_timestamp()"))
            time.sleep(0.1)  # B commits strictly after T on the server's own clock
            _step(
                croupier(
                    "wallet", "adjust", str(player), "500", "EUR", "--reason", "drill: transfer B", env=env
                ),
                "transfer B failed",
            )
            primary.archive_current_wal(timeout=ARCHIVE_WAIT_SECONDS)  # B's commit is archived

            outcome = store.restore(binaries, target=target, into=folder / "restored")
            restored = outcome.cluster
            report.measure("restore seconds", outcome.seconds)
            report.measure("WAL replayed MB", round(outcome.wal_replayed_bytes / 1e6, 2))
            report.measure("target", target.isoformat())
            report.measure("stopped at", outcome.stopped_at.isoformat() if outcome.stopped_at else "-")

            at_restore = {**env, "CROUPIER_DATABASE_URL": restored.url("croupier")}
            balance = croupier("wallet", "balance", str(player), env=at_restore)
            available = _available(balance.stdout, "EUR")
            report.measure("restored balance", available or "-")
            report.promise(
                available == "10.00",
                f"restored balance is {available or said(balance)}, expected A only (10.00 EUR)",
            )
            books = croupier("ledger", "check", env=at_restore)
            report.measure("ledger check", "passed" if books.returncode == 0 else "FAILED")
            report.promise(
                books.returncode == 0, f"ledger check failed on the restored cluster: {said(books)}"
            )
            audit = croupier("audit", "verify", "--checkpoint", head, env=at_restore)
            report.measure("audit verify", audit.stdout.strip() if audit.returncode == 0 else "FAILED")
            report.promise(
                audit.returncode == 0, f"audit verify up to T failed on the restored cluster: {said(audit)}"
            )
        except CroupierError as exc:
            report.promise(False, exc.detail.splitlines()[0])
        finally:
            for cluster in (restored, primary):
                if cluster is not None:
                    cluster.release(mode="immediate")
    return report.finish()


class _StepFailed(PostgresError):
    code = "drill_step_failed"


def _step(result: CompletedProcess[str], reason: str) -> None:
    """A step the rest of the drill depends on: its failure ends the drill as a broken promise."""
    if result.returncode != 0:
        raise _StepFailed(f"{reason}: {said(result)}")


def _available(balance: str, currency: str) -> str | None:
    for line in balance.splitlines():
        cells = line.split()
        if cells and cells[0] == currency:
            return cells[1]
    return None


@app.command("restore")
def restore_drill(
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the drill's clusters and backups for inspection.")
    ] = False,
) -> None:
    """Back up, write, restore to a time between two transfers; prove the first is there, the second not."""
    print_and_exit(run(keep=keep))
