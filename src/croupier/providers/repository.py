"""All SQL of the providers domain. Rules live in the service modules.

The wallet calls (bet, win, rollback) are the hot path: prebuilt Core
statements, and one query that reads everything a call needs to decide
(the transaction if seen before, the one it references, the token and the
sign-in session it was launched from, the player's status and whether the
game is known).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.outbox import with_events
from croupier.identity.models import Player
from croupier.kit.db import execute_plain
from croupier.providers.models import GameProvider, GameToken, ProviderGame, ProviderTransaction

transactions = cast("Table", ProviderTransaction.__table__)
tokens = cast("Table", GameToken.__table__)


@dataclass(frozen=True)
class ProviderRow:
    id: int
    name: str
    protocol: str
    public_key: str
    stake_limits: dict[str, int]
    enabled: bool


@dataclass(frozen=True)
class TransactionRow:
    id: int
    kind: str
    player_id: uuid.UUID | None
    currency: str | None
    amount: int | None
    request_hash: bytes | None
    status: str
    balance: int | None
    rolled_back_at: datetime | None


@dataclass(frozen=True)
class TokenRow:
    player_id: uuid.UUID
    currency: str
    expires_at: datetime
    ends_at: datetime
    # The sign-in session the game was launched from (None: an operator's test token): its id,
    # when it started, and when it ended or will end (signed out, revoked or its absolute lifetime).
    sign_in_id: uuid.UUID | None
    signed_in_at: datetime | None
    sign_in_ends_at: datetime | None


@dataclass(frozen=True)
class Context:
    """What a wallet call needs to decide, read in one round trip."""

    seen: TransactionRow | None  # this transaction_uuid, if it was sent before
    reference: TransactionRow | None  # the transaction it references (wins, rollbacks)
    token: TokenRow | None  # the token, if it is one of this provider's
    player_status: str | None  # None: no such player
    player_blocked_until: datetime | None  # the player's gambling block (compliance.responsible)
    game_known: bool  # the game_code is one of this provider's games


@dataclass(frozen=True)
class PlayerInfo:
    country: str
    registered_on: date


# ---------------------------------------------------------------- providers and games


def _provider(row: Any) -> ProviderRow:
    return ProviderRow(
        id=row.id,
        name=row.name,
        protocol=row.protocol,
        public_key=row.public_key,
        stake_limits=dict(row.stake_limits),
        enabled=row.enabled,
    )


_PROVIDER_COLUMNS = (
    GameProvider.id,
    GameProvider.name,
    GameProvider.protocol,
    GameProvider.public_key,
    GameProvider.stake_limits,
    GameProvider.enabled,
)


# Every wallet call starts here: a plain statement on the driver's connection (``kit.db.execute_plain``).
_PROVIDER_BY_NAME = (
    "SELECT id, name, protocol, public_key, stake_limits, enabled FROM game_providers WHERE name = %s"
)


async def provider_by_name(session: AsyncSession, name: str) -> ProviderRow | None:
    row = await (await execute_plain(session, _PROVIDER_BY_NAME, (name,))).fetchone()
    if row is None:
        return None
    provider_id, found, protocol, public_key, stake_limits, enabled = row
    return ProviderRow(
        id=provider_id,
        name=found,
        protocol=protocol,
        public_key=public_key,
        stake_limits=dict(stake_limits),
        enabled=enabled,
    )


async def provider_of_game(session: AsyncSession, code: str) -> ProviderRow | None:
    stmt = select(*_PROVIDER_COLUMNS).join(ProviderGame).where(ProviderGame.code == code)
    row = (await session.execute(stmt)).first()
    return None if row is None else _provider(row)


async def providers(session: AsyncSession) -> list[tuple[GameProvider, list[str]]]:
    """Every provider with its game codes, by name."""
    found = list((await session.scalars(select(GameProvider).order_by(GameProvider.name))).all())
    rows = await session.execute(
        select(ProviderGame.provider_id, ProviderGame.code).order_by(ProviderGame.code)
    )
    games: dict[int, list[str]] = {}
    for provider_id, code in rows:
        games.setdefault(provider_id, []).append(code)
    return [(provider, games.get(provider.id, [])) for provider in found]


async def lock_provider(session: AsyncSession, name: str) -> GameProvider | None:
    found: GameProvider | None = await session.scalar(
        select(GameProvider).where(GameProvider.name == name).with_for_update()
    )
    return found


async def add_games(session: AsyncSession, provider_id: int, codes: Sequence[str]) -> list[str]:
    """Add the codes not taken yet; the codes another provider already has, sorted."""
    stmt = (
        pg_insert(ProviderGame)
        .values([{"code": code, "provider_id": provider_id} for code in codes])
        .on_conflict_do_nothing(index_elements=[ProviderGame.code])
    )
    await session.execute(stmt)
    taken = await session.scalars(
        select(ProviderGame.code).where(ProviderGame.code.in_(codes), ProviderGame.provider_id != provider_id)
    )
    return sorted(taken)


# ---------------------------------------------------------------- players and tokens


async def player_info(session: AsyncSession, player_id: uuid.UUID) -> PlayerInfo | None:
    row = (
        await session.execute(select(Player.country, Player.created_at).where(Player.id == player_id))
    ).first()
    if row is None:
        return None
    return PlayerInfo(country=row.country, registered_on=row.created_at.date())


async def player_exists(session: AsyncSession, player_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Player.id == player_id))))


async def add_token(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(pg_insert(tokens).values(**values))


async def token_issued(session: AsyncSession, provider_id: int, player_id: uuid.UUID) -> bool:
    """Whether a game of this provider was ever launched for the player."""
    stmt = select(exists().where(GameToken.provider_id == provider_id, GameToken.player_id == player_id))
    return bool(await session.scalar(stmt))


async def latest_token_currency(session: AsyncSession, provider_id: int, player_id: uuid.UUID) -> str | None:
    currency: str | None = await session.scalar(
        select(GameToken.currency)
        .where(GameToken.provider_id == provider_id, GameToken.player_id == player_id)
        .order_by(GameToken.created_at.desc())
        .limit(1)
    )
    return currency


_TOUCH_TOKEN = (
    update(tokens)
    .where(tokens.c.token_hash == bindparam("hash"))
    .values(expires_at=func.least(bindparam("until"), tokens.c.ends_at))
)


async def touch_token(session: AsyncSession, token_hash: bytes, expires_at: datetime) -> None:
    """Keep the token alive until ``expires_at`` (never past its end)."""
    await session.execute(_TOUCH_TOKEN, {"hash": token_hash, "until": expires_at})


# ---------------------------------------------------------------- the wallet calls


# One plain statement on the driver's connection (``kit.db.execute_plain``): every wallet call reads it.
_CONTEXT = (
    "SELECT"
    " t.id AS t_id, t.kind AS t_kind, t.player_id AS t_player_id,"
    " t.currency AS t_currency, t.amount AS t_amount, t.request_hash AS t_request_hash,"
    " t.status AS t_status, t.balance AS t_balance, t.rolled_back_at AS t_rolled_back_at,"
    " r.id AS r_id, r.kind AS r_kind, r.player_id AS r_player_id,"
    " r.currency AS r_currency, r.amount AS r_amount, r.request_hash AS r_request_hash,"
    " r.status AS r_status, r.balance AS r_balance, r.rolled_back_at AS r_rolled_back_at,"
    " k.player_id AS k_player_id, k.currency AS k_currency,"
    " k.expires_at AS k_expires_at, k.ends_at AS k_ends_at,"
    # LEAST skips a NULL: a session not revoked ends at its absolute lifetime.
    " s.id AS s_id, s.created_at AS s_started_at, LEAST(s.revoked_at, s.expires_at) AS s_ends_at,"
    " pl.status AS player_status, pl.gambling_blocked_until AS player_blocked_until,"
    " g.code IS NOT NULL AS game_known"
    " FROM (VALUES (1)) AS one (x)"
    " LEFT JOIN provider_transactions AS t"
    "   ON t.provider_id = %(provider_id)s AND t.transaction_uuid = %(transaction_uuid)s"
    " LEFT JOIN provider_transactions AS r"
    "   ON r.provider_id = %(provider_id)s AND r.transaction_uuid = %(reference_uuid)s"
    " LEFT JOIN game_tokens AS k ON k.token_hash = %(token_hash)s AND k.provider_id = %(provider_id)s"
    " LEFT JOIN player_sessions AS s ON s.id = k.sign_in_session_id"
    " LEFT JOIN players AS pl ON pl.id = %(player_id)s"
    " LEFT JOIN provider_games AS g ON g.code = %(game_code)s AND g.provider_id = %(provider_id)s"
)


def _transaction(values: Mapping[str, Any], alias: str) -> TransactionRow | None:
    if values[f"{alias}_id"] is None:
        return None
    return TransactionRow(
        id=values[f"{alias}_id"],
        kind=values[f"{alias}_kind"],
        player_id=values[f"{alias}_player_id"],
        currency=values[f"{alias}_currency"],
        amount=values[f"{alias}_amount"],
        request_hash=values[f"{alias}_request_hash"],
        status=values[f"{alias}_status"],
        balance=values[f"{alias}_balance"],
        rolled_back_at=values[f"{alias}_rolled_back_at"],
    )


async def context(
    session: AsyncSession,
    *,
    provider_id: int,
    transaction_uuid: str | None = None,
    reference_uuid: str | None = None,
    token_hash: bytes | None = None,
    player_id: uuid.UUID | None = None,
    game_code: str | None = None,
) -> Context:
    cursor = await execute_plain(
        session,
        _CONTEXT,
        {
            "provider_id": provider_id,
            "transaction_uuid": transaction_uuid,
            "reference_uuid": reference_uuid,
            "token_hash": token_hash,
            "player_id": player_id,
            "game_code": game_code,
        },
    )
    found = await cursor.fetchone()
    if found is None or cursor.description is None:  # pragma: no cover - one row, always
        raise RuntimeError("the wallet call's context has one row")
    row = dict(zip((column.name for column in cursor.description), found, strict=True))
    token = None
    if row["k_player_id"] is not None:
        token = TokenRow(
            player_id=row["k_player_id"],
            currency=row["k_currency"],
            expires_at=row["k_expires_at"],
            ends_at=row["k_ends_at"],
            sign_in_id=row["s_id"],
            signed_in_at=row["s_started_at"],
            sign_in_ends_at=row["s_ends_at"],
        )
    return Context(
        seen=_transaction(row, "t"),
        reference=_transaction(row, "r"),
        token=token,
        player_status=row["player_status"],
        player_blocked_until=row["player_blocked_until"],
        game_known=bool(row["game_known"]),
    )


_CLAIM = (
    "INSERT INTO provider_transactions (provider_id, transaction_uuid, kind, player_id, currency, amount,"
    " request_hash, status, round, reference_uuid, game_code, rolled_back_at, win_count, created_at)"
    " VALUES (%(provider_id)s, %(transaction_uuid)s, %(kind)s, %(player_id)s, %(currency)s, %(amount)s,"
    " %(request_hash)s, %(status)s, %(round)s, %(reference_uuid)s, %(game_code)s, %(rolled_back_at)s,"
    " %(win_count)s, %(created_at)s)"
    " ON CONFLICT (provider_id, transaction_uuid) DO NOTHING RETURNING id"
)


async def claim(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert the transaction unless its uuid was seen; its id, or None when it was.

    A concurrent call with the same uuid waits here for the first one to commit
    or roll back, so it never acts on half of another call.
    """
    cursor = await execute_plain(session, _CLAIM, {"rolled_back_at": None, "win_count": 0, **values})
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


_FINISH = (
    "UPDATE provider_transactions SET status = %(status)s, transfer_id = %(transfer_id)s::uuid,"
    " balance = COALESCE((SELECT balance - held FROM ledger_accounts WHERE code = %(account)s), 0)"
    " WHERE id = %(id)s RETURNING balance"
)


# The answer and the call's domain event (if it moved money) in one round trip.
FINISH_WITH_EVENTS = with_events(_FINISH)


async def finish(
    session: AsyncSession,
    transaction_id: int,
    *,
    status: str,
    transfer_id: uuid.UUID | None,
    account: str,
    events: str,
) -> int:
    """Record the answer, with its events (``outbox.alongside``), and the player's available
    balance after it (minor units); return that."""
    cursor = await execute_plain(
        session,
        FINISH_WITH_EVENTS,
        {
            "id": transaction_id,
            "status": str(status),
            "transfer_id": transfer_id,
            "account": account,
            "events": events,
        },
    )
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - the claim made the row
        raise RuntimeError("the provider transaction to finish exists")
    return int(row[0])


_AVAILABLE = text("SELECT balance - held FROM ledger_accounts WHERE code = :account")


async def available(session: AsyncSession, account: str) -> int:
    """A ledger account's available funds (0 when it has never been used)."""
    found: int | None = await session.scalar(_AVAILABLE, {"account": account})
    return found or 0


_MARK_WON = (
    update(transactions)
    .where(transactions.c.id == bindparam("bet_id"), transactions.c.rolled_back_at.is_(None))
    .values(win_count=transactions.c.win_count + 1)
    .returning(transactions.c.id)
)


async def mark_won(session: AsyncSession, bet_id: int) -> bool:
    """Count a win against the bet (locking it); False when the bet was rolled back meanwhile."""
    return (await session.scalar(_MARK_WON, {"bet_id": bet_id})) is not None


_MARK_ROLLED_BACK = (
    update(transactions)
    .where(
        transactions.c.id == bindparam("bet_id"),
        transactions.c.rolled_back_at.is_(None),
        transactions.c.win_count == 0,
    )
    .values(rolled_back_at=bindparam("now"))
    .returning(transactions.c.id)
)


async def mark_rolled_back(session: AsyncSession, bet_id: int, now: datetime) -> bool:
    """Mark an unsettled bet rolled back (locking it); False when it is rolled back or settled."""
    return (await session.scalar(_MARK_ROLLED_BACK, {"bet_id": bet_id, "now": now})) is not None


async def find(session: AsyncSession, provider_id: int, transaction_uuid: str) -> TransactionRow | None:
    found = await context(session, provider_id=provider_id, transaction_uuid=transaction_uuid)
    return found.seen
