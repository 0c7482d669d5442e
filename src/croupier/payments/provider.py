"""What Croupier needs from a payment provider, whoever it is.

An adapter turns a provider's API into these calls and objects. Every call
that creates something at the provider carries an idempotency key (Croupier's
own row id), so repeating it after a time-out cannot pay twice. Webhooks are
parsed only after their signature checks out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from croupier.kit.errors import CroupierError


class ProviderUnavailable(CroupierError):
    code = "provider_unavailable"
    status = 503
    title = "The payment provider did not answer"


class PaymentMethodInvalid(CroupierError):
    code = "payment_method_invalid"
    status = 422
    title = "The payment method cannot be used"


class WebhookSignatureInvalid(CroupierError):
    code = "invalid_signature"
    status = 401
    title = "The webhook signature is missing, stale or wrong"


class WebhookMalformed(CroupierError):
    code = "invalid_webhook"
    status = 400
    title = "The webhook body is not a provider event"


class AmountAboveProviderLimit(CroupierError):
    code = "amount_above_provider_limit"
    status = 422
    title = "The amount is larger than the payment provider takes"


def refuse_above_limit(amount: int, maximum: int) -> None:
    """Refuse an amount the provider would refuse, before anything is stored or sent."""
    if amount > maximum:
        raise AmountAboveProviderLimit(
            f"The payment provider takes at most {maximum} minor units at a time.", maximum=maximum
        )


class ProviderRefused(Exception):
    """The provider answered, and said no (a 4xx): retrying the same request will not help."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CardDetails:
    token: str
    brand: str
    bin: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    status: str  # succeeded | requires_action | pending | failed
    amount: int
    currency: str
    reference: str
    failure_code: str | None = None
    challenge_url: str | None = None


@dataclass(frozen=True)
class ProviderTransfer:
    """A refund or payout as the provider reports it."""

    id: str
    status: str  # pending | succeeded/paid | failed
    amount: int
    currency: str
    reference: str
    failure_code: str | None = None


# Webhook inbox outcomes for a report on an object that is already settled: it says
# what was applied already (the usual case: the synchronous answer came first), or
# something older or contradicting (``pending`` after ``succeeded``).
ALREADY_APPLIED, STALE = "already_applied", "stale"


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    object: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False)


class PaymentProvider(Protocol):
    name: str
    # The largest payment or payout, in minor units, the provider takes.
    max_amount: int

    async def card(self, token: str) -> CardDetails: ...

    async def create_payment(
        self,
        *,
        key: str,
        amount: int,
        currency: str,
        token: str,
        reference: str,
        webhook_url: str,
        return_url: str | None,
    ) -> ProviderPayment: ...

    async def create_refund(
        self, *, key: str, payment_id: str, amount: int, reference: str, webhook_url: str
    ) -> ProviderTransfer: ...

    async def create_payout(
        self, *, key: str, amount: int, currency: str, token: str, reference: str, webhook_url: str
    ) -> ProviderTransfer: ...

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent: ...

    async def aclose(self) -> None: ...
