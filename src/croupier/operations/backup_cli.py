"""``croupier backup``: base backups, WAL archiving and point-in-time recovery."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from croupier.kit.commands import explain, fail
from croupier.kit.embedded import libpq_conninfo, start_embedded_server
from croupier.kit.keyring import DEV_KEYRING_NAME, Keyring, KeyringError
from croupier.kit.settings import Settings, get_settings
from croupier.operations.backups import BackupStore, keyring_warning
from croupier.operations.postgres import Binaries, PostgresError

app = typer.Typer(no_args_is_help=True, help="Backups and point-in-time recovery.")


def _store(settings: Settings) -> BackupStore:
    return BackupStore(settings.backups_dir.resolve())


def _conninfo(settings: Settings) -> str:
    """The libpq URL of the configured database (the embedded server's when none is)."""
    if settings.database_url is not None:
        # Several hosts (a primary and its standbys) become libpq's list: the backup reads the primary.
        return libpq_conninfo(settings.database_url.get_secret_value())

    server = start_embedded_server(settings.data_dir)
    return str(server.get_uri("postgres"))


def _kek_versions(settings: Settings) -> list[int] | None:
    """The KEK versions of the configured keyring (never its keys); None when it cannot be read."""
    try:
        if settings.keyring is not None:
            return sorted(Keyring.from_json(settings.keyring.get_secret_value()).keks)
        path = settings.keyring_file or settings.data_dir / DEV_KEYRING_NAME
        return sorted(Keyring.from_json(path.read_text()).keks)
    except (OSError, KeyringError):
        return None


def _warn_about_keyring(settings: Settings, store: BackupStore) -> None:
    warning = keyring_warning(store.keyring_record(), _kek_versions(settings))
    if warning is not None:
        typer.echo("!" * 78, err=True)
        typer.echo(f"!! WARNING: {warning}", err=True)
        typer.echo("!" * 78, err=True)


@app.command()
def create() -> None:
    """Take a base backup (pg_basebackup, verified, tar.gz) into CROUPIER_BACKUP_DIR."""
    settings = get_settings()
    store = _store(settings)
    try:
        backup = store.create(Binaries.find(settings.pg_bin), _conninfo(settings))
    except PostgresError as exc:
        fail(exc.detail)
    typer.echo(
        f"base backup {backup.label}: {backup.bytes / 1e6:.1f} MB in {backup.seconds:.1f} s,"
        f" WAL {backup.start_lsn} to {backup.end_lsn}, verified against its manifest"
    )
    typer.echo(f"in {store.folder / 'base' / backup.label}")
    _warn_about_keyring(settings, store)


@app.command("list")
def list_backups() -> None:
    """Base backups, the archived WAL range, and whether a keyring copy is recorded."""
    settings = get_settings()
    store = _store(settings)
    backups = store.backups()
    if not backups:
        typer.echo("no base backups")
    for b in backups:
        typer.echo(
            f"{b.label}  finished {b.finished_at:%Y-%m-%d %H:%M:%S}Z  {b.bytes / 1e6:8.1f} MB"
            f"  WAL from {b.start_lsn}  timeline {b.timeline}"
        )
    wal = store.wal_range()
    if wal is None:
        typer.echo("archived WAL: none (is archive_command set? see `croupier backup archive-wal --help`)")
    else:
        typer.echo(
            f"archived WAL: {wal.segments} segment(s) {wal.first} to {wal.last},"
            f" {wal.first_at:%Y-%m-%d %H:%M:%S}Z to {wal.last_at:%Y-%m-%d %H:%M:%S}Z"
        )
    if backups:
        until = (
            wal.last_at
            if wal is not None and wal.last_at > backups[-1].finished_at
            else backups[-1].finished_at
        )
        typer.echo(
            f"restorable: {backups[0].finished_at:%Y-%m-%d %H:%M:%S}Z to about {until:%Y-%m-%d %H:%M:%S}Z"
        )
    record = store.keyring_record()
    if record is not None:
        typer.echo(
            f"keyring copy: {record.where}"
            f" (recorded {record.recorded_at:%Y-%m-%d}, KEK versions {record.kek_versions})"
        )
    _warn_about_keyring(settings, store)


def _timestamp(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("an ISO 8601 time, e.g. 2026-12-04T19:30:00Z") from None
    # A time without a zone is read as UTC, the zone every Croupier timestamp is shown in.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@app.command()
def restore(
    to: Annotated[
        datetime,
        typer.Option(
            "--to",
            parser=_timestamp,
            metavar="TIME",
            help="Recover up to this time (ISO 8601; UTC unless a zone is given).",
        ),
    ],
    into: Annotated[
        Path, typer.Option("--into", metavar="DIR", help="A new, empty folder for the restored data.")
    ],
    action: Annotated[
        str, typer.Option("--action", help="At the target: promote (accept writes) or pause (inspect first).")
    ] = "promote",
    label: Annotated[
        str | None, typer.Option("--backup", metavar="LABEL", help="Use this base backup.")
    ] = None,
) -> None:
    """Build a fresh data folder from a base backup and the WAL archive, recovered up to TIME."""
    if action not in ("promote", "pause"):
        raise typer.BadParameter("promote or pause", param_hint="--action")
    settings = get_settings()
    store = _store(settings)
    try:
        restored = store.restore(
            Binaries.find(settings.pg_bin), target=to, into=into.resolve(), action=action, label=label
        )
    except PostgresError as exc:
        fail(exc.detail)
    stopped = (
        restored.stopped_at.isoformat() if restored.stopped_at else "no transaction replayed after the backup"
    )
    typer.echo(f"restored base backup {restored.backup.label} into {into}")
    typer.echo(f"last transaction replayed: {stopped}")
    if restored.stop_reason:
        typer.echo(f"PostgreSQL: {restored.stop_reason}")
    typer.echo(f"WAL replayed: {restored.wal_replayed_bytes / 1e6:.1f} MB in {restored.seconds:.1f} s")
    if action == "pause":
        typer.echo("recovery is paused at the target: the server was stopped; starting it resumes recovery")
    restored.cluster.release()
    typer.echo(f"start it with: pg_ctl --pgdata {into} start (check port and archive settings first)")
    _warn_about_keyring(settings, store)


@app.command("archive-wal")
def archive_wal(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="PostgreSQL's %p: the WAL file to archive.")],
    name: Annotated[str, typer.Argument(metavar="NAME", help="PostgreSQL's %f: its file name.")],
) -> None:
    """PostgreSQL's archive_command: copy one WAL file into CROUPIER_BACKUP_DIR/wal, durably.

    Set on the server: archive_mode = on, and
    archive_command = 'CROUPIER_BACKUP_DIR=/backups /path/to/croupier backup archive-wal %p %f'
    """
    store = _store(get_settings())
    try:
        store.archive_wal(path, name)
    except (PostgresError, OSError) as exc:
        fail(getattr(exc, "detail", None) or str(exc))


@app.command("keyring-kept")
def keyring_kept(
    where: Annotated[
        str, typer.Option("--where", help="Where the keyring's copy is kept, e.g. 'vault: secret/croupier'.")
    ],
) -> None:
    """Record that the current keyring is kept safe elsewhere (the backups never hold it)."""
    if not where.strip():
        raise typer.BadParameter("say where", param_hint="--where")
    settings = get_settings()
    versions = _kek_versions(settings)
    if versions is None:
        fail("cannot read the configured keyring (CROUPIER_KEYRING or CROUPIER_KEYRING_FILE)")
    record = _store(settings).record_keyring(where.strip(), versions)
    typer.echo(f"recorded: keyring with KEK version(s) {record.kek_versions} kept at {record.where}")
    explain_if_dev = settings.keyring is None and settings.keyring_file is None
    if explain_if_dev:
        explain("note: these are development keys (CROUPIER_KEYRING_FILE is unset)")
