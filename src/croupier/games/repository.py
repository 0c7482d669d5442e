"""Every query of the games domain: seed pairs, rounds, and a multi-step round's actions.

Rounds are written one way, whatever the game: plain statements on the driver's
connection (a bet's hot path skips SQLAlchemy's compilation and the ORM's flush,
which cost more than the rest of the bet's Python). Rounds are read as rows and
handed out as detached ``GameRound`` objects, so the ORM never tracks one and
never writes one behind these statements' backs. Seed pairs are ORM objects: they
are read and changed rarely, outside the hot path's single draw statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Select, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.outbox import events_after, with_events
from croupier.games.models import GameRound, SeedPair
from croupier.kit.db import execute_plain
from croupier.wallet.service import POSTING

_ROUNDS = GameRound.__table__

# --- Seed pairs -------------------------------------------------------------------------


async def active_pair(session: AsyncSession, player_id: uuid.UUID) -> SeedPair | None:
    """The player's active pair, locked until the transaction ends."""
    found: SeedPair | None = await session.scalar(
        select(SeedPair)
        .where(SeedPair.player_id == player_id, SeedPair.revealed_at.is_(None))
        .with_for_update()
    )
    return found


async def add_pair(session: AsyncSession, pair: Mapping[str, Any]) -> None:
    """Insert an active pair, unless a concurrent first bet has just inserted one."""
    await session.execute(
        insert(SeedPair)
        .values(**pair)
        .on_conflict_do_nothing(index_elements=["player_id"], index_where=text("revealed_at IS NULL"))
    )


async def pair(session: AsyncSession, pair_id: uuid.UUID) -> SeedPair | None:
    return await session.get(SeedPair, pair_id)


async def revealed_seeds(session: AsyncSession, pair_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(SeedPair.id, SeedPair.revealed_seed).where(
            SeedPair.id.in_(pair_ids), SeedPair.revealed_seed.is_not(None)
        )
    )
    return {pair_id: seed for pair_id, seed in rows if seed is not None}


# A new bet's first statement: is the key's round there already (a replay)? If not, the
# next nonce of the active pair (locked until the bet commits), its sealed seed, and
# the player's wrapped data key that unseals it.
DRAW_UNLESS_PLAYED = """
WITH prior AS (
    SELECT 1 FROM game_rounds WHERE player_id = %(player)s AND idempotency_key = %(key)s
), taken AS (
    UPDATE fairness_seed_pairs SET next_nonce = next_nonce + 1
    WHERE player_id = %(player)s AND revealed_at IS NULL AND NOT EXISTS (SELECT 1 FROM prior)
    RETURNING id, server_seed_sealed, server_seed_hash, client_seed, next_nonce - 1 AS nonce
)
SELECT EXISTS (SELECT 1 FROM prior), t.id, t.server_seed_sealed, t.server_seed_hash, t.client_seed, t.nonce,
       k.wrapped, k.kek_version, k.dek_version
FROM (SELECT 1) AS one
LEFT JOIN taken AS t ON true
LEFT JOIN player_data_keys AS k ON k.player_id = %(player)s
"""


@dataclass(frozen=True)
class DrawRow:
    """What ``DRAW_UNLESS_PLAYED`` answers. ``pair_id`` is None when the player has no active
    pair yet; the data key's columns are None once the player's data key is destroyed."""

    played: bool
    pair_id: uuid.UUID | None
    server_seed_sealed: bytes | None
    server_seed_hash: str | None
    client_seed: str | None
    nonce: int | None
    wrapped: bytes | None
    kek_version: int | None
    dek_version: int | None


async def draw_unless_played(session: AsyncSession, player_id: uuid.UUID, key: str) -> DrawRow:
    cursor = await execute_plain(session, DRAW_UNLESS_PLAYED, {"player": player_id, "key": key})
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - the query always returns one row
        raise RuntimeError("the draw query returned no row")
    return DrawRow(*row)


# --- Rounds -------------------------------------------------------------------------------

# A new round, settled (dice, roulette, slots; blackjack dealt a natural) or open, in one
# plain statement. Another attempt with the same key may have committed since this one
# looked: then nothing is written, and nothing is returned.
_ROUND_COLUMNS = """
    id, player_id, game, currency, idempotency_key, request_hash, status, stake, payout,
    seed_pair_id, server_seed_hash, client_seed, nonce, bet, state, actions, hold_ids, outcome,
    transfer_id, created_at, settled_at, version
"""
SAVE_ROUND = f"""
INSERT INTO game_rounds ({_ROUND_COLUMNS}) VALUES (
    %(id)s, %(player_id)s, %(game)s, %(currency)s, %(idempotency_key)s, %(request_hash)s, %(status)s,
    %(stake)s, %(payout)s, %(seed_pair_id)s, %(server_seed_hash)s, %(client_seed)s, %(nonce)s,
    %(bet)s, %(state)s, %(actions)s, %(hold_ids)s, %(outcome)s, %(transfer_id)s, %(created_at)s,
    %(settled_at)s, 0
)
ON CONFLICT (player_id, idempotency_key) DO NOTHING
RETURNING id
"""  # noqa: S608  # nosec B608 - constants composed, the values stay parameters

# A round settled at once (dice, roulette, slots) in one round trip: its transfer, posted by the
# wallet's ``ledger_post`` first (the ledger accounts locked after the seed pair and the limits
# row, as in every bet), then the round, only if the transfer was posted, then its events, only
# with the round. Answers the transfer's outcome and detail, and the round's id (NULL when a
# concurrent attempt with its key committed first, or when the transfer was refused).
SETTLE_NEW_ROUND = f"""
WITH {POSTING},
done AS (
INSERT INTO game_rounds ({_ROUND_COLUMNS})
SELECT
    %(id)s::uuid, %(player_id)s::uuid, %(game)s::text, %(currency)s::text, %(idempotency_key)s::text,
    %(request_hash)s::bytea, %(status)s::text, %(stake)s::bigint, %(payout)s::bigint,
    %(seed_pair_id)s::uuid, %(server_seed_hash)s::text, %(client_seed)s::text, %(nonce)s::bigint,
    %(bet)s::jsonb, %(state)s::jsonb, %(actions)s::jsonb, %(hold_ids)s::jsonb, %(outcome)s::jsonb,
    %(transfer_id)s::uuid, %(created_at)s::timestamptz, %(settled_at)s::timestamptz, 0
FROM posted WHERE posted.outcome = 'posted'
ON CONFLICT (player_id, idempotency_key) DO NOTHING
RETURNING id
),
{events_after("done")}
SELECT posted.outcome, posted.detail, (SELECT id FROM done) FROM posted
"""  # noqa: S608  # nosec B608 - constants composed, the values stay parameters

# A multi-step round after an action: what changes as it is played, under its row lock.
_SAVE_PROGRESS = """
UPDATE game_rounds
SET status = %(status)s, stake = %(stake)s, payout = %(payout)s, state = %(state)s,
    actions = %(actions)s, hold_ids = %(hold_ids)s, outcome = %(outcome)s,
    transfer_id = %(transfer_id)s, settled_at = %(settled_at)s, version = %(version)s
WHERE id = %(id)s
"""

_ADD_ACTION = """
INSERT INTO game_round_actions (round_id, idempotency_key, request_hash, seq, created_at)
VALUES (%(round_id)s, %(key)s, %(request_hash)s, %(seq)s, %(created_at)s)
"""

_ACTION_HASH = """
SELECT request_hash FROM game_round_actions WHERE round_id = %(round_id)s AND idempotency_key = %(key)s
"""


def _json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def round_params(played: GameRound) -> dict[str, Any]:
    """A round's values as ``SAVE_ROUND`` and ``SETTLE_NEW_ROUND`` name them."""
    return {
        **{column.key: getattr(played, column.key) for column in _ROUNDS.columns},
        "bet": Jsonb(played.bet),
        "state": _json(played.state),
        "actions": Jsonb(list(played.actions)),
        "hold_ids": Jsonb(list(played.hold_ids)),
        "outcome": _json(played.outcome),
    }


# The round and its domain events in one round trip; the events domain writes its own rows.
SAVE_ROUND_WITH_EVENTS = with_events(SAVE_ROUND)


async def add_round(session: AsyncSession, played: GameRound, *, events: str) -> bool:
    """Insert a new round with its events (``outbox.alongside``); False, and no events, when a
    concurrent attempt with its key committed first."""
    cursor = await execute_plain(session, SAVE_ROUND_WITH_EVENTS, {**round_params(played), "events": events})
    return await cursor.fetchone() is not None


async def save_progress(session: AsyncSession, played: GameRound) -> None:
    await execute_plain(session, _SAVE_PROGRESS, round_params(played))


def _detached(row: Mapping[Any, Any]) -> GameRound:
    """A round as a plain object: the ORM does not track it, so nothing writes it but this module."""
    return GameRound(**row)


async def _one(session: AsyncSession, stmt: Select[Any]) -> GameRound | None:
    row = (await session.execute(stmt)).mappings().one_or_none()
    return None if row is None else _detached(row)


async def round_by_key(session: AsyncSession, player_id: uuid.UUID, key: str) -> GameRound | None:
    stmt = select(_ROUNDS).where(_ROUNDS.c.player_id == player_id, _ROUNDS.c.idempotency_key == key)
    return await _one(session, stmt)


async def round_of(
    session: AsyncSession, player_id: uuid.UUID, round_id: uuid.UUID, *, lock: bool = False
) -> GameRound | None:
    """The player's round; with ``lock``, locked until the transaction ends (a round's actions
    are taken one at a time)."""
    stmt = select(_ROUNDS).where(_ROUNDS.c.id == round_id, _ROUNDS.c.player_id == player_id)
    return await _one(session, stmt.with_for_update() if lock else stmt)


async def rounds_of(
    session: AsyncSession, player_id: uuid.UUID, *, limit: int, before: tuple[datetime, uuid.UUID] | None
) -> list[GameRound]:
    """The player's rounds, newest first, older than ``before`` (created_at, id) when given."""
    stmt = select(_ROUNDS).where(_ROUNDS.c.player_id == player_id)
    if before is not None:
        stmt = stmt.where(tuple_(_ROUNDS.c.created_at, _ROUNDS.c.id) < tuple_(*before))
    stmt = stmt.order_by(_ROUNDS.c.created_at.desc(), _ROUNDS.c.id.desc()).limit(limit)
    return [_detached(row) for row in (await session.execute(stmt)).mappings()]


async def has_open_round(session: AsyncSession, pair_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(_ROUNDS.c.id).where(_ROUNDS.c.seed_pair_id == pair_id, _ROUNDS.c.status == "open").limit(1)
    )
    return found is not None


async def action_hash(session: AsyncSession, round_id: uuid.UUID, key: str) -> bytes | None:
    """The request hash of the round's action taken under this key, if one was."""
    cursor = await execute_plain(session, _ACTION_HASH, {"round_id": round_id, "key": key})
    row = await cursor.fetchone()
    return None if row is None else bytes(row[0])


async def add_action(
    session: AsyncSession, *, round_id: uuid.UUID, key: str, request_hash: bytes, seq: int, at: datetime
) -> None:
    params = {"round_id": round_id, "key": key, "request_hash": request_hash, "seq": seq, "created_at": at}
    await execute_plain(session, _ADD_ACTION, params)
