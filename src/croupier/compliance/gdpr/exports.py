"""Access and portability (GDPR articles 15 and 20): a JSON archive of everything held
about the player, built in the background and downloadable once, until it expires.

The request commits a pending export and defers its job after commit; the job asks every
registered domain for its section (``hooks``), seals the archive under the player's data
key and marks it ready. The one download unseals it and destroys it in the same
transaction; an unread archive goes with the export at the end of its period.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.compliance.gdpr import hooks, repository
from croupier.compliance.gdpr.models import DataExport, ExportStatus
from croupier.compliance.gdpr.processing import activity_named
from croupier.crypto.service import PersonalDataErased, player_cipher
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.kit.jobs import defer_after_commit

BUILD_TASK = "gdpr:build_export"
FORMAT = "croupier.export/1"
# Pending exports older than this are given up by the sweep (the player may ask again).
GIVE_UP_AFTER_HOURS = 24


class ExportInProgress(Conflict):
    code = "export_in_progress"
    title = "An export is already being prepared or waiting to be downloaded"


class ExportNotReady(Conflict):
    code = "export_not_ready"
    title = "The export is still being prepared"


class ExportGone(CroupierError):
    code = "export_gone"
    status = 410
    title = "The export was downloaded already, has expired or could not be built"


def lifetime() -> timedelta:
    period = activity_named("exports").period
    if period is None:  # the record of processing gives exports a period
        raise RuntimeError("exports have no retention period")
    return period


async def request(session: AsyncSession, *, player_id: uuid.UUID, client: ClientInfo) -> DataExport:
    existing = await repository.open_export(session, player_id)
    if existing is not None:
        raise ExportInProgress(
            "Download the export waiting for you, or wait for it.", export_id=str(existing.id)
        )
    now = utcnow()
    export = DataExport(
        id=uuid.uuid4(),
        player_id=player_id,
        status=ExportStatus.PENDING,
        created_at=now,
        expires_at=now + lifetime(),
    )
    repository.add_export(session, export)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request won the one open export
        raise ExportInProgress("An export is already being prepared.") from None
    audit.record(
        session,
        AuditAction.GDPR_EXPORT_REQUEST,
        actor=Actor.player(player_id),
        target=Target.player(player_id),
        client=client,
        details={"export_id": str(export.id)},
    )
    defer_after_commit(session, BUILD_TASK, lock=f"export:{export.id}", export_id=str(export.id))
    return export


async def build(session: AsyncSession, *, export_id: uuid.UUID) -> str:
    """The job: every section, sealed. Returns what became of the export."""
    export = await repository.export_of(session, export_id, lock=True)
    if export is None or export.status != ExportStatus.PENDING:
        return "skipped"
    try:
        cipher = await player_cipher(session, player_id=export.player_id)
    except PersonalDataErased:
        export.status = ExportStatus.FAILED
        return str(export.status)
    sections = {
        name: await section(session, export.player_id) for name, section in hooks.export_sections().items()
    }
    document = {
        "format": FORMAT,
        "player_id": export.player_id,
        "requested_at": export.created_at,
        "generated_at": utcnow(),
        "sections": sections,
    }
    text = json.dumps(document, default=_json_value, ensure_ascii=False, indent=1)
    export.archive = cipher.encrypt(_field(export.id), text)
    export.size_bytes = len(text.encode())
    export.ready_at = utcnow()
    export.status = ExportStatus.READY
    await session.flush()
    return str(export.status)


def _field(export_id: uuid.UUID) -> str:
    # Bound to the export: one export's archive cannot be passed off as another's.
    return f"gdpr_export:{export_id}"


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


async def of(session: AsyncSession, *, player_id: uuid.UUID, export_id: uuid.UUID) -> DataExport:
    export = await repository.export_of(session, export_id, player_id=player_id)
    if export is None:
        raise NotFound("No such export.")
    return export


async def listing(session: AsyncSession, *, player_id: uuid.UUID) -> list[DataExport]:
    return list(await repository.exports_of(session, player_id))


async def download(
    session: AsyncSession, *, player_id: uuid.UUID, export_id: uuid.UUID, client: ClientInfo
) -> str:
    """The archive, once: it is destroyed in the transaction that hands it out."""
    export = await repository.export_of(session, export_id, player_id=player_id, lock=True)
    if export is None:
        raise NotFound("No such export.")
    if export.status == ExportStatus.PENDING:
        raise ExportNotReady("Try again in a moment.")
    now = utcnow()
    if export.status != ExportStatus.READY or export.archive is None or export.expires_at <= now:
        raise ExportGone("Ask for a new export.", export_status=str(_shown_status(export, now)))
    cipher = await player_cipher(session, player_id=player_id)
    text = cipher.decrypt(_field(export.id), export.archive)
    export.archive = None
    export.status = ExportStatus.DOWNLOADED
    export.downloaded_at = now
    await session.flush()
    audit.record(
        session,
        AuditAction.GDPR_EXPORT_DOWNLOAD,
        actor=Actor.player(player_id),
        target=Target.player(player_id),
        client=client,
        details={"export_id": str(export.id), "size_bytes": export.size_bytes},
    )
    return text


def _shown_status(export: DataExport, now: datetime) -> ExportStatus:
    if export.status == ExportStatus.READY and export.expires_at <= now:
        return ExportStatus.EXPIRED
    return ExportStatus(export.status)


def shown_status(export: DataExport) -> ExportStatus:
    return _shown_status(export, utcnow())


async def sweep(session: AsyncSession) -> list[uuid.UUID]:
    """Pending exports whose job may have been lost (a crash between commit and deferral):
    their ids, to defer again; those pending for too long are given up."""
    await repository.fail_pending_before(session, utcnow() - timedelta(hours=GIVE_UP_AFTER_HOURS))
    return await repository.pending_export_ids(session, limit=500)


async def delete_requested_before(session: AsyncSession, cutoff: datetime) -> int:
    """Retention: exports (and any unread archive) requested before ``cutoff``."""
    return await repository.delete_exports(session, before=cutoff)
