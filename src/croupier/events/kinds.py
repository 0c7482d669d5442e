"""The kinds of domain event, one definition for code, schema and consumers."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    # identity
    REGISTERED = "registered"
    SIGN_IN_SUCCEEDED = "sign_in_succeeded"
    SIGN_IN_FAILED = "sign_in_failed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name, not a secret
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name, not a secret
    EMAIL_CHANGED = "email_changed"
    MFA_CHANGED = "mfa_changed"
    NAME_CHANGED = "name_changed"
    # payments
    DEPOSIT_INITIATED = "deposit_initiated"
    DEPOSIT_CONFIRMED = "deposit_confirmed"
    DEPOSIT_FAILED = "deposit_failed"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    WITHDRAWAL_PAID = "withdrawal_paid"
    WITHDRAWAL_FAILED = "withdrawal_failed"
    CHARGEBACK = "chargeback"
    REFUND = "refund"
    # games (in-house and third-party studios alike)
    BET = "bet"
    WIN = "win"
    ROLLBACK = "rollback"
    # operations on a player's money or standing
    MANUAL_ADJUSTMENT = "manual_adjustment"
    LIMIT_CHANGED = "limit_changed"
    KYC_CHANGED = "kyc_changed"
    # responsible gambling and privacy
    EXCLUSION_CHANGED = "exclusion_changed"  # time-out, self-exclusion, register verdict, return
    HARM_MARKER = "harm_marker"  # a marker of gambling harm, for the risk engine and staff
    CONSENT_CHANGED = "consent_changed"
    ERASED = "erased"  # the player's data key was destroyed (GDPR article 17)
