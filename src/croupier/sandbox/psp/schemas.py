"""Request bodies. Unknown fields are refused, so a client's typo shows up here, not in production."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

# JSON numbers above 2**53 lose precision in many clients.
MAX_AMOUNT = 2**53 - 1


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or not value.isprintable() or " " in value:
        raise ValueError("must be an absolute http or https URL")
    return value


Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Reference = Annotated[str, Field(min_length=1, max_length=255)]
ObjectId = Annotated[str, Field(min_length=1, max_length=64)]
HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(_Request):
    number: Annotated[str, Field(max_length=64)]
    exp_month: Annotated[StrictInt, Field(ge=1, le=12)]
    exp_year: Annotated[StrictInt, Field(ge=2000, le=2100)]
    cvc: Annotated[str, Field(max_length=16)]
    holder_name: Annotated[str | None, Field(max_length=200)] = None


class PaymentRequest(_Request):
    amount: Amount
    currency: Currency
    token: ObjectId
    reference: Reference
    webhook_url: HttpUrl
    return_url: HttpUrl | None = None


class RefundRequest(_Request):
    payment_id: ObjectId
    amount: Amount
    reference: Reference
    webhook_url: HttpUrl


class PayoutRequest(_Request):
    amount: Amount
    currency: Currency
    token: ObjectId
    reference: Reference
    webhook_url: HttpUrl


class ChargebackRequest(_Request):
    amount: Amount | None = None
    reason: Annotated[str, Field(min_length=1, max_length=100)] = "general"


class ResumeRequest(_Request):
    order: Literal["fifo", "reverse"] = "fifo"
    duplicates: Annotated[StrictInt, Field(ge=0, le=100)] = 0
