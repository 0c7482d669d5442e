"""Setting, confirming and reading a player's limits.

A new limit, or a lower one, is in force at once. A higher one, or a removal, waits:
it is recorded as pending and may be confirmed by the player once the cooling-off
(``CROUPIER_RG_COOLING_OFF_HOURS``, at least 24) has passed; until then the old
limit holds. A request not confirmed within ``CROUPIER_RG_CONFIRMATION_DAYS`` of
becoming confirmable lapses: a loosening asked for weeks ago, in another frame of
mind, is not put in force by a late tap; the player asks again and the cooling-off
starts over. Setting the limit again at or below what is in force withdraws a pending
request. Every change is written to ``rg_limit_changes`` and as a ``limit_changed``
domain event in its transaction, with the player's row locked so that no deposit or
bet counts against a limit half changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import harm_markers, repository
from croupier.compliance.responsible.enforcement import periods_at
from croupier.compliance.responsible.errors import (
    CoolingOff,
    InvalidLimit,
    LimitRequestLapsed,
    NoPendingLimit,
    UnknownLimitKind,
    UnknownPeriod,
)
from croupier.compliance.responsible.models import (
    MONEY_PERIODS,
    Change,
    LimitKind,
    Period,
    RgLimit,
    RgLimitChange,
)
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings
from croupier.wallet import service as wallet

# The largest limit taken: a bigint's worth of minor units, or a week of minutes.
MAX_AMOUNT = 2**62
MAX_SESSION_MINUTES = 7 * 24 * 60
_USED = {LimitKind.DEPOSIT: "deposited", LimitKind.WAGER: "wagered", LimitKind.LOSS: "lost"}


@dataclass(frozen=True)
class LimitKey:
    currency: str
    kind: LimitKind
    period: Period


@dataclass(frozen=True)
class LimitState:
    """A limit as the player sees it: in force, pending, and how much of it this period used."""

    currency: str
    kind: LimitKind
    period: Period
    amount: int | None
    pending_amount: int | None
    pending_removal: bool
    requested_at: datetime | None
    confirmable_at: datetime | None
    lapses_at: datetime | None  # the last moment the pending change may be confirmed
    used: int | None


async def parse_key(session: AsyncSession, *, currency: str, kind: str, period: str | None) -> LimitKey:
    """The limit a request names, or the reason it names none (unknown kind, period or currency)."""
    try:
        parsed_kind = LimitKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in LimitKind)
        raise UnknownLimitKind(f"{kind!r} is not a kind of limit; known: {known}.") from None
    allowed = (Period.SESSION,) if parsed_kind is LimitKind.SESSION else MONEY_PERIODS
    if period is None and parsed_kind is LimitKind.SESSION:
        period = Period.SESSION
    if period not in {str(p) for p in allowed}:
        known = ", ".join(str(p) for p in allowed)
        raise UnknownPeriod(f"A {parsed_kind} limit's period is one of: {known}.", period=str(period)[:32])
    await wallet.exponent(session, currency)  # an unknown currency is refused as such
    return LimitKey(currency=currency, kind=parsed_kind, period=Period(period))


def _check_amount(key: LimitKey, amount: int | None) -> None:
    if amount is None:
        return
    top = MAX_SESSION_MINUTES if key.kind is LimitKind.SESSION else MAX_AMOUNT
    if amount <= 0 or amount > top:
        unit = "minutes" if key.kind is LimitKind.SESSION else "minor units"
        raise InvalidLimit(f"A {key.kind} limit is from 1 to {top} {unit}; null removes it.")


async def set_limit(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    key: LimitKey,
    amount: int | None,
    client: ClientInfo | None = None,
) -> LimitState:
    """Set (``amount``) or remove (None) a limit: at once if it tightens, else pending the cooling-off."""
    _check_amount(key, amount)
    now = utcnow()
    row = await _locked(session, settings, player_id=player_id, key=key, now=now)
    current = row.amount
    if amount is not None and (current is None or amount <= current):
        had_pending = row.pending_amount is not None or row.pending_removal
        if amount == current and not had_pending:
            return await _state(session, settings, row)
        _clear_pending(row)
        await _apply(session, row, amount, now)
        await _changed(session, row, Change.SET, previous=current, amount=amount, now=now, client=client)
    elif amount is None and current is None:
        return await _state(session, settings, row)  # nothing to remove
    elif (
        row.pending_removal == (amount is None)
        and row.pending_amount == amount
        and row.requested_at
        and not _lapsed(row, settings, now)
    ):
        return await _state(
            session, settings, row
        )  # asked again: the cooling-off runs from the first request
    else:
        row.pending_amount, row.pending_removal = amount, amount is None
        row.requested_at = now
        row.confirmable_at = now + timedelta(hours=settings.rg_cooling_off_hours)
        row.updated_at = now
        session.add(row)
        await session.flush()
        await _changed(
            session, row, Change.REQUESTED, previous=current, amount=amount, now=now, client=client
        )
        await harm_markers.after_increase_request(
            session, settings, player_id=player_id, now=now, client=client
        )
    return await _state(session, settings, row)


async def confirm(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    key: LimitKey,
    client: ClientInfo | None = None,
) -> LimitState:
    """Put a pending increase or removal in force, once its cooling-off has passed."""
    now = utcnow()
    row = await _locked(session, settings, player_id=player_id, key=key, now=now)
    if row.confirmable_at is None or (row.pending_amount is None and not row.pending_removal):
        raise NoPendingLimit("No higher limit or removal is waiting for this limit.")
    if now < row.confirmable_at:
        raise CoolingOff(
            f"This change may be confirmed from {row.confirmable_at.isoformat()}.",
            confirmable_at=row.confirmable_at.isoformat(),
        )
    lapses_at = _lapses_at(row, settings)
    if lapses_at is not None and now > lapses_at:
        raise LimitRequestLapsed(
            f"This change was not confirmed by {lapses_at.isoformat()}; ask for it again.",
            lapsed_at=lapses_at.isoformat(),
        )
    previous, amount = row.amount, row.pending_amount
    _clear_pending(row)
    await _apply(session, row, amount, now)
    await _changed(session, row, Change.CONFIRMED, previous=previous, amount=amount, now=now, client=client)
    return await _state(session, settings, row)


async def overview(session: AsyncSession, *, player_id: uuid.UUID, settings: Settings) -> list[LimitState]:
    """Every limit the player has, in force or pending, with this period's usage."""
    now = utcnow()
    periods = periods_at(now, settings)
    accounts = {a["currency"]: a for a in await repository.accounts(session, player_id)}
    views = [
        _view(row, accounts.get(row.currency), periods, settings, now)
        for row in await repository.limits(session, player_id)
    ]
    return [v for v in views if v.amount is not None or v.requested_at is not None]


async def _locked(
    session: AsyncSession, settings: Settings, *, player_id: uuid.UUID, key: LimitKey, now: datetime
) -> RgLimit:
    """The limit's row, locked after the player's row for its currency (the order every path takes)."""
    periods = periods_at(now, settings)
    await repository.ensure_account(
        session, player_id=player_id, currency=key.currency, periods=periods, now=now
    )
    await repository.account(session, player_id, key.currency, lock=True)
    row = await repository.limit(
        session, player_id=player_id, currency=key.currency, kind=key.kind, period=key.period
    )
    if row is None:
        row = RgLimit(
            player_id=player_id,
            currency=key.currency,
            kind=str(key.kind),
            period=str(key.period),
            amount=None,
            pending_amount=None,
            pending_removal=False,
            updated_at=now,
        )  # added to the session only when something changes
    return row


def _lapses_at(row: RgLimit, settings: Settings) -> datetime | None:
    if row.confirmable_at is None:
        return None
    return row.confirmable_at + timedelta(days=settings.rg_confirmation_days)


def _lapsed(row: RgLimit, settings: Settings, now: datetime) -> bool:
    lapses_at = _lapses_at(row, settings)
    return lapses_at is not None and now > lapses_at


def _clear_pending(row: RgLimit) -> None:
    row.pending_amount, row.pending_removal, row.requested_at, row.confirmable_at = None, False, None, None


async def _apply(session: AsyncSession, row: RgLimit, amount: int | None, now: datetime) -> None:
    row.amount = amount
    row.updated_at = now
    session.add(row)
    await session.flush()
    await repository.put_in_force(
        session,
        player_id=row.player_id,
        currency=row.currency,
        kind=LimitKind(row.kind),
        period=Period(row.period),
        amount=amount,
        now=now,
    )


async def _changed(
    session: AsyncSession,
    row: RgLimit,
    change: Change,
    *,
    previous: int | None,
    amount: int | None,
    now: datetime,
    client: ClientInfo | None,
) -> None:
    increase = amount is None or (previous is not None and amount > previous)
    await repository.add_change(
        session,
        RgLimitChange(
            player_id=row.player_id,
            currency=row.currency,
            kind=row.kind,
            period=row.period,
            change=str(change),
            previous=previous,
            amount=amount,
            increase=change is not Change.SET and increase,
            at=now,
        ),
    )
    data: dict[str, Any] = {
        "currency": row.currency,
        "kind": row.kind,
        "period": row.period,
        "change": str(change),
        "previous": previous,
        "amount": amount,
        "in_force": row.amount,
    }
    if row.confirmable_at is not None:
        data["confirmable_at"] = row.confirmable_at.isoformat()
    await record_event(session, EventKind.LIMIT_CHANGED, player_id=row.player_id, data=data, client=client)


async def _state(session: AsyncSession, settings: Settings, row: RgLimit) -> LimitState:
    account = await repository.account(session, row.player_id, row.currency)
    now = utcnow()
    return _view(row, account, periods_at(now, settings), settings, now)


def _view(
    row: RgLimit,
    account: dict[str, Any] | None,
    periods: repository.Periods,
    settings: Settings,
    now: datetime,
) -> LimitState:
    """The limit as it stands at ``now``; a lapsed request shows as none."""
    kind, period = LimitKind(row.kind), Period(row.period)
    pending = row.confirmable_at is not None and not _lapsed(row, settings, now)
    used = None
    if account is not None and kind in _USED:
        current = account[str(period)] == getattr(periods, str(period))
        used = account[f"{_USED[kind]}_{period}"] if current else 0
    return LimitState(
        currency=row.currency,
        kind=kind,
        period=period,
        amount=row.amount,
        pending_amount=row.pending_amount if pending else None,
        pending_removal=row.pending_removal and pending,
        requested_at=row.requested_at if pending else None,
        confirmable_at=row.confirmable_at if pending else None,
        lapses_at=_lapses_at(row, settings) if pending else None,
        used=used,
    )
