"""The ledger: double-entry transfers, holds, idempotency.

INTERFACE CONTRACT (the signatures and semantics below are fixed; tests are
written against them).

Amounts are integers in minor units of the account's currency (exponent from
the ``currencies`` table: EUR 2, JPY 0, KWD 3, BTC 8 ...). Every transfer has
legs whose signed amounts sum to zero per currency. A player's accounts
(``cash`` and ``bonus`` per currency) can never go below zero, counting held
funds: ``available = balance - held >= 0`` for every debit, enforced by a
CHECK constraint as well as by the code.

Idempotency: a transfer is identified by ``(source, key)``. The same key with
the same content (same kind, legs, metadata → same request hash) returns the
original ``TransferResult`` and moves nothing (``replayed=True``). The same key
with different content raises ``IdempotencyKeyReused`` (409,
``idempotency_key_reused``). A key whose transfer failed (e.g. insufficient
funds) keeps failing with the same error, forever, even if funds arrive later
(TigerBeetle's ``id_already_failed``): the failed attempt is recorded in a
transaction of its own so the request's rollback does not erase it.

Holds reserve funds on a player account: ``hold`` raises ``held``; ``post_hold``
moves up to the held amount (partial posting releases the rest); ``void_hold``
releases it; holds past ``expires_at`` are expired by ``expire_holds`` and
count as released. Every balance check counts held funds.

Concurrency: accounts touched by a transfer are locked ``FOR UPDATE`` in
ascending id order, so two transfers can never deadlock; house accounts that
every bet touches are split into buckets (``house:revenue:EUR:0..N-1``) so bets
do not queue behind one row.
"""

from __future__ import annotations

import hmac
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit import idempotency
from croupier.kit.clock import utcnow
from croupier.kit.counting import count_on_commit
from croupier.kit.db import autonomous_unit_of_work, shared_context
from croupier.kit.errors import CroupierError, NotFound
from croupier.kit.jsonb import plain
from croupier.kit.metrics import LEDGER_TRANSFERS
from croupier.wallet import repository
from croupier.wallet.models import HoldStatus, TransferStatus
from croupier.wallet.repository import PostOutcome


class PlayerBook(StrEnum):
    CASH = "cash"
    BONUS = "bonus"


class HouseBook(StrEnum):
    REVENUE = "revenue"  # game revenue; bucketed
    PSP_CLEARING = "psp_clearing"  # money in flight with the payment provider
    PENDING_WITHDRAWALS = "pending_withdrawals"
    FEES = "fees"
    ADJUSTMENTS = "adjustments"  # manual goodwill credits and corrections
    RECEIVABLES = "receivables"  # what players owe (chargebacks their balance did not cover)


@dataclass(frozen=True)
class PlayerAccount:
    player_id: uuid.UUID
    currency: str
    book: PlayerBook = PlayerBook.CASH


@dataclass(frozen=True)
class HouseAccount:
    book: HouseBook
    currency: str


AccountRef = PlayerAccount | HouseAccount


@dataclass(frozen=True)
class Leg:
    account: AccountRef
    amount: int  # signed minor units: negative debits, positive credits


@dataclass(frozen=True)
class TransferResult:
    id: uuid.UUID
    kind: str
    created_at: datetime
    legs: tuple[Leg, ...]
    replayed: bool = False


@dataclass(frozen=True)
class HoldResult:
    id: uuid.UUID
    account: PlayerAccount
    amount: int
    status: HoldStatus
    posted_amount: int
    expires_at: datetime
    replayed: bool = False


@dataclass(frozen=True)
class Balance:
    currency: str
    available: int  # cash balance minus held
    held: int
    bonus: int


Entry = repository.Entry


class InsufficientFunds(CroupierError):
    code = "insufficient_funds"
    status = 422
    title = "Not enough funds"


IdempotencyKeyReused = idempotency.IdempotencyKeyReused


class TransferAlreadyFailed(CroupierError):
    """Raised on a replay of a key whose first attempt failed; ``extra['original_code']`` names why."""

    code = "transfer_already_failed"
    status = 422
    title = "This idempotency key's transfer failed"


class UnbalancedTransfer(CroupierError):
    code = "unbalanced_transfer"
    status = 422
    title = "Transfer legs do not sum to zero"


class UnknownCurrency(CroupierError):
    code = "unknown_currency"
    status = 422
    title = "Currency not supported"


class HoldNotPending(CroupierError):
    code = "hold_not_pending"
    status = 409
    title = "Hold already posted, voided or expired"


class InvalidAmount(CroupierError):
    code = "invalid_amount"
    status = 422
    title = "Amount out of range"


class InvalidIdempotencyKey(CroupierError):
    code = "invalid_idempotency_key"
    status = 422
    title = "Idempotency key missing or too long"


# ------------------------------------------------------------------ internals

REVENUE_BUCKETS = 16
MAX_AMOUNT = 2**63 - 1  # PostgreSQL bigint
MAX_KEY_LENGTH = 255
MAX_NAME_LENGTH = 64  # source and kind
# How long a failed attempt waits to be recorded behind a concurrent first attempt of the same key.
_FAILURE_LOCK_TIMEOUT = "10s"
_CURRENCIES = "croupier.wallet.currencies"
_log = structlog.get_logger("croupier.wallet")


def _ref_name(account: AccountRef) -> str:
    """What the request named (bucket-free): the part of an account that a request hash covers."""
    if isinstance(account, PlayerAccount):
        return f"player:{account.player_id}:{PlayerBook(account.book)}:{account.currency}"
    return f"house:{HouseBook(account.book)}:{account.currency}"


def account_code(account: AccountRef, *, bucket: int = 0) -> str:
    """The account's row: ``player:<uuid>:cash:EUR``, ``house:fees:EUR``, ``house:revenue:EUR:<bucket>``."""
    name = _ref_name(account)
    if not isinstance(account, PlayerAccount) and account.book == HouseBook.REVENUE:
        return f"{name}:{bucket % REVENUE_BUCKETS}"
    return name


def _ref_from_row(kind: str, player_id: uuid.UUID | None, currency: str) -> AccountRef:
    if player_id is not None:
        return PlayerAccount(player_id=player_id, currency=currency, book=PlayerBook(kind))
    return HouseAccount(book=HouseBook(kind), currency=currency)


def _check_request(source: str, key: str, kind: str | None = None) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters.")
    if not source or len(source) > MAX_NAME_LENGTH:
        raise ValueError(f"source must be 1 to {MAX_NAME_LENGTH} characters")
    if kind is not None and (not kind or len(kind) > MAX_NAME_LENGTH):
        raise ValueError(f"kind must be 1 to {MAX_NAME_LENGTH} characters")


def _is_amount(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_AMOUNT <= value <= MAX_AMOUNT


def _check_positive(amount: int) -> None:
    if not _is_amount(amount) or amount <= 0:
        raise InvalidAmount("The amount must be a positive integer number of minor units.")


def _check_legs(legs: Sequence[Leg]) -> None:
    if not legs:
        raise UnbalancedTransfer("A transfer needs legs.")
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if not _is_amount(leg.amount):
            raise UnbalancedTransfer("Leg amounts are integers of minor units within the bigint range.")
        if leg.amount == 0:
            raise UnbalancedTransfer("No leg may be zero.")
        totals[leg.account.currency] += leg.amount
    unbalanced = sorted(currency for currency, total in totals.items() if total != 0)
    if unbalanced:
        raise UnbalancedTransfer(
            f"Legs must sum to zero per currency; they do not in {', '.join(unbalanced)}.",
            currencies=unbalanced,
        )


async def exponents(session: AsyncSession) -> dict[str, int]:
    """Supported currencies and their minor-unit exponents (cached per process; re-read on a miss)."""
    cache: dict[str, int] | None = shared_context(session).get(_CURRENCIES)
    if cache is None:
        cache = await repository.currency_exponents(session)
        shared_context(session)[_CURRENCIES] = cache
    return cache


async def exponent(session: AsyncSession, currency: str) -> int:
    """The currency's exponent (2 for EUR: 1 EUR = 100 minor units); ``UnknownCurrency`` if unsupported."""
    known = await exponents(session)
    if currency not in known:
        # A currency added by a later migration appears without a restart.
        known = await repository.currency_exponents(session)
        shared_context(session)[_CURRENCIES] = known
    if currency not in known:
        raise UnknownCurrency(f"{currency!r} is not a supported currency.", currency=str(currency)[:8])
    return known[currency]


async def _check_currencies(session: AsyncSession, currencies: Iterable[str]) -> None:
    for currency in sorted(set(currencies)):
        await exponent(session, currency)


def _sole_player(legs: Sequence[Leg]) -> uuid.UUID | None:
    players: set[uuid.UUID] = set()
    for leg in legs:
        if isinstance(leg.account, PlayerAccount):
            players.add(leg.account.player_id)
    return players.pop() if len(players) == 1 else None


def _posted_legs(legs: Sequence[Leg], transfer_id: uuid.UUID) -> list[repository.PostedLeg]:
    """The legs with their rows' codes. Revenue legs go to one of the currency's buckets, chosen
    by the transfer id: concurrent bets spread over REVENUE_BUCKETS rows instead of one."""
    bucket = transfer_id.int % REVENUE_BUCKETS
    return [
        repository.PostedLeg(
            code=account_code(leg.account, bucket=bucket),
            amount=leg.amount,
            kind=str(leg.account.book),
            player_id=leg.account.player_id if isinstance(leg.account, PlayerAccount) else None,
            currency=leg.account.currency,
        )
        for leg in legs
    ]


async def _answer(session: AsyncSession, stored: repository.TransferRow, digest: bytes) -> TransferResult:
    """What a repeated ``(source, key)`` gets: the original result, or the reason it cannot have it."""
    if not hmac.compare_digest(stored.request_hash, digest):
        raise IdempotencyKeyReused(
            "This idempotency key was used for a different transfer; use a new key for a new request."
        )
    if stored.status == TransferStatus.FAILED:
        raise TransferAlreadyFailed(
            "The first attempt with this idempotency key failed; it will not be retried.",
            original_code=stored.error_code,
        )
    legs = await repository.transfer_legs(session, stored.id)
    return TransferResult(
        id=stored.id,
        kind=stored.kind,
        created_at=stored.created_at,
        legs=tuple(Leg(_ref_from_row(row.kind, row.player_id, row.currency), row.amount) for row in legs),
        replayed=True,
    )


async def key_taken(session: AsyncSession, *, source: str, key: str) -> bool:
    """Whether a transfer was made (or refused and recorded) with this idempotency key."""
    return await repository.find_transfer(session, source, key) is not None


async def _answer_taken(session: AsyncSession, source: str, key: str, digest: bytes) -> TransferResult:
    """The answer for a key that ``ledger_post`` found taken (its transfer is committed)."""
    stored = await repository.find_transfer(session, source, key)
    if stored is None:  # pragma: no cover - the conflicting row is committed when we get here
        raise RuntimeError("transfer key conflict without a stored transfer")
    return await _answer(session, stored, digest)


async def _record_failure(
    session: AsyncSession, failed: repository.TransferRow, error: CroupierError
) -> TransferResult:
    """Keep a failed attempt whatever the request does next, so its key keeps failing; then raise.

    If the key was taken meanwhile (a concurrent first attempt), answer as for a repeat.
    """
    stored: repository.TransferRow | None = None
    try:
        # The autonomous pool: this request already holds a main-pool connection.
        async with autonomous_unit_of_work(session) as own:
            await repository.set_lock_timeout(own, _FAILURE_LOCK_TIMEOUT)
            if not await repository.claim_transfer(own, failed):
                stored = await repository.find_transfer(own, failed.source, failed.idempotency_key)
    except OperationalError:
        # Waited too long behind a concurrent attempt of the same key: that attempt decides the key.
        _log.warning("ledger_failure_not_recorded", source=failed.source, kind=failed.kind)
        raise error from None
    if stored is None:
        raise error
    return await _answer(session, stored, failed.request_hash)


# ------------------------------------------------------------------ transfers


async def transfer(
    session: AsyncSession,
    *,
    source: str,
    key: str,
    kind: str,
    legs: list[Leg],
    player_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
    keep_failure: bool = True,
) -> TransferResult:
    """Post balanced legs once per ``(source, key)``; see the module docstring for the rules.

    ``keep_failure=False`` is for keys made fresh for this one transfer (a round's): nothing
    can repeat them, so a refusal is only raised, not recorded.
    """
    prepared = await prepare_transfer(
        session, source=source, key=key, kind=kind, legs=legs, player_id=player_id, metadata=metadata
    )
    return await post(session, prepared, keep_failure=keep_failure)


@dataclass(frozen=True)
class PreparedTransfer:
    """A transfer checked and named, not yet posted: its id is known before the database sees it."""

    claim: repository.TransferRow
    legs: tuple[Leg, ...]
    posted: list[repository.PostedLeg]

    @property
    def id(self) -> uuid.UUID:
        return self.claim.id


async def prepare_transfer(
    session: AsyncSession,
    *,
    source: str,
    key: str,
    kind: str,
    legs: Sequence[Leg],
    player_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> PreparedTransfer:
    """``transfer``'s checks and its row, for a caller that needs its id first (``post``), or posts
    it with a statement of its own (``post_prepared``)."""
    _check_request(source, key, kind)
    legs = list(legs)
    _check_legs(legs)
    await _check_currencies(session, (leg.account.currency for leg in legs))
    meta = plain(metadata or {})
    digest = idempotency.request_hash(
        {
            "op": "transfer",
            "kind": kind,
            "legs": sorted([_ref_name(leg.account), leg.amount] for leg in legs),
            "metadata": meta,
        },
        ensure_ascii=False,
    )
    claim = repository.TransferRow(
        id=uuid.uuid4(),
        source=source,
        idempotency_key=key,
        request_hash=digest,
        kind=kind,
        status=TransferStatus.POSTED,
        error_code=None,
        player_id=player_id or _sole_player(legs),
        meta=meta,
        created_at=utcnow(),
    )
    return PreparedTransfer(claim, tuple(legs), _posted_legs(legs, claim.id))


async def post(
    session: AsyncSession, prepared: PreparedTransfer, *, keep_failure: bool = True
) -> TransferResult:
    """Post ``prepared`` on its own, as ``transfer`` does."""
    outcome, detail = await repository.post_transfer(session, prepared.claim, prepared.posted)
    return await _concluded(session, prepared, outcome, detail, keep_failure=keep_failure)


# The statement a room posts a transfer with, its own write made in the same round trip:
# ``WITH`` this, then the room's part reading ``posted`` (see ``repository.POSTING``).
POSTING = repository.POSTING


async def post_prepared(
    session: AsyncSession,
    prepared: PreparedTransfer,
    statement: str,
    params: Mapping[str, Any],
    *,
    keep_failure: bool = True,
) -> tuple[TransferResult, Any]:
    """Post ``prepared`` with ``statement`` (made with ``POSTING``) and its own ``params``, and
    answer as ``transfer`` does, with what the statement's own part answered (None when that
    part wrote nothing, as whenever this statement did not post the transfer: a key taken
    already answers the earlier transfer). A refusal raises as ``transfer``'s does."""
    outcome, detail, answered = await repository.post_with(
        session, statement, prepared.claim, prepared.posted, params
    )
    return await _concluded(session, prepared, outcome, detail, keep_failure=keep_failure), answered


async def _concluded(
    session: AsyncSession,
    prepared: PreparedTransfer,
    outcome: PostOutcome,
    detail: str | None,
    *,
    keep_failure: bool,
) -> TransferResult:
    """The answer to what ``ledger_post`` said of ``prepared``."""
    claim = prepared.claim
    if outcome == PostOutcome.EXISTS:
        return await _answer_taken(session, claim.source, claim.idempotency_key, claim.request_hash)
    if outcome == PostOutcome.SHORTFALL:
        failed = replace(claim, status=TransferStatus.FAILED, error_code=InsufficientFunds.code)
        error = InsufficientFunds(
            f"Not enough available {detail} funds; held funds cannot be spent.", currency=detail
        )
        if not keep_failure:
            raise error
        return await _record_failure(session, failed, error)
    _raise_unless_posted(outcome)
    count_on_commit(session, LEDGER_TRANSFERS.labels(claim.kind))
    return TransferResult(id=claim.id, kind=claim.kind, created_at=claim.created_at, legs=prepared.legs)


def _raise_unless_posted(outcome: PostOutcome) -> None:
    if outcome == PostOutcome.OUT_OF_RANGE:
        raise InvalidAmount("The resulting balance is out of range.")
    if outcome != PostOutcome.POSTED:  # pragma: no cover - the function has no other outcome
        raise RuntimeError(f"ledger_post answered {outcome!r}")


# ------------------------------------------------------------------ holds


def _hold_result(row: repository.HoldRow, *, replayed: bool) -> HoldResult:
    return HoldResult(
        id=row.id,
        account=PlayerAccount(player_id=row.player_id, currency=row.currency, book=PlayerBook(row.book)),
        amount=row.amount,
        status=row.status,
        posted_amount=row.posted_amount,
        expires_at=row.expires_at,
        replayed=replayed,
    )


def _answer_hold(stored: repository.HoldRow, digest: bytes) -> HoldResult:
    if not hmac.compare_digest(stored.request_hash, digest):
        raise IdempotencyKeyReused(
            "This idempotency key was used for a different hold; use a new key for a new request."
        )
    return _hold_result(stored, replayed=True)


async def hold(
    session: AsyncSession,
    *,
    source: str,
    key: str,
    account: PlayerAccount,
    amount: int,
    expires_at: datetime,
    metadata: dict[str, Any] | None = None,
) -> HoldResult:
    """Reserve ``amount`` of the account's available funds until posted, voided or expired."""
    _check_request(source, key)
    _check_positive(amount)
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    if not isinstance(account, PlayerAccount):
        raise TypeError("only player accounts hold funds")
    await _check_currencies(session, [account.currency])
    meta = plain(metadata or {})
    digest = idempotency.request_hash(
        {
            "op": "hold",
            "account": _ref_name(account),
            "amount": amount,
            "expires_at": expires_at.astimezone(UTC).isoformat(),
            "metadata": meta,
        },
        ensure_ascii=False,
    )
    code = account_code(account)
    row = (await repository.lock_accounts(session, [code])).get(code)
    if row is None or row.balance - row.held < amount:
        # A repeat of a hold that was granted is answered even if the funds have gone since.
        stored = await repository.find_hold(session, source, key)
        if stored is not None:
            return _answer_hold(stored, digest)
        raise InsufficientFunds(
            f"Not enough available {account.currency} funds to hold; held funds cannot be held again.",
            currency=account.currency,
        )
    hold_id, now = uuid.uuid4(), utcnow()
    claimed = await repository.claim_hold(
        session,
        hold_id=hold_id,
        account_id=row.id,
        player_id=account.player_id,
        amount=amount,
        expires_at=expires_at,
        source=source,
        key=key,
        request_hash=digest,
        meta=meta,
        created_at=now,
    )
    if not claimed:
        stored = await repository.find_hold(session, source, key)
        if stored is None:  # pragma: no cover - the conflicting row is committed when we get here
            raise RuntimeError("hold key conflict without a stored hold")
        return _answer_hold(stored, digest)
    await repository.apply_changes(session, {row.id: (0, amount)})
    return HoldResult(
        id=hold_id,
        account=account,
        amount=amount,
        status=HoldStatus.PENDING,
        posted_amount=0,
        expires_at=expires_at,
    )


async def _locked_pending_hold(session: AsyncSession, hold_id: uuid.UUID) -> repository.HoldRow:
    found = await repository.lock_hold(session, hold_id)
    if found is None:
        raise NotFound("No such hold.")
    return found


def _not_pending(found: repository.HoldRow) -> HoldNotPending:
    return HoldNotPending(f"The hold is {found.status}.", hold_status=found.status)


async def post_hold(
    session: AsyncSession,
    *,
    hold_id: uuid.UUID,
    amount: int,
    to: AccountRef,
    source: str,
    key: str,
    kind: str,
    metadata: dict[str, Any] | None = None,
) -> TransferResult:
    """Move ``amount`` (0 < amount <= held) from the hold's account to ``to``; the remainder is released."""
    _check_request(source, key, kind)
    _check_positive(amount)
    await _check_currencies(session, [to.currency])
    meta = plain(metadata or {})
    digest = idempotency.request_hash(
        {
            "op": "post_hold",
            "hold_id": str(hold_id),
            "amount": amount,
            "to": _ref_name(to),
            "kind": kind,
            "metadata": meta,
        },
        ensure_ascii=False,
    )
    # The hold first, then the key: a repeat that waited for the first attempt's lock sees its result.
    found = await _locked_pending_hold(session, hold_id)
    stored = await repository.find_transfer(session, source, key)
    if stored is not None:
        return await _answer(session, stored, digest)
    now = utcnow()
    if found.status != HoldStatus.PENDING:
        raise _not_pending(found)
    if found.expires_at <= now:
        raise HoldNotPending("The hold has expired.", hold_status=HoldStatus.EXPIRED)
    if to.currency != found.currency:
        raise UnbalancedTransfer(f"The hold is in {found.currency}; it cannot be posted to {to.currency}.")
    if amount > found.amount:
        raise InsufficientFunds(
            f"The hold is for {found.amount}; {amount} cannot be posted from it.", currency=found.currency
        )
    origin = PlayerAccount(player_id=found.player_id, currency=found.currency, book=PlayerBook(found.book))
    legs = (Leg(origin, -amount), Leg(to, amount))
    claim = repository.TransferRow(
        id=uuid.uuid4(),
        source=source,
        idempotency_key=key,
        request_hash=digest,
        kind=kind,
        status=TransferStatus.POSTED,
        error_code=None,
        player_id=found.player_id,
        meta=meta,
        created_at=now,
    )
    # The key was looked up under the hold's lock; the hold's release covers the debit.
    outcome, _ = await repository.post_transfer(
        session,
        claim,
        _posted_legs(legs, claim.id),
        held_changes={account_code(origin): -found.amount},
        find_existing=False,
    )
    if outcome == PostOutcome.EXISTS:
        return await _answer_taken(session, source, key, digest)
    if outcome == PostOutcome.SHORTFALL:  # pragma: no cover - impossible while balance >= held holds
        raise InsufficientFunds(currency=found.currency)
    _raise_unless_posted(outcome)
    await repository.resolve_hold(
        session,
        hold_id,
        status=HoldStatus.POSTED,
        posted_amount=amount,
        transfer_id=claim.id,
        resolved_at=now,
    )
    count_on_commit(session, LEDGER_TRANSFERS.labels(kind))
    return TransferResult(id=claim.id, kind=kind, created_at=now, legs=legs)


async def void_hold(session: AsyncSession, *, hold_id: uuid.UUID) -> HoldResult:
    """Release a pending hold's funds. Anything but a pending hold raises ``HoldNotPending``."""
    found = await _locked_pending_hold(session, hold_id)
    if found.status != HoldStatus.PENDING:
        raise _not_pending(found)
    now = utcnow()
    await repository.apply_changes(session, {found.account_id: (0, -found.amount)})
    await repository.resolve_hold(
        session, hold_id, status=HoldStatus.VOIDED, posted_amount=0, transfer_id=None, resolved_at=now
    )
    return _hold_result(replace(found, status=HoldStatus.VOIDED), replayed=False)


async def expire_holds(session: AsyncSession, *, now: datetime | None = None, limit: int = 1000) -> int:
    """Release up to ``limit`` pending holds whose ``expires_at`` has passed; how many were expired."""
    due = await repository.expire_due_holds(session, now=now or utcnow(), limit=limit)
    if not due:
        return 0
    released: dict[int, int] = defaultdict(int)
    for account_id, amount in due:
        released[account_id] += amount
    await repository.lock_accounts_by_id(session, released)
    await repository.apply_changes(
        session, {account_id: (0, -total) for account_id, total in released.items()}
    )
    return len(due)


# ------------------------------------------------------------------ reading


async def lock_available(session: AsyncSession, account: PlayerAccount, *also: HouseAccount) -> int:
    """Lock the account's row (and ``also``'s) until the transaction ends; its available funds.

    For callers that must move "as much as there is" (a chargeback): nothing can
    spend the funds between this read and their transfer in the same transaction.
    Name every account the transfer will touch in ``also``, so that all are
    locked in one ascending-id pass, as transfers lock them (no deadlock).
    """
    code = account_code(account)
    row = (await repository.lock_accounts(session, [code, *(account_code(a) for a in also)])).get(code)
    return 0 if row is None else row.balance - row.held


def format_minor(amount: int, exponent: int) -> str:
    """``12345`` with exponent 2 is ``123.45``; exponent 0 prints the integer."""
    sign, digits = ("-" if amount < 0 else ""), str(abs(amount))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


async def balances(session: AsyncSession, *, player_id: uuid.UUID) -> list[Balance]:
    """Per currency the player has an account in: available cash, held cash, available bonus."""
    per_currency: dict[str, dict[str, repository.AccountRow]] = defaultdict(dict)
    for row in await repository.player_accounts(session, player_id):
        per_currency[row.currency][row.kind] = row
    out: list[Balance] = []
    for currency in sorted(per_currency):
        books = per_currency[currency]
        cash, bonus = books.get(PlayerBook.CASH), books.get(PlayerBook.BONUS)
        out.append(
            Balance(
                currency=currency,
                available=cash.balance - cash.held if cash else 0,
                held=cash.held if cash else 0,
                bonus=bonus.balance - bonus.held if bonus else 0,
            )
        )
    return out


async def entries(
    session: AsyncSession, *, player_id: uuid.UUID, before: int | None = None, limit: int = 50
) -> list[Entry]:
    """The player's entries, newest first; ``before`` is the last id of the previous page."""
    return await repository.player_entries(session, player_id, before=before, limit=max(1, min(limit, 1000)))
