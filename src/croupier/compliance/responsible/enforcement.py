"""Limits enforced in the money paths: card deposits, in-house bets and Hub88 bets.

Each path calls in here inside its own transaction, before its money moves, and a
refusal (``LimitReached``) rolls the whole of it back. The check and the count are one
statement on the player's locked row (``repository.CHARGE``), so concurrent deposits or
bets queue and each sees what the one before it counted: together they cannot pass a
limit. What counts: a deposit when it is made (given back if it fails); a stake when it
is placed, against the wager limits and, as the most it can lose, the loss limits; a
payout when it is paid, against the net loss.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import harm_markers, repository
from croupier.compliance.responsible.errors import LimitReached
from croupier.compliance.responsible.harm_markers import Marker
from croupier.compliance.responsible.models import MONEY_PERIODS, LimitKind, Period
from croupier.compliance.responsible.repository import Periods
from croupier.events.outbox import NewEvent
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings
from croupier.risk.gaming_day import gaming_day_of


def periods_at(at: datetime, settings: Settings) -> Periods:
    """The gaming day ``at`` falls in, the Monday of its week and the first of its month."""
    day = gaming_day_of(at, settings)
    return Periods(day=day, week=day - timedelta(days=day.weekday()), month=day.replace(day=1))


@dataclass(frozen=True)
class SignIn:
    """The sign-in session a bet is placed in: its id and when it started."""

    id: uuid.UUID
    started_at: datetime


@dataclass(frozen=True)
class PlayState:
    """What a bet's answer tells the player about their session: how long it has lasted, where they
    stand in the bet's currency, and whether a reality check is due."""

    started_at: datetime
    elapsed_seconds: int
    currency: str
    net_position: int
    reality_check_minutes: int | None
    reality_check_due_at: datetime | None
    reality_check_due: bool


@dataclass(frozen=True)
class Staked:
    """A stake the limits let through: the session's standing (in-house bets), and events the caller
    writes with its own (a late-night marker), so that a bet's events stay one INSERT."""

    play: PlayState | None
    events: list[NewEvent] = field(default_factory=list)


async def charge_deposit(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    amount: int,
    client: ClientInfo | None = None,
) -> None:
    """Count a new deposit against the player's deposit limits; ``LimitReached`` if one would pass."""
    now = utcnow()
    periods = periods_at(now, settings)
    charged = await repository.charge(
        session, player_id=player_id, currency=currency, periods=periods, now=now, deposit=amount
    )
    if charged is None:
        raise await _refusal(session, player_id=player_id, currency=currency, periods=periods, deposit=amount)
    if harm_markers.deposit_frequency_rises(
        settings, this_week=charged.deposits_this_week, last_week=charged.deposits_last_week
    ):
        await harm_markers.record(
            session,
            Marker.DEPOSIT_FREQUENCY_RISING,
            player_id=player_id,
            data={
                "currency": currency,
                "deposits_this_week": charged.deposits_this_week,
                "deposits_last_week": charged.deposits_last_week,
            },
            client=client,
        )


async def give_back_deposit(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    amount: int,
    made_at: datetime,
) -> None:
    """A deposit that failed no longer counts against the limits of the periods it was made in."""
    await repository.give_back_deposit(
        session,
        player_id=player_id,
        currency=currency,
        periods=periods_at(made_at, settings),
        amount=amount,
        now=utcnow(),
    )


async def charge_stake(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    stake: int,
    payout: int = 0,
    sign_in: SignIn | None = None,
    client: ClientInfo | None = None,
) -> Staked:
    """Count a stake (and its payout, when the round settles at once) against the player's wager,
    loss and session-time limits; ``LimitReached`` if one would pass. The session's standing comes
    back when the bet is placed in a sign-in session (in-house, or a Hub88 game launched from one)."""
    now = utcnow()
    periods = periods_at(now, settings)
    elapsed = None if sign_in is None else max(0.0, (now - sign_in.started_at).total_seconds())
    late = harm_markers.is_late_night(now, settings)
    charged = await repository.charge(
        session,
        player_id=player_id,
        currency=currency,
        periods=periods,
        now=now,
        stake=stake,
        lost=stake - payout,
        session_id=None if sign_in is None else sign_in.id,
        elapsed_seconds=elapsed,
        late=late,
    )
    if charged is None:
        raise await _refusal(
            session, player_id=player_id, currency=currency, periods=periods, stake=stake, elapsed=elapsed
        )
    events: list[NewEvent] = []
    if charged.late_night_marked:
        events.append(
            harm_markers.event(
                Marker.LATE_NIGHT_PLAY,
                player_id,
                {"gaming_day": periods.day.isoformat(), "at": now.isoformat(), "currency": currency},
                client,
            )
        )
    if sign_in is None:
        return Staked(None, events)
    play = _play_state(
        sign_in,
        now=now,
        currency=currency,
        net=charged.session_net,
        interval=charged.reality_check_minutes,
        acknowledged_at=charged.acknowledged_at,
    )
    return Staked(play, events)


async def standing(
    session: AsyncSession, *, player_id: uuid.UUID, currency: str, sign_in: SignIn
) -> PlayState:
    """Where the player stands in the session, read without charging anything (a replayed bet)."""
    row = await repository.account(session, player_id, currency)
    reality = await repository.reality_settings(session, player_id)
    same = reality is not None and reality.session_id == sign_in.id
    return _play_state(
        sign_in,
        now=utcnow(),
        currency=currency,
        net=row["session_net"] if row is not None and row["session_id"] == sign_in.id else 0,
        interval=None if reality is None else reality.reality_check_minutes,
        acknowledged_at=reality.acknowledged_at if same and reality is not None else None,
    )


def _play_state(
    sign_in: SignIn,
    *,
    now: datetime,
    currency: str,
    net: int,
    interval: int | None,
    acknowledged_at: datetime | None,
) -> PlayState:
    """A reality check falls due an interval after the session started, or after the last one the
    player acknowledged in it."""
    due_at = None
    if interval is not None:
        due_at = (acknowledged_at or sign_in.started_at) + timedelta(minutes=interval)
    return PlayState(
        started_at=sign_in.started_at,
        elapsed_seconds=max(0, int((now - sign_in.started_at).total_seconds())),
        currency=currency,
        net_position=net,
        reality_check_minutes=interval,
        reality_check_due_at=due_at,
        reality_check_due=due_at is not None and now >= due_at,
    )


async def settle_payout(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    payout: int,
    sign_in: SignIn | None = None,
) -> None:
    """A payout that comes after its stake (a blackjack hand, a Hub88 win) reduces the net loss."""
    if payout:
        await _uncheck(
            session, settings, player_id=player_id, currency=currency, lost=-payout, sign_in=sign_in
        )


async def refund_stake(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    stake: int,
    sign_in: SignIn | None = None,
) -> None:
    """A stake given back (a Hub88 rollback) no longer counts as wagered or lost."""
    if stake:
        await _uncheck(
            session,
            settings,
            player_id=player_id,
            currency=currency,
            stake=-stake,
            lost=-stake,
            sign_in=sign_in,
        )


async def _uncheck(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    stake: int = 0,
    lost: int,
    sign_in: SignIn | None = None,
) -> None:
    now = utcnow()
    await repository.charge(
        session,
        player_id=player_id,
        currency=currency,
        periods=periods_at(now, settings),
        now=now,
        stake=stake,
        lost=lost,
        session_id=None if sign_in is None else sign_in.id,
        check=False,
    )


async def _refusal(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    currency: str,
    periods: Periods,
    deposit: int = 0,
    stake: int = 0,
    elapsed: float | None = None,
) -> LimitReached:
    """Which limit refused the charge, read back from the row (a refusal is rare: it may cost a query)."""
    row = await repository.account(session, player_id, currency)
    if row is None:  # pragma: no cover - a refusal needs a row with a limit on it
        return LimitReached("A limit you set does not allow this.")
    minutes = row["session_minutes"]
    if stake > 0 and elapsed is not None and minutes is not None and elapsed >= minutes * 60:
        return _reached(LimitKind.SESSION, Period.SESSION, currency, minutes, int(elapsed // 60))
    checks = (
        [(LimitKind.DEPOSIT, "deposited", deposit)]
        if deposit > 0
        else [(LimitKind.WAGER, "wagered", stake), (LimitKind.LOSS, "lost", stake)]
    )
    for kind, counter, amount in checks:
        for period in MONEY_PERIODS:
            limit = row[f"{kind}_{period}"]
            used = row[f"{counter}_{period}"] if row[str(period)] == getattr(periods, str(period)) else 0
            if limit is not None and used + amount > limit:
                return _reached(kind, period, currency, limit, used)
    return LimitReached("A limit you set does not allow this.")  # pragma: no cover - one of them refused


_ADVERB = {Period.DAY: "daily", Period.WEEK: "weekly", Period.MONTH: "monthly", Period.SESSION: "session"}


def _reached(kind: LimitKind, period: Period, currency: str, limit: int, used: int) -> LimitReached:
    detail: dict[str, Any] = {"kind": str(kind), "period": str(period), "currency": currency, "amount": limit}
    unit = "minutes" if kind is LimitKind.SESSION else f"{currency} minor units"
    what = "session time limit" if kind is LimitKind.SESSION else f"{_ADVERB[period]} {kind} limit"
    return LimitReached(
        f"Your {what} of {limit} {unit} does not allow this; {used} used so far.", limit=detail, used=used
    )
