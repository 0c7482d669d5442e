"""Rounds: a bet, its provably fair outcome, and its money, in one transaction.

A single-step game (dice, roulette, slots) settles at once: the stake and the
payout are one ledger transfer (the stake is covered by funds held before the
round, never by its own payout). A multi-step game (blackjack) holds its stake,
and each double or split holds more, until the round finishes; then the holds
are released and the same single transfer settles it. Every bet passes the
pre-bet check. The round row is claimed on ``(player, Idempotency-Key)`` first,
so a retry answers the stored round and a refusal leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.games import catalogue, seeds
from croupier.games.engines import blackjack
from croupier.games.errors import InvalidAction
from croupier.games.fairness import FairStream
from croupier.games.models import GameRound, RoundAction
from croupier.games.outcome import Outcome
from croupier.games.verify import parse_bet
from croupier.games.verify import play as play_single_step
from croupier.kit.clock import utcnow
from croupier.kit.db import execute_plain
from croupier.kit.errors import ConcurrentAttempt, Conflict, NotFound
from croupier.kit.idempotency import IdempotencyKeyReused, request_hash
from croupier.kit.settings import Settings
from croupier.risk.pre_bet import pre_bet_check
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount

SOURCE = "games"
OPEN, SETTLED = "open", "settled"
# A multi-step round's holds outlive any sensible round; `ledger check` flags one left open.
HOLD_DAYS = 7


class RoundFinished(Conflict):
    code = "round_finished"
    title = "The round is over"


async def play(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    game: str,
    currency: str,
    bet: Mapping[str, Any],
    key: str,
    player_status: str | None = None,
) -> tuple[GameRound, bool]:
    """Place a bet and play it (to the end, or to the first decision); ``(round, replayed)``.

    ``player_status`` is the player's status when the caller has just read it (the session's
    authentication does), to spare the pre-bet check a query.
    """
    parsed = parse_bet(game, dict(bet))
    digest = request_hash({"game": game, "currency": currency, "bet": dict(bet)})
    if isinstance(parsed, blackjack.BlackjackBet):
        return await _open_multi_step(
            session,
            settings,
            player_id=player_id,
            game=game,
            currency=currency,
            bet=bet,
            key=key,
            digest=digest,
            parsed=parsed,
            player_status=player_status,
        )
    draw = await seeds.take_nonce_unless_played(session, player_id, key)
    if draw is None:
        return await _replayed(session, player_id, key, digest), True
    await _pre_bet(
        session,
        settings,
        player_id=player_id,
        game=game,
        currency=currency,
        stake=parsed.stake,
        player_status=player_status,
    )
    outcome = play_single_step(parsed, FairStream(draw.server_seed, draw.client_seed, draw.nonce))
    round_id, now = uuid.uuid4(), utcnow()
    transfer_id = await _move_money(
        session, round_id=round_id, player_id=player_id, game=game, currency=currency, outcome=outcome
    )
    played = GameRound(
        **_round_columns(
            round_id=round_id, player_id=player_id, game=game, currency=currency, key=key, digest=digest
        ),
        **_draw_columns(draw, bet, now),
        status=SETTLED,
        stake=outcome.stake,
        payout=outcome.payout,
        state=None,
        actions=[],
        hold_ids=[],
        outcome=outcome.detail,
        transfer_id=transfer_id,
        settled_at=now,
        version=0,
    )
    await _save_settled(session, played)
    return played, False


def _round_columns(
    *, round_id: uuid.UUID, player_id: uuid.UUID, game: str, currency: str, key: str, digest: bytes
) -> dict[str, Any]:
    return {
        "id": round_id,
        "player_id": player_id,
        "game": game,
        "currency": currency,
        "idempotency_key": key,
        "request_hash": digest,
    }


def _draw_columns(draw: seeds.Draw, bet: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What makes the round verifiable: the committed seed, the client seed, the nonce, the bet."""
    return {
        "seed_pair_id": draw.pair_id,
        "server_seed_hash": draw.server_seed_hash,
        "client_seed": draw.client_seed,
        "nonce": draw.nonce,
        "bet": dict(bet),
        "created_at": now,
    }


async def _pre_bet(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    game: str,
    currency: str,
    stake: int,
    player_status: str | None,
) -> None:
    await wallet.exponent(session, currency)
    table = catalogue.limits_for(settings, game, currency)
    await pre_bet_check(
        session,
        player_id=player_id,
        currency=currency,
        stake=stake,
        stake_limit=table.maximum,
        stake_minimum=table.minimum,
        player_status=player_status,
    )


# The settled round of a single-step game, in one plain statement (the ORM's flush costs
# more than the rest of the bet's Python). Another attempt with the same key may have
# committed since this one looked: then nothing is written here.
_SAVE_SETTLED = """
INSERT INTO game_rounds (
    id, player_id, game, currency, idempotency_key, request_hash, status, stake, payout,
    seed_pair_id, server_seed_hash, client_seed, nonce, bet, state, actions, hold_ids, outcome,
    transfer_id, created_at, settled_at, version
) VALUES (
    %(id)s, %(player_id)s, %(game)s, %(currency)s, %(idempotency_key)s, %(request_hash)s, %(status)s,
    %(stake)s, %(payout)s, %(seed_pair_id)s, %(server_seed_hash)s, %(client_seed)s, %(nonce)s,
    %(bet)s, NULL, '[]', '[]', %(outcome)s, %(transfer_id)s, %(created_at)s, %(settled_at)s, 0
)
ON CONFLICT (player_id, idempotency_key) DO NOTHING
RETURNING id
"""


async def _save_settled(session: AsyncSession, played: GameRound) -> None:
    cursor = await execute_plain(
        session,
        _SAVE_SETTLED,
        {
            "id": played.id,
            "player_id": played.player_id,
            "game": played.game,
            "currency": played.currency,
            "idempotency_key": played.idempotency_key,
            "request_hash": played.request_hash,
            "status": played.status,
            "stake": played.stake,
            "payout": played.payout,
            "seed_pair_id": played.seed_pair_id,
            "server_seed_hash": played.server_seed_hash,
            "client_seed": played.client_seed,
            "nonce": played.nonce,
            "bet": Jsonb(played.bet),
            "outcome": Jsonb(played.outcome),
            "transfer_id": played.transfer_id,
            "created_at": played.created_at,
            "settled_at": played.settled_at,
        },
    )
    if await cursor.fetchone() is None:
        # Committing now would keep a nonce and a transfer without their round: run the
        # request again instead; it then finds the other attempt's round and answers it.
        raise ConcurrentAttempt()


async def _open_multi_step(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    game: str,
    currency: str,
    bet: Mapping[str, Any],
    key: str,
    digest: bytes,
    parsed: blackjack.BlackjackBet,
    player_status: str | None,
) -> tuple[GameRound, bool]:
    """A blackjack round: its stake held, dealt to the first decision (or the end)."""
    replay = await _replay(session, player_id, key, digest)
    if replay is not None:
        return replay, True
    stake = parsed.stake
    await _pre_bet(
        session,
        settings,
        player_id=player_id,
        game=game,
        currency=currency,
        stake=stake,
        player_status=player_status,
    )
    account = PlayerAccount(player_id, currency)
    if await wallet.lock_available(session, account) < stake:
        raise wallet.InsufficientFunds(f"Not enough available {currency} for this stake.", currency=currency)
    draw = await seeds.take_nonce(session, player_id)
    round_id, now = uuid.uuid4(), utcnow()
    played = await session.scalar(
        insert(GameRound)
        .values(
            **_round_columns(
                round_id=round_id, player_id=player_id, game=game, currency=currency, key=key, digest=digest
            ),
            **_draw_columns(draw, bet, now),
            status=OPEN,
            stake=stake,
            actions=[],
            hold_ids=[],
        )
        .on_conflict_do_nothing(index_elements=["player_id", "idempotency_key"])
        .returning(GameRound)
    )
    if played is None:  # a concurrent first attempt with this key committed meanwhile
        raise ConcurrentAttempt()
    state = blackjack.start(parsed, FairStream(draw.server_seed, draw.client_seed, draw.nonce))
    await _hold(session, played, stake)
    played.state = state.to_json()
    if state.finished:
        await _settle(session, played, blackjack.outcome(state))
    return played, False


async def act(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    round_id: uuid.UUID,
    action: str,
    key: str,
) -> tuple[GameRound, bool]:
    """A player's decision in an open multi-step round; ``(round, replayed)``."""
    played = await _own(session, player_id, round_id)
    digest = request_hash({"action": action})
    done = await session.get(RoundAction, (round_id, key))
    if done is not None:
        if done.request_hash != digest:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different action.")
        return played, True
    if played.status != OPEN or played.state is None:
        raise RoundFinished("The round is over; start a new one.")
    state = blackjack.BlackjackState.from_json(played.state)
    extra = blackjack.additional_stake(state, action)
    if extra:
        table = catalogue.limits_for(settings, played.game, played.currency)
        await pre_bet_check(
            session,
            player_id=player_id,
            currency=played.currency,
            stake=played.stake + extra,
            stake_limit=table.maximum,
        )
        await _hold(session, played, extra)
        played.stake += extra
    server_seed = await seeds.secret_of(session, played.seed_pair_id)
    source = FairStream(server_seed, played.client_seed, played.nonce, state.position)
    state = blackjack.act(state, action, source)
    session.add(
        RoundAction(round_id=round_id, idempotency_key=key, request_hash=digest, seq=len(played.actions))
    )
    played.actions = [*played.actions, action]
    played.state = state.to_json()
    played.version += 1
    if state.finished:
        await _settle(session, played, blackjack.outcome(state))
    return played, False


async def _hold(session: AsyncSession, played: GameRound, amount: int) -> None:
    try:
        held = await wallet.hold(
            session,
            source=SOURCE,
            key=f"round:{played.id}:{len(played.hold_ids)}",
            account=PlayerAccount(played.player_id, played.currency),
            amount=amount,
            expires_at=utcnow() + timedelta(days=HOLD_DAYS),
            metadata={"round_id": str(played.id)},
        )
    except wallet.InsufficientFunds:
        raise wallet.InsufficientFunds(
            f"Not enough available {played.currency} for this stake.", currency=played.currency
        ) from None
    played.hold_ids = [*played.hold_ids, str(held.id)]


async def _settle(session: AsyncSession, played: GameRound, outcome: Outcome) -> None:
    """Release the round's holds and move stake and payout in one transfer."""
    for hold_id in played.hold_ids:
        await wallet.void_hold(session, hold_id=uuid.UUID(hold_id))
    if outcome.stake != played.stake:  # pragma: no cover - the engines and the holds agree by construction
        raise InvalidAction("the round's stake and its holds disagree")
    played.transfer_id = await _move_money(
        session,
        round_id=played.id,
        player_id=played.player_id,
        game=played.game,
        currency=played.currency,
        outcome=outcome,
    )
    played.status, played.payout, played.outcome = SETTLED, outcome.payout, outcome.detail
    played.settled_at = utcnow()


async def _move_money(
    session: AsyncSession,
    *,
    round_id: uuid.UUID,
    player_id: uuid.UUID,
    game: str,
    currency: str,
    outcome: Outcome,
) -> uuid.UUID:
    """The stake to the house and the payout back, as one transfer; its id.

    The stake must be covered by the player's available funds before the payout
    (a round never pays for itself); a shortfall refuses the whole bet.
    """
    player = PlayerAccount(player_id, currency)
    revenue = HouseAccount(HouseBook.REVENUE, currency)
    legs = [Leg(player, -outcome.stake), Leg(revenue, outcome.stake)]
    if outcome.payout:
        legs += [Leg(revenue, -outcome.payout), Leg(player, outcome.payout)]
    try:
        result = await wallet.transfer(
            session,
            source=SOURCE,
            key=f"round:{round_id}",
            kind="round",
            legs=legs,
            player_id=player_id,
            metadata={"round_id": str(round_id), "game": game},
            keep_failure=False,
        )
    except wallet.InsufficientFunds:
        raise wallet.InsufficientFunds(
            f"Not enough available {currency} for this stake.", currency=currency
        ) from None
    return result.id


async def _replayed(session: AsyncSession, player_id: uuid.UUID, key: str, digest: bytes) -> GameRound:
    found = await _replay(session, player_id, key, digest)
    if found is None:  # pragma: no cover - the draw saw it in this transaction
        raise RuntimeError("broken invariant: the replayed round is committed")
    return found


async def _replay(session: AsyncSession, player_id: uuid.UUID, key: str, digest: bytes) -> GameRound | None:
    found: GameRound | None = await session.scalar(
        select(GameRound).where(GameRound.player_id == player_id, GameRound.idempotency_key == key)
    )
    if found is not None and found.request_hash != digest:
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different bet.")
    return found


async def _own(session: AsyncSession, player_id: uuid.UUID, round_id: uuid.UUID) -> GameRound:
    found: GameRound | None = await session.scalar(
        select(GameRound)
        .where(GameRound.id == round_id, GameRound.player_id == player_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound("No such round.")
    return found


async def mine(session: AsyncSession, player_id: uuid.UUID, round_id: uuid.UUID) -> GameRound:
    found = await session.get(GameRound, round_id)
    if found is None or found.player_id != player_id:
        raise NotFound("No such round.")
    return found


async def history(
    session: AsyncSession, player_id: uuid.UUID, *, limit: int, before: tuple[Any, uuid.UUID] | None = None
) -> list[GameRound]:
    stmt = select(GameRound).where(GameRound.player_id == player_id)
    if before is not None:
        stmt = stmt.where(tuple_(GameRound.created_at, GameRound.id) < tuple_(*before))
    stmt = stmt.order_by(GameRound.created_at.desc(), GameRound.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())
