"""SQL for the ledger. Rules live in ``service``; this module only reads and writes rows.

Statements are SQLAlchemy Core on the mapped tables (no ORM identity map). A
transfer is one call of the ``ledger_post`` function (migration 0007), which
locks, checks and writes whatever its number of legs: on its own (``LEDGER_POST``),
or as the first part of another room's statement (``POSTING``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, cast

from psycopg.errors import ForeignKeyViolation
from psycopg.types.json import Jsonb
from sqlalchemy import BigInteger, Table, Text, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.days import day_params, local_day
from croupier.kit.db import execute_plain
from croupier.kit.errors import NotFound
from croupier.wallet.models import (
    Currency,
    HoldStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerHold,
    LedgerTransfer,
    TransferStatus,
)

accounts = cast("Table", LedgerAccount.__table__)
transfers = cast("Table", LedgerTransfer.__table__)
entries_table = cast("Table", LedgerEntry.__table__)
holds = cast("Table", LedgerHold.__table__)


@asynccontextmanager
async def _player_must_exist() -> AsyncIterator[None]:
    """A row naming a player who does not exist is refused by its foreign key: say so."""
    try:
        yield
    except IntegrityError as exc:
        if isinstance(exc.orig, ForeignKeyViolation) and "_player_id_players" in str(exc.orig):
            raise NotFound("No such player.") from None
        raise


@dataclass(frozen=True)
class AccountRow:
    id: int
    code: str
    kind: str
    player_id: uuid.UUID | None
    currency: str
    balance: int
    held: int


@dataclass(frozen=True)
class TransferRow:
    id: uuid.UUID
    source: str
    idempotency_key: str
    request_hash: bytes
    kind: str
    status: TransferStatus
    error_code: str | None
    player_id: uuid.UUID | None
    meta: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class LegRow:
    """An entry with what identifies its account: enough to rebuild the transfer's legs."""

    kind: str
    player_id: uuid.UUID | None
    currency: str
    amount: int


@dataclass(frozen=True)
class HoldRow:
    id: uuid.UUID
    account_id: int
    player_id: uuid.UUID
    book: str
    currency: str
    amount: int
    posted_amount: int
    status: HoldStatus
    expires_at: datetime
    request_hash: bytes
    transfer_id: uuid.UUID | None


@dataclass(frozen=True)
class Entry:
    """One line of a player's statement (``wallet.service.Entry``, the public name)."""

    id: int
    transfer_id: uuid.UUID
    kind: str
    currency: str
    book: str
    amount: int
    balance_after: int
    created_at: datetime
    metadata: dict[str, Any]


_ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.code,
    accounts.c.kind,
    accounts.c.player_id,
    accounts.c.currency,
    accounts.c.balance,
    accounts.c.held,
)


def _account(row: Any) -> AccountRow:
    return AccountRow(
        id=row.id,
        code=row.code,
        kind=row.kind,
        player_id=row.player_id,
        currency=row.currency,
        balance=row.balance,
        held=row.held,
    )


# ---------------------------------------------------------------- currencies


async def currency_exponents(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Currency.code, Currency.exponent))
    return {row.code: row.exponent for row in rows}


# ---------------------------------------------------------------- accounts


_LOCK_ACCOUNTS = (
    select(*_ACCOUNT_COLUMNS)
    .where(accounts.c.code == any_(bindparam("codes", type_=ARRAY(Text))))
    .order_by(accounts.c.id)
    .with_for_update()
)


async def lock_accounts(session: AsyncSession, codes: Sequence[str]) -> dict[str, AccountRow]:
    """The accounts named, locked ``FOR UPDATE`` in ascending id order (so transfers cannot deadlock)."""
    rows = await session.execute(_LOCK_ACCOUNTS, {"codes": list(codes)})
    return {row.code: _account(row) for row in rows}


async def lock_accounts_by_id(session: AsyncSession, ids: Iterable[int]) -> None:
    stmt = (
        select(accounts.c.id)
        .where(accounts.c.id == any_(bindparam("ids", sorted(ids), type_=ARRAY(BigInteger))))
        .order_by(accounts.c.id)
        .with_for_update()
    )
    await session.execute(stmt)


async def player_accounts(session: AsyncSession, player_id: uuid.UUID) -> list[AccountRow]:
    stmt = (
        select(*_ACCOUNT_COLUMNS)
        .where(accounts.c.player_id == player_id)
        .order_by(accounts.c.currency, accounts.c.kind)
    )
    return [_account(row) for row in await session.execute(stmt)]


async def apply_changes(session: AsyncSession, changes: Mapping[int, tuple[int, int]]) -> None:
    """Add ``(balance delta, held delta)`` to each account, in one statement. The rows are locked already."""
    ids = sorted(changes)
    await session.execute(
        text(
            "UPDATE ledger_accounts AS a"
            " SET balance = a.balance + d.balance_delta, held = a.held + d.held_delta"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:balances AS bigint[]), CAST(:helds AS bigint[]))"
            " AS d(id, balance_delta, held_delta)"
            " WHERE a.id = d.id"
        ),
        {
            "ids": ids,
            "balances": [changes[i][0] for i in ids],
            "helds": [changes[i][1] for i in ids],
        },
    )


# ---------------------------------------------------------------- transfers


_TRANSFER_COLUMNS = (
    transfers.c.id,
    transfers.c.source,
    transfers.c.idempotency_key,
    transfers.c.request_hash,
    transfers.c.kind,
    transfers.c.status,
    transfers.c.error_code,
    transfers.c.player_id,
    transfers.c.metadata,
    transfers.c.created_at,
)


# Built once: the hot path binds values to ready statements instead of building new ones.
_CLAIM_TRANSFER = (
    pg_insert(transfers)
    .values({column.name: bindparam(column.name, type_=column.type) for column in transfers.c})
    .on_conflict_do_nothing(index_elements=[transfers.c.source, transfers.c.idempotency_key])
    .returning(transfers.c.id)
)


async def claim_transfer(session: AsyncSession, row: TransferRow) -> bool:
    """Insert the transfer unless ``(source, key)`` exists; True when this call inserted it.

    On a concurrent insert of the same key, PostgreSQL waits for the other
    transaction and then either inserts (it rolled back) or does nothing.
    """
    params = {
        "id": row.id,
        "source": row.source,
        "idempotency_key": row.idempotency_key,
        "request_hash": row.request_hash,
        "kind": row.kind,
        "status": row.status,
        "error_code": row.error_code,
        "player_id": row.player_id,
        "metadata": row.meta,
        "created_at": row.created_at,
    }
    async with _player_must_exist():
        return (await session.scalar(_CLAIM_TRANSFER, params)) is not None


async def find_transfer(session: AsyncSession, source: str, key: str) -> TransferRow | None:
    stmt = select(*_TRANSFER_COLUMNS).where(transfers.c.source == source, transfers.c.idempotency_key == key)
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return TransferRow(
        id=row.id,
        source=row.source,
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
        kind=row.kind,
        status=TransferStatus(row.status),
        error_code=row.error_code,
        player_id=row.player_id,
        meta=row.metadata,
        created_at=row.created_at,
    )


@dataclass(frozen=True)
class PostedLeg:
    """A leg as ``ledger_post`` takes it: the account's row code, the amount, and what creates the row."""

    code: str
    amount: int
    kind: str
    player_id: uuid.UUID | None
    currency: str


class PostOutcome(StrEnum):
    """What ``ledger_post`` answers (migration 0007)."""

    POSTED = "posted"
    EXISTS = "exists"  # the (source, key) is taken: by an earlier attempt, or a concurrent one
    SHORTFALL = "shortfall"  # a player's debits exceed what was available; detail: the currency
    OUT_OF_RANGE = "out_of_range"  # a balance would leave bigint


# The legs and the held-funds changes as two JSON documents, unpacked here into the arrays
# ``ledger_post`` takes: one text parameter each, where an array per column had psycopg
# walk every element in Python on every bet. The parameters' names are prefixed: the
# statement may be part of another room's (``POSTING``).
LEDGER_POST = """
SELECT p.outcome, p.detail
FROM (
    SELECT array_agg(l.code ORDER BY l.n) AS codes, array_agg(l.amount ORDER BY l.n) AS amounts,
           array_agg(l.kind ORDER BY l.n) AS kinds, array_agg(l.player_id ORDER BY l.n) AS players,
           array_agg(l.currency ORDER BY l.n) AS currencies
    FROM ROWS FROM (
        jsonb_to_recordset(%(posting_legs)s::jsonb)
            AS (code text, amount bigint, kind text, player_id uuid, currency text)
    ) WITH ORDINALITY AS l(code, amount, kind, player_id, currency, n)
) AS legs,
(
    SELECT coalesce(array_agg(h.key ORDER BY h.key), '{}') AS codes,
           coalesce(array_agg(h.value::bigint ORDER BY h.key), '{}') AS deltas
    FROM jsonb_each_text(%(posting_held)s::jsonb) AS h
) AS held,
LATERAL ledger_post(
    %(posting_id)s::uuid, %(posting_source)s::text, %(posting_key)s::text, %(posting_hash)s::bytea,
    %(posting_kind)s::text, %(posting_player_id)s::uuid, %(posting_metadata)s::jsonb,
    %(posting_at)s::timestamptz,
    legs.codes, legs.amounts, legs.kinds, legs.players, legs.currencies,
    held.codes, held.deltas, %(posting_find_existing)s::boolean
) AS p
"""


def _legs_document(legs: Sequence[PostedLeg]) -> str:
    return json.dumps(
        [
            {
                "code": leg.code,
                "amount": leg.amount,
                "kind": leg.kind,
                "player_id": None if leg.player_id is None else str(leg.player_id),
                "currency": leg.currency,
            }
            for leg in legs
        ]
    )


def _posting_params(
    row: TransferRow, legs: Sequence[PostedLeg], held_changes: Mapping[str, int] | None, find_existing: bool
) -> dict[str, Any]:
    return {
        "posting_id": row.id,
        "posting_source": row.source,
        "posting_key": row.idempotency_key,
        "posting_hash": row.request_hash,
        "posting_kind": row.kind,
        "posting_player_id": row.player_id,
        "posting_metadata": Jsonb(row.meta),
        "posting_at": row.created_at,
        "posting_legs": _legs_document(legs),
        "posting_held": json.dumps(dict(held_changes or {})),
        "posting_find_existing": find_existing,
    }


async def post_transfer(
    session: AsyncSession,
    row: TransferRow,
    legs: Sequence[PostedLeg],
    *,
    held_changes: Mapping[str, int] | None = None,
    find_existing: bool = True,
) -> tuple[PostOutcome, str | None]:
    """The database's part of a transfer in one call: ``(outcome, detail)``, see ``ledger_post``.

    Sent on the driver's connection (the unit of work's transaction), with no ORM
    or statement compilation on the way: every bet and every payment passes here.
    """
    outcome, detail, _ = await post_with(
        session, LEDGER_POST, row, legs, {}, held_changes=held_changes, find_existing=find_existing
    )
    return outcome, detail


# ``ledger_post`` as the first part of another room's statement (``WITH POSTING, ...``): the
# statement reads the outcome from ``posted`` (one row: outcome, detail), writes only when it
# is 'posted', and answers ``posted.outcome, posted.detail`` and one value of its own (``post_with``).
POSTING = f"posted AS MATERIALIZED ({LEDGER_POST.strip()})"


async def post_with(
    session: AsyncSession,
    statement: str,
    row: TransferRow,
    legs: Sequence[PostedLeg],
    params: Mapping[str, Any],
    *,
    held_changes: Mapping[str, int] | None = None,
    find_existing: bool = True,
) -> tuple[PostOutcome, str | None, Any]:
    """A transfer posted by ``statement`` (``LEDGER_POST``, or one made with ``POSTING``) with the
    statement's own ``params``: ``(outcome, detail, what the statement answered besides)``."""
    async with _player_must_exist():
        cursor = await execute_plain(
            session, statement, {**_posting_params(row, legs, held_changes, find_existing), **params}
        )
        result = await cursor.fetchone()
    if result is None:  # pragma: no cover - the function always returns one row
        raise RuntimeError("ledger_post returned no row")
    outcome, detail, *answered = result
    return PostOutcome(outcome), detail, answered[0] if answered else None


async def transfer_legs(session: AsyncSession, transfer_id: uuid.UUID) -> list[LegRow]:
    stmt = (
        select(accounts.c.kind, accounts.c.player_id, accounts.c.currency, entries_table.c.amount)
        .join(accounts, accounts.c.id == entries_table.c.account_id)
        .where(entries_table.c.transfer_id == transfer_id)
        .order_by(entries_table.c.id)
    )
    return [
        LegRow(kind=row.kind, player_id=row.player_id, currency=row.currency, amount=row.amount)
        for row in await session.execute(stmt)
    ]


async def set_lock_timeout(session: AsyncSession, limit: str) -> None:
    """For the rest of the transaction, give up waiting for a lock after ``limit`` (``'10s'``)."""
    await session.execute(text("SELECT set_config('lock_timeout', :limit, true)"), {"limit": limit})


# ---------------------------------------------------------------- holds


def _hold_query() -> Any:
    return select(
        holds.c.id,
        holds.c.account_id,
        holds.c.player_id,
        accounts.c.kind.label("book"),
        accounts.c.currency,
        holds.c.amount,
        holds.c.posted_amount,
        holds.c.status,
        holds.c.expires_at,
        holds.c.request_hash,
        holds.c.transfer_id,
    ).join(accounts, accounts.c.id == holds.c.account_id)


def _hold(row: Any) -> HoldRow:
    return HoldRow(
        id=row.id,
        account_id=row.account_id,
        player_id=row.player_id,
        book=row.book,
        currency=row.currency,
        amount=row.amount,
        posted_amount=row.posted_amount,
        status=HoldStatus(row.status),
        expires_at=row.expires_at,
        request_hash=row.request_hash,
        transfer_id=row.transfer_id,
    )


async def claim_hold(
    session: AsyncSession,
    *,
    hold_id: uuid.UUID,
    account_id: int,
    player_id: uuid.UUID,
    amount: int,
    expires_at: datetime,
    source: str,
    key: str,
    request_hash: bytes,
    meta: dict[str, Any],
    created_at: datetime,
) -> bool:
    stmt = (
        pg_insert(holds)
        .values(
            id=hold_id,
            account_id=account_id,
            player_id=player_id,
            amount=amount,
            posted_amount=0,
            status=HoldStatus.PENDING,
            expires_at=expires_at,
            source=source,
            idempotency_key=key,
            request_hash=request_hash,
            metadata=meta,
            created_at=created_at,
        )
        .on_conflict_do_nothing(index_elements=[holds.c.source, holds.c.idempotency_key])
        .returning(holds.c.id)
    )
    return (await session.scalar(stmt)) is not None


async def find_hold(session: AsyncSession, source: str, key: str) -> HoldRow | None:
    stmt = _hold_query().where(holds.c.source == source, holds.c.idempotency_key == key)
    row = (await session.execute(stmt)).first()
    return None if row is None else _hold(row)


async def lock_hold(session: AsyncSession, hold_id: uuid.UUID) -> HoldRow | None:
    """The hold, locked (not its account): holds are always locked before accounts."""
    stmt = _hold_query().where(holds.c.id == hold_id).with_for_update(of=holds)
    row = (await session.execute(stmt)).first()
    return None if row is None else _hold(row)


async def resolve_hold(
    session: AsyncSession,
    hold_id: uuid.UUID,
    *,
    status: HoldStatus,
    posted_amount: int,
    transfer_id: uuid.UUID | None,
    resolved_at: datetime,
) -> None:
    await session.execute(
        update(holds)
        .where(holds.c.id == hold_id)
        .values(status=status, posted_amount=posted_amount, transfer_id=transfer_id, resolved_at=resolved_at)
    )


async def expire_due_holds(session: AsyncSession, *, now: datetime, limit: int) -> list[tuple[int, int]]:
    """Mark up to ``limit`` pending holds past expiry as expired; ``(account_id, amount)`` of each.

    ``SKIP LOCKED``: a hold being posted or voided right now is left to that
    transaction, and two sweepers never wait for each other.
    """
    rows = await session.execute(
        text(
            "WITH due AS ("
            "  SELECT id FROM ledger_holds"
            "  WHERE status = 'pending' AND expires_at <= :now"
            "  ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED"
            ")"
            " UPDATE ledger_holds AS h SET status = 'expired', resolved_at = :now"
            " FROM due WHERE h.id = due.id"
            " RETURNING h.account_id, h.amount"
        ),
        {"now": now, "limit": limit},
    )
    return [(row.account_id, row.amount) for row in rows]


# ---------------------------------------------------------------- statements


async def player_entries(
    session: AsyncSession, player_id: uuid.UUID, *, before: int | None, limit: int
) -> list[Entry]:
    """Newest first across the player's accounts; each account read from its own index, newest first."""
    rows = await session.execute(
        text(
            "SELECT e.id, e.transfer_id, t.kind, a.currency, a.kind AS book, e.amount,"
            "       e.balance_after, e.created_at, t.metadata"
            " FROM ledger_accounts AS a"
            " CROSS JOIN LATERAL ("
            "   SELECT id, transfer_id, amount, balance_after, created_at FROM ledger_entries"
            "   WHERE account_id = a.id AND (CAST(:before AS bigint) IS NULL OR id < :before)"
            "   ORDER BY id DESC LIMIT :limit"
            " ) AS e"
            " JOIN ledger_transfers AS t ON t.id = e.transfer_id"
            " WHERE a.player_id = :player_id"
            " ORDER BY e.id DESC LIMIT :limit"
        ),
        {"player_id": player_id, "before": before, "limit": limit},
    )
    return [
        Entry(
            id=row.id,
            transfer_id=row.transfer_id,
            kind=row.kind,
            currency=row.currency,
            book=row.book,
            amount=row.amount,
            balance_after=row.balance_after,
            created_at=row.created_at,
            metadata=row.metadata,
        )
        for row in rows
    ]


# ---------------------------------------------------------------- books check
#
# Each check is one statement, so it reads one consistent snapshot even while
# transfers commit: a transfer changes its entries and balances atomically.


async def books_counts(session: AsyncSession) -> dict[str, int]:
    row = (
        await session.execute(
            text(
                "SELECT (SELECT count(*) FROM ledger_accounts) AS accounts,"
                " (SELECT count(DISTINCT currency) FROM ledger_accounts) AS currencies,"
                " (SELECT count(*) FROM ledger_transfers WHERE status = 'posted') AS transfers,"
                " (SELECT count(*) FROM ledger_transfers WHERE status = 'failed') AS failed_transfers,"
                " (SELECT count(*) FROM ledger_entries) AS entries,"
                " (SELECT count(*) FROM ledger_holds WHERE status = 'pending') AS pending_holds"
            )
        )
    ).one()
    return dict(row._mapping)


async def currencies_out_of_balance(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(
        text(
            "SELECT currency, sum(balance) AS total FROM ledger_accounts"
            " GROUP BY currency HAVING sum(balance) <> 0 ORDER BY currency"
        )
    )
    return [(row.currency, int(row.total)) for row in rows]


async def balances_not_matching_entries(session: AsyncSession, limit: int) -> list[tuple[str, int, int]]:
    rows = await session.execute(
        text(
            "SELECT a.code, a.balance, coalesce(e.total, 0) AS total"
            " FROM ledger_accounts AS a"
            " LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries"
            "            GROUP BY account_id) AS e"
            "   ON e.account_id = a.id"
            " WHERE a.balance <> coalesce(e.total, 0)"
            " ORDER BY a.id LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [(row.code, row.balance, int(row.total)) for row in rows]


async def running_balances_broken(session: AsyncSession, limit: int) -> list[tuple[int, str, int, int]]:
    """Entries whose ``balance_after`` is not the running sum of their account's entries."""
    rows = await session.execute(
        text(
            "SELECT x.id, a.code, x.balance_after, x.running FROM ("
            "   SELECT id, account_id, balance_after,"
            "          sum(amount) OVER (PARTITION BY account_id ORDER BY id) AS running"
            "   FROM ledger_entries"
            " ) AS x JOIN ledger_accounts AS a ON a.id = x.account_id"
            " WHERE x.balance_after <> x.running"
            " ORDER BY x.id LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [(row.id, row.code, row.balance_after, int(row.running)) for row in rows]


async def held_not_matching_holds(session: AsyncSession, limit: int) -> list[tuple[str, int, int]]:
    rows = await session.execute(
        text(
            "SELECT a.code, a.held, coalesce(h.total, 0) AS total"
            " FROM ledger_accounts AS a"
            " LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_holds"
            "            WHERE status = 'pending' GROUP BY account_id) AS h"
            "   ON h.account_id = a.id"
            " WHERE a.held <> coalesce(h.total, 0)"
            " ORDER BY a.id LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [(row.code, row.held, int(row.total)) for row in rows]


async def negative_player_accounts(session: AsyncSession, limit: int) -> list[tuple[str, int, int]]:
    rows = await session.execute(
        text(
            "SELECT code, balance, held FROM ledger_accounts"
            " WHERE is_player AND (balance < 0 OR held < 0 OR held > balance)"
            " ORDER BY id LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [(row.code, row.balance, row.held) for row in rows]


async def overdue_pending_holds(
    session: AsyncSession, *, cutoff: datetime, limit: int
) -> list[tuple[uuid.UUID, str, datetime]]:
    rows = await session.execute(
        text(
            "SELECT h.id, a.code, h.expires_at FROM ledger_holds AS h"
            " JOIN ledger_accounts AS a ON a.id = h.account_id"
            " WHERE h.status = 'pending' AND h.expires_at < :cutoff"
            " ORDER BY h.expires_at LIMIT :limit"
        ),
        {"cutoff": cutoff, "limit": limit},
    )
    return [(row.id, row.code, row.expires_at) for row in rows]


async def unbalanced_transfers(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, str, int]]:
    rows = await session.execute(
        text(
            "SELECT e.transfer_id, a.currency, sum(e.amount) AS total"
            " FROM ledger_entries AS e JOIN ledger_accounts AS a ON a.id = e.account_id"
            " GROUP BY e.transfer_id, a.currency HAVING sum(e.amount) <> 0"
            " ORDER BY e.transfer_id, a.currency LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [(row.transfer_id, row.currency, int(row.total)) for row in rows]


async def transfers_with_wrong_entries(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, str]]:
    """Posted transfers without entries, and failed ones with entries."""
    rows = await session.execute(
        text(
            "SELECT t.id, t.status FROM ledger_transfers AS t"
            " WHERE (t.status = 'posted')"
            "   <> EXISTS (SELECT 1 FROM ledger_entries AS e WHERE e.transfer_id = t.id)"
            " ORDER BY t.id LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [(row.id, row.status) for row in rows]


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class RevenueMovement:
    """What moved on the house revenue accounts, per gaming day, transfer source, kind, game and currency."""

    day: date
    source: str
    kind: str
    game: str | None
    currency: str
    credited: int  # the positive entries: stakes taken
    debited: int  # the negative entries, as a positive sum: wins paid, stakes returned


# A transfer that undoes another names it under ``reverses`` (its idempotency key, same
# source); it counts towards the game of the transfer it undoes.
_REVENUE_MOVEMENTS = (
    "SELECT {day} AS day, t.source, t.kind,"
    "       coalesce(t.metadata->>'game', undone.metadata->>'game') AS game, a.currency,"
    "       coalesce(sum(e.amount) FILTER (WHERE e.amount > 0), 0) AS credited,"
    "       coalesce(-sum(e.amount) FILTER (WHERE e.amount < 0), 0) AS debited"
    " FROM ledger_transfers AS t"
    " JOIN ledger_entries AS e ON e.transfer_id = t.id"
    " JOIN ledger_accounts AS a ON a.id = e.account_id"
    " LEFT JOIN ledger_transfers AS undone"
    "   ON undone.source = t.source AND undone.idempotency_key = t.metadata->>'reverses'"
    " WHERE a.kind = :book AND a.player_id IS NULL AND t.status = :posted"
    "   AND t.created_at >= :start AND t.created_at < :end"
    " GROUP BY 1, 2, 3, 4, 5"
    " ORDER BY 1, 5, 2, 4, 3"
)

# Players with a stake: a transfer that credited the revenue account, other than a reversal.
_PLAYERS_STAKING = (
    "SELECT {day} AS day, a.currency, count(DISTINCT t.player_id) AS players"
    " FROM ledger_transfers AS t"
    " JOIN ledger_entries AS e ON e.transfer_id = t.id"
    " JOIN ledger_accounts AS a ON a.id = e.account_id"
    " WHERE a.kind = :book AND a.player_id IS NULL AND t.status = :posted AND e.amount > 0"
    "   AND t.player_id IS NOT NULL AND NOT t.metadata ? 'reverses'"
    "   AND t.created_at >= :start AND t.created_at < :end"
    " GROUP BY 1, 2"
    " ORDER BY 1, 2"
)


async def revenue_movements(
    session: AsyncSession, *, book: str, start: datetime, end: datetime, timezone: str, cutover: time
) -> list[RevenueMovement]:
    """Every entry on the house accounts of ``book`` whose transfer was posted in ``[start, end)``, summed.

    A transfer's entries carry its time, so the sums over a range are exactly the
    accounts' movement over it.
    """
    rows = await session.execute(
        text(_REVENUE_MOVEMENTS.format(day=local_day("t.created_at"))),
        {
            "book": book,
            "posted": str(TransferStatus.POSTED),
            "start": start,
            "end": end,
            **day_params(timezone=timezone, cutover=cutover),
        },
    )
    return [
        RevenueMovement(
            day=row.day,
            source=row.source,
            kind=row.kind,
            game=row.game,
            currency=row.currency,
            credited=int(row.credited),
            debited=int(row.debited),
        )
        for row in rows
    ]


async def players_staking(
    session: AsyncSession, *, book: str, start: datetime, end: datetime, timezone: str, cutover: time
) -> dict[tuple[date, str], int]:
    """How many players staked (credited ``book``'s house accounts), per gaming day and currency."""
    rows = await session.execute(
        text(_PLAYERS_STAKING.format(day=local_day("t.created_at"))),
        {
            "book": book,
            "posted": str(TransferStatus.POSTED),
            "start": start,
            "end": end,
            **day_params(timezone=timezone, cutover=cutover),
        },
    )
    return {(row.day, row.currency): int(row.players) for row in rows}
