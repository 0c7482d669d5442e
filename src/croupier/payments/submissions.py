"""Hand approved withdrawals and requested refunds to the provider.

Each is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and submitted with
its own id as the provider's idempotency key, in a transaction that marks it
submitted. A crash between the provider's answer and the commit leaves it
approved (or requested); the next attempt repeats the same key and the
provider answers with the payout it already made, so nothing is paid twice.
A refusal (a 4xx) fails it and releases the held funds; an outage retries
with backoff. A commit that approves something wakes the relay at once; a
periodic sweep covers other processes and retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.background import Sweeper
from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.kit.metrics import PAYMENT_SUBMISSIONS
from croupier.kit.runtime import Runtime
from croupier.kit.scrub import scrub_text
from croupier.payments import refunds, repository, withdrawals
from croupier.payments.gateway import WAKE_KEY, PaymentsNotConfigured, provider_of
from croupier.payments.models import Deposit, Refund, Withdrawal
from croupier.payments.provider import PaymentProvider, ProviderRefused, ProviderUnavailable

FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=30)
_log = structlog.get_logger("croupier.payments")


def retry_at(attempts: int, now: datetime) -> datetime:
    return now + min(FIRST_RETRY * (1 << min(attempts, 16)), LONGEST_RETRY)


@dataclass(frozen=True)
class DrainReport:
    submitted: int = 0
    failed: int = 0
    deferred: int = 0


class SubmissionRelay(Sweeper):
    name = "payment-submissions"
    wake_key = WAKE_KEY
    stop_grace_seconds = 15.0

    def __init__(
        self, database: Database, provider: PaymentProvider, *, webhook_url: str, sweep: float
    ) -> None:
        super().__init__(database, sweep_seconds=sweep)
        self.provider = provider
        self.webhook_url = webhook_url

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> SubmissionRelay | None:
        """None when payments are not configured (there is nothing to submit to)."""
        try:
            provider = provider_of(runtime)
        except PaymentsNotConfigured:
            return None
        settings = runtime.settings
        return cls(
            runtime.database, provider, webhook_url=settings.webhook_url, sweep=settings.payout_sweep_seconds
        )

    async def drain(self) -> DrainReport:
        counts = {"submitted": 0, "failed": 0, "deferred": 0}
        while not self.stopping:
            outcome = await self._one(Withdrawal) or await self._one(Refund)
            if outcome is None:
                break
            counts[outcome] += 1
        return DrainReport(**counts)

    async def _one(self, model: type[Withdrawal] | type[Refund]) -> str | None:
        async with self.database.unit_of_work() as session:
            status = withdrawals.APPROVED if model is Withdrawal else refunds.REQUESTED
            row = await repository.next_due(session, model, status=status, now=utcnow())
            if row is None:
                return None
            kind = "payout" if isinstance(row, Withdrawal) else "refund"
            try:
                report = await self._submit(session, row)
            except ProviderUnavailable as exc:
                row.attempts += 1
                row.last_error = scrub_text(exc.detail)[:500]
                row.next_attempt_at = retry_at(row.attempts, utcnow())
                PAYMENT_SUBMISSIONS.labels(kind, "deferred").inc()
                _log.warning("psp_submission_deferred", kind=kind, id=str(row.id), attempts=row.attempts)
                return "deferred"
            except ProviderRefused as refused:
                await self._refused(session, row, refused.code)
                PAYMENT_SUBMISSIONS.labels(kind, "refused").inc()
                _log.warning("psp_submission_refused", kind=kind, id=str(row.id), code=refused.code)
                return "failed"
            row.attempts += 1
            row.next_attempt_at = None
            row.last_error = None
            row.updated_at = utcnow()
            if isinstance(row, Withdrawal):
                row.provider_payout_id = report
                row.status = withdrawals.SUBMITTED
            else:
                row.provider_refund_id = report
                row.status = refunds.SUBMITTED
            PAYMENT_SUBMISSIONS.labels(kind, "submitted").inc()
            return "submitted"

    async def _submit(self, session: AsyncSession, row: Withdrawal | Refund) -> str:
        if isinstance(row, Withdrawal):
            method = await repository.method(session, row.method_id)
            if method is None:  # methods are never deleted
                raise RuntimeError("broken invariant: methods are never deleted")
            payout = await self.provider.create_payout(
                key=str(row.id),
                amount=row.amount,
                currency=row.currency,
                token=method.token,
                reference=str(row.id),
                webhook_url=self.webhook_url,
            )
            return payout.id
        deposit = await session.get(Deposit, row.deposit_id)
        if deposit is None:  # refunds belong to deposits
            raise RuntimeError("broken invariant: refunds belong to deposits")
        if not deposit.provider_payment_id:  # only credited deposits are refunded
            raise RuntimeError("broken invariant: only credited deposits are refunded")
        refund = await self.provider.create_refund(
            key=str(row.id),
            payment_id=deposit.provider_payment_id,
            amount=row.amount,
            reference=str(row.id),
            webhook_url=self.webhook_url,
        )
        return refund.id

    async def _refused(self, session: AsyncSession, row: Withdrawal | Refund, code: str) -> None:
        if isinstance(row, Withdrawal):
            await withdrawals.fail(session, row, code)
        else:
            await refunds.fail(session, row, code)
