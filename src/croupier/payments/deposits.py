"""Deposits: a card payment at the provider, credited to the player once it succeeds.

The deposit row is committed *before* the provider is called, with its id as
the provider's idempotency key and reference. So a crash or a time-out between
the two leaves a row that a retry of the same ``Idempotency-Key`` completes,
and a webhook can always find its deposit. The credit is one ledger transfer
keyed by the deposit id, whichever path reaches it first: the provider's
synchronous answer or its webhook.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction, Outcome
from croupier.compliance.kyc import gate as kyc
from croupier.compliance.responsible import enforcement as responsible
from croupier.compliance.responsible.exclusions import service as exclusions
from croupier.events.kinds import EventKind
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.kit.idempotency import request_hash
from croupier.kit.settings import Settings
from croupier.payments import debts, methods, repository
from croupier.payments.events import record_payment_event
from croupier.payments.models import Deposit, DepositStatus
from croupier.payments.provider import (
    ALREADY_APPLIED,
    STALE,
    PaymentProvider,
    ProviderPayment,
    ProviderRefused,
    refuse_above_limit,
)
from croupier.risk import service as risk
from croupier.risk.rules import Action
from croupier.risk.sanctions.gate import refuse_if_under_review
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount

SOURCE = "payments"
# Short names for the statuses, defined once in models.DepositStatus.
INITIATED, REQUIRES_ACTION, PENDING, SUCCEEDED, FAILED = (
    DepositStatus.INITIATED,
    DepositStatus.REQUIRES_ACTION,
    DepositStatus.PENDING,
    DepositStatus.SUCCEEDED,
    DepositStatus.FAILED,
)
TERMINAL = (SUCCEEDED, FAILED)
_log = structlog.get_logger("croupier.payments")


@dataclass(frozen=True)
class DepositRequest:
    player_id: uuid.UUID
    key: str
    amount: int
    currency: str
    token: str
    return_url: str | None
    # Who asked, for the audit trail; not part of what a retry must repeat.
    client: ClientInfo | None = field(default=None, compare=False)

    def digest(self) -> bytes:
        return request_hash(
            {"amount": self.amount, "currency": self.currency, "token": self.token, "return": self.return_url}
        )


async def start(
    database: Database, provider: PaymentProvider, settings: Settings, request: DepositRequest
) -> tuple[Deposit, bool]:
    """Create (or resume) the deposit for this key and ask the provider to charge; ``(deposit, replayed)``.

    Each step takes a connection only for its own short transaction, and none is
    held while the provider is called: the caller must not hold one either.
    """
    async with database.unit_of_work() as session:
        await wallet.exponent(session, request.currency)  # unknown currencies are refused first
        # Sanctions screening: an open blocking hit pauses deposits until an analyst clears it.
        await refuse_if_under_review(session, player_id=request.player_id)
        # A time-out, self-exclusion or register block: no money in (LCCP SR 3.5.3).
        await exclusions.refuse_if_excluded(session, player_id=request.player_id, doing="depositing")
        existing = await _existing(session, request)
    if existing is not None and existing.status != INITIATED:
        return existing, True
    refuse_above_limit(request.amount, provider.max_amount)
    claimed = None
    if existing is None:
        card = await provider.card(request.token)
        async with database.unit_of_work() as session:
            # KYC: the player's row is locked before the total is read, until this claim commits.
            await kyc.admit_deposit(
                session,
                settings,
                player_id=request.player_id,
                currency=request.currency,
                amount=request.amount,
                deposited=lambda: repository.deposited_total(
                    session, player_id=request.player_id, currency=request.currency
                ),
            )
            await risk.decide(
                session,
                action=Action.DEPOSIT,
                player_id=request.player_id,
                client=request.client,
                amount=request.amount,
                currency=request.currency,
                instrument=card.fingerprint,
                settings=settings,
            )
            method = await methods.remember(
                session, player_id=request.player_id, provider=provider.name, card=card
            )
            deposit_id, now = uuid.uuid4(), utcnow()
            claimed = await repository.claim(
                session,
                Deposit,
                {
                    "id": deposit_id,
                    "player_id": request.player_id,
                    "method_id": method.id,
                    "idempotency_key": request.key,
                    "request_hash": request.digest(),
                    "amount": request.amount,
                    "currency": request.currency,
                    "status": INITIATED,
                    "created_at": now,
                    "updated_at": now,
                },
                ["player_id", "idempotency_key"],
            )
            existing = claimed or await _existing(session, request)
            if claimed is not None:
                # The player's deposit limits, counted on their locked row: a refusal rolls the
                # claim back with it, and concurrent deposits queue, so together they stay within.
                await responsible.charge_deposit(
                    session,
                    settings,
                    player_id=request.player_id,
                    currency=request.currency,
                    amount=request.amount,
                    client=request.client,
                )
                audit_record(
                    session,
                    AuditAction.DEPOSIT_CREATE,
                    actor=Actor.player(request.player_id),
                    target=Target("deposit", str(deposit_id)),
                    client=request.client,
                    details={
                        "amount": request.amount,
                        "currency": request.currency,
                        "method": str(method.id),
                    },
                )
                await record_payment_event(
                    session,
                    EventKind.DEPOSIT_INITIATED,
                    player_id=request.player_id,
                    data={
                        "deposit_id": str(deposit_id),
                        "amount": request.amount,
                        "currency": request.currency,
                    },
                    method=method,
                    client=request.client,
                )
        if existing is None:  # pragma: no cover - claimed or found, in one transaction
            raise RuntimeError("deposit neither claimed nor found")
        if claimed is None and existing.status != INITIATED:
            return existing, True
    # Only the request that created the deposit answers as the first; any other with its
    # key (a retry resuming it, a concurrent duplicate) answers as a replay. The provider's
    # idempotency key (the deposit id) makes their charges one.
    return await _charge(database, provider, settings, existing, request), claimed is None


async def _existing(session: AsyncSession, request: DepositRequest) -> Deposit | None:
    return await repository.replay(
        session, Deposit, request.digest(), player_id=request.player_id, idempotency_key=request.key
    )


async def _charge(
    database: Database,
    provider: PaymentProvider,
    settings: Settings,
    deposit: Deposit,
    request: DepositRequest,
) -> Deposit:
    # The request's token is the deposit's: a retry reaching here matched the stored request hash.
    try:
        payment = await provider.create_payment(
            key=str(deposit.id),
            amount=deposit.amount,
            currency=deposit.currency,
            token=request.token,
            reference=str(deposit.id),
            webhook_url=settings.webhook_url,
            return_url=request.return_url,
        )
    except ProviderRefused as refused:
        payment = ProviderPayment(
            id="",
            status=FAILED,
            amount=deposit.amount,
            currency=deposit.currency,
            reference=str(deposit.id),
            failure_code=refused.code[:64],
        )
    async with database.unit_of_work() as session:
        locked = await repository.lock(session, Deposit, deposit.id)
        if locked is None:  # deposits are never deleted
            raise RuntimeError("broken invariant: deposits are never deleted")
        await apply(session, settings, locked, payment)
        return locked


async def apply(session: AsyncSession, settings: Settings, deposit: Deposit, payment: ProviderPayment) -> str:
    """Bring a locked deposit to what the provider reports; the outcome, for the webhook inbox.

    States only move forward (initiated → requires_action/pending → succeeded/failed),
    so a late or repeated report of an earlier state changes nothing.
    """
    if payment.amount != deposit.amount or payment.currency != deposit.currency:
        _log.error("psp_payment_mismatch", deposit_id=str(deposit.id), provider_payment=payment.id)
        return "mismatch"
    if payment.id and deposit.provider_payment_id is None:
        deposit.provider_payment_id = payment.id
    if deposit.status in TERMINAL:
        # Usually the synchronous answer settled it before this event came: same news.
        return ALREADY_APPLIED if payment.status == deposit.status else STALE
    deposit.updated_at = utcnow()
    if payment.status == SUCCEEDED:
        await credit(session, deposit)
        return "credited"
    if payment.status == FAILED:
        deposit.status = FAILED
        deposit.failure_code = (payment.failure_code or "failed")[:64]
        deposit.challenge_url = None
        # Counted against the deposit limits when it was made; a failed one took no money.
        await responsible.give_back_deposit(
            session,
            settings,
            player_id=deposit.player_id,
            currency=deposit.currency,
            amount=deposit.amount,
            made_at=deposit.created_at,
        )
        audit_record(
            session,
            AuditAction.DEPOSIT_FAIL,
            actor=Actor.provider("psp"),
            outcome=Outcome.FAILURE,
            target=Target.player(deposit.player_id),
            details={"deposit_id": str(deposit.id), "failure_code": deposit.failure_code},
        )
        await record_payment_event(
            session,
            EventKind.DEPOSIT_FAILED,
            player_id=deposit.player_id,
            data={
                "deposit_id": str(deposit.id),
                "amount": deposit.amount,
                "currency": deposit.currency,
                "failure_code": deposit.failure_code,
            },
            method=deposit.method_id,
        )
        return "failed"
    if payment.status == "requires_action" and deposit.status == INITIATED:
        deposit.status = REQUIRES_ACTION
        deposit.challenge_url = payment.challenge_url
        return "requires_action"
    if deposit.status == INITIATED:
        deposit.status = PENDING
    return "pending"


async def credit(session: AsyncSession, deposit: Deposit) -> None:
    """Credit a locked, not yet credited deposit: debts first, the rest to the player's cash."""
    collected = await debts.take_from_deposit(
        session, player_id=deposit.player_id, currency=deposit.currency, amount=deposit.amount
    )
    legs = [Leg(HouseAccount(HouseBook.PSP_CLEARING, deposit.currency), -deposit.amount)]
    if deposit.amount > collected:
        legs.append(Leg(PlayerAccount(deposit.player_id, deposit.currency), deposit.amount - collected))
    if collected:
        legs.append(Leg(HouseAccount(HouseBook.RECEIVABLES, deposit.currency), collected))
    result = await wallet.transfer(
        session,
        source=SOURCE,
        key=f"deposit:{deposit.id}",
        kind="deposit",
        legs=legs,
        player_id=deposit.player_id,
        metadata={"deposit_id": str(deposit.id), "debt_collected": collected},
    )
    deposit.status = SUCCEEDED
    deposit.challenge_url = None
    deposit.credit_transfer_id = result.id
    deposit.updated_at = utcnow()
    details = {"deposit_id": str(deposit.id), "amount": deposit.amount, "currency": deposit.currency}
    audit_record(
        session,
        AuditAction.DEPOSIT_CREDIT,
        actor=Actor.provider("psp"),
        target=Target.player(deposit.player_id),
        details={**details, "debt_collected": collected},
    )
    await record_payment_event(
        session,
        EventKind.DEPOSIT_CONFIRMED,
        player_id=deposit.player_id,
        data={**details, "debt_collected": collected},
        method=deposit.method_id,
    )
    if collected:
        audit_record(
            session,
            AuditAction.DEBT_COLLECT,
            actor=Actor.system(),
            target=Target.player(deposit.player_id),
            details={**details, "collected": collected},
        )
