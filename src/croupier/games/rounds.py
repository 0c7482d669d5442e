"""Rounds: a bet, its provably fair outcome, and its money, in one transaction.

A single-step game (dice, roulette, slots) settles at once: the stake and the
payout are one ledger transfer (the stake is covered by funds held before the
round, never by its own payout). A multi-step game (blackjack) holds its stake,
and each double or split holds more, until the round finishes; then the holds
are released and the same single transfer settles it. Every bet passes the
pre-bet check. Every bet's first statement asks whether its ``(player,
Idempotency-Key)`` has a round already, so a retry answers the stored round, and
otherwise takes the nonce; the round row is written last, once, with its events: by
the statement that posts its transfer when it settles at once
(``repository.SETTLE_NEW_ROUND``), otherwise by ``repository.add_round``. A refusal
leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import enforcement as responsible
from croupier.compliance.responsible.enforcement import PlayState, SignIn, Staked
from croupier.events.kinds import EventKind
from croupier.events.outbox import NewEvent, alongside, record_events
from croupier.games import catalogue, repository, seeds
from croupier.games.engines import blackjack
from croupier.games.errors import InvalidAction
from croupier.games.fairness import FairStream
from croupier.games.models import GameRound
from croupier.games.outcome import Outcome
from croupier.games.verify import parse_bet
from croupier.games.verify import play as play_single_step
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.counting import count_on_commit
from croupier.kit.errors import ConcurrentAttempt, Conflict, NotFound
from croupier.kit.idempotency import IdempotencyKeyReused, request_hash
from croupier.kit.metrics import BETS, PAYOUTS, STAKES
from croupier.kit.settings import Settings
from croupier.risk import service as risk
from croupier.risk.rules import Action
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount

SOURCE = "games"
OPEN, SETTLED = "open", "settled"
# A multi-step round's holds outlive any sensible round; `ledger check` flags one left open.
HOLD_DAYS = 7


class RoundFinished(Conflict):
    code = "round_finished"
    title = "The round is over"


@dataclass(frozen=True, kw_only=True)
class _Bet:
    """A new round's request: who bets what, on which game, under which Idempotency-Key."""

    player_id: uuid.UUID
    game: str
    currency: str
    bet: dict[str, Any]
    key: str
    digest: bytes

    def columns(self, round_id: uuid.UUID, draw: seeds.Draw, now: datetime) -> dict[str, Any]:
        """The new round's row, less its status and money: who, what, and what makes it
        verifiable (the committed seed, the client seed, the nonce, the bet)."""
        return {
            "id": round_id,
            "player_id": self.player_id,
            "game": self.game,
            "currency": self.currency,
            "idempotency_key": self.key,
            "request_hash": self.digest,
            "seed_pair_id": draw.pair_id,
            "server_seed_hash": draw.server_seed_hash,
            "client_seed": draw.client_seed,
            "nonce": draw.nonce,
            "bet": self.bet,
            "created_at": now,
        }


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
    gambling_blocked_until: datetime | None = None,
    client: ClientInfo | None = None,
    sign_in: SignIn | None = None,
) -> tuple[GameRound, bool, PlayState | None]:
    """Place a bet and play it (to the end, or to the first decision); ``(round, replayed, play)``.

    ``player_status`` and ``gambling_blocked_until`` are the player's standing when the caller
    has just read it (the session's authentication does), to spare the pre-bet check a query.
    ``sign_in``: the session the bet is placed in, whose time limit it is held to; ``play`` is
    where the player then stands in it.
    """
    plain = dict(bet)
    parsed = parse_bet(game, plain)
    digest = request_hash({"game": game, "currency": currency, "bet": plain})
    request = _Bet(player_id=player_id, game=game, currency=currency, bet=plain, key=key, digest=digest)
    # The seed pair is locked (by taking its nonce) before the player's account (by the
    # transfer or the hold), in every bet: two bets of one player cannot deadlock.
    draw = await seeds.take_nonce_unless_played(session, player_id, key)
    if draw is None:
        replayed = await _replayed(session, request)
        return replayed, True, await _standing(session, player_id, currency, sign_in)
    await _pre_bet(
        session,
        settings,
        request,
        parsed.stake,
        player_status=player_status,
        gambling_blocked_until=gambling_blocked_until,
        client=client,
    )
    source = FairStream(draw.server_seed, draw.client_seed, draw.nonce)
    round_id, now = uuid.uuid4(), utcnow()
    played = GameRound(
        **request.columns(round_id, draw, now),
        status=OPEN,
        stake=parsed.stake,
        payout=None,
        state=None,
        actions=[],
        hold_ids=[],
        outcome=None,
        transfer_id=None,
        settled_at=None,
        version=0,
    )
    # The player's limits (and the session's standing) in one statement on their row, locked after
    # the seed pair and before the ledger accounts; the payout counts with the stake when the
    # round settles at once.
    if isinstance(parsed, blackjack.BlackjackBet):
        # Dealt to the first decision with its stake held; a shortfall refuses the hold.
        state = blackjack.start(parsed, source)
        finished = blackjack.outcome(state) if state.finished else None
        staked = await _charge(
            session, settings, request, stake=parsed.stake, outcome=finished, sign_in=sign_in, client=client
        )
        await _hold(session, played, parsed.stake)
        played.state = state.to_json()
        if finished is not None:
            await _settle(session, played, finished)
        events = alongside(session, _round_events(played, client) + staked.events)
        if not await repository.add_round(session, played, events=events):
            raise ConcurrentAttempt()  # as in _settle_new_round
    else:
        outcome = play_single_step(parsed, source)
        staked = await _charge(
            session, settings, request, stake=parsed.stake, outcome=outcome, sign_in=sign_in, client=client
        )
        await _settle_new_round(session, played, outcome, at=now, client=client, also=staked.events)
    count_on_commit(session, BETS.labels(SOURCE, currency))
    return played, False, staked.play


def _round_events(played: GameRound, client: ClientInfo | None) -> list[NewEvent]:
    """The bet and, once settled, its win: written with the round (none if the round is not ours)."""
    events = [_event(EventKind.BET, played, played.stake, client)]
    if played.status == SETTLED and played.payout:
        events.append(_event(EventKind.WIN, played, played.payout, client))
    return events


async def _settle_new_round(
    session: AsyncSession,
    played: GameRound,
    outcome: Outcome,
    *,
    at: datetime,
    client: ClientInfo | None,
    also: Sequence[NewEvent],
) -> None:
    """A round played to its end at once, written in one statement: its transfer, the round,
    and its events with ``also`` (the limits' own)."""
    prepared = await _round_transfer(session, played, outcome)
    _settled(session, played, outcome, transfer_id=prepared.id, at=at)
    params = {
        **repository.round_params(played),
        "events": alongside(session, [*_round_events(played, client), *also]),
    }
    try:
        _, round_id = await wallet.post_prepared(
            session, prepared, repository.SETTLE_NEW_ROUND, params, keep_failure=False
        )
    except wallet.InsufficientFunds:
        raise _shortfall(played.currency) from None
    if round_id is None:
        # Committing now would keep a nonce and a transfer without their round: run the
        # request again instead; it then finds the other attempt's round and answers it.
        raise ConcurrentAttempt()


async def _charge(
    session: AsyncSession,
    settings: Settings,
    request: _Bet,
    *,
    stake: int,
    outcome: Outcome | None,
    sign_in: SignIn | None,
    client: ClientInfo | None,
) -> Staked:
    return await responsible.charge_stake(
        session,
        settings,
        player_id=request.player_id,
        currency=request.currency,
        stake=stake,
        payout=outcome.payout if outcome else 0,
        sign_in=sign_in,
        client=client,
    )


async def _standing(
    session: AsyncSession, player_id: uuid.UUID, currency: str, sign_in: SignIn | None
) -> PlayState | None:
    """A replay's answer tells the player where they stand now, as the first answer did then."""
    if sign_in is None:
        return None
    return await responsible.standing(session, player_id=player_id, currency=currency, sign_in=sign_in)


async def _pre_bet(
    session: AsyncSession,
    settings: Settings,
    request: _Bet,
    stake: int,
    *,
    player_status: str | None,
    gambling_blocked_until: datetime | None,
    client: ClientInfo | None,
) -> None:
    # First, so that an unknown currency is refused as unknown rather than "not offered" by the
    # limits; the exponents are cached, so this sends no query.
    await wallet.exponent(session, request.currency)
    table = catalogue.limits_for(settings, request.game, request.currency)
    await risk.decide(
        session,
        action=Action.BET,
        player_id=request.player_id,
        client=client,
        amount=stake,
        currency=request.currency,
        settings=settings,
        stake_limit=table.maximum,
        stake_minimum=table.minimum,
        player_status=player_status,
        gambling_blocked_until=gambling_blocked_until,
    )


async def act(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    round_id: uuid.UUID,
    action: str,
    key: str,
    player_status: str | None = None,
    gambling_blocked_until: datetime | None = None,
    client: ClientInfo | None = None,
    sign_in: SignIn | None = None,
) -> tuple[GameRound, bool, PlayState | None]:
    """A player's decision in an open multi-step round; ``(round, replayed, play)``.

    ``player_status`` and ``gambling_blocked_until``: as for ``play``, spare a double's or a
    split's pre-bet check a query. Hitting and standing stake nothing and are never refused:
    a player excluded mid-round can still finish it.
    """
    played = await repository.round_of(session, player_id, round_id, lock=True)
    if played is None:
        raise NotFound("No such round.")
    digest = request_hash({"action": action})
    done = await repository.action_hash(session, round_id, key)
    if done is not None:
        if done != digest:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different action.")
        return played, True, await _standing(session, player_id, played.currency, sign_in)
    if played.status != OPEN or played.state is None:
        raise RoundFinished("The round is over; start a new one.")
    state = blackjack.BlackjackState.from_json(played.state)
    extra = blackjack.additional_stake(state, action)
    if extra:
        table = catalogue.limits_for(settings, played.game, played.currency)
        await risk.decide(
            session,
            action=Action.BET,
            player_id=player_id,
            client=client,
            amount=played.stake + extra,
            currency=played.currency,
            settings=settings,
            stake_limit=table.maximum,
            player_status=player_status,
            gambling_blocked_until=gambling_blocked_until,
        )
    server_seed = await seeds.secret_of(session, played.seed_pair_id)
    source = FairStream(server_seed, played.client_seed, played.nonce, state.position)
    state = blackjack.act(state, action, source)
    finished = blackjack.outcome(state) if state.finished else None
    # A double or a split is held to the limits like any stake; the payout counts when it is paid.
    staked = await responsible.charge_stake(
        session,
        settings,
        player_id=player_id,
        currency=played.currency,
        stake=extra,
        payout=finished.payout if finished else 0,
        sign_in=sign_in,
        client=client,
    )
    if extra:
        await _hold(session, played, extra)
        played.stake += extra
    await repository.add_action(
        session, round_id=round_id, key=key, request_hash=digest, seq=len(played.actions), at=utcnow()
    )
    played.actions = [*played.actions, action]
    played.state = state.to_json()
    played.version += 1
    if finished is not None:
        await _settle(session, played, finished)
    await repository.save_progress(session, played)
    # A double or a split is a further bet on the round; the win comes when it is settled.
    events = [_event(EventKind.BET, played, extra, client)] if extra else []
    if played.status == SETTLED and played.payout:
        events.append(_event(EventKind.WIN, played, played.payout, client))
    await record_events(session, events + staked.events)
    return played, False, staked.play


def _event(kind: EventKind, played: GameRound, amount: int, client: ClientInfo | None) -> NewEvent:
    """A bet or a win on an in-house round: ``amount`` in minor units of the round's currency."""
    data: dict[str, Any] = {
        "source": SOURCE,
        "game": played.game,
        "round_id": str(played.id),
        "currency": played.currency,
        "amount": amount,
    }
    if kind is EventKind.WIN:
        data["stake"] = played.stake
    return NewEvent(kind, played.player_id, data, client)


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
        raise _shortfall(played.currency) from None
    played.hold_ids = [*played.hold_ids, str(held.id)]


async def _settle(
    session: AsyncSession, played: GameRound, outcome: Outcome, *, at: datetime | None = None
) -> None:
    """Release the round's holds, if any, and move stake and payout in one transfer."""
    for hold_id in played.hold_ids:
        await wallet.void_hold(session, hold_id=uuid.UUID(hold_id))
    prepared = await _round_transfer(session, played, outcome)
    try:
        await wallet.post(session, prepared, keep_failure=False)
    except wallet.InsufficientFunds:
        raise _shortfall(played.currency) from None
    _settled(session, played, outcome, transfer_id=prepared.id, at=at or utcnow())


def _settled(
    session: AsyncSession, played: GameRound, outcome: Outcome, *, transfer_id: uuid.UUID, at: datetime
) -> None:
    played.transfer_id = transfer_id
    played.status, played.payout, played.outcome = SETTLED, outcome.payout, outcome.detail
    played.settled_at = at
    # Counted when settled, as the ledger books it: GGR from these counters matches the books.
    count_on_commit(session, STAKES.labels(SOURCE, played.currency), outcome.stake)
    count_on_commit(session, PAYOUTS.labels(SOURCE, played.currency), outcome.payout)


async def _round_transfer(
    session: AsyncSession, played: GameRound, outcome: Outcome
) -> wallet.PreparedTransfer:
    """The stake to the house and the payout back, as one transfer, checked and not yet posted.

    The stake must be covered by the player's available funds before the payout
    (a round never pays for itself); a shortfall refuses the whole bet.
    """
    if outcome.stake != played.stake:  # pragma: no cover - the engines and the holds agree by construction
        raise InvalidAction("the round's stake and its holds disagree")
    player = PlayerAccount(played.player_id, played.currency)
    revenue = HouseAccount(HouseBook.REVENUE, played.currency)
    legs = [Leg(player, -outcome.stake), Leg(revenue, outcome.stake)]
    if outcome.payout:
        legs += [Leg(revenue, -outcome.payout), Leg(player, outcome.payout)]
    return await wallet.prepare_transfer(
        session,
        source=SOURCE,
        key=f"round:{played.id}",
        kind="round",
        legs=legs,
        player_id=played.player_id,
        metadata={"round_id": str(played.id), "game": played.game},
    )


def _shortfall(currency: str) -> wallet.InsufficientFunds:
    """The ledger's refusal as a bet words it."""
    return wallet.InsufficientFunds(f"Not enough available {currency} for this stake.", currency=currency)


async def _replayed(session: AsyncSession, request: _Bet) -> GameRound:
    found = await _replay(session, request)
    if found is None:  # pragma: no cover - the draw saw it in this transaction
        raise RuntimeError("broken invariant: the replayed round is committed")
    return found


async def _replay(session: AsyncSession, request: _Bet) -> GameRound | None:
    found = await repository.round_by_key(session, request.player_id, request.key)
    if found is not None and found.request_hash != request.digest:
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different bet.")
    return found


async def mine(session: AsyncSession, player_id: uuid.UUID, round_id: uuid.UUID) -> GameRound:
    found = await repository.round_of(session, player_id, round_id)
    if found is None:
        raise NotFound("No such round.")
    return found


async def history(
    session: AsyncSession, player_id: uuid.UUID, *, limit: int, before: tuple[Any, uuid.UUID] | None = None
) -> list[GameRound]:
    return await repository.rounds_of(session, player_id, limit=limit, before=before)
