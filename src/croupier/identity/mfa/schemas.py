"""Request and response bodies of the second-factor API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from croupier.identity.schemas import Otp, Password, RecoveryCodeText, Strict
from croupier.kit.openapi import exactly_one_of


def _printable(value: str) -> str:
    if any(not ch.isprintable() for ch in value):
        raise ValueError("must not contain control characters")
    return value


PasskeyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_printable)
]
MfaTicketText = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# A WebAuthn PublicKeyCredential as the browser serialises it (toJSON()).
WebAuthnCredential = dict[str, Any]


def _exactly_one(model: BaseModel, fields: tuple[str, ...]) -> None:
    given = [name for name in fields if getattr(model, name) is not None]
    if len(given) != 1:
        raise ValueError(f"send exactly one of: {', '.join(fields)}")


class TotpEnrolment(BaseModel):
    secret: str = Field(description="Base32 secret, for typing into an authenticator app.")
    otpauth_uri: str = Field(description="The same secret as an otpauth:// URI, for a QR code.")


class TotpConfirm(Strict):
    otp: Otp


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once; each works once. Any earlier set is void.")


class PasskeyCreate(Strict):
    name: PasskeyName
    credential: WebAuthnCredential


class PasskeyView(BaseModel):
    id: uuid.UUID
    name: str
    transports: list[str]
    created_at: datetime
    last_used_at: datetime | None


class PasskeyRegistered(PasskeyView):
    recovery_codes: list[str] | None = Field(
        None, description="Present when this passkey is the first second factor: shown once."
    )


class MfaTicketBody(Strict):
    mfa_ticket: MfaTicketText


class MfaSignIn(Strict):
    model_config = ConfigDict(json_schema_extra=exactly_one_of("otp", "recovery_code", "passkey"))

    mfa_ticket: MfaTicketText
    otp: Otp | None = None
    recovery_code: RecoveryCodeText | None = None
    passkey: WebAuthnCredential | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> MfaSignIn:
        _exactly_one(self, ("otp", "recovery_code", "passkey"))
        return self


class StepUp(Strict):
    model_config = ConfigDict(json_schema_extra=exactly_one_of("otp", "recovery_code", "password", "passkey"))

    otp: Otp | None = None
    recovery_code: RecoveryCodeText | None = None
    password: Password | None = None
    passkey: WebAuthnCredential | None = None

    @model_validator(mode="after")
    def _one_proof(self) -> StepUp:
        _exactly_one(self, ("otp", "recovery_code", "password", "passkey"))
        return self


class SteppedUp(BaseModel):
    mfa_at: datetime | None = Field(None, description="Set when a second factor was used.")
    authenticated_at: datetime | None = Field(
        None, description="Set when the password was used (players without a second factor)."
    )
