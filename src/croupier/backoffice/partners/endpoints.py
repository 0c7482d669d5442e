"""``/v1/partners/reports/…``: aggregates for machine clients holding an OAuth access token.

Each report needs its own scope (``reports:ggr``, ``reports:players``); errors are
problem+json, with RFC 6750's ``WWW-Authenticate`` challenge on 401 and 403.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from croupier.backoffice.oauth.bearer import require_scope
from croupier.backoffice.oauth.errors import BearerRequired, InsufficientScope, InvalidToken
from croupier.backoffice.oauth.scopes import Scope
from croupier.backoffice.oauth.service import Bearer
from croupier.backoffice.partners import service
from croupier.backoffice.partners.schemas import GgrReport, PlayersReport
from croupier.compliance.reports.service import InvalidReportPeriod, Period
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import responses

router = APIRouter(prefix="/v1/partners/reports", tags=["partners"])

First = Annotated[date, Query(alias="from", description="First gaming day, YYYY-MM-DD.")]
Last = Annotated[date, Query(alias="to", description="Last gaming day, YYYY-MM-DD, included.")]
_ERRORS = responses(BearerRequired, InvalidToken, InsufficientScope, InvalidReportPeriod)


@router.get("/ggr", summary="Gross gaming revenue per gaming day and currency", responses=_ERRORS)
async def ggr_report(  # noqa: PLR0917 - one parameter per query field
    session: DbSession,
    settings: SettingsDep,
    client: Client,
    partner: Annotated[Bearer, Depends(require_scope(Scope.REPORTS_GGR))],
    first: First,
    last: Last,
) -> GgrReport:
    return await service.ggr(
        session, period=Period.of(first, last), settings=settings, partner=partner, info=client
    )


@router.get("/players", summary="New and active player counts per gaming day", responses=_ERRORS)
async def players_report(  # noqa: PLR0917 - one parameter per query field
    session: DbSession,
    settings: SettingsDep,
    client: Client,
    partner: Annotated[Bearer, Depends(require_scope(Scope.REPORTS_PLAYERS))],
    first: First,
    last: Last,
) -> PlayersReport:
    return await service.players(
        session, period=Period.of(first, last), settings=settings, partner=partner, info=client
    )
