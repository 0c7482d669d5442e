"""Request and response bodies of the staff accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from croupier.staff.accounts import AccountState, AccountView
from croupier.staff.staff_sessions import SessionState

RoleName = Annotated[str, Field(min_length=2, max_length=32)]


class StaffInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=64)
    roles: list[RoleName] = Field(min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=100)


class StaffAccountOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    state: AccountState
    mfa_enrolled: bool
    last_sign_in_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, view: AccountView) -> StaffAccountOut:
        return cls(
            id=view.id,
            email=view.email,
            name=view.display_name,
            roles=list(view.roles),
            state=view.state,
            mfa_enrolled=view.mfa_enrolled,
            last_sign_in_at=view.last_sign_in_at,
            created_at=view.created_at,
        )


class InvitationCreated(BaseModel):
    account: StaffAccountOut
    invitation_token: str = Field(
        description="Shown once; the person opens `accept_url` (the console) to choose their password."
    )
    accept_url: str
    expires_at: datetime
    roles_asked: list[str] = Field(
        description="Roles asked for: each a four-eyes request another admin approves; none is held before."
    )


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


class StaffSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class StaffSessionCreated(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer` (or the `croupier_staff` cookie).")
    state: SessionState
    expires_at: datetime


class StaffSessionOut(BaseModel):
    state: SessionState
    expires_at: datetime


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="Base32, for an authenticator app; shown once.")
    otpauth_uri: str


class MfaCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$")


class StaffMe(BaseModel):
    email: str
    name: str
    roles: list[str]
    permissions: list[str]
