"""All SQL of the payments domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import BigInteger, func, literal, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.days import day_params, local_day
from croupier.kit.idempotency import IdempotencyKeyReused
from croupier.payments.models import (
    Chargeback,
    Deposit,
    DepositStatus,
    PaymentEvent,
    PaymentMethod,
    PlayerDebt,
    Refund,
    RefundStatus,
    Withdrawal,
    WithdrawalStatus,
)
from croupier.wallet.models import LedgerTransfer

Row = TypeVar("Row", Deposit, Withdrawal, Refund)
Claimed = TypeVar("Claimed", Deposit, Withdrawal, Refund, PaymentMethod)


async def claim(
    session: AsyncSession, model: type[Claimed], values: Mapping[str, Any], keys: Sequence[str]
) -> Claimed | None:
    """Insert a row and return it, unless one with the same unique ``keys`` exists (then None).

    A concurrent first attempt with the same key makes this wait for it to commit
    or roll back, so a retry never sees half of another attempt.
    """
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(keys)).returning(model)
    claimed: Claimed | None = await session.scalar(stmt)
    return claimed


async def replay(session: AsyncSession, model: type[Row], digest: bytes, **where: Any) -> Row | None:
    """The row an earlier request with this idempotency key made, locked (None if none did).

    ``IdempotencyKeyReused`` when that request asked for something else (another ``digest``).
    """
    found: Row | None = await session.scalar(select(model).filter_by(**where).with_for_update())
    if found is not None and found.request_hash != digest:
        noun = model.__tablename__[:-1]
        raise IdempotencyKeyReused(f"This Idempotency-Key was used for a different {noun}.")
    return found


async def lock(session: AsyncSession, model: type[Row], row_id: uuid.UUID, **where: Any) -> Row | None:
    found: Row | None = await session.scalar(
        select(model)
        .filter_by(id=row_id, **where)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


Kept = TypeVar("Kept", Deposit, Withdrawal, Refund, Chargeback)


async def all_of(session: AsyncSession, model: type[Kept], player_id: uuid.UUID) -> list[Kept]:
    """Every row of ``model`` for the player, oldest first (a data export)."""
    stmt = select(model).filter_by(player_id=player_id).order_by(model.created_at, model.id)
    return list((await session.scalars(stmt)).all())


async def newest(session: AsyncSession, model: type[Row], player_id: uuid.UUID, limit: int) -> list[Row]:
    stmt = select(model).filter_by(player_id=player_id).order_by(model.created_at.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


# ---------------------------------------------------------------- methods


async def method_by_token(session: AsyncSession, provider: str, token: str) -> PaymentMethod | None:
    found: PaymentMethod | None = await session.scalar(
        select(PaymentMethod).where(PaymentMethod.provider == provider, PaymentMethod.token == token)
    )
    return found


async def methods(session: AsyncSession, player_id: uuid.UUID) -> list[PaymentMethod]:
    stmt = (
        select(PaymentMethod).where(PaymentMethod.player_id == player_id).order_by(PaymentMethod.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def method(session: AsyncSession, method_id: uuid.UUID) -> PaymentMethod | None:
    return await session.get(PaymentMethod, method_id)


async def deposited_currencies(
    session: AsyncSession, method_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    """Per method, the currencies it has a succeeded deposit in (where closed-loop payouts may go)."""
    rows = await session.execute(
        select(Deposit.method_id, Deposit.currency)
        .where(Deposit.method_id.in_(method_ids), Deposit.status == DepositStatus.SUCCEEDED)
        .distinct()
    )
    out: dict[uuid.UUID, set[str]] = {}
    for method_id, currency in rows:
        out.setdefault(method_id, set()).add(currency)
    return out


# ---------------------------------------------------------------- deposits and reversals


async def deposited_total(session: AsyncSession, *, player_id: uuid.UUID, currency: str) -> int:
    """Everything the player has deposited in ``currency``, failed deposits aside (in flight counts)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Deposit.amount), 0)).where(
            Deposit.player_id == player_id,
            Deposit.currency == currency,
            Deposit.status != DepositStatus.FAILED,
        )
    )
    return int(total or 0)


async def deposit_by_payment(session: AsyncSession, provider_payment_id: str) -> Deposit | None:
    found: Deposit | None = await session.scalar(
        select(Deposit).where(Deposit.provider_payment_id == provider_payment_id).with_for_update()
    )
    return found


async def pending_refunds_total(session: AsyncSession, deposit_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.deposit_id == deposit_id,
            Refund.status.in_((RefundStatus.REQUESTED, RefundStatus.SUBMITTED)),
        )
    )
    return int(total or 0)


async def chargeback_known(session: AsyncSession, provider_chargeback_id: str) -> bool:
    found = await session.scalar(
        select(Chargeback.id).where(Chargeback.provider_chargeback_id == provider_chargeback_id)
    )
    return found is not None


async def lock_debt(session: AsyncSession, player_id: uuid.UUID, currency: str) -> PlayerDebt | None:
    found: PlayerDebt | None = await session.scalar(
        select(PlayerDebt).filter_by(player_id=player_id, currency=currency).with_for_update()
    )
    return found


async def add_debt(
    session: AsyncSession, *, player_id: uuid.UUID, currency: str, amount: int, now: datetime
) -> None:
    stmt = insert(PlayerDebt).values(
        player_id=player_id, currency=currency, outstanding=amount, created_at=now, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["player_id", "currency"],
        set_={"outstanding": PlayerDebt.outstanding + amount, "updated_at": now},
    )
    await session.execute(stmt)


async def owed(session: AsyncSession, player_id: uuid.UUID, currency: str) -> int:
    outstanding = await session.scalar(
        select(PlayerDebt.outstanding).filter_by(player_id=player_id, currency=currency)
    )
    return int(outstanding or 0)


# ---------------------------------------------------------------- withdrawals and refunds to submit


async def next_due(
    session: AsyncSession, model: type[Withdrawal] | type[Refund], *, status: str, now: datetime
) -> Any:
    """One row waiting to go to the provider, claimed so no other process takes it."""
    stmt = (
        select(model)
        .where(model.status == status, model.next_attempt_at <= now)
        .order_by(model.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return await session.scalar(stmt)


async def awaiting_review(session: AsyncSession, limit: int) -> list[Withdrawal]:
    stmt = (
        select(Withdrawal)
        .where(Withdrawal.status == WithdrawalStatus.PENDING_APPROVAL)
        .order_by(Withdrawal.created_at)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


# ---------------------------------------------------------------- webhook inbox


async def oldest_awaiting_provider(session: AsyncSession) -> datetime | None:
    """When the longest-waiting payment the provider has yet to report on (by webhook) began waiting.

    Deposits ``pending``, payouts and refunds ``submitted``; each read from its partial index.
    """
    waiting = [
        select(func.min(Deposit.updated_at)).where(Deposit.status == DepositStatus.PENDING),
        select(func.min(Withdrawal.updated_at)).where(Withdrawal.status == WithdrawalStatus.SUBMITTED),
        select(func.min(Refund.updated_at)).where(Refund.status == RefundStatus.SUBMITTED),
    ]
    found = [
        at for at in (await session.execute(select(*(q.scalar_subquery() for q in waiting)))).one() if at
    ]
    return min(found, default=None)


async def record_event(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Insert the event; False when it was received before (a duplicate delivery)."""
    stmt = (
        insert(PaymentEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(PaymentEvent.event_id)
    )
    return (await session.execute(stmt)).first() is not None


async def set_event_outcome(session: AsyncSession, provider: str, event_id: str, outcome: str) -> None:
    # One UPDATE: the row was inserted by a Core statement, so the ORM would load it first.
    await session.execute(
        update(PaymentEvent)
        .where(PaymentEvent.provider == provider, PaymentEvent.event_id == event_id)
        .values(outcome=outcome)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class CashTotals:
    """One player's cash in and out in one currency over a period."""

    player_id: uuid.UUID
    currency: str
    cash_in: int
    deposits: int
    cash_out: int
    withdrawals: int


async def cash_totals(session: AsyncSession, *, start: datetime, end: datetime) -> list[CashTotals]:
    """Per player and currency: confirmed deposits and paid withdrawals in ``[start, end)``.

    A deposit counts when it was credited (its credit transfer's time: later refunds and
    chargebacks touch the deposit row, never that); a withdrawal when it was paid (the
    last change of a paid withdrawal, which is final).
    """
    credited_at = (
        select(LedgerTransfer.created_at)
        .where(LedgerTransfer.id == Deposit.credit_transfer_id)
        .scalar_subquery()
    )
    money_in = select(
        Deposit.player_id.label("player_id"),
        Deposit.currency.label("currency"),
        Deposit.amount.label("cash_in"),
        literal(0, BigInteger).label("cash_out"),
        literal(1).label("deposit"),
        literal(0).label("withdrawal"),
    ).where(Deposit.status == DepositStatus.SUCCEEDED, credited_at >= start, credited_at < end)
    money_out = select(
        Withdrawal.player_id,
        Withdrawal.currency,
        literal(0, BigInteger),
        Withdrawal.amount,
        literal(0),
        literal(1),
    ).where(
        Withdrawal.status == WithdrawalStatus.PAID,
        Withdrawal.updated_at >= start,
        Withdrawal.updated_at < end,
    )
    moves = union_all(money_in, money_out).subquery()
    rows = await session.execute(
        select(
            moves.c.player_id,
            moves.c.currency,
            func.sum(moves.c.cash_in),
            func.sum(moves.c.deposit),
            func.sum(moves.c.cash_out),
            func.sum(moves.c.withdrawal),
        )
        .group_by(moves.c.player_id, moves.c.currency)
        .order_by(moves.c.player_id, moves.c.currency)
    )
    return [
        CashTotals(
            player_id=r[0],
            currency=r[1],
            cash_in=int(r[2]),
            deposits=int(r[3]),
            cash_out=int(r[4]),
            withdrawals=int(r[5]),
        )
        for r in rows.all()
    ]


@dataclass(frozen=True)
class DailyCash:
    day: date
    currency: str
    deposits: int
    deposited: int
    withdrawals: int
    withdrawn: int


# The same moments as ``cash_totals``: a deposit when credited, a withdrawal when paid.
_DAILY_CASH = (
    "SELECT day, currency, sum(deposits) AS deposits, sum(deposited) AS deposited,"
    "       sum(withdrawals) AS withdrawals, sum(withdrawn) AS withdrawn"
    " FROM ("
    "   SELECT {credited} AS day, d.currency, 1 AS deposits, d.amount AS deposited,"
    "          0 AS withdrawals, 0 AS withdrawn"
    "   FROM deposits AS d JOIN ledger_transfers AS t ON t.id = d.credit_transfer_id"
    "   WHERE d.status = :succeeded AND t.created_at >= :start AND t.created_at < :end"
    "   UNION ALL"
    "   SELECT {paid}, w.currency, 0, 0, 1, w.amount"
    "   FROM withdrawals AS w"
    "   WHERE w.status = :paid AND w.updated_at >= :start AND w.updated_at < :end"
    " ) AS moves"
    " GROUP BY day, currency ORDER BY day, currency"
)


async def daily_cash(
    session: AsyncSession, *, start: datetime, end: datetime, timezone: str, cutover: time
) -> list[DailyCash]:
    """Per gaming day and currency: deposits credited and withdrawals paid in ``[start, end)``."""
    statement = _DAILY_CASH.format(credited=local_day("t.created_at"), paid=local_day("w.updated_at"))
    rows = await session.execute(
        text(statement),
        {
            "start": start,
            "end": end,
            "succeeded": str(DepositStatus.SUCCEEDED),
            "paid": str(WithdrawalStatus.PAID),
            **day_params(timezone=timezone, cutover=cutover),
        },
    )
    return [
        DailyCash(
            day=row.day,
            currency=row.currency,
            deposits=int(row.deposits),
            deposited=int(row.deposited),
            withdrawals=int(row.withdrawals),
            withdrawn=int(row.withdrawn),
        )
        for row in rows
    ]
