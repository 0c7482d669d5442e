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
from datetime import timedelta
from typing import Any

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
from croupier.kit.errors import Conflict, NotFound
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
    stake = parsed.stake
    digest = request_hash({"game": game, "currency": currency, "bet": dict(bet)})
    replay = await _replay(session, player_id, key, digest)
    if replay is not None:
        return replay, True
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
    account = PlayerAccount(player_id, currency)
    if await wallet.lock_available(session, account) < stake:
        raise wallet.InsufficientFunds(f"Not enough available {currency} for this stake.", currency=currency)
    draw = await seeds.take_nonce(session, player_id)
    round_id, now = uuid.uuid4(), utcnow()
    played = await session.scalar(
        insert(GameRound)
        .values(
            id=round_id,
            player_id=player_id,
            game=game,
            currency=currency,
            idempotency_key=key,
            request_hash=digest,
            status=OPEN,
            stake=stake,
            seed_pair_id=draw.pair_id,
            server_seed_hash=draw.server_seed_hash,
            client_seed=draw.client_seed,
            nonce=draw.nonce,
            bet=dict(bet),
            actions=[],
            hold_ids=[],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["player_id", "idempotency_key"])
        .returning(GameRound)
    )
    if played is None:  # a concurrent first attempt with this key committed meanwhile
        replay = await _replay(session, player_id, key, digest)
        if replay is None:  # the conflicting row is committed when we get here
            raise RuntimeError("broken invariant: the conflicting row is committed when we get here")
        return replay, True
    source = FairStream(draw.server_seed, draw.client_seed, draw.nonce)
    if isinstance(parsed, blackjack.BlackjackBet):
        state = blackjack.start(parsed, source)
        await _hold(session, played, stake)
        played.state = state.to_json()
        if state.finished:
            await _settle(session, played, blackjack.outcome(state))
        return played, False
    await _settle(session, played, play_single_step(parsed, source))
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
    player = PlayerAccount(played.player_id, played.currency)
    revenue = HouseAccount(HouseBook.REVENUE, played.currency)
    legs = [Leg(player, -outcome.stake), Leg(revenue, outcome.stake)]
    if outcome.payout:
        legs += [Leg(revenue, -outcome.payout), Leg(player, outcome.payout)]
    result = await wallet.transfer(
        session,
        source=SOURCE,
        key=f"round:{played.id}",
        kind="round",
        legs=legs,
        player_id=played.player_id,
        metadata={"round_id": str(played.id), "game": played.game},
    )
    played.status, played.payout, played.outcome = SETTLED, outcome.payout, outcome.detail
    played.transfer_id, played.settled_at = result.id, utcnow()


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
