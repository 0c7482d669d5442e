"""Responsible-gambling HTTP API: the signed-in player's own limits and reality checks."""

from __future__ import annotations

from fastapi import APIRouter

from croupier.compliance.responsible import limits
from croupier.compliance.responsible.errors import (
    CoolingOff,
    InvalidLimit,
    NoPendingLimit,
    UnknownLimitKind,
    UnknownPeriod,
)
from croupier.compliance.responsible.schemas import LimitKeyBody, LimitList, LimitView, SetLimit
from croupier.identity.auth import CurrentAuth
from croupier.identity.errors import InvalidSession
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
