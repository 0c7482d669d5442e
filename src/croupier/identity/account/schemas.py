"""Request and response bodies of the account routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints, model_validator

from croupier.identity.schemas import Email, Name, Otp, Password, Postcode, RecoveryCodeText, Strict

# Checked by the services, which answer `invalid_reset_token` or
# `invalid_verification_token` for anything they do not know; the bounds only
# keep absurd input out.
ResetToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
LinkToken = ResetToken


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


class EmailChange(Strict):
    new_email: Email


class EmailChangeRequested(BaseModel):
    """The same whether or not the new address has an account of its own."""

    status: Literal["confirmation_sent"] = "confirmation_sent"
    detail: str = (
        "A link to confirm the change is on its way to the new address; the account keeps its "
        "current address until it is used."
    )


class LinkConfirmation(Strict):
    token: LinkToken


class VerificationSent(BaseModel):
    status: Literal["verification_sent"] = "verification_sent"
    detail: str = "A new link to confirm the address is on its way."


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


class ProfileChange(Strict):
    """What to change; at least one. A new name is screened against sanctions lists;
    ``"postcode": null`` removes the postcode (leaving it out keeps it)."""

    first_name: Name | None = None
    last_name: Name | None = None
    postcode: Postcode | None = None

    @property
    def changes_postcode(self) -> bool:
        return "postcode" in self.model_fields_set

    @model_validator(mode="after")
    def _something_changes(self) -> ProfileChange:
        if self.first_name is None and self.last_name is None and not self.changes_postcode:
            raise ValueError("give first_name, last_name, postcode or several")
        return self
