"""The compliance desk's view of a player's responsible gambling, audited under the key's name.

Only the ``compliance`` role reads it. Croupier has no support role (staff keys are
payments, risk, kyc or compliance), and none of the others needs a player's exclusions,
limits and markers of harm to do its work, so least privilege keeps them out; a support
desk, when there is one, would be admitted here by name.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from croupier.compliance.responsible import staff
from croupier.compliance.responsible.staff_schemas import StaffRgView
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import Forbidden, NotFound, Unauthenticated, responses
from croupier.staff.auth import RgReader

router = APIRouter(prefix="/v1/staff/rg", tags=["staff: responsible gambling"])


@router.get(
    "/players/{player_id}",
    summary="A player's exclusions, limits and their history, register answer and markers of harm (audited)",
    responses=responses(Unauthenticated, Forbidden, NotFound),
)
async def show_player(
    player_id: uuid.UUID, session: DbSession, settings: SettingsDep, member: RgReader, client: Client
) -> StaffRgView:
    view = await staff.staff_view(session, settings, player_id=player_id, actor=member.actor, client=client)
    return StaffRgView.of(view, cooling_off_hours=settings.rg_cooling_off_hours)
