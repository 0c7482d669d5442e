"""Request and response bodies of the identity API."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from croupier.identity.models import PlayerStatus


def _printable(value: str) -> str:
    if any(not ch.isprintable() for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _iso_date_text(value: object) -> object:
    # Without this, pydantic's lax mode reads the number 0 as 1970-01-01.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date string (YYYY-MM-DD)")  # noqa: TRY004 - pydantic wants ValueError
    return value


def _country(value: str) -> str:
    code = value.upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return code


_POSTCODE = re.compile(r"[A-Z0-9]+(?:[ -][A-Z0-9]+)*")
POSTCODE_MAX = 10


def _postcode(value: str) -> str:
    # One form per postcode ("sw1a  1aa" is "SW1A 1AA"), so the register is sent what it expects.
    normal = " ".join(value.split())
    # ASCII checked before upper(): "ß".upper() is "SS".
    if (
        not normal.isascii()
        or not 2 <= len(normal) <= POSTCODE_MAX
        or not _POSTCODE.fullmatch(normal.upper())
    ):
        raise ValueError(f"must be 2 to {POSTCODE_MAX} letters, digits, spaces or hyphens")
    return normal.upper()


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_printable)
]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
Country = Annotated[str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country)]
Otp = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
RecoveryCodeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
]
Email = Annotated[EmailStr, Field(max_length=254)]
# The bound keeps absurd input out before it is normalised; the validator then checks the result.
Postcode = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_postcode),
    Field(
        description=f"Letters, digits, spaces and hyphens, 2 to {POSTCODE_MAX} once trimmed; "
        "kept in upper case with single spaces.",
        examples=["SW1A 1AA"],
    ),
]
DateOfBirth = Annotated[date, BeforeValidator(_iso_date_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlayerCreate(Strict):
    email: Email
    password: Password
    first_name: Name
    last_name: Name
    date_of_birth: DateOfBirth
    country: Country
    postcode: Postcode | None = None


class RegistrationAccepted(BaseModel):
    """The same for a new address and a registered one: only the mailbox learns which."""

    status: Literal["verification_sent"] = "verification_sent"
    detail: str = (
        "A message is on its way to this address: a link to confirm it, or, if the address "
        "already has an account, a note saying so."
    )


class Profile(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    date_of_birth: date
    country: str
    postcode: str | None
    status: PlayerStatus
    created_at: datetime
    last_sign_in_at: datetime | None
    email_verified: bool
    mfa: MfaStatus


class MfaStatus(BaseModel):
    totp: bool
    passkeys: int
    recovery_codes_left: int


class SignIn(Strict):
    email: Email
    password: Password
    otp: Otp | None = None
    recovery_code: RecoveryCodeText | None = None


class SessionCreated(BaseModel):
    token: str
    session_id: uuid.UUID
    expires_at: datetime
    previous_sign_in_at: datetime | None


class SessionView(BaseModel):
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


Profile.model_rebuild()
