"""The provider's books, in memory: the card vault, payments, refunds, payouts and chargebacks.

Every operation here is synchronous and never awaits, so each one runs whole
on the event loop: two requests cannot interleave between a check (is there
enough left to refund?) and the change it guards, without any lock.

The full card number lives only in ``Token.number`` (kept out of reprs); every
object handed out carries the brand, the BIN and the last four digits only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import structlog

from croupier.kit.idempotency import request_hash
from croupier.sandbox.psp import cards
from croupier.sandbox.psp.cards import CardError
from croupier.sandbox.psp.config import PspConfig
from croupier.sandbox.psp.errors import PspError
from croupier.sandbox.psp.webhooks import WebhookDispatcher

_log = structlog.get_logger("croupier.sandbox.psp")
_ID_ALPHABET = string.ascii_letters + string.digits
_T = TypeVar("_T")


def new_id(prefix: str) -> str:
    # Letters and digits mixed, so an id never looks like a long run of digits (a card number).
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(UTC)


class Public(Protocol):
    """What the API hands out: an id and the view of it that leaves the process."""

    id: str

    def public(self) -> dict[str, Any]: ...


@dataclass(eq=False)
class Token:
    id: str
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    holder_name: str | None = field(repr=False)
    fingerprint: str
    created_at: datetime

    @property
    def brand(self) -> str:
        return cards.brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def public(self) -> dict[str, Any]:
        return {
            "token": self.id,
            "brand": self.brand,
            "bin": self.number[:6],
            "last4": self.last4,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "fingerprint": self.fingerprint,
            "created_at": _iso(self.created_at),
        }


PaymentStatus = Literal["succeeded", "requires_action", "failed"]


@dataclass(eq=False)
class Payment:
    id: str
    amount: int
    currency: str
    reference: str
    token: Token
    webhook_url: str = field(repr=False)
    return_url: str | None = field(repr=False)
    status: PaymentStatus
    failure_code: str | None
    challenge_url: str | None
    created_at: datetime
    challenge_completed: bool = False
    refunded_amount: int = 0
    pending_refunds: int = 0
    charged_back_amount: int = 0

    @property
    def available(self) -> int:
        """What may still be refunded or charged back."""
        return self.amount - self.refunded_amount - self.pending_refunds - self.charged_back_amount

    def public(self) -> dict[str, Any]:
        next_action = None
        if self.status == "requires_action":
            next_action = {"type": "three_ds_challenge", "url": self.challenge_url}
        return {
            "id": self.id,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "reference": self.reference,
            "token": self.token.id,
            "brand": self.token.brand,
            "last4": self.token.last4,
            "failure_code": self.failure_code,
            "next_action": next_action,
            "refunded_amount": self.refunded_amount,
            "charged_back_amount": self.charged_back_amount,
            "created_at": _iso(self.created_at),
        }


@dataclass(eq=False)
class Refund:
    id: str
    payment: Payment
    amount: int
    reference: str
    webhook_url: str = field(repr=False)
    created_at: datetime
    status: Literal["pending", "succeeded"] = "pending"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "payment_id": self.payment.id,
            "amount": self.amount,
            "currency": self.payment.currency,
            "reference": self.reference,
            "status": self.status,
            "failure_code": None,
            "created_at": _iso(self.created_at),
        }


@dataclass(eq=False)
class Payout:
    id: str
    amount: int
    currency: str
    token: Token
    reference: str
    webhook_url: str = field(repr=False)
    created_at: datetime
    status: Literal["pending", "paid", "failed"] = "pending"
    failure_code: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "token": self.token.id,
            "reference": self.reference,
            "failure_code": self.failure_code,
            "created_at": _iso(self.created_at),
        }


@dataclass(eq=False)
class Chargeback:
    id: str
    payment: Payment
    amount: int
    reason: str
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "payment_id": self.payment.id,
            "amount": self.amount,
            "currency": self.payment.currency,
            "reason": self.reason,
            # The payment's reference, so the receiver can find what was charged back.
            "reference": self.payment.reference,
            "created_at": _iso(self.created_at),
        }


def _find(found_in: Mapping[str, _T], object_id: str, kind: str, *, status: int = 404) -> _T:
    """The object, or ``no_such_<kind>``: 404 for the object a path names, 422 for one a body names."""
    found = found_in.get(object_id)
    if found is None:
        raise PspError(status, f"no_such_{kind}", f"No such {kind}.")
    return found


class PspState:
    def __init__(self, config: PspConfig, dispatcher: WebhookDispatcher) -> None:
        self._config = config
        self._webhooks = dispatcher
        # Per process: fingerprints match within a run and say nothing outside it.
        self._fingerprint_key = secrets.token_bytes(32)
        self.tokens: dict[str, Token] = {}
        self.payments: dict[str, Payment] = {}
        self.refunds: dict[str, Refund] = {}
        self.payouts: dict[str, Payout] = {}
        self.chargebacks: dict[str, Chargeback] = {}
        self._idempotency: dict[tuple[str, str], tuple[bytes, Public]] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    # Idempotency

    def idempotent(
        self, scope: str, key: str, request: dict[str, Any], create: Callable[[], Public]
    ) -> tuple[dict[str, Any], bool]:
        """The object made under ``key`` before (and False), or a new one from ``create`` (and True).

        Only successes are remembered: a request refused for a rule (not enough left
        to refund) may be sent again with the same key once the rule allows it.
        """
        digest = request_hash(request)
        seen = self._idempotency.get((scope, key))
        if seen is not None:
            if not hmac.compare_digest(seen[0], digest):
                raise PspError(
                    409, "idempotency_key_reused", "This Idempotency-Key was used with a different request."
                )
            return seen[1].public(), False
        made = create()
        self._idempotency[(scope, key)] = (digest, made)
        return made.public(), True

    # Tokens

    def tokenize(
        self, *, number: str, exp_month: int, exp_year: int, cvc: str, holder_name: str | None
    ) -> Token:
        today = _now()
        try:
            digits = cards.normalize_number(number)
            cards.check_expiry(exp_month, exp_year, today_month=today.month, today_year=today.year)
            cards.check_cvc(cvc)
        except CardError as exc:
            raise PspError(422, exc.code, exc.message) from None
        fingerprint = hmac.new(self._fingerprint_key, digits.encode(), hashlib.sha256).hexdigest()
        token = Token(
            id=new_id("tok_"),
            number=digits,
            exp_month=exp_month,
            exp_year=exp_year,
            holder_name=holder_name,
            fingerprint=fingerprint,
            created_at=today,
        )
        self.tokens[token.id] = token
        _log.info("psp.token_created", token_id=token.id, brand=token.brand)
        return token

    def token(self, token_id: str) -> Token:
        return _find(self.tokens, token_id, "token")

    # Payments

    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        token: str,
        reference: str,
        webhook_url: str,
        return_url: str | None,
        base_url: str,
    ) -> Payment:
        card = _find(self.tokens, token, "token", status=422)
        payment_id = new_id("pay_")
        challenge_above = self._config.challenge_above
        challenged = cards.requires_challenge(card.number) or (
            challenge_above is not None and amount >= challenge_above
        )
        payment = Payment(
            id=payment_id,
            amount=amount,
            currency=currency,
            reference=reference,
            token=card,
            webhook_url=webhook_url,
            return_url=return_url,
            status="requires_action",
            failure_code=None,
            challenge_url=f"{base_url.rstrip('/')}/3ds/{payment_id}" if challenged else None,
            created_at=_now(),
        )
        self.payments[payment.id] = payment
        _log.info("psp.payment_created", payment_id=payment.id, amount=amount, currency=currency)
        if not challenged:
            self._authorize(payment)
        return payment

    def _authorize(self, payment: Payment) -> None:
        failure = cards.authorization_failure(payment.token.number)
        self._settle_payment(payment, failure)

    def _settle_payment(self, payment: Payment, failure: str | None) -> None:
        payment.status = "failed" if failure else "succeeded"
        payment.failure_code = failure
        _log.info("psp.payment_settled", payment_id=payment.id, status=payment.status, failure_code=failure)
        self._emit(f"payment.{payment.status}", payment, payment.reference, payment.webhook_url, payment.id)

    def payment(self, payment_id: str) -> Payment:
        return _find(self.payments, payment_id, "payment")

    def challenge(self, payment_id: str) -> Payment:
        payment = self.payments.get(payment_id)
        if payment is None or payment.challenge_url is None:
            raise PspError(404, "no_such_challenge", "No 3-D Secure challenge for this payment.")
        if payment.challenge_completed:
            raise PspError(409, "challenge_already_completed", "The challenge was already completed.")
        return payment

    def complete_challenge(self, payment_id: str, outcome: Literal["pass", "fail"]) -> Payment:
        payment = self.challenge(payment_id)
        payment.challenge_completed = True
        if outcome == "pass":
            # Authentication done, the issuer still decides: a declined card stays declined.
            self._authorize(payment)
        else:
            self._settle_payment(payment, "three_ds_failed")
        return payment

    # Refunds

    def create_refund(self, *, payment_id: str, amount: int, reference: str, webhook_url: str) -> Refund:
        payment = _find(self.payments, payment_id, "payment", status=422)
        if payment.status != "succeeded":
            raise PspError(422, "payment_not_succeeded", "Only a succeeded payment can be refunded.")
        if amount > payment.available:
            raise PspError(
                422, "amount_exceeds_payment", "The amount exceeds what is left of the payment to refund."
            )
        refund = Refund(
            id=new_id("re_"),
            payment=payment,
            amount=amount,
            reference=reference,
            webhook_url=webhook_url,
            created_at=_now(),
        )
        payment.pending_refunds += amount
        self.refunds[refund.id] = refund
        _log.info("psp.refund_created", refund_id=refund.id, payment_id=payment.id, amount=amount)
        self._later(self._config.refund_delay, self._settle_refund, refund)
        return refund

    def _settle_refund(self, refund: Refund) -> None:
        refund.status = "succeeded"
        refund.payment.pending_refunds -= refund.amount
        refund.payment.refunded_amount += refund.amount
        _log.info("psp.refund_settled", refund_id=refund.id)
        self._emit("refund.succeeded", refund, refund.reference, refund.webhook_url, refund.payment.id)

    def refund(self, refund_id: str) -> Refund:
        return _find(self.refunds, refund_id, "refund")

    # Payouts

    def create_payout(
        self, *, amount: int, currency: str, token: str, reference: str, webhook_url: str
    ) -> Payout:
        card = _find(self.tokens, token, "token", status=422)
        payout = Payout(
            id=new_id("po_"),
            amount=amount,
            currency=currency,
            token=card,
            reference=reference,
            webhook_url=webhook_url,
            created_at=_now(),
        )
        self.payouts[payout.id] = payout
        _log.info("psp.payout_created", payout_id=payout.id, amount=amount, currency=currency)
        self._later(self._config.payout_delay, self._settle_payout, payout)
        return payout

    def _settle_payout(self, payout: Payout) -> None:
        failure = cards.payout_failure(payout.token.number)
        payout.status = "failed" if failure else "paid"
        payout.failure_code = failure
        _log.info("psp.payout_settled", payout_id=payout.id, status=payout.status, failure_code=failure)
        self._emit(f"payout.{payout.status}", payout, payout.reference, payout.webhook_url, payout.id)

    def payout(self, payout_id: str) -> Payout:
        return _find(self.payouts, payout_id, "payout")

    # Chargebacks

    def create_chargeback(self, *, payment_id: str, amount: int | None, reason: str) -> Chargeback:
        payment = self.payment(payment_id)
        if payment.status != "succeeded":
            raise PspError(422, "payment_not_succeeded", "Only a succeeded payment can be charged back.")
        amount = payment.available if amount is None else amount
        if amount <= 0 or amount > payment.available:
            raise PspError(
                422,
                "amount_exceeds_payment",
                "The amount exceeds what is left of the payment to charge back.",
            )
        chargeback = Chargeback(
            id=new_id("cb_"), payment=payment, amount=amount, reason=reason, created_at=_now()
        )
        payment.charged_back_amount += amount
        self.chargebacks[chargeback.id] = chargeback
        _log.info("psp.chargeback_created", chargeback_id=chargeback.id, payment_id=payment.id, amount=amount)
        self._emit("chargeback.created", chargeback, payment.reference, payment.webhook_url, payment.id)
        return chargeback

    # Plumbing

    def _emit(self, event_type: str, obj: Public, reference: str, url: str, lane: str) -> None:
        self._webhooks.publish(
            event_id=new_id("evt_"),
            event_type=event_type,
            obj=obj.public(),
            reference=reference,
            url=url,
            lane=lane,
        )

    def _later(self, delay: float, action: Callable[[_T], None], subject: _T) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(timer)
            action(subject)

        timer = loop.call_later(delay, fire)
        self._timers.add(timer)
