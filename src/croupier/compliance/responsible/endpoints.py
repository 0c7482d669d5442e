"""Responsible-gambling HTTP API: the signed-in player's own limits and reality checks."""

from __future__ import annotations

from fastapi import APIRouter

from croupier.compliance.responsible import limits, reality_checks
from croupier.compliance.responsible.enforcement import SignIn
from croupier.compliance.responsible.errors import (
    CoolingOff,
    InvalidInterval,
    InvalidLimit,
    NoPendingLimit,
    UnknownLimitKind,
    UnknownPeriod,
)
from croupier.compliance.responsible.schemas import (
    LimitKeyBody,
    LimitList,
    LimitView,
    RealityCheckView,
    SetLimit,
    SetRealityCheck,
)
from croupier.identity.auth import CurrentAuth
from croupier.identity.errors import InvalidSession
from croupier.identity.sessions import Authenticated
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import responses
from croupier.wallet.service import UnknownCurrency

router = APIRouter(prefix="/v1/rg", tags=["responsible gambling"])
_KEY_ERRORS = (UnknownLimitKind, UnknownPeriod, UnknownCurrency)


@router.get(
    "/limits",
    summary="My limits: in force, pending, and used this period",
    responses=responses(InvalidSession),
)
async def my_limits(session: DbSession, settings: SettingsDep, auth: CurrentAuth) -> LimitList:
    states = await limits.overview(session, player_id=auth.player.id, settings=settings)
    return LimitList(items=[LimitView.of(s) for s in states], cooling_off_hours=settings.rg_cooling_off_hours)


@router.put(
    "/limits",
    summary="Set, lower, raise or remove a limit",
    description="Lower (or new) takes effect at once. Higher or removed is pending: confirm it with"
    " POST /v1/rg/limits/confirmations once the cooling-off has passed.",
    responses=responses(InvalidSession, InvalidLimit, *_KEY_ERRORS),
)
async def set_limit(
    body: SetLimit, session: DbSession, settings: SettingsDep, auth: CurrentAuth, client: Client
) -> LimitView:
    key = await limits.parse_key(session, currency=body.currency, kind=body.kind, period=body.period)
    state = await limits.set_limit(
        session, settings, player_id=auth.player.id, key=key, amount=body.amount, client=client
    )
    return LimitView.of(state)


@router.post(
    "/limits/confirmations",
    summary="Confirm a higher limit or a removal after its cooling-off",
    responses=responses(InvalidSession, NoPendingLimit, CoolingOff, *_KEY_ERRORS),
)
async def confirm_limit(
    body: LimitKeyBody, session: DbSession, settings: SettingsDep, auth: CurrentAuth, client: Client
) -> LimitView:
    key = await limits.parse_key(session, currency=body.currency, kind=body.kind, period=body.period)
    return LimitView.of(
        await limits.confirm(session, settings, player_id=auth.player.id, key=key, client=client)
    )


def _sign_in(auth: Authenticated) -> SignIn:
    return SignIn(auth.session.id, auth.session.created_at)


@router.get(
    "/reality-check",
    summary="This session: time played, net position, and whether a reality check is due",
    responses=responses(InvalidSession),
)
async def my_reality_check(session: DbSession, auth: CurrentAuth) -> RealityCheckView:
    check = await reality_checks.current(session, player_id=auth.player.id, sign_in=_sign_in(auth))
    return RealityCheckView.of(check)


@router.put(
    "/reality-check",
    summary="Choose how often reality checks fall due (or stop them)",
    responses=responses(InvalidSession, InvalidInterval),
)
async def set_reality_check(body: SetRealityCheck, session: DbSession, auth: CurrentAuth) -> RealityCheckView:
    check = await reality_checks.set_interval(
        session, player_id=auth.player.id, minutes=body.interval_minutes, sign_in=_sign_in(auth)
    )
    return RealityCheckView.of(check)


@router.post(
    "/reality-check",
    summary="Acknowledge a reality check: the next falls due an interval from now",
    responses=responses(InvalidSession),
)
async def acknowledge_reality_check(session: DbSession, auth: CurrentAuth) -> RealityCheckView:
    check = await reality_checks.acknowledge(session, player_id=auth.player.id, sign_in=_sign_in(auth))
    return RealityCheckView.of(check)
