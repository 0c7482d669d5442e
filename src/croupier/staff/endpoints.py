"""Staff accounts over HTTP: invitations, sign-in with mandatory TOTP, administration.

Thin handlers over ``staff.accounts``, ``staff.sign_in``, ``staff.second_factor`` and
``staff.staff_sessions``; the coming web console calls the same functions.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.approvals.schemas import ApprovalView
from croupier.backoffice.role_grants import grant_or_ask, invite_and_ask
from croupier.identity.auth import PasswordsDep
from croupier.identity.endpoints import throttle_address
from croupier.identity.errors import AccountDisabled, AccountLocked, InvalidCredentials, InvalidOtp
from croupier.identity.passwords import WeakPassword
from croupier.kit.deps import Client, DbSession, RuntimeDep, SettingsDep
from croupier.kit.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthenticated, responses
from croupier.staff import accounts, second_factor, staff_sessions
from croupier.staff.auth import SignedInStaff, StaffManager, StaffSessionAny
from croupier.staff.errors import (
    InvalidInvitation,
    InvalidStaffEmail,
    StaffAccountExists,
    StaffMfaRequired,
    StaffSessionExpired,
    TotpAlreadyEnrolled,
    TotpNotStarted,
)
from croupier.staff.schemas import (
    InvitationAccept,
    InvitationCreated,
    MfaCode,
    StaffAccountOut,
    StaffInvite,
    StaffMe,
    StaffSessionCreated,
    StaffSessionOut,
    StaffSignIn,
    TotpEnrolmentOut,
)
from croupier.staff.sign_in import sign_in as sign_in_with_password

router = APIRouter(prefix="/v1/staff", tags=["staff: accounts"])

AccountId = Annotated[uuid.UUID, Path(description="A staff account's id (GET /v1/staff/accounts).")]
RoleName = Annotated[str, Path(min_length=2, max_length=32, description="A built-in or custom role.")]
InvitationToken = Annotated[str, Path(min_length=1, max_length=128)]

_SESSION_ERRORS = (Unauthenticated, StaffSessionExpired)
_ADMIN_ERRORS = (Unauthenticated, StaffSessionExpired, Forbidden, StaffMfaRequired, NotFound)


@router.post(
    "/accounts",
    status_code=201,
    summary="Invite a person to the back office",
    description="Creates the account and returns a one-time invitation token (shown once) that sets the"
    " password. Each role named is a four-eyes grant request (another admin approves it at"
    " /v1/staff/approvals); the account holds none before. Inviting again an address that never"
    " accepted renews its link.",
    responses=responses(*_ADMIN_ERRORS, InvalidStaffEmail, StaffAccountExists, Conflict),
)
async def invite(
    body: StaffInvite, session: DbSession, runtime: RuntimeDep, member: StaffManager, client: Client
) -> InvitationCreated:
    made, asked = await invite_and_ask(
        session,
        runtime.settings,
        email=body.email,
        roles=body.roles,
        display_name=body.name,
        staff=member,
        client=client,
    )
    return InvitationCreated(
        account=StaffAccountOut.of(made.account),
        invitation_token=made.token,
        accept_url=accounts.accept_url(runtime.settings, made.token),
        expires_at=made.expires_at,
        roles_asked=sorted(str(a.payload["role"]) for a in asked),
    )


@router.get("/accounts", summary="Every staff account", responses=responses(*_ADMIN_ERRORS))
async def list_accounts(session: DbSession, _staff: StaffManager) -> list[StaffAccountOut]:
    return [StaffAccountOut.of(view) for view in await accounts.listing(session)]


@router.post(
    "/accounts/{account_id}/disable",
    summary="Disable an account; its sessions end at once",
    responses=responses(*_ADMIN_ERRORS, Conflict),
)
async def disable(account_id: AccountId, session: DbSession, member: StaffManager) -> StaffAccountOut:
    return StaffAccountOut.of(await accounts.disable(session, account_id=account_id, actor=member.actor))


@router.post(
    "/accounts/{account_id}/enable", summary="Enable a disabled account", responses=responses(*_ADMIN_ERRORS)
)
async def enable(account_id: AccountId, session: DbSession, member: StaffManager) -> StaffAccountOut:
    return StaffAccountOut.of(await accounts.enable(session, account_id=account_id, actor=member.actor))


@router.put(
    "/accounts/{account_id}/roles/{role}",
    status_code=202,
    summary="Ask for a role to be granted; another admin approves (four eyes)",
    description="Makes an approval request (202) that another member of staff with `staff:manage`,"
    " not the account's holder, approves at `POST /v1/staff/approvals/{id}/approve`; the role"
    " applies from then. Asking again answers the pending request. A role the account holds"
    " already answers 200 with the account. Revoking (DELETE) is immediate.",
    responses={
        **responses(*_ADMIN_ERRORS),
        200: {"model": StaffAccountOut, "description": "The account holds the role already"},
    },
)
async def grant(  # noqa: PLR0917 - the path and four dependencies
    account_id: AccountId,
    role: RoleName,
    session: DbSession,
    settings: SettingsDep,
    member: StaffManager,
    client: Client,
    response: Response,
) -> ApprovalView | StaffAccountOut:
    done = await grant_or_ask(
        session, settings, account_id=account_id, role=role, staff=member, client=client
    )
    if isinstance(done, ApprovalRequest):
        return ApprovalView.of(done)
    response.status_code = 200
    return StaffAccountOut.of(done)


@router.delete(
    "/accounts/{account_id}/roles/{role}", summary="Revoke a role", responses=responses(*_ADMIN_ERRORS)
)
async def revoke(
    account_id: AccountId, role: RoleName, session: DbSession, member: StaffManager
) -> StaffAccountOut:
    return StaffAccountOut.of(
        await accounts.revoke(session, account_id=account_id, role=role, actor=member.actor)
    )


@router.post(
    "/invitations/{token}/accept",
    summary="Set the password from an invitation",
    description="Once per invitation, before it expires. Signing in is then POST /v1/staff/sessions.",
    responses=responses(InvalidInvitation, WeakPassword, RateLimited),
)
async def accept_invitation(  # noqa: PLR0917 - the path, the body and four dependencies
    token: InvitationToken,
    body: InvitationAccept,
    session: DbSession,
    runtime: RuntimeDep,
    passwords: PasswordsDep,
    client: Client,
) -> StaffAccountOut:
    await throttle_address(runtime, client, "staff_accept")
    view = await accounts.accept(
        session, passwords=passwords, token=token, password=body.password, client=client
    )
    return StaffAccountOut.of(view)


@router.post(
    "/sessions",
    status_code=201,
    summary="Sign in (step one: the password)",
    description="The session opens nothing until the second factor is done: `state` says whether to enrol"
    " an authenticator app first (POST /v1/staff/sessions/current/totp) or send its code"
    " (POST /v1/staff/sessions/current/mfa). A wrong email and a wrong password answer alike.",
    responses=responses(InvalidCredentials, AccountLocked, AccountDisabled, RateLimited),
)
async def sign_in(
    body: StaffSignIn, session: DbSession, runtime: RuntimeDep, passwords: PasswordsDep, client: Client
) -> StaffSessionCreated:
    await throttle_address(runtime, client, "staff_sign_in")
    new = await sign_in_with_password(
        session,
        settings=runtime.settings,
        passwords=passwords,
        email=body.email,
        password=body.password,
        client=client,
    )
    return StaffSessionCreated(token=new.token, state=new.signed_in.state, expires_at=new.expires_at)


@router.get(
    "/sessions/current", summary="The state of my staff session", responses=responses(*_SESSION_ERRORS)
)
async def current_session(signed_in: StaffSessionAny) -> StaffSessionOut:
    return StaffSessionOut(state=signed_in.state, expires_at=signed_in.session.expires_at)


@router.post(
    "/sessions/current/totp",
    status_code=201,
    summary="Enrol an authenticator app (first sign-in)",
    description="Returns a new secret; the first code from the app (POST /v1/staff/sessions/current/mfa)"
    " confirms it and finishes the sign-in.",
    responses=responses(*_SESSION_ERRORS, TotpAlreadyEnrolled),
)
async def enrol_totp(session: DbSession, signed_in: StaffSessionAny) -> TotpEnrolmentOut:
    enrolment = await second_factor.start_enrolment(session, signed_in=signed_in)
    return TotpEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post(
    "/sessions/current/mfa",
    summary="Sign in (step two: the TOTP code)",
    responses=responses(*_SESSION_ERRORS, InvalidOtp, AccountLocked, TotpNotStarted),
)
async def verify_mfa(
    body: MfaCode, session: DbSession, runtime: RuntimeDep, signed_in: StaffSessionAny, client: Client
) -> StaffSessionOut:
    done = await second_factor.verify(
        session, settings=runtime.settings, signed_in=signed_in, code=body.code, client=client
    )
    return StaffSessionOut(state=done.state, expires_at=done.session.expires_at)


@router.delete(
    "/sessions/current", status_code=204, summary="Sign out", responses=responses(*_SESSION_ERRORS)
)
async def sign_out(session: DbSession, signed_in: StaffSessionAny, client: Client) -> Response:
    await staff_sessions.sign_out(session, signed_in=signed_in, client=client)
    return Response(status_code=204)


@router.get(
    "/me",
    summary="Who I am: name, roles, permissions",
    responses=responses(*_SESSION_ERRORS, StaffMfaRequired),
)
async def me(session: DbSession, signed_in: SignedInStaff) -> StaffMe:
    member = await staff_sessions.member_of(session, signed_in)
    return StaffMe(
        email=signed_in.account.email,
        name=signed_in.account.display_name,
        roles=sorted(member.roles),
        permissions=sorted(member.permissions),
    )
