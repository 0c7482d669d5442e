"""Request bodies of Hub88's operator Wallet API, read strictly.

Field names and meanings follow docs.hub88.io ("Operator API reference", Wallet
API). Types are strict: ``"100"`` is not an amount and ``1`` is not a string.
Fields Croupier does not use are accepted and ignored, as are fields Hub88 adds
later. ``parse`` turns a body into a request or the status Hub88 defines for
what is wrong with it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from croupier.providers.hub88.status import Status

# Large enough for any stake; small enough that a BTC amount (x1000 in satoshi) fits a bigint.
MAX_AMOUNT = (2**63 - 1) // 1000
ID = 255  # Hub88's identifiers (uuids, rounds, tokens) are at most this long


class Hub88Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    request_uuid: str = Field(max_length=ID)
    user: str = Field(max_length=ID, description="The player's id in Croupier (a UUID).")


class UserInfoRequest(Hub88Request):
    pass


class BalanceRequest(Hub88Request):
    token: str = Field(max_length=ID)
    game_code: str | None = Field(None, max_length=64)
    supplier_user: str | None = Field(None, max_length=ID)


class TransactionRequest(Hub88Request):
    transaction_uuid: str = Field(min_length=1, max_length=ID)
    token: str | None = Field(None, max_length=ID)
    supplier_transaction_id: str | None = Field(None, max_length=ID)
    supplier_user: str | None = Field(None, max_length=ID)
    round: str | None = Field(None, max_length=ID)
    round_closed: bool | None = None
    game_code: str | None = Field(None, max_length=64)
    meta: dict[str, Any] | None = None


class WagerRequest(TransactionRequest):
    """What a bet and a win both carry: the game, and an amount in a currency."""

    game_code: str = Field(max_length=64)
    currency: str = Field(max_length=ID)
    amount: int = Field(ge=0, le=MAX_AMOUNT, description="1/100000 of the currency.")
    bet: str | None = Field(None, max_length=ID)
    reward_uuid: str | None = Field(None, max_length=ID)
    is_free: bool | None = None
    is_aggregated: bool | None = None


class BetRequest(WagerRequest):
    token: str = Field(max_length=ID)


class WinRequest(WagerRequest):
    reference_transaction_uuid: str = Field(min_length=1, max_length=ID)


class RollbackRequest(TransactionRequest):
    reference_transaction_uuid: str = Field(min_length=1, max_length=ID)


def reference_of(request: TransactionRequest) -> str | None:
    """The transaction a win or a rollback refers to; None for a bet."""
    return request.reference_transaction_uuid if isinstance(request, WinRequest | RollbackRequest) else None


Request = TypeVar("Request", bound=Hub88Request)

# Hub88 tells a body that is not the expected shape from one whose values have the wrong types.
_SYNTAX_ERRORS = {"json_invalid", "json_type", "model_type", "model_attributes_type", "missing"}


def parse(model: type[Request], body: bytes) -> Request | Status:
    """The request, or ``RS_ERROR_WRONG_SYNTAX`` (not a JSON object, a field missing) or
    ``RS_ERROR_WRONG_TYPES`` (a field of the wrong type or out of range)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if any(error["type"] in _SYNTAX_ERRORS for error in exc.errors()):
            return Status.WRONG_SYNTAX
        return Status.WRONG_TYPES
