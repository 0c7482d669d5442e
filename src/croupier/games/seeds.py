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

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.service import PersonalDataErased, cipher_of_wrapped, player_cipher
from croupier.games import fairness, repository
from croupier.games.errors import InvalidSeed
from croupier.games.models import SeedPair
from croupier.kit.clock import utcnow
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
    found = await repository.active_pair(session, player_id)
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
    # When a concurrent first bet has created one, that one is used.
    await repository.add_pair(
        session,
        {
            "id": pair_id,
            "player_id": player_id,
            "server_seed_sealed": cipher.encrypt(f"{_FIELD}:{pair_id}", seed),
            "server_seed_hash": fairness.hash_server_seed(seed),
            "client_seed": client_seed,
            "next_nonce": next_nonce,
            "created_at": utcnow(),
        },
    )


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
    if await repository.has_open_round(session, pair.id):
        raise RoundInProgress("A round played with this seed is still open; finish it, then rotate.")
    revealed = await _secret(session, pair)
    pair.revealed_seed, pair.revealed_at, pair.server_seed_sealed = revealed, utcnow(), None
    await session.flush()
    await _commit_new(session, player_id, client_seed=pair.client_seed, next_nonce=0)
    return revealed, await commitment(session, player_id)


async def take_nonce_unless_played(session: AsyncSession, player_id: uuid.UUID, key: str) -> Draw | None:
    """Lock the player's pair and take its next nonce for a new bet, in one statement; None when
    the player's round with this idempotency key exists already (the bet is a replay, and no
    nonce is taken)."""
    row = await repository.draw_unless_played(session, player_id, key)
    if row.pair_id is None and not row.played:  # the player's first bet: no pair yet
        # Inserting it waits for a concurrent first bet that inserted one, which may have
        # played this very key: the draw is asked again, replay check included.
        await _commit_new(session, player_id, client_seed=fairness.new_client_seed(), next_nonce=0)
        row = await repository.draw_unless_played(session, player_id, key)
    if row.played:
        return None
    if row.pair_id is None or row.server_seed_sealed is None or row.nonce is None:  # pragma: no cover
        raise RuntimeError("broken invariant: the active pair exists and is sealed")
    if row.kek_version is None or row.dek_version is None:
        raise PersonalDataErased()
    cipher = cipher_of_wrapped(
        session,
        player_id=player_id,
        wrapped=row.wrapped,
        kek_version=row.kek_version,
        dek_version=row.dek_version,
    )
    seed = cipher.decrypt(f"{_FIELD}:{row.pair_id}", row.server_seed_sealed)
    return Draw(row.pair_id, seed, str(row.server_seed_hash), str(row.client_seed), row.nonce)


async def secret_of(session: AsyncSession, pair_id: uuid.UUID) -> str:
    """The server seed of a pair (an open multi-step round continues with it)."""
    pair = await repository.pair(session, pair_id)
    if pair is None:  # rounds reference existing pairs
        raise RuntimeError("broken invariant: rounds reference existing pairs")
    return pair.revealed_seed or await _secret(session, pair)


async def revealed(session: AsyncSession, pair_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The revealed server seeds among these pairs."""
    return await repository.revealed_seeds(session, pair_ids)


async def _secret(session: AsyncSession, pair: SeedPair) -> str:
    if pair.server_seed_sealed is None:  # active pairs are sealed
        raise RuntimeError("broken invariant: active pairs are sealed")
    cipher = await player_cipher(session, player_id=pair.player_id)
    return cipher.decrypt(f"{_FIELD}:{pair.id}", pair.server_seed_sealed)
