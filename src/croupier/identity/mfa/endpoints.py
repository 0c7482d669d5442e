"""Identity HTTP API: second factors (TOTP, recovery codes, passkeys), MFA sign-in and step-up.

Changing a player's factors always needs a recent strong authentication
(``SteppedUpAuth``): the second factor for a player who has one, the password
otherwise. Without it a stolen session could enrol its own authenticator and
lock the owner out.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from croupier.identity.auth import CurrentAuth, PasswordsDep, SteppedUpAuth
from croupier.identity.endpoints import throttle_address
from croupier.identity.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidOtp,
    InvalidSession,
    StepUpRequired,
    WrongPassword,
)
from croupier.identity.mfa import passkeys, step_up
from croupier.identity.mfa import service as mfa
from croupier.identity.mfa.schemas import (
    MfaSignIn,
    MfaTicketBody,
    PasskeyCreate,
    PasskeyRegistered,
    PasskeyView,
    RecoveryCodes,
    SteppedUp,
    StepUp,
    TotpConfirm,
    TotpEnrolment,
)
from croupier.identity.models import Passkey
from croupier.identity.schemas import SessionCreated
from croupier.kit.deps import Client, DbSession, RuntimeDep, SettingsDep
from croupier.kit.errors import NotFound, RateLimited, responses

router = APIRouter(prefix="/v1", tags=["identity"])


def _view(passkey: Passkey) -> PasskeyView:
    return PasskeyView(
        id=passkey.id,
        name=passkey.name,
        transports=list(passkey.transports),
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
    )


# TOTP and recovery codes ------------------------------------------------------------------


@router.post(
    "/me/mfa/totp",
    status_code=201,
    summary="Start authenticator-app enrolment",
    responses=responses(InvalidSession, StepUpRequired),
)
async def enrol_totp(session: DbSession, auth: SteppedUpAuth, client: Client) -> TotpEnrolment:
    enrolment = await mfa.enrol_totp(session, player=auth.player, client=client)
    return TotpEnrolment(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post(
    "/me/mfa/totp/confirm",
    summary="Confirm authenticator-app enrolment with a code; returns recovery codes",
    responses=responses(InvalidSession, InvalidOtp, mfa.TotpNotPending),
)
async def confirm_totp(
    body: TotpConfirm, session: DbSession, auth: CurrentAuth, client: Client
) -> RecoveryCodes:
    codes = await mfa.confirm_totp(session, player=auth.player, code=body.otp, client=client)
    return RecoveryCodes(recovery_codes=codes)


@router.delete(
    "/me/mfa/totp",
    status_code=204,
    summary="Remove the authenticator app",
    responses=responses(InvalidSession, StepUpRequired, mfa.TotpNotEnabled),
)
async def disable_totp(session: DbSession, auth: SteppedUpAuth, client: Client) -> Response:
    await mfa.disable_totp(session, player=auth.player, client=client)
    return Response(status_code=204)


@router.post(
    "/me/mfa/recovery-codes",
    status_code=201,
    summary="Replace my recovery codes",
    responses=responses(InvalidSession, StepUpRequired, mfa.MfaNotEnabled),
)
async def regenerate_recovery_codes(session: DbSession, auth: SteppedUpAuth, client: Client) -> RecoveryCodes:
    codes = await mfa.regenerate_recovery_codes(session, player=auth.player, client=client)
    return RecoveryCodes(recovery_codes=codes)


# Passkeys -----------------------------------------------------------------------------------


@router.post(
    "/me/mfa/passkeys/options",
    summary="Options for navigator.credentials.create()",
    responses=responses(InvalidSession, StepUpRequired, passkeys.TooManyPasskeys),
)
async def passkey_registration_options(
    session: DbSession, settings: SettingsDep, auth: SteppedUpAuth
) -> dict[str, Any]:
    return await passkeys.registration_options(session, settings=settings, player=auth.player)


@router.post(
    "/me/mfa/passkeys",
    status_code=201,
    summary="Register a passkey",
    responses=responses(
        InvalidSession,
        StepUpRequired,
        passkeys.PasskeyRegistrationRejected,
        passkeys.PasskeyAlreadyRegistered,
        passkeys.TooManyPasskeys,
    ),
)
async def register_passkey(
    body: PasskeyCreate, session: DbSession, settings: SettingsDep, auth: SteppedUpAuth, client: Client
) -> PasskeyRegistered:
    registered = await passkeys.register(
        session,
        settings=settings,
        player=auth.player,
        name=body.name,
        credential=body.credential,
        client=client,
    )
    return PasskeyRegistered(
        **_view(registered.passkey).model_dump(), recovery_codes=registered.recovery_codes
    )


@router.get("/me/mfa/passkeys", summary="List my passkeys", responses=responses(InvalidSession))
async def list_passkeys(session: DbSession, auth: CurrentAuth) -> list[PasskeyView]:
    return [_view(p) for p in await passkeys.list_passkeys(session, player=auth.player)]


@router.delete(
    "/me/mfa/passkeys/{passkey_id}",
    status_code=204,
    summary="Remove a passkey",
    responses=responses(InvalidSession, StepUpRequired, NotFound),
)
async def remove_passkey(
    passkey_id: uuid.UUID, session: DbSession, auth: SteppedUpAuth, client: Client
) -> Response:
    await passkeys.remove(session, player=auth.player, passkey_id=passkey_id, client=client)
    return Response(status_code=204)


# Finishing a sign-in --------------------------------------------------------------------------


@router.post(
    "/sessions/mfa/passkey-options",
    summary="Passkey options for finishing a sign-in",
    responses=responses(step_up.InvalidMfaTicket, AccountDisabled, passkeys.NoPasskeys, RateLimited),
)
async def sign_in_passkey_options(
    body: MfaTicketBody, session: DbSession, runtime: RuntimeDep, client: Client
) -> dict[str, Any]:
    await throttle_address(runtime, client, "sign_in_mfa")
    return await step_up.sign_in_passkey_options(
        session, settings=runtime.settings, token=body.mfa_ticket, client=client
    )


@router.post(
    "/sessions/mfa",
    status_code=201,
    summary="Finish a sign-in with the second factor",
    responses=responses(
        step_up.InvalidMfaTicket,
        InvalidOtp,
        passkeys.PasskeyRejected,
        AccountLocked,
        AccountDisabled,
        RateLimited,
    ),
)
async def complete_sign_in(
    body: MfaSignIn, session: DbSession, runtime: RuntimeDep, client: Client
) -> SessionCreated:
    await throttle_address(runtime, client, "sign_in_mfa")
    new = await step_up.complete_sign_in(
        session,
        settings=runtime.settings,
        token=body.mfa_ticket,
        proof=step_up.Proof(otp=body.otp, recovery_code=body.recovery_code, passkey=body.passkey),
        client=client,
    )
    return SessionCreated(
        token=new.token,
        session_id=new.session.id,
        expires_at=new.session.expires_at,
        previous_sign_in_at=new.previous_sign_in_at,
    )


# Step-up -----------------------------------------------------------------------------------------


@router.post(
    "/sessions/current/step-up",
    summary="Re-authenticate this session for sensitive changes",
    response_model_exclude_none=True,
    responses=responses(
        InvalidSession,
        InvalidOtp,
        passkeys.PasskeyRejected,
        WrongPassword,
        step_up.FactorNotAccepted,
        AccountLocked,
    ),
)
async def step_up_session(
    *,
    body: StepUp,
    session: DbSession,
    settings: SettingsDep,
    passwords: PasswordsDep,
    auth: CurrentAuth,
    client: Client,
) -> SteppedUp:
    done = await step_up.step_up(
        session,
        settings=settings,
        passwords=passwords,
        auth=auth,
        proof=step_up.Proof(
            otp=body.otp, recovery_code=body.recovery_code, password=body.password, passkey=body.passkey
        ),
        client=client,
    )
    return SteppedUp(mfa_at=done.mfa_at, authenticated_at=done.authenticated_at)


@router.post(
    "/sessions/current/step-up/passkey-options",
    summary="Passkey options for stepping this session up",
    responses=responses(InvalidSession, passkeys.NoPasskeys),
)
async def step_up_passkey_options(
    session: DbSession, settings: SettingsDep, auth: CurrentAuth
) -> dict[str, Any]:
    return await step_up.step_up_options(session, settings=settings, auth=auth)
