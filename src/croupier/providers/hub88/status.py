"""The response statuses of Hub88's operator Wallet API.

Hub88 answers every wallet call with HTTP 200 and one of these in ``status``;
the operator must do the same (docs.hub88.io, "Seamless Wallet response
statuses - Operator API").
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OK = "RS_OK"
    UNKNOWN = "RS_ERROR_UNKNOWN"
    INVALID_PARTNER = "RS_ERROR_INVALID_PARTNER"
    INVALID_TOKEN = "RS_ERROR_INVALID_TOKEN"  # noqa: S105 - a protocol status, not a secret
    INVALID_GAME = "RS_ERROR_INVALID_GAME"
    WRONG_CURRENCY = "RS_ERROR_WRONG_CURRENCY"
    NOT_ENOUGH_MONEY = "RS_ERROR_NOT_ENOUGH_MONEY"
    USER_DISABLED = "RS_ERROR_USER_DISABLED"
    INVALID_SIGNATURE = "RS_ERROR_INVALID_SIGNATURE"
    TOKEN_EXPIRED = "RS_ERROR_TOKEN_EXPIRED"  # noqa: S105 - a protocol status, not a secret
    WRONG_SYNTAX = "RS_ERROR_WRONG_SYNTAX"
    WRONG_TYPES = "RS_ERROR_WRONG_TYPES"
    DUPLICATE_TRANSACTION = "RS_ERROR_DUPLICATE_TRANSACTION"
    TRANSACTION_DOES_NOT_EXIST = "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    TRANSACTION_ROLLED_BACK = "RS_ERROR_TRANSACTION_ROLLED_BACK"
    LIMIT_REACHED = "RS_ERROR_LIMIT_REACHED"
