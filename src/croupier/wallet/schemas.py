"""Response bodies of the wallet API. Amounts are integers in minor units; ``exponent`` formats them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from croupier.wallet.service import MAX_AMOUNT


class BalanceView(BaseModel):
    currency: str = Field(examples=["EUR"])
    exponent: int = Field(description="Decimal places of the minor unit: 2 for EUR (1234 is 12.34 EUR).")
    available: int = Field(description="Cash that can be spent or withdrawn now, in minor units.")
    held: int = Field(description="Cash reserved by pending holds, in minor units.")
    bonus: int = Field(description="Bonus funds, in minor units.")


class WalletView(BaseModel):
    balances: list[BalanceView]


class TransactionView(BaseModel):
    transfer_id: uuid.UUID
    kind: str = Field(examples=["deposit", "bet", "win", "adjustment"])
    book: str = Field(description="Which of the player's books moved: cash or bonus.")
    currency: str
    exponent: int
    amount: int = Field(description="Signed minor units: negative money out, positive money in.")
    balance_after: int
    created_at: datetime


class TransactionQuery(BaseModel):
    """Paging of the transaction list; unknown parameters are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=100, description="Entries per page.")
    cursor: str | None = Field(
        None,
        max_length=128,
        description="Opaque: the previous page's `next_cursor`, sent back unchanged (URL-safe base64, no"
        " padding, at most 128 characters). Omit it for the newest page. A cursor is sealed for the player"
        " it was issued to; one that does not open is refused with 422 `invalid_cursor`.",
    )


class TransactionPage(BaseModel):
    items: list[TransactionView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null at the end."
    )


class CreateAdjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(
        ge=-MAX_AMOUNT,
        le=MAX_AMOUNT,
        description="Minor units: positive credits the player, negative debits.",
    )
    currency: str = Field(pattern=r"^[A-Z]{3,8}$", examples=["EUR"])
    reason: str = Field(
        min_length=1, max_length=500, description="Why; kept in the ledger and the audit log."
    )


class AdjustmentView(BaseModel):
    transfer_id: uuid.UUID
    player_id: uuid.UUID
    amount: int
    currency: str
    created_at: datetime
