"""Identity reviews in the console: the queue, a player's verification, setting the level.

The same KYC functions as the staff API: reading a player's verification is audited
(``compliance:kyc:read``), a change of level needs a reason and is audited and announced
(``kyc_changed``), and a document opens only as a download (never rendered in the page).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from croupier.backoffice.console.pages import PREFIX, render
from croupier.backoffice.console.security import CsrfChecked
from croupier.compliance.kyc import service as kyc
from croupier.compliance.kyc.models import KycLevel
from croupier.kit.deps import DbSession, RuntimeDep
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix=f"{PREFIX}/kyc", include_in_schema=False)

KycReader = Annotated[StaffMember, Depends(require(Permission.KYC_READ))]
KycReviewer = Annotated[StaffMember, Depends(require(Permission.KYC_REVIEW))]


@router.get("", response_class=HTMLResponse)
async def queue(request: Request, session: DbSession, runtime: RuntimeDep, member: KycReader) -> Response:
    checks = await kyc.review_queue(session)
    return render(request, runtime, "kyc_queue.html", member=member, section="kyc", checks=checks)


@router.get("/{player_id}", response_class=HTMLResponse)
async def player(
    request: Request, player_id: uuid.UUID, session: DbSession, runtime: RuntimeDep, member: KycReader
) -> Response:
    view = await kyc.staff_view(session, player_id=player_id, actor=member.actor)
    return render(
        request,
        runtime,
        "kyc_player.html",
        member=member,
        section="kyc",
        view=view,
        levels=list(KycLevel),
        may_review=member.may(Permission.KYC_REVIEW),
    )


@router.post("/{player_id}/level")
async def set_level(  # noqa: PLR0917 - one parameter per form field and dependency
    player_id: uuid.UUID,
    session: DbSession,
    runtime: RuntimeDep,
    member: KycReviewer,
    _: CsrfChecked,
    level: Annotated[KycLevel, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    await kyc.set_level_by_staff(
        session, runtime.settings, player_id=player_id, level=level, reason=reason, actor=member.actor
    )
    return RedirectResponse(f"{PREFIX}/kyc/{player_id}", status_code=303)
