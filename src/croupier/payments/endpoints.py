"""Payments HTTP API for players, and the provider's webhook.

A player reaches only their own methods, deposits and withdrawals: every query
is scoped by the session's player, and someone else's id answers 404 exactly
like an id that does not exist (OWASP API1, object-level authorisation).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor
from croupier.audit.service import record_now as audit_now
from croupier.audit.tags import AuditAction, Outcome
from croupier.backoffice import withdrawals as decisions
from croupier.compliance.kyc.errors import KycRequired, Underage
from croupier.compliance.responsible.errors import LimitReached
from croupier.compliance.responsible.exclusions.gate import GamblingBlocked
from croupier.identity.auth import CurrentAuth, SteppedUpAuth, VerifiedAuth
from croupier.identity.errors import EmailUnverified, InvalidSession, StepUpRequired
from croupier.kit.db import commit_now
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.kit.errors import NotFound, responses
from croupier.kit.idempotency import (
    IdempotencyKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    mark_replayed,
)
from croupier.payments import deposits, repository, webhooks, withdrawals
from croupier.payments.debts import OutstandingDebt
from croupier.payments.gateway import PaymentsNotConfigured, provider_of
from croupier.payments.models import Deposit, Withdrawal
from croupier.payments.provider import (
    AmountAboveProviderLimit,
    PaymentMethodInvalid,
    ProviderUnavailable,
    WebhookMalformed,
    WebhookSignatureInvalid,
)
from croupier.payments.schemas import (
    CreateDeposit,
    CreateWithdrawal,
    DepositList,
    DepositView,
    MethodList,
    MethodView,
    WebhookAck,
    WithdrawalList,
    WithdrawalView,
)
from croupier.risk.sanctions.gate import SanctionsReviewPending
from croupier.risk.service import RiskDenied, RiskUnavailable
from croupier.wallet.service import InsufficientFunds, UnknownCurrency

router = APIRouter(tags=["payments"])
LIST_LIMIT = 50


@router.get("/v1/payment-methods", summary="My cards", responses=responses(InvalidSession))
async def my_methods(session: DbSession, auth: CurrentAuth) -> MethodList:
    found = await repository.methods(session, auth.player.id)
    currencies = await repository.deposited_currencies(session, [m.id for m in found])
    return MethodList(items=[MethodView.of(m, currencies.get(m.id, set())) for m in found])


@router.post(
    "/v1/deposits",
    status_code=201,
    summary="Deposit with a card token",
    responses=responses(
        InvalidSession,
        EmailUnverified,
        IdempotencyKeyRequired,
        IdempotencyKeyReused,
        PaymentMethodInvalid,
        AmountAboveProviderLimit,
        UnknownCurrency,
        ProviderUnavailable,
        PaymentsNotConfigured,
        SanctionsReviewPending,
        GamblingBlocked,
        KycRequired,
        Underage,
        RiskDenied,
        RiskUnavailable,
        LimitReached,
    ),
)
async def create_deposit(
    *,
    body: CreateDeposit,
    session: DbSession,
    auth: VerifiedAuth,
    key: IdempotencyKey,
    runtime: RuntimeDep,
    client: Client,
    response: Response,
) -> DepositView:
    """Charges the card behind ``payment_token``. The answer may ask for 3-D Secure
    (``requires_action`` with a ``challenge_url``); the wallet is credited once the
    provider confirms. Repeat the same ``Idempotency-Key`` to retry safely."""
    provider = provider_of(runtime)
    # Authenticated: the request's connection goes back to the pool before the
    # deposit's own transactions take theirs and the provider is called.
    await commit_now(session)
    request = deposits.DepositRequest(
        player_id=auth.player.id,
        key=key,
        amount=body.amount,
        currency=body.currency,
        token=body.payment_token,
        return_url=body.return_url,
        client=client,
    )
    deposit, replayed = await deposits.start(runtime.database, provider, runtime.settings, request)
    mark_replayed(response, replayed)
    return DepositView.of(deposit)


@router.get("/v1/deposits", summary="My deposits, newest first", responses=responses(InvalidSession))
async def my_deposits(session: DbSession, auth: CurrentAuth) -> DepositList:
    rows = await repository.newest(session, Deposit, auth.player.id, LIST_LIMIT)
    return DepositList(items=[DepositView.of(d) for d in rows])


@router.get(
    "/v1/deposits/{deposit_id}", summary="One of my deposits", responses=responses(InvalidSession, NotFound)
)
async def my_deposit(deposit_id: uuid.UUID, session: DbSession, auth: CurrentAuth) -> DepositView:
    return DepositView.of(await _own(session, Deposit, deposit_id, auth.player.id))


async def _own(
    session: AsyncSession, model: type[repository.Row], row_id: uuid.UUID, player_id: uuid.UUID
) -> repository.Row:
    found = await session.get(model, row_id)
    if found is None or found.player_id != player_id:
        raise NotFound(f"No such {model.__tablename__[:-1]}.")
    return found


@router.post(
    "/v1/withdrawals",
    status_code=201,
    summary="Withdraw to a card I deposited with",
    responses=responses(
        InvalidSession,
        StepUpRequired,
        IdempotencyKeyRequired,
        IdempotencyKeyReused,
        NotFound,
        withdrawals.ClosedLoop,
        AmountAboveProviderLimit,
        OutstandingDebt,
        InsufficientFunds,
        UnknownCurrency,
        SanctionsReviewPending,
        KycRequired,
        RiskDenied,
        RiskUnavailable,
    ),
)
async def create_withdrawal(
    *,
    body: CreateWithdrawal,
    session: DbSession,
    auth: SteppedUpAuth,
    key: IdempotencyKey,
    runtime: RuntimeDep,
    client: Client,
    response: Response,
) -> WithdrawalView:
    """Holds the amount now; pays it out after staff review when it is above the
    currency's threshold. Needs a recent step-up (a second factor when you have one)."""
    withdrawal, replayed = await withdrawals.request(
        session,
        runtime.settings,
        player_id=auth.player.id,
        key=key,
        amount=body.amount,
        currency=body.currency,
        method_id=body.payment_method_id,
        client=client,
    )
    mark_replayed(response, replayed)
    return WithdrawalView.of(withdrawal)


@router.get("/v1/withdrawals", summary="My withdrawals, newest first", responses=responses(InvalidSession))
async def my_withdrawals(session: DbSession, auth: CurrentAuth) -> WithdrawalList:
    rows = await repository.newest(session, Withdrawal, auth.player.id, LIST_LIMIT)
    return WithdrawalList(items=[WithdrawalView.of(w) for w in rows])


@router.get(
    "/v1/withdrawals/{withdrawal_id}",
    summary="One of my withdrawals",
    responses=responses(InvalidSession, NotFound),
)
async def my_withdrawal(withdrawal_id: uuid.UUID, session: DbSession, auth: CurrentAuth) -> WithdrawalView:
    return WithdrawalView.of(await _own(session, Withdrawal, withdrawal_id, auth.player.id))


@router.delete(
    "/v1/withdrawals/{withdrawal_id}",
    summary="Cancel my withdrawal while it waits for review",
    description="A staff request to approve it, if one is pending, is closed with it.",
    responses=responses(InvalidSession, NotFound, withdrawals.NotCancellable),
)
async def cancel_withdrawal(
    withdrawal_id: uuid.UUID, session: DbSession, auth: CurrentAuth, client: Client
) -> WithdrawalView:
    return WithdrawalView.of(
        await decisions.cancel(session, player_id=auth.player.id, withdrawal_id=withdrawal_id, client=client)
    )


@router.post(
    "/v1/webhooks/psp",
    summary="Payment-provider events (signed)",
    responses=responses(WebhookSignatureInvalid, WebhookMalformed, PaymentsNotConfigured),
    include_in_schema=True,
)
async def psp_webhook(
    request: Request, session: DbSession, runtime: RuntimeDep, client: Client
) -> WebhookAck:
    """Verifies the HMAC-SHA256 signature and its timestamp, then applies the event
    once. A 2xx tells the provider to stop delivering it."""
    provider = provider_of(runtime)
    body = await request.body()
    try:
        event = provider.parse_event(body, request.headers)
    except WebhookSignatureInvalid as exc:
        await audit_now(
            session,
            AuditAction.WEBHOOK_REJECT,
            actor=Actor.provider(provider.name),
            outcome=Outcome.DENIED,
            client=client,
            details={"reason": exc.detail},
        )
        raise
    return WebhookAck(
        outcome=await webhooks.receive(session, runtime.settings, provider=provider.name, event=event)
    )
