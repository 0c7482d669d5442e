"""The risk desk: alerts, cases and AML reports for analysts and the MLRO.

Every route needs a staff key with the ``risk`` role; every read of a case or of
alerts (a person's activity) and every change is audited under the key's name.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from croupier.kit.deps import DbSession, SettingsDep
from croupier.kit.errors import Forbidden, Unauthenticated, responses
from croupier.risk import casework, reports
from croupier.risk.cases import CaseStatus
from croupier.risk.casework import (
    CaseClosed,
    CaseNotFound,
    CaseTransitionNotAllowed,
    InvalidCaseInput,
    InvalidCursor,
)
from croupier.risk.schemas import (
    AddNote,
    AlertPageOut,
    AssignCase,
    CaseDetailOut,
    CaseListOut,
    CloseCase,
    LargeTransactionReportOut,
    MoveCase,
    PrecisionListOut,
)
from croupier.risk.typologies import Typology
from croupier.staff.auth import AmlReportReader, RiskCaseWorker, RiskReader

router = APIRouter(prefix="/v1/staff/risk", tags=["staff: risk"])
_STAFF = (Unauthenticated, Forbidden)
_CHANGE = (*_STAFF, CaseNotFound, CaseClosed, InvalidCaseInput)


@router.get(
    "/alerts",
    summary="Alerts, newest first, with the events behind each",
    responses=responses(*_STAFF, InvalidCursor),
)
async def list_alerts(
    *,
    session: DbSession,
    staff: RiskReader,
    player_id: uuid.UUID | None = None,
    status: Annotated[CaseStatus | None, Query(description="The status of the alert's case.")] = None,
    typology: Typology | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPageOut:
    page = await casework.alerts(
        session,
        actor=staff.actor,
        player_id=player_id,
        status=status,
        typology=typology,
        cursor=cursor,
        limit=limit,
    )
    return AlertPageOut.model_validate(page)


@router.get("/cases", summary="Cases, most recently changed first", responses=responses(*_STAFF))
async def list_cases(
    session: DbSession,
    staff: RiskReader,  # noqa: ARG001 - the role check is the point
    status: CaseStatus | None = None,
    player_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CaseListOut:
    found = await casework.cases(session, status=status, player_id=player_id, limit=limit)
    return CaseListOut.model_validate({"items": found})


@router.get(
    "/cases/{case_id}",
    summary="A case with its alerts (and their events), notes and timeline",
    responses=responses(*_STAFF, CaseNotFound),
)
async def get_case(case_id: uuid.UUID, session: DbSession, staff: RiskReader) -> CaseDetailOut:
    return CaseDetailOut.model_validate(
        await casework.case_detail(session, case_id=case_id, actor=staff.actor)
    )


@router.post("/cases/{case_id}/notes", status_code=201, summary="Add a note", responses=responses(*_CHANGE))
async def add_note(
    case_id: uuid.UUID, body: AddNote, session: DbSession, staff: RiskCaseWorker
) -> CaseDetailOut:
    done = await casework.add_note(session, case_id=case_id, text=body.text, actor=staff.actor)
    return CaseDetailOut.model_validate(done)


@router.post("/cases/{case_id}/assign", summary="Assign the case", responses=responses(*_CHANGE))
async def assign(
    case_id: uuid.UUID, body: AssignCase, session: DbSession, staff: RiskCaseWorker
) -> CaseDetailOut:
    done = await casework.assign(session, case_id=case_id, assignee=body.assignee, actor=staff.actor)
    return CaseDetailOut.model_validate(done)


@router.post(
    "/cases/{case_id}/review",
    summary="Move the case into review",
    responses=responses(*_CHANGE, CaseTransitionNotAllowed),
)
async def review(
    case_id: uuid.UUID, body: MoveCase, session: DbSession, staff: RiskCaseWorker
) -> CaseDetailOut:
    done = await casework.move(
        session, case_id=case_id, to=CaseStatus.IN_REVIEW, actor=staff.actor, reason=body.reason
    )
    return CaseDetailOut.model_validate(done)


@router.post(
    "/cases/{case_id}/escalate",
    summary="Escalate the case (to the MLRO)",
    responses=responses(*_CHANGE, CaseTransitionNotAllowed),
)
async def escalate(
    case_id: uuid.UUID, body: MoveCase, session: DbSession, staff: RiskCaseWorker
) -> CaseDetailOut:
    done = await casework.move(
        session, case_id=case_id, to=CaseStatus.ESCALATED, actor=staff.actor, reason=body.reason
    )
    return CaseDetailOut.model_validate(done)


@router.post(
    "/cases/{case_id}/close",
    summary="Close the case with a disposition and its reason",
    responses=responses(*_CHANGE, CaseTransitionNotAllowed),
)
async def close(
    case_id: uuid.UUID, body: CloseCase, session: DbSession, staff: RiskCaseWorker
) -> CaseDetailOut:
    done = await casework.close(
        session, case_id=case_id, disposition=body.disposition, reason=body.reason, actor=staff.actor
    )
    return CaseDetailOut.model_validate(done)


@router.post(
    "/cases/{case_id}/sar",
    summary="Export the case as a goAML-style suspicious activity report (XML)",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "The report"},
        **responses(*_STAFF, CaseNotFound),
    },
)
async def export_sar(
    case_id: uuid.UUID, session: DbSession, staff: RiskCaseWorker, settings: SettingsDep
) -> Response:
    document = await reports.suspicious_activity_report(
        session, case_id=case_id, settings=settings, actor=staff.actor
    )
    return Response(
        document,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="sar-{case_id}.xml"'},
    )


@router.get(
    "/precision",
    summary="Per alert source and typology: closed cases confirmed against false positives",
    responses=responses(*_STAFF),
)
async def precision(
    session: DbSession,
    staff: RiskReader,  # noqa: ARG001 - the role check is the point
) -> PrecisionListOut:
    return PrecisionListOut.model_validate({"items": await casework.precision(session)})


@router.get(
    "/reports/large-transactions",
    summary="The gaming day's large-transaction report: cash in and out per player at or above the threshold",
    responses=responses(*_STAFF),
)
async def large_transactions(
    session: DbSession,
    staff: AmlReportReader,
    settings: SettingsDep,
    day: Annotated[date, Query(description="The gaming day, YYYY-MM-DD.")],
) -> LargeTransactionReportOut:
    report = await reports.large_transactions(session, day=day, settings=settings, actor=staff.actor)
    return LargeTransactionReportOut.model_validate(
        {
            "gaming_day": report.gaming_day.day,
            "starts_at": report.gaming_day.start,
            "ends_at": report.gaming_day.end,
            "rows": report.rows,
        }
    )
