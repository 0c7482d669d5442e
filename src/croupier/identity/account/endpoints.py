"""Identity HTTP API: account routes (password and email changes, password reset)."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, BackgroundTasks, Response

from croupier.identity.account import names, password_reset, registration, verification
from croupier.identity.account import service as account
from croupier.identity.account.schemas import (
    EmailChange,
    EmailChangeRequested,
    LinkConfirmation,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    PasswordResetRequested,
    ProfileChange,
    VerificationSent,
)
from croupier.identity.auth import CurrentAuth, PasswordsDep, SteppedUpAuth
from croupier.identity.endpoints import throttle_address
from croupier.identity.errors import (
    AccountLocked,
    EmailTaken,
    InvalidOtp,
    InvalidSession,
    StepUpRequired,
    WrongPassword,
)
from croupier.identity.factors import factors
from croupier.identity.passwords import WeakPassword
from croupier.identity.schemas import MfaStatus, Profile
from croupier.kit.client import ClientInfo
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.kit.errors import RateLimited, responses
from croupier.kit.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["identity"])
_log = structlog.get_logger("croupier.identity")


@router.post(
    "/me/password",
    status_code=204,
    summary="Change my password",
    description="Needs a recent step-up and the current password. Signs out every other session.",
    responses=responses(
        InvalidSession, StepUpRequired, WrongPassword, AccountLocked, WeakPassword, RateLimited
    ),
)
async def change_password(
    body: PasswordChange,
    session: DbSession,
    *,
    runtime: RuntimeDep,
    passwords: PasswordsDep,
    auth: SteppedUpAuth,
    client: Client,
) -> Response:
    await throttle_address(runtime, client, "password_change")
    await account.change_password(
        session,
        settings=runtime.settings,
        passwords=passwords,
        auth=auth,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client,
    )
    return Response(status_code=204)


@router.post(
    "/me/email",
    status_code=202,
    summary="Change my email address",
    description="Needs a recent step-up. Mails a confirmation link to the new address; the change "
    "happens when it is used, and the previous address is then told. The answer is the same whether "
    "or not the new address has an account (its owner is told instead).",
    responses=responses(InvalidSession, StepUpRequired, RateLimited),
)
async def change_email(
    body: EmailChange, session: DbSession, runtime: RuntimeDep, auth: SteppedUpAuth, client: Client
) -> EmailChangeRequested:
    await throttle_address(runtime, client, "email_change")
    await account.request_email_change(
        session, settings=runtime.settings, auth=auth, new_email=str(body.new_email), client=client
    )
    return EmailChangeRequested()


@router.post(
    "/email-changes/confirm",
    status_code=204,
    summary="Confirm a change of email address with the mailed link",
    responses=responses(verification.InvalidVerificationToken, EmailTaken, RateLimited),
)
async def confirm_email_change(
    body: LinkConfirmation, session: DbSession, runtime: RuntimeDep, client: Client
) -> Response:
    await throttle_address(runtime, client, "email_change_confirm")
    await account.confirm_email_change(session, settings=runtime.settings, token=body.token, client=client)
    return Response(status_code=204)


@router.post(
    "/players/verify-email",
    status_code=204,
    summary="Confirm my email address with the mailed link",
    description="Until the address is confirmed the player cannot deposit.",
    responses=responses(verification.InvalidVerificationToken, RateLimited),
)
async def verify_email(
    body: LinkConfirmation, session: DbSession, runtime: RuntimeDep, client: Client
) -> Response:
    await throttle_address(runtime, client, "verify_email")
    await registration.confirm(session, token=body.token, client=client)
    return Response(status_code=204)


@router.post(
    "/me/email-verification",
    status_code=202,
    summary="Send me a new link to confirm my email address",
    responses=responses(InvalidSession, registration.EmailAlreadyVerified, RateLimited),
)
async def resend_verification(
    session: DbSession, runtime: RuntimeDep, auth: CurrentAuth, client: Client
) -> VerificationSent:
    await registration.resend_link(session, settings=runtime.settings, player=auth.player, client=client)
    return VerificationSent()


async def _send_reset_link(runtime: Runtime, email: str, client: ClientInfo) -> None:
    # A job of its own, after the response: nothing the account lookup does can
    # change what the client sees or how long it waits.
    try:
        async with runtime.database.unit_of_work() as session:
            await password_reset.request_reset(session, settings=runtime.settings, email=email, client=client)
    except Exception:  # noqa: BLE001 - the client has its answer already; the failure goes to the log
        _log.exception("password_reset_request_failed")


@router.post(
    "/password-resets",
    status_code=202,
    summary="Ask for a password reset link",
    description="Always 202 with the same body, whether or not the address has an account.",
    responses=responses(RateLimited),
)
async def request_password_reset(
    body: PasswordResetRequest, runtime: RuntimeDep, client: Client, background: BackgroundTasks
) -> PasswordResetRequested:
    await throttle_address(runtime, client, "password_reset")
    background.add_task(_send_reset_link, runtime, str(body.email), client)
    return PasswordResetRequested()


@router.post(
    "/password-resets/confirm",
    status_code=204,
    summary="Set a new password with a reset link",
    description="A player with a second factor must also send `otp` or `recovery_code`. "
    "Signs out every session.",
    responses=responses(
        password_reset.InvalidResetToken,
        password_reset.ResetMfaRequired,
        InvalidOtp,
        AccountLocked,
        WeakPassword,
        RateLimited,
    ),
)
async def confirm_password_reset(
    body: PasswordResetConfirm,
    session: DbSession,
    *,
    runtime: RuntimeDep,
    passwords: PasswordsDep,
    client: Client,
) -> Response:
    await throttle_address(runtime, client, "password_reset_confirm")
    await password_reset.confirm_reset(
        session,
        settings=runtime.settings,
        passwords=passwords,
        token=body.token,
        new_password=body.new_password,
        otp=body.otp,
        recovery_code=body.recovery_code,
        client=client,
    )
    return Response(status_code=204)


@router.patch(
    "/me/profile",
    summary="Change my name or postcode",
    description='Sets what is given (first name, last name, postcode; `"postcode": null` removes '
    "the postcode) and answers with the profile. A new name is screened against sanctions lists.",
    responses=responses(InvalidSession),
)
async def change_my_profile(
    body: ProfileChange, session: DbSession, *, runtime: RuntimeDep, auth: CurrentAuth, client: Client
) -> Profile:
    profile = await names.change_profile(
        session,
        settings=runtime.settings,
        auth=auth,
        first_name=body.first_name,
        last_name=body.last_name,
        postcode=body.postcode,
        changes_postcode=body.changes_postcode,
        client=client,
    )
    available = await factors(session, auth.player)
    return Profile(
        **profile.__dict__,
        mfa=MfaStatus(
            totp=available.totp, passkeys=available.passkeys, recovery_codes_left=available.recovery_codes
        ),
    )
