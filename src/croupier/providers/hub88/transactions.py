"""``/transaction/bet``, ``/transaction/win`` and ``/transaction/rollback`` on Croupier's ledger.

Each call is one transaction. A bet moves the stake from the player's cash to
house revenue, a win pays from house revenue, and a rollback returns a bet's
stake: one ledger transfer each, from source ``hub88:<provider>``, keyed by
the call's ``transaction_uuid``. Every call is recorded once (``exactly_once``):

- a win must reference a bet that went through (else
  ``RS_ERROR_TRANSACTION_DOES_NOT_EXIST``) and was not rolled back (else
  ``RS_ERROR_TRANSACTION_ROLLED_BACK``);
- a rollback of a transaction not seen yet is answered ``RS_OK`` and leaves a
  placeholder under that uuid, so the bet is refused if it arrives late; a
  rollback of a bet already rolled back moves nothing; a bet that has paid a
  win cannot be rolled back (``RS_ERROR_UNKNOWN``, for a person to look at);
- token expiry is checked for bets only: wins and rollbacks may arrive long
  after the session. A token launched by a signed-in player expires with its
  sign-in session too (``tokens``), and its bets, wins and rollbacks count in
  that session's time limit and net position as in-house play does.

Refusals that depend on state that may change (expired token, disabled account,
stake limit, not enough money) are recorded too, so a retry gets the same
answer; refusals of malformed or unknown input are not, and move nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import enforcement as responsible
from croupier.compliance.responsible.enforcement import SignIn
from croupier.compliance.responsible.errors import LimitReached
from croupier.compliance.responsible.exclusions.gate import GamblingBlocked
from croupier.events.kinds import EventKind
from croupier.events.outbox import NewEvent, record_events
from croupier.kit.clock import utcnow
from croupier.kit.counting import count_on_commit
from croupier.kit.metrics import BETS, PAYOUTS, STAKES, STAKES_RETURNED
from croupier.kit.settings import Settings
from croupier.providers import repository, tokens
from croupier.providers.hub88.amounts import to_minor
from croupier.providers.hub88.answers import Answer, about, read, supported
from croupier.providers.hub88.exactly_once import (
    BET,
    ROLLBACK,
    WIN,
    call_digest,
    claim_or_replay,
    record_answer,
    replay,
    seen_now,
)
from croupier.providers.hub88.players import knows, player_id_of
from croupier.providers.hub88.schemas import (
    BetRequest,
    RollbackRequest,
    TransactionRequest,
    WinRequest,
    reference_of,
)
from croupier.providers.hub88.status import Status
from croupier.providers.repository import Context, ProviderRow, TokenRow, TransactionRow
from croupier.risk import service as risk
from croupier.risk.pre_bet import BetRefused, PlayerDisabled
from croupier.risk.rules import Action
from croupier.wallet import service as ledger
from croupier.wallet.service import (
    HouseAccount,
    HouseBook,
    IdempotencyKeyReused,
    InsufficientFunds,
    Leg,
    PlayerAccount,
    TransferAlreadyFailed,
)

# Every ledger transfer of a Hub88 provider's calls has this source, then the provider's name.
SOURCE_PREFIX = "hub88:"
# The metrics' source label: one series per currency, however many Hub88 providers there are.
METRICS_SOURCE = "hub88"


def source(provider: ProviderRow) -> str:
    return f"{SOURCE_PREFIX}{provider.name}"


async def _move(
    session: AsyncSession,
    provider: ProviderRow,
    *,
    key: str,
    kind: str,
    player: PlayerAccount,
    amount: int,
    metadata: dict[str, Any],
) -> tuple[Status, uuid.UUID | None]:
    """One ledger transfer between the player's cash and house revenue (``amount`` > 0 pays the player)."""
    if amount == 0:
        return Status.OK, None
    house = HouseAccount(HouseBook.REVENUE, player.currency)
    try:
        result = await ledger.transfer(
            session,
            source=source(provider),
            key=key,
            kind=kind,
            legs=[Leg(player, amount), Leg(house, -amount)],
            player_id=player.player_id,
            metadata=metadata,
        )
    except InsufficientFunds:
        return Status.NOT_ENOUGH_MONEY, None
    except TransferAlreadyFailed as exc:
        # The ledger kept a refusal whose record here was lost with its transaction.
        failed = exc.extra.get("original_code") == InsufficientFunds.code
        return (Status.NOT_ENOUGH_MONEY if failed else Status.UNKNOWN), None
    except IdempotencyKeyReused:
        return Status.DUPLICATE_TRANSACTION, None
    return Status.OK, result.id


@dataclass(frozen=True)
class _Opened:
    """A call from a known player whose ``transaction_uuid`` is new: what the database knows, its digest."""

    player_id: uuid.UUID
    ctx: Context
    digest: bytes


async def _open(
    session: AsyncSession,
    provider: ProviderRow,
    request: TransactionRequest,
    *,
    kind: str,
    game_code: str | None = None,
) -> _Opened | Answer:
    """Read the call's context in one query; a ``transaction_uuid`` seen before is answered here, and
    so is a ``user`` that is no player or a token that is not theirs."""
    player_id = player_id_of(request.user)
    ctx = await repository.context(
        session,
        provider_id=provider.id,
        transaction_uuid=request.transaction_uuid,
        reference_uuid=reference_of(request),
        token_hash=None if request.token is None else tokens.digest(request.token),
        player_id=player_id,
        game_code=game_code,
    )
    digest = call_digest(kind, request)
    if ctx.seen is not None:
        return await replay(
            session, kind=kind, seen=ctx.seen, digest=digest, request=request, player_id=player_id
        )
    if player_id is None or not knows(ctx, player_id, request.token):
        return Answer(Status.INVALID_TOKEN, request_uuid=request.request_uuid)
    return _Opened(player_id, ctx, digest)


# ---------------------------------------------------------------- bet


async def bet(session: AsyncSession, settings: Settings, provider: ProviderRow, body: bytes) -> Answer:
    request = read(BetRequest, body)
    if isinstance(request, Answer):
        return request
    opened = await _open(session, provider, request, kind=BET, game_code=request.game_code)
    if isinstance(opened, Answer):
        return opened
    player_id, ctx, token = opened.player_id, opened.ctx, opened.ctx.token
    if token is None:  # pragma: no cover - a bet always sends a token, and ``knows`` found it
        return Answer(Status.INVALID_TOKEN, request_uuid=request.request_uuid)
    currency = token.currency
    if request.currency != currency:
        return await about(session, Status.WRONG_CURRENCY, request, player_id, currency)
    if not ctx.game_known:
        return await about(session, Status.INVALID_GAME, request, player_id, currency)
    stake = to_minor(request.amount, await ledger.exponent(session, currency))
    # Croupier grants no rewards (it does not use Hub88's Freebets API), so there are no free bets to take.
    if stake is None or request.is_free:
        return await about(session, Status.UNKNOWN, request, player_id, currency)

    claimed = await claim_or_replay(
        session,
        provider,
        request,
        kind=BET,
        player_id=player_id,
        currency=currency,
        amount=stake,
        digest=opened.digest,
    )
    if isinstance(claimed, Answer):  # the same uuid, sent concurrently, got there first
        return claimed
    now = utcnow()
    transfer_id, event = None, None
    status = await _refusal(
        session,
        provider,
        token,
        player_id=player_id,
        player_status=ctx.player_status,
        blocked_until=ctx.player_blocked_until,
        stake=stake,
        now=now,
    )
    if status is Status.OK:
        status = await _within_limits(
            session,
            settings,
            player_id=player_id,
            currency=currency,
            stake=stake,
            sign_in=_sign_in(token, now),
        )
    if status is Status.OK:
        status, transfer_id = await _move(
            session,
            provider,
            key=request.transaction_uuid,
            kind="bet",
            player=PlayerAccount(player_id, currency),
            amount=-stake,
            metadata={"game": request.game_code, "round": request.round},
        )
    if status is Status.OK:
        count_on_commit(session, BETS.labels(METRICS_SOURCE, currency))
        count_on_commit(session, STAKES.labels(METRICS_SOURCE, currency), stake)
        await tokens.keep_alive(session, request.token, token, now)
        event = _event(
            provider,
            EventKind.BET,
            request=request,
            player_id=player_id,
            currency=currency,
            amount=stake,
            game=request.game_code,
        )
    return await record_answer(
        session,
        claimed,
        request,
        status=status,
        transfer_id=transfer_id,
        player_id=player_id,
        currency=currency,
        event=event,
    )


async def _refusal(
    session: AsyncSession,
    provider: ProviderRow,
    token: TokenRow,
    *,
    player_id: uuid.UUID,
    player_status: str | None,
    blocked_until: datetime | None,
    stake: int,
    now: datetime,
) -> Status:
    """Why a well-formed bet may not be taken now, or ``RS_OK``: the session and the pre-bet check."""
    if tokens.expired(token, now):
        return Status.TOKEN_EXPIRED
    try:
        await risk.decide(
            session,
            action=Action.BET,
            player_id=player_id,
            client=None,
            amount=stake,
            currency=token.currency,
            stake_limit=provider.stake_limits.get(token.currency),
            player_status=player_status,
            gambling_blocked_until=blocked_until,
        )
    except (PlayerDisabled, GamblingBlocked):
        # A time-out or self-exclusion: Hub88's answer for a player who may not play now.
        return Status.USER_DISABLED
    except risk.RiskUnavailable:
        return Status.UNKNOWN
    except (risk.RiskDenied, BetRefused):
        # Hub88 has one status for every refusal; the engine's reasons stay with the house.
        return Status.LIMIT_REACHED
    return Status.OK


def _sign_in(token: TokenRow | None, now: datetime) -> SignIn | None:
    """The sign-in session the game was launched from, while it lasts. An ended one is left out:
    a late win or rollback must not take over the net position of the session the player is in
    now (a bet never gets here on it, its token has ended with it)."""
    if token is None or token.sign_in_id is None or token.signed_in_at is None:
        return None
    if token.sign_in_ends_at is not None and now >= token.sign_in_ends_at:
        return None
    return SignIn(token.sign_in_id, token.signed_in_at)


async def _within_limits(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    stake: int,
    sign_in: SignIn | None,
) -> Status:
    """The player's own wager and loss limits, and the session-time limit of the sign-in session the
    game was launched from, counted with the stake (before the ledger moves it)."""
    try:
        staked = await responsible.charge_stake(
            session, settings, player_id=player_id, currency=currency, stake=stake, sign_in=sign_in
        )
    except LimitReached:
        return Status.LIMIT_REACHED
    if staked.events:
        await record_events(session, staked.events)
    return Status.OK


# ---------------------------------------------------------------- win


async def win(session: AsyncSession, settings: Settings, provider: ProviderRow, body: bytes) -> Answer:
    request = read(WinRequest, body)
    if isinstance(request, Answer):
        return request
    opened = await _open(session, provider, request, kind=WIN, game_code=request.game_code)
    if isinstance(opened, Answer):
        return opened
    player_id, ctx = opened.player_id, opened.ctx
    placed = ctx.reference
    if placed is not None and placed.player_id == player_id and placed.rolled_back_at is not None:
        return await about(session, Status.TRANSACTION_ROLLED_BACK, request, player_id, request.currency)
    if (
        placed is None
        or placed.kind != BET
        or placed.player_id != player_id
        or placed.status != Status.OK
        or placed.currency is None
    ):
        fallback = ctx.token.currency if ctx.token else None
        currency = await supported(session, request.currency) or fallback
        return await about(session, Status.TRANSACTION_DOES_NOT_EXIST, request, player_id, currency)
    currency = placed.currency
    if request.currency != currency:
        return await about(session, Status.WRONG_CURRENCY, request, player_id, currency)
    if not ctx.game_known:
        return await about(session, Status.INVALID_GAME, request, player_id, currency)
    amount = to_minor(request.amount, await ledger.exponent(session, currency))
    if amount is None:
        return await about(session, Status.UNKNOWN, request, player_id, currency)

    claimed = await claim_or_replay(
        session,
        provider,
        request,
        kind=WIN,
        player_id=player_id,
        currency=currency,
        amount=amount,
        digest=opened.digest,
    )
    if isinstance(claimed, Answer):
        return claimed
    status, transfer_id, event = Status.TRANSACTION_ROLLED_BACK, None, None
    # Counting the win locks the bet: a concurrent rollback either sees the win or wins the race.
    if await repository.mark_won(session, placed.id):
        # Counted before the ledger moves (the order every path locks in); undone if it does not.
        # Never refused: a limit reached since the bet does not keep its win from the player.
        sign_in = _sign_in(ctx.token, utcnow())
        await responsible.settle_payout(
            session, settings, player_id=player_id, currency=currency, payout=amount, sign_in=sign_in
        )
        status, transfer_id = await _move(
            session,
            provider,
            key=request.transaction_uuid,
            kind="win",
            player=PlayerAccount(player_id, currency),
            amount=amount,
            metadata={
                "game": request.game_code,
                "round": request.round,
                "bet": request.reference_transaction_uuid,
            },
        )
        if status is not Status.OK:
            await responsible.settle_payout(
                session, settings, player_id=player_id, currency=currency, payout=-amount, sign_in=sign_in
            )
        if status is Status.OK and amount:
            count_on_commit(session, PAYOUTS.labels(METRICS_SOURCE, currency), amount)
            event = _event(
                provider,
                EventKind.WIN,
                request=request,
                player_id=player_id,
                currency=currency,
                amount=amount,
                game=request.game_code,
                reference=request.reference_transaction_uuid,
            )
    return await record_answer(
        session,
        claimed,
        request,
        status=status,
        transfer_id=transfer_id,
        player_id=player_id,
        currency=currency,
        event=event,
    )


# ---------------------------------------------------------------- rollback


async def rollback(session: AsyncSession, settings: Settings, provider: ProviderRow, body: bytes) -> Answer:
    request = read(RollbackRequest, body)
    if isinstance(request, Answer):
        return request
    opened = await _open(session, provider, request, kind=ROLLBACK)
    if isinstance(opened, Answer):
        return opened
    player_id, ctx = opened.player_id, opened.ctx
    target = ctx.reference
    currency = (target.currency if target else None) or (ctx.token.currency if ctx.token else None)
    if currency is None:
        currency = await repository.latest_token_currency(session, provider.id, player_id)
    if currency is None:  # no game of this provider was ever launched for the player
        return Answer(Status.INVALID_TOKEN, request_uuid=request.request_uuid)

    claimed = await claim_or_replay(
        session,
        provider,
        request,
        kind=ROLLBACK,
        player_id=player_id,
        currency=currency,
        amount=None,
        digest=opened.digest,
    )
    if isinstance(claimed, Answer):
        return claimed
    if target is None and not await _leave_placeholder(session, provider, request, player_id):
        # The bet arrived while this rollback was deciding: roll it back like any other.
        target = await seen_now(session, provider, request.reference_transaction_uuid)
    status, transfer_id, event = Status.OK, None, None
    if target is not None:
        status, transfer_id = await _reverse(
            session,
            provider,
            request,
            target,
            player_id,
            settings=settings,
            sign_in=_sign_in(ctx.token, utcnow()),
        )
        currency = target.currency or currency
        if transfer_id is not None and target.amount:
            event = _event(
                provider,
                EventKind.ROLLBACK,
                request=request,
                player_id=player_id,
                currency=currency,
                amount=target.amount,
                game=request.game_code,
                reference=request.reference_transaction_uuid,
            )
    return await record_answer(
        session,
        claimed,
        request,
        status=status,
        transfer_id=transfer_id,
        player_id=player_id,
        currency=currency,
        event=event,
    )


async def _leave_placeholder(
    session: AsyncSession, provider: ProviderRow, request: RollbackRequest, player_id: uuid.UUID
) -> bool:
    """Record the referenced uuid as rolled back before it was seen; False if it was just seen."""
    now = utcnow()
    placed = await repository.claim(
        session,
        {
            "provider_id": provider.id,
            "transaction_uuid": request.reference_transaction_uuid,
            "kind": BET,
            "player_id": player_id,
            "currency": None,
            "amount": None,
            "request_hash": None,
            "status": str(Status.TRANSACTION_ROLLED_BACK),
            "round": request.round,
            "reference_uuid": None,
            "game_code": request.game_code,
            "rolled_back_at": now,
            "created_at": now,
        },
    )
    return placed is not None


async def _reverse(
    session: AsyncSession,
    provider: ProviderRow,
    request: RollbackRequest,
    target: TransactionRow,
    player_id: uuid.UUID,
    *,
    settings: Settings,
    sign_in: SignIn | None,
) -> tuple[Status, uuid.UUID | None]:
    """Return a bet's stake, once; a bet already rolled back moves nothing."""
    if target.player_id != player_id:
        return Status.TRANSACTION_DOES_NOT_EXIST, None
    if target.kind != BET:
        return Status.UNKNOWN, None  # Croupier rolls back bets only; a win is final
    if not await repository.mark_rolled_back(session, target.id, utcnow()):
        current = await repository.find(session, provider.id, request.reference_transaction_uuid)
        settled = current is not None and current.rolled_back_at is None
        return (Status.UNKNOWN if settled else Status.OK), None
    if target.status != Status.OK or not target.amount or target.currency is None:
        return Status.OK, None  # the bet was refused: it took nothing
    # The stake no longer counts against the limits; undone if the ledger refuses the return.
    await responsible.refund_stake(
        session, settings, player_id=player_id, currency=target.currency, stake=target.amount, sign_in=sign_in
    )
    status, transfer_id = await _move(
        session,
        provider,
        key=request.transaction_uuid,
        kind="rollback",
        player=PlayerAccount(player_id, target.currency),
        amount=target.amount,
        metadata={"reverses": request.reference_transaction_uuid, "round": request.round},
    )
    if status is not Status.OK:
        await responsible.refund_stake(
            session,
            settings,
            player_id=player_id,
            currency=target.currency,
            stake=-target.amount,
            sign_in=sign_in,
        )
    else:
        count_on_commit(session, STAKES_RETURNED.labels(METRICS_SOURCE, target.currency), target.amount)
    return status, transfer_id


def _event(
    provider: ProviderRow,
    kind: EventKind,
    *,
    request: TransactionRequest,
    player_id: uuid.UUID,
    currency: str,
    amount: int,
    game: str | None,
    reference: str | None = None,
) -> NewEvent:
    """The domain event of a call that moved money: ``amount`` in minor units of ``currency``."""
    data: dict[str, Any] = {
        "source": source(provider),
        "provider": provider.name,
        "game": game,
        "round_id": request.round,
        "transaction_uuid": request.transaction_uuid,
        "currency": currency,
        "amount": amount,
    }
    if reference is not None:
        data["reference_transaction_uuid"] = reference
    return NewEvent(kind, player_id, data)
