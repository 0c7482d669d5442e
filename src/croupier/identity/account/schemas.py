"""Request and response bodies of the account routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

from croupier.identity.schemas import Email, Otp, Password, RecoveryCodeText, Strict

# Checked by the service, which answers `invalid_reset_token` for anything it
# does not know; the bounds only keep absurd input out.
ResetToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


class EmailChange(Strict):
    new_email: Email


class PasswordResetRequest(Strict):
    email: Email


class PasswordResetRequested(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str = "If an active account uses this address, a reset link is on its way."


class PasswordResetConfirm(Strict):
    token: ResetToken
    new_password: Password
    otp: Otp | None = None
    recovery_code: RecoveryCodeText | None = None
