"""All SQL of the KYC domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from croupier.compliance.kyc.models import KycCheck, KycDocument, KycWebhookEvent, PlayerKyc
from croupier.kit.clock import utcnow


async def lock(session: AsyncSession, player_id: uuid.UUID) -> PlayerKyc:
    """The player's KYC row, created if missing, locked until the transaction ends (one statement).

    Deposits lock it before they count what the player deposited, so concurrent deposits
    are counted one after another and cannot together pass a threshold.
    """
    stmt = (
        insert(PlayerKyc)
        .values(player_id=player_id, level="none", created_at=utcnow(), updated_at=utcnow())
        .on_conflict_do_update(index_elements=["player_id"], set_={"player_id": player_id})
        .returning(PlayerKyc)
        .execution_options(populate_existing=True)
    )
    row: PlayerKyc = (await session.scalars(stmt)).one()
    return row


async def get(session: AsyncSession, player_id: uuid.UUID) -> PlayerKyc | None:
    return await session.get(PlayerKyc, player_id)


async def by_applicant(session: AsyncSession, applicant_id: str) -> PlayerKyc | None:
    found: PlayerKyc | None = await session.scalar(
        select(PlayerKyc).where(PlayerKyc.applicant_id == applicant_id)
    )
    return found


async def level(session: AsyncSession, player_id: uuid.UUID) -> str | None:
    found: str | None = await session.scalar(select(PlayerKyc.level).where(PlayerKyc.player_id == player_id))
    return found


async def latest_check(session: AsyncSession, player_id: uuid.UUID) -> KycCheck | None:
    found: KycCheck | None = await session.scalar(
        select(KycCheck)
        .where(KycCheck.player_id == player_id)
        .order_by(KycCheck.created_at.desc(), KycCheck.id.desc())
        .limit(1)
    )
    return found


async def checks(session: AsyncSession, player_id: uuid.UUID, limit: int = 20) -> Sequence[KycCheck]:
    return (
        await session.scalars(
            select(KycCheck)
            .where(KycCheck.player_id == player_id)
            .order_by(KycCheck.created_at.desc(), KycCheck.id.desc())
            .limit(limit)
        )
    ).all()


def add(session: AsyncSession, row: KycCheck | KycDocument) -> None:
    session.add(row)


async def documents(session: AsyncSession, player_id: uuid.UUID) -> Sequence[KycDocument]:
    return (
        await session.scalars(
            select(KycDocument)
            .where(KycDocument.player_id == player_id)
            .order_by(KycDocument.created_at, KycDocument.id)
        )
    ).all()


async def document(session: AsyncSession, document_id: uuid.UUID) -> KycDocument | None:
    return await session.get(KycDocument, document_id)


async def claim_event(
    session: AsyncSession, *, event_id: str, kind: str, provider_check_id: str | None
) -> KycWebhookEvent | None:
    """Record a webhook event; None when it was recorded before (a repeated delivery)."""
    stmt = (
        insert(KycWebhookEvent)
        .values(event_id=event_id, kind=kind, provider_check_id=provider_check_id, outcome="received")
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(KycWebhookEvent)
    )
    claimed: KycWebhookEvent | None = await session.scalar(stmt)
    return claimed


async def lock_check_by_id(session: AsyncSession, check_id: uuid.UUID) -> KycCheck | None:
    found: KycCheck | None = await session.scalar(
        select(KycCheck)
        .where(KycCheck.id == check_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def delete_pending_check(session: AsyncSession, check_id: uuid.UUID) -> None:
    """A check the provider never received: gone, so the player may ask again."""
    await session.execute(delete(KycCheck).where(KycCheck.id == check_id, KycCheck.status == "pending"))


async def documents_held_before(
    session: AsyncSession, cutoff: datetime, limit: int = 10_000
) -> Sequence[KycDocument]:
    """Documents uploaded before ``cutoff`` whose content is still held, locked."""
    return (
        await session.scalars(
            select(KycDocument)
            .where(KycDocument.created_at < cutoff, KycDocument.deleted_at.is_(None))
            .order_by(KycDocument.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def documents_removed_since(session: AsyncSession, since: datetime) -> Sequence[uuid.UUID]:
    """The ids of documents whose content was removed at or after ``since``."""
    return (
        await session.scalars(
            select(KycDocument.id).where(KycDocument.deleted_at >= since).order_by(KycDocument.deleted_at)
        )
    ).all()


async def awaiting_review(session: AsyncSession, *, stuck_before: datetime, limit: int) -> Sequence[KycCheck]:
    """Each unverified player's latest check where a person must look: rejected for good
    (the player cannot retry; staff may still verify them), or pending since before
    ``stuck_before`` (the provider has not answered). Oldest first."""
    latest = (
        select(KycCheck)
        .ext(distinct_on(KycCheck.player_id))
        .order_by(KycCheck.player_id, KycCheck.created_at.desc())
        .subquery()
    )
    check = aliased(KycCheck, latest)
    verified = select(PlayerKyc.player_id).where(
        PlayerKyc.player_id == check.player_id, PlayerKyc.level.in_(("full", "enhanced"))
    )
    stmt = (
        select(check)
        .where(
            or_(
                and_(check.status == "rejected", check.rejection == "final"),
                and_(check.status == "pending", check.created_at < stuck_before),
            ),
            ~verified.exists(),
        )
        .order_by(check.created_at)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()
