"""Loading a list in-process, and reading what screening stored."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from croupier.audit.service import Actor
from croupier.kit.client import ClientInfo
from croupier.kit.runtime import Runtime
from croupier.risk.models import RiskAlert
from croupier.risk.sanctions import service
from croupier.risk.sanctions.formats import ListFormat
from croupier.risk.sanctions.formats.read import read
from croupier.risk.sanctions.models import SanctionsHit, SanctionsScreening

FIXTURES = Path(__file__).parent / "fixtures"


async def load(runtime: Runtime, name: str, list_format: ListFormat) -> service.ImportReport:
    listing = read(FIXTURES / name, list_format)
    async with runtime.database.unit_of_work() as session:
        return await service.import_list(
            session,
            listing=listing,
            settings=runtime.settings,
            actor=Actor.operator("analyst"),
            client=ClientInfo.command_line(),
        )


async def hits_of(runtime: Runtime, player_id: uuid.UUID | str) -> Sequence[SanctionsHit]:
    async with runtime.database.unit_of_work() as session:
        return (
            await session.scalars(
                select(SanctionsHit)
                .where(SanctionsHit.player_id == uuid.UUID(str(player_id)))
                .order_by(SanctionsHit.created_at)
            )
        ).all()


async def alerts_of(runtime: Runtime, player_id: uuid.UUID | str) -> Sequence[RiskAlert]:
    async with runtime.database.unit_of_work() as session:
        return (
            await session.scalars(
                select(RiskAlert)
                .where(RiskAlert.player_id == uuid.UUID(str(player_id)))
                .order_by(RiskAlert.created_at)
            )
        ).all()


async def screenings_of(runtime: Runtime, player_id: uuid.UUID | str) -> Sequence[SanctionsScreening]:
    async with runtime.database.unit_of_work() as session:
        return (
            await session.scalars(
                select(SanctionsScreening)
                .where(SanctionsScreening.player_id == uuid.UUID(str(player_id)))
                .order_by(SanctionsScreening.id)
            )
        ).all()


async def clear(runtime: Runtime, hit_id: uuid.UUID) -> None:
    async with runtime.database.unit_of_work() as session:
        await service.clear(
            session,
            hit_id=hit_id,
            reason="different person: passport seen",
            actor=Actor.operator("analyst"),
            client=ClientInfo.command_line(),
        )
