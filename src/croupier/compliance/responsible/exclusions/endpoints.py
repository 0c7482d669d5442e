"""Responsible-gambling HTTP API for exclusions: the signed-in player's own, nobody else's.

Exclusions are taken by the player and cannot be undone by them; signing in, the balance
and withdrawals stay open throughout.
"""

from __future__ import annotations

from fastapi import APIRouter

from croupier.compliance.responsible import limits, reality_checks
from croupier.compliance.responsible.exclusions import periods, service
from croupier.compliance.responsible.exclusions.schemas import (
    ExclusionStatus,
    ExclusionView,
    RegisterView,
    ReturnRequested,
    RgStatus,
    SelfExclusionRequest,
    TimeOutRequest,
)
from croupier.compliance.responsible.exclusions.service import ExclusionState
from croupier.compliance.responsible.register import service as register
from croupier.compliance.responsible.schemas import LimitView
from croupier.identity.auth import CurrentAuth
from croupier.identity.errors import InvalidSession
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import responses

router = APIRouter(prefix="/v1/rg", tags=["responsible gambling"])


@router.post(
    "/time-out",
    status_code=201,
    summary="Take a time-out: no deposits or bets for 24 hours to 6 weeks",
    responses=responses(InvalidSession, periods.UnknownPeriod, periods.PeriodOutOfRange),
)
async def take_time_out(
    body: TimeOutRequest, session: DbSession, auth: CurrentAuth, client: Client
) -> ExclusionView:
    """Effective at once and not reversible before its end; it lifts by itself."""
    exclusion = await service.take_time_out(
        session, player_id=auth.player.id, period=body.period, client=client
    )
    return ExclusionView.of(exclusion, ExclusionState.IN_FORCE)


@router.post(
    "/self-exclusion",
    status_code=201,
    summary="Self-exclude: no deposits or bets for 6 months to 5 years, or indefinitely",
    responses=responses(InvalidSession, periods.UnknownPeriod, periods.PeriodOutOfRange),
)
async def self_exclude(
    body: SelfExclusionRequest, session: DbSession, auth: CurrentAuth, client: Client
) -> ExclusionView:
    """Effective at once and not reversible before its end. After the end the account stays
    closed to gambling until the player asks to return (``POST /v1/rg/self-exclusion/return``)
    and a 24-hour cooling-off has passed."""
    exclusion = await service.self_exclude(
        session, player_id=auth.player.id, period=body.period, client=client
    )
    return ExclusionView.of(exclusion, ExclusionState.IN_FORCE)


@router.post(
    "/self-exclusion/return",
    status_code=202,
    summary="Ask to gamble again after a self-exclusion has ended",
    responses=responses(InvalidSession, service.ExclusionNotEnded, service.NoExclusionToEnd),
)
async def request_return(session: DbSession, auth: CurrentAuth, client: Client) -> ReturnRequested:
    return ReturnRequested(
        reopens_at=await service.request_return(session, player_id=auth.player.id, client=client)
    )


@router.get(
    "/status",
    summary="My exclusions, limits, reality-check interval and the national register's answer",
    responses=responses(InvalidSession),
)
async def my_status(session: DbSession, settings: SettingsDep, auth: CurrentAuth) -> RgStatus:
    player_id = auth.player.id
    last = await register.last_check(session, player_id)
    return RgStatus(
        exclusion=ExclusionStatus.of(await service.standing(session, player_id=player_id)),
        limits=[
            LimitView.of(s) for s in await limits.overview(session, player_id=player_id, settings=settings)
        ],
        reality_check_minutes=await reality_checks.interval(session, player_id=player_id),
        national_register=None
        if last is None
        else RegisterView(answer=last.answer, checked_at=last.checked_at),
    )
