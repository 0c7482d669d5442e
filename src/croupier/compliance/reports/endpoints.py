"""``GET /v1/staff/reports/{name}``: the regulator reports for staff.

Role ``compliance`` reads every report, role ``risk`` the large-transaction report;
every read is audited under the key's name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from croupier.compliance.reports import service
from croupier.compliance.reports.render import MEDIA_TYPES, ReportFormat, render
from croupier.compliance.reports.service import InvalidReportPeriod, Period, ReportName
from croupier.kit.deps import DbSession, SettingsDep
from croupier.kit.errors import Forbidden, Unauthenticated, responses
from croupier.staff.auth import ReportReader

router = APIRouter(prefix="/v1/staff/reports", tags=["staff: reports"])

# Names the registered responsible-gambling sources, so an empty ``rg`` report can be judged.
SOURCES_HEADER = "Croupier-Report-Sources"


@router.get(
    "/{name}",
    summary="A regulator report over a range of gaming days, as CSV or JSON",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "description": "CSV with a header row, or a JSON array of objects with the same keys",
        },
        **responses(Unauthenticated, Forbidden, InvalidReportPeriod),
    },
)
async def read_report(  # noqa: PLR0917 - one parameter per query field
    name: ReportName,
    session: DbSession,
    staff: ReportReader,
    settings: SettingsDep,
    first: Annotated[date, Query(alias="from", description="First gaming day, YYYY-MM-DD.")],
    last: Annotated[date, Query(alias="to", description="Last gaming day, YYYY-MM-DD, included.")],
    output: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
) -> Response:
    service.check_may_read(staff.permissions, name)
    report = await service.build(
        session, name=name, period=Period.of(first, last), settings=settings, actor=staff.actor
    )
    headers = {"Content-Disposition": f'attachment; filename="{name}-{first}-{last}.{output}"'}
    if name == ReportName.RG:
        headers[SOURCES_HEADER] = ",".join(report.sources)
    return Response(render(report, output), media_type=MEDIA_TYPES[output], headers=headers)
