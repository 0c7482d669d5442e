"""KYC levels: who may change them, what each change writes, and what a player is asked next.

Every change of level, whoever makes it (the provider's webhook, staff), is one call of
``change_level``: the row locked, the age checked before any rise, an audit entry and a
``kyc_changed`` domain event in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction
from croupier.compliance.kyc import repository
from croupier.compliance.kyc.errors import InvalidLevelChange
from croupier.compliance.kyc.gate import refuse_if_underage
from croupier.compliance.kyc.models import (
    CheckStatus,
    DocumentKind,
    KycCheck,
    KycDocument,
    KycLevel,
    PlayerKyc,
    Rejection,
)
from croupier.crypto.service import player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import players
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import NotFound
from croupier.kit.settings import Settings

# What a full check needs on file; a proof of address is optional.
FULL_CHECK_DOCUMENTS = (DocumentKind.IDENTITY_DOCUMENT, DocumentKind.SELFIE)


async def level_of(session: AsyncSession, *, player_id: uuid.UUID) -> KycLevel:
    return KycLevel(await repository.level(session, player_id) or KycLevel.NONE)


async def change_level(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    to: KycLevel,
    actor: Actor,
    source: str,
    reason: str | None = None,
    client: ClientInfo | None = None,
    row: PlayerKyc | None = None,
) -> bool:
    """Move the player to ``to``; False when already there (nothing written)."""
    row = row or await repository.lock(session, player_id)
    before = KycLevel(row.level)
    if before == to:
        return False
    if to != KycLevel.NONE:
        await refuse_if_underage(session, settings, player_id=player_id)
    row.level, row.updated_at = to, utcnow()
    audit_record(
        session,
        AuditAction.KYC_LEVEL_CHANGE,
        actor=actor,
        target=Target.player(player_id),
        client=client,
        details={"from": str(before), "to": str(to), "source": source, "reason": reason},
    )
    await record_event(
        session,
        EventKind.KYC_CHANGED,
        player_id=player_id,
        data={"from": str(before), "to": str(to), "source": source},
        client=client,
    )
    return True


async def set_level_by_staff(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    level: KycLevel,
    reason: str,
    actor: Actor,
) -> PlayerKyc:
    """A staff review or override: any level, up or down, always with a reason."""
    if not reason.strip():
        raise InvalidLevelChange("Say why: a staff change of level needs a reason.")
    if await players.profile_of(session, player_id) is None:
        raise NotFound("No such player.")
    row = await repository.lock(session, player_id)
    await change_level(
        session, settings, player_id=player_id, to=level, actor=actor, source="staff", reason=reason, row=row
    )
    return row


@dataclass(frozen=True)
class Overview:
    """What a player (or staff) sees of a player's verification."""

    level: KycLevel
    check: KycCheck | None
    documents: Sequence[KycDocument]
    next_steps: list[str]
    updated_at: datetime | None


def on_file_since_rejection(documents: Sequence[KycDocument], check: KycCheck | None) -> set[str]:
    after = check.decided_at if check is not None and check.status == CheckStatus.REJECTED else None
    return {d.kind for d in documents if d.deleted_at is None and (after is None or d.created_at > after)}


def next_steps(level: KycLevel, check: KycCheck | None, documents: Sequence[KycDocument]) -> list[str]:
    """What the player is asked to do next, as stable codes a client can translate."""
    if level.at_least(KycLevel.FULL):
        return []
    if check is not None and check.status == CheckStatus.PENDING:
        return ["wait_for_check"]
    if check is not None and check.rejection == Rejection.FINAL:
        return ["contact_support"]
    on_file = on_file_since_rejection(documents, check)
    missing = [f"upload_{kind}" for kind in FULL_CHECK_DOCUMENTS if kind not in on_file]
    return missing or ["request_check"]


async def overview(session: AsyncSession, *, player_id: uuid.UUID) -> Overview:
    row = await repository.get(session, player_id)
    level = KycLevel(row.level) if row is not None else KycLevel.NONE
    check = await repository.latest_check(session, player_id)
    documents = await repository.documents(session, player_id)
    return Overview(
        level=level,
        check=check,
        documents=documents,
        next_steps=next_steps(level, check, documents),
        updated_at=row.updated_at if row is not None else None,
    )


@dataclass(frozen=True)
class StaffView:
    """A player's verification with the personal data a reviewer needs; reading it is audited."""

    player: players.PlayerProfile
    address: str | None
    overview: Overview
    checks: Sequence[KycCheck]


async def staff_view(session: AsyncSession, *, player_id: uuid.UUID, actor: Actor) -> StaffView:
    profile = await players.profile_of(session, player_id)
    if profile is None:
        raise NotFound("No such player.")
    row = await repository.get(session, player_id)
    address = None
    if row is not None and row.address_enc is not None:
        address = (await player_cipher(session, player_id=player_id)).decrypt("kyc_address", row.address_enc)
    audit_record(
        session,
        AuditAction.KYC_READ,
        actor=actor,
        target=Target.player(player_id),
        details={"fields": ["name", "date_of_birth", "country", "address", "documents"]},
    )
    return StaffView(
        player=profile,
        address=address,
        overview=await overview(session, player_id=player_id),
        checks=await repository.checks(session, player_id),
    )


# A check the provider has not answered within this long needs a person to look.
STUCK_AFTER = timedelta(hours=1)


async def review_queue(session: AsyncSession, *, limit: int = 100) -> Sequence[KycCheck]:
    """Unverified players a reviewer must look at (no personal data: ids and check states)."""
    return await repository.awaiting_review(session, stuck_before=utcnow() - STUCK_AFTER, limit=limit)
