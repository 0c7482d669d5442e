"""Privacy requests handled by staff with the ``compliance`` role (a request by letter or
phone, after identifying the person), audited under the key's name."""

from __future__ import annotations

from fastapi import APIRouter

from croupier.compliance.gdpr import erasure
from croupier.compliance.gdpr.schemas import ErasureView, StaffErasureRequest
from croupier.kit.deps import Client, DbSession
from croupier.kit.errors import Forbidden, NotFound, Unauthenticated, responses
from croupier.staff.auth import ErasureStaff

router = APIRouter(prefix="/v1/staff/gdpr", tags=["staff: privacy"])


@router.post(
    "/erasures",
    summary="Erase a player",
    description="Final. Answers the first erasure again when repeated (`already_erased`).",
    responses=responses(Unauthenticated, Forbidden, NotFound),
)
async def erase_player(
    body: StaffErasureRequest, session: DbSession, staff: ErasureStaff, client: Client
) -> ErasureView:
    done = await erasure.erase(
        session, player_id=body.player_id, actor=staff.actor, client=client, reason=body.reason
    )
    return ErasureView.of(done)
