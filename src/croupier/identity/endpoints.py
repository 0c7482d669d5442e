"""Identity HTTP API: thin handlers over the identity services."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction, Outcome
from croupier.identity import players, sessions
from croupier.identity.account import registration
from croupier.identity.auth import CurrentAuth, PasswordsDep
from croupier.identity.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidCredentials,
    InvalidOtp,
    InvalidSession,
    MfaRequired,
    TooYoung,
)
from croupier.identity.factors import factors
from croupier.identity.passwords import WeakPassword
from croupier.identity.schemas import (
    MfaStatus,
    PlayerCreate,
    Profile,
    RegistrationAccepted,
    SessionCreated,
    SessionView,
    SignIn,
)
from croupier.identity.sign_in import sign_in as sign_in_with_password
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.kit.errors import NotFound, RateLimited, responses

router = APIRouter(prefix="/v1", tags=["identity"])


async def throttle_address(runtime: RuntimeDep, client: Client, action: str) -> None:
    """Per-address throttling of credential endpoints, on top of per-account lockout."""
    key = client.ip or "unknown"
    if not await runtime.throttle.hit(runtime.settings.ip_sign_in_rate, action, key):
        # The autonomous pool: the request may already hold a main-pool connection.
        async with runtime.database.autonomous_unit_of_work() as own:
            audit.record(
                own,
                AuditAction.SIGN_IN_THROTTLED,
                actor=Actor.anonymous(),
                outcome=Outcome.DENIED,
                client=client,
                details={"endpoint": action},
            )
        error = RateLimited("Too many attempts from this address; slow down.")
        error.headers["Retry-After"] = "60"
        raise error


@router.post(
    "/players",
    status_code=202,
    summary="Register a player",
    description="Answers the same whether or not the address has an account; the mailbox learns which "
    "(a link to confirm the address, or a note that someone tried to sign up with it). "
    "Sign in once the address is confirmed; `GET /v1/me` gives the player's id.",
    responses=responses(TooYoung, WeakPassword, RateLimited),
)
async def register(
    body: PlayerCreate, session: DbSession, runtime: RuntimeDep, passwords: PasswordsDep, client: Client
) -> RegistrationAccepted:
    await throttle_address(runtime, client, "register")
    await registration.register(
        session,
        settings=runtime.settings,
        passwords=passwords,
        email=str(body.email),
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        date_of_birth=body.date_of_birth,
        country=body.country,
        postcode=body.postcode,
        client=client,
    )
    return RegistrationAccepted()


@router.post(
    "/sessions",
    status_code=201,
    summary="Sign in",
    responses=responses(
        InvalidCredentials, MfaRequired, InvalidOtp, AccountLocked, AccountDisabled, RateLimited
    ),
)
async def sign_in(
    body: SignIn, session: DbSession, runtime: RuntimeDep, passwords: PasswordsDep, client: Client
) -> SessionCreated:
    await throttle_address(runtime, client, "sign_in")
    new = await sign_in_with_password(
        session,
        settings=runtime.settings,
        passwords=passwords,
        email=str(body.email),
        password=body.password,
        otp=body.otp,
        recovery_code=body.recovery_code,
        client=client,
    )
    return SessionCreated(
        token=new.token,
        session_id=new.session.id,
        expires_at=new.session.expires_at,
        previous_sign_in_at=new.previous_sign_in_at,
    )


@router.delete("/sessions/current", status_code=204, summary="Sign out", responses=responses(InvalidSession))
async def sign_out(session: DbSession, auth: CurrentAuth, client: Client) -> Response:
    await sessions.sign_out(session, auth=auth, client=client)
    return Response(status_code=204)


@router.get("/sessions", summary="List my active sessions", responses=responses(InvalidSession))
async def list_sessions(session: DbSession, auth: CurrentAuth) -> list[SessionView]:
    rows = await sessions.list_sessions(session, auth=auth)
    return [
        SessionView(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            ip=row.ip,
            user_agent=row.user_agent,
            current=row.id == auth.session.id,
        )
        for row in rows
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="Revoke one of my sessions",
    responses=responses(InvalidSession, NotFound),
)
async def revoke_session(
    session_id: uuid.UUID, session: DbSession, auth: CurrentAuth, client: Client
) -> Response:
    await sessions.revoke(session, auth=auth, session_id=session_id, client=client)
    return Response(status_code=204)


@router.get("/me", summary="My profile, decrypted", responses=responses(InvalidSession))
async def me(session: DbSession, auth: CurrentAuth) -> Profile:
    profile = await players.profile(session, auth.player)
    available = await factors(session, auth.player)
    return Profile(
        **profile.__dict__,
        mfa=MfaStatus(
            totp=available.totp, passkeys=available.passkeys, recovery_codes_left=available.recovery_codes
        ),
    )
