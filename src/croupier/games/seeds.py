"""Each player's provably fair seed pair: committed before any bet, revealed on rotation.

The player sees the SHA-256 of the active server seed before betting and may
set the client seed; every bet takes the next nonce. Rotating reveals the old
server seed (so every past result can be recomputed) and commits to a new one.
A pair is never rotated while one of its rounds is still open: revealing the
seed would show the rest of that round's cards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.service import cipher_of_wrapped, player_cipher
from croupier.games import fairness
from croupier.games.errors import InvalidSeed
from croupier.games.models import GameRound, SeedPair
from croupier.kit.clock import utcnow
from croupier.kit.db import execute_plain
from croupier.kit.errors import Conflict, CroupierError

_FIELD = "fairness.server_seed"


class InvalidClientSeed(CroupierError):
    code = "invalid_client_seed"
    status = 422
    title = "The client seed is 1-64 printable ASCII characters without spaces"


class RoundInProgress(Conflict):
    code = "round_in_progress"
    title = "Finish the open round first"


@dataclass(frozen=True)
class Commitment:
    server_seed_hash: str
    client_seed: str
    nonce: int


@dataclass(frozen=True)
class Draw:
    """What one bet plays with: the pair, its secret seed, and the nonce taken."""

    pair_id: uuid.UUID
    server_seed: str
    server_seed_hash: str
    client_seed: str
    nonce: int


async def _active(session: AsyncSession, player_id: uuid.UUID) -> SeedPair:
    """The player's active pair, locked; created on first use."""
    found: SeedPair | None = await session.scalar(
        select(SeedPair)
        .where(SeedPair.player_id == player_id, SeedPair.revealed_at.is_(None))
        .with_for_update()
    )
    if found is not None:
        return found
    await _commit_new(session, player_id, client_seed=fairness.new_client_seed(), next_nonce=0)
    return await _active(session, player_id)


async def _commit_new(
    session: AsyncSession, player_id: uuid.UUID, *, client_seed: str, next_nonce: int
) -> None:
    seed = fairness.new_server_seed()
    cipher = await player_cipher(session, player_id=player_id)
    pair_id = uuid.uuid4()
    stmt = (
        insert(SeedPair)
        .values(
            id=pair_id,
            player_id=player_id,
            server_seed_sealed=cipher.encrypt(f"{_FIELD}:{pair_id}", seed),
            server_seed_hash=fairness.hash_server_seed(seed),
            client_seed=client_seed,
            next_nonce=next_nonce,
            created_at=utcnow(),
        )
        # A concurrent first bet created it: use that one.
        .on_conflict_do_nothing(index_elements=["player_id"], index_where=text("revealed_at IS NULL"))
    )
    await session.execute(stmt)


async def commitment(session: AsyncSession, player_id: uuid.UUID) -> Commitment:
    pair = await _active(session, player_id)
    return Commitment(pair.server_seed_hash, pair.client_seed, pair.next_nonce)


async def set_client_seed(session: AsyncSession, player_id: uuid.UUID, client_seed: str) -> Commitment:
    """Bets from now on use this client seed; the nonce keeps counting, so no stream repeats."""
    try:
        fairness.check_client_seed(client_seed)
    except InvalidSeed as exc:
        raise InvalidClientSeed(str(exc)) from None
    pair = await _active(session, player_id)
    pair.client_seed = client_seed
    return Commitment(pair.server_seed_hash, pair.client_seed, pair.next_nonce)


async def rotate(session: AsyncSession, player_id: uuid.UUID) -> tuple[str, Commitment]:
    """Reveal the active server seed and commit to a new one; ``(revealed seed, new commitment)``."""
    pair = await _active(session, player_id)
    open_round = await session.scalar(
        select(GameRound.id).where(GameRound.seed_pair_id == pair.id, GameRound.status == "open").limit(1)
    )
    if open_round is not None:
        raise RoundInProgress("A round played with this seed is still open; finish it, then rotate.")
    revealed = await _secret(session, pair)
    pair.revealed_seed, pair.revealed_at, pair.server_seed_sealed = revealed, utcnow(), None
    await session.flush()
    await _commit_new(session, player_id, client_seed=pair.client_seed, next_nonce=0)
    return revealed, await commitment(session, player_id)


async def take_nonce(session: AsyncSession, player_id: uuid.UUID) -> Draw:
    """Lock the player's pair and take its next nonce for one bet."""
    pair = await _active(session, player_id)
    nonce = pair.next_nonce
    pair.next_nonce = nonce + 1
    return Draw(pair.id, await _secret(session, pair), pair.server_seed_hash, pair.client_seed, nonce)


# A new bet's first statement: is the key's round there already (a replay)? If not, the
# next nonce of the active pair (locked until the bet commits), its sealed seed, and
# the player's wrapped data key that unseals it.
_DRAW_UNLESS_PLAYED = """
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


async def take_nonce_unless_played(session: AsyncSession, player_id: uuid.UUID, key: str) -> Draw | None:
    """``take_nonce`` for a new bet in one statement; None when the player's round with this
    idempotency key exists already (the bet is a replay, and no nonce is taken)."""
    cursor = await execute_plain(session, _DRAW_UNLESS_PLAYED, {"player": player_id, "key": key})
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - the query always returns one row
        raise RuntimeError("the draw query returned no row")
    played, pair_id, sealed, seed_hash, client_seed, nonce, wrapped, kek_version, dek_version = row
    if played:
        return None
    if pair_id is None:  # the player's first bet: no pair yet
        return await take_nonce(session, player_id)
    cipher = cipher_of_wrapped(
        session, player_id=player_id, wrapped=wrapped, kek_version=kek_version, dek_version=dek_version
    )
    return Draw(pair_id, cipher.decrypt(f"{_FIELD}:{pair_id}", sealed), seed_hash, client_seed, nonce)


async def secret_of(session: AsyncSession, pair_id: uuid.UUID) -> str:
    """The server seed of a pair (an open multi-step round continues with it)."""
    pair = await session.get(SeedPair, pair_id)
    if pair is None:  # rounds reference existing pairs
        raise RuntimeError("broken invariant: rounds reference existing pairs")
    return pair.revealed_seed or await _secret(session, pair)


async def revealed(session: AsyncSession, pair_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The revealed server seeds among these pairs."""
    rows = await session.execute(
        select(SeedPair.id, SeedPair.revealed_seed).where(
            SeedPair.id.in_(pair_ids), SeedPair.revealed_seed.is_not(None)
        )
    )
    return {pair_id: seed for pair_id, seed in rows if seed is not None}


async def _secret(session: AsyncSession, pair: SeedPair) -> str:
    if pair.server_seed_sealed is None:  # active pairs are sealed
        raise RuntimeError("broken invariant: active pairs are sealed")
    cipher = await player_cipher(session, player_id=pair.player_id)
    return cipher.decrypt(f"{_FIELD}:{pair.id}", pair.server_seed_sealed)
