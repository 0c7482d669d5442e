"""Identity's domain errors, each with its stable code."""

from __future__ import annotations

from typing import Any

from croupier.kit.errors import CroupierError


class EmailTaken(CroupierError):
    code = "email_taken"
    status = 409
    title = "Email already registered"


class TooYoung(CroupierError):
    code = "underage"
    status = 422
    title = "Player below the minimum age"


class InvalidCredentials(CroupierError):
    code = "invalid_credentials"
    status = 401
    title = "Email or password is wrong"


class AccountLocked(CroupierError):
    code = "account_locked"
    status = 423
    title = "Too many failed sign-ins"


class AccountDisabled(CroupierError):
    code = "account_disabled"
    status = 403
    title = "Account disabled"


class MfaRequired(CroupierError):
    code = "mfa_required"
    status = 401
    title = "Second factor required"

    def __init__(self, *, mfa_ticket: str, methods: list[str], **extra: Any) -> None:
        super().__init__(
            "Repeat the request with `otp` or `recovery_code`, or finish with /v1/sessions/mfa.",
            mfa_ticket=mfa_ticket,
            methods=methods,
            **extra,
        )


class InvalidOtp(CroupierError):
    code = "invalid_otp"
    status = 401
    title = "Second factor rejected"


class InvalidSession(CroupierError):
    code = "invalid_session"
    status = 401
    title = "Session missing, expired or revoked"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'


class StepUpRequired(CroupierError):
    code = "step_up_required"
    status = 403
    title = "Recent re-authentication required"


class WrongPassword(CroupierError):
    code = "wrong_password"
    status = 403
    title = "Current password is wrong"


class EmailUnverified(CroupierError):
    code = "email_unverified"
    status = 403
    title = "Email address not confirmed yet"
