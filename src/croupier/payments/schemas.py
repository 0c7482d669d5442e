"""Request and response bodies of the payments API. Amounts are integers in minor units."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from croupier.identity.schemas import Strict
from croupier.payments.models import (
    Deposit,
    DepositStatus,
    PaymentMethod,
    Refund,
    RefundStatus,
    Withdrawal,
    WithdrawalStatus,
)
from croupier.wallet.service import MAX_AMOUNT

CURRENCY = r"^[A-Z]{3,8}$"


class CreateDeposit(Strict):
    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT, description="Minor units (1000 is 10.00 EUR).")
    currency: str = Field(pattern=CURRENCY, examples=["EUR"])
    payment_token: str = Field(
        min_length=4,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The token the provider's card form returned; card numbers never reach Croupier.",
    )
    return_url: str | None = Field(
        None, max_length=2000, pattern=r"^https?://", description="Where 3-D Secure sends the player back."
    )


class CreateWithdrawal(Strict):
    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT)
    currency: str = Field(pattern=CURRENCY, examples=["EUR"])
    payment_method_id: uuid.UUID = Field(
        description="A card you deposited with, from GET /v1/payment-methods."
    )


class ReviewWithdrawal(Strict):
    note: str | None = Field(None, max_length=500)


class RejectWithdrawal(Strict):
    note: str = Field(min_length=1, max_length=500, description="Why; kept in the audit trail.")


class CreateRefund(Strict):
    amount: StrictInt | None = Field(None, gt=0, le=MAX_AMOUNT, description="Default: all that is left.")
    reason: str = Field(min_length=1, max_length=500)


class MethodView(BaseModel):
    id: uuid.UUID
    brand: str
    bin: str = Field(description="First six digits.")
    last4: str
    exp_month: int
    exp_year: int
    withdrawal_currencies: list[str] = Field(
        description="Currencies this card has a successful deposit in: where it can receive payouts."
    )

    @classmethod
    def of(cls, method: PaymentMethod, currencies: set[str]) -> MethodView:
        return cls(
            id=method.id,
            brand=method.brand,
            bin=method.bin,
            last4=method.last4,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
            withdrawal_currencies=sorted(currencies),
        )


class MethodList(BaseModel):
    items: list[MethodView]


class ThreeDSecure(BaseModel):
    challenge_url: str = Field(description="Send the player's browser here to complete 3-D Secure.")


class DepositView(BaseModel):
    id: uuid.UUID
    status: str = Field(examples=["requires_action", "pending", "succeeded", "failed"])
    amount: int
    currency: str
    payment_method_id: uuid.UUID
    three_d_secure: ThreeDSecure | None
    failure_code: str | None
    refunded_amount: int
    charged_back_amount: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, deposit: Deposit) -> DepositView:
        return cls(
            id=deposit.id,
            status=DepositStatus.PENDING if deposit.status == DepositStatus.INITIATED else deposit.status,
            amount=deposit.amount,
            currency=deposit.currency,
            payment_method_id=deposit.method_id,
            three_d_secure=ThreeDSecure(challenge_url=deposit.challenge_url)
            if deposit.challenge_url
            else None,
            failure_code=deposit.failure_code,
            refunded_amount=deposit.refunded_amount,
            charged_back_amount=deposit.charged_back_amount,
            created_at=deposit.created_at,
            updated_at=deposit.updated_at,
        )


class DepositList(BaseModel):
    items: list[DepositView]


class WithdrawalView(BaseModel):
    id: uuid.UUID
    status: WithdrawalStatus
    amount: int
    currency: str
    payment_method_id: uuid.UUID
    failure_code: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, withdrawal: Withdrawal) -> WithdrawalView:
        return cls(
            id=withdrawal.id,
            status=withdrawal.status,
            amount=withdrawal.amount,
            currency=withdrawal.currency,
            payment_method_id=withdrawal.method_id,
            failure_code=withdrawal.failure_code,
            created_at=withdrawal.created_at,
            updated_at=withdrawal.updated_at,
        )


class WithdrawalList(BaseModel):
    items: list[WithdrawalView]


class StaffWithdrawalView(WithdrawalView):
    player_id: uuid.UUID
    reviewed_by: str | None
    review_note: str | None

    @classmethod
    def of(cls, withdrawal: Withdrawal) -> StaffWithdrawalView:
        return cls(
            **WithdrawalView.of(withdrawal).model_dump(),
            player_id=withdrawal.player_id,
            reviewed_by=withdrawal.reviewed_by,
            review_note=withdrawal.review_note,
        )


class StaffWithdrawalList(BaseModel):
    items: list[StaffWithdrawalView]


class RefundView(BaseModel):
    id: uuid.UUID
    deposit_id: uuid.UUID
    status: RefundStatus
    amount: int
    currency: str
    failure_code: str | None
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundView:
        return cls(
            id=refund.id,
            deposit_id=refund.deposit_id,
            status=refund.status,
            amount=refund.amount,
            currency=refund.currency,
            failure_code=refund.failure_code,
            created_at=refund.created_at,
        )


class WebhookAck(BaseModel):
    outcome: str
