"""Authentication dependencies: the bearer session, and step-up for sensitive changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from croupier.identity.errors import EmailUnverified, InvalidSession, StepUpRequired
from croupier.identity.factors import factors
from croupier.identity.passwords import Passwords
from croupier.identity.sessions import Authenticated, Principal, authenticate, authenticate_principal
from croupier.kit.clock import utcnow
from croupier.kit.deps import DbSession, RuntimeDep, SettingsDep
from croupier.kit.hot_routes import MAX_BEARER_LENGTH
from croupier.kit.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="A session token from POST /v1/sessions")


async def get_passwords(runtime: RuntimeDep) -> Passwords:
    passwords = runtime.extras.get("passwords")
    if not isinstance(passwords, Passwords):
        passwords = runtime.extras["passwords"] = Passwords(runtime.settings)
    return passwords


async def current_session(
    session: DbSession,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    return await authenticate(session, settings=settings, token=_token(credentials))


async def current_principal(
    session: DbSession,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """``current_session`` without ORM objects, for the routes every bet takes."""
    return await authenticate_principal(session, settings=settings, token=_token(credentials))


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if (
        credentials is None
        or credentials.scheme.lower() != "bearer"
        or len(credentials.credentials) > MAX_BEARER_LENGTH
    ):
        raise InvalidSession("Send `Authorization: Bearer <token>`.")
    return credentials.credentials


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
CurrentAuth = Annotated[Authenticated, Depends(current_session)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def ensure_step_up(
    session: DbSession, *, auth: Authenticated, settings: Settings, minutes: int | None = None
) -> None:
    """Require a recent strong authentication on this session.

    A player with a second factor must have used it within the window; a player
    without one must have entered the password within it (signing in counts).
    """
    window = timedelta(minutes=minutes or settings.step_up_minutes)
    now = utcnow()
    available = await factors(session, auth.player)
    if available.any:
        fresh = auth.session.mfa_at is not None and now - auth.session.mfa_at <= window
        needs = "a second factor"
    else:
        fresh = now - auth.session.authenticated_at <= window
        needs = "the password"
    if not fresh:
        raise StepUpRequired(
            f"Confirm {needs} with POST /v1/sessions/current/step-up first.",
            methods=available.methods or ["password"],
            window_minutes=int(window.total_seconds() // 60),
        )


async def step_up(session: DbSession, settings: SettingsDep, auth: CurrentAuth) -> Authenticated:
    await ensure_step_up(session, auth=auth, settings=settings)
    return auth


SteppedUpAuth = Annotated[Authenticated, Depends(step_up)]


async def verified_email(auth: CurrentAuth) -> Authenticated:
    """The signed-in player, whose address has been proven by a mailed link (deposits need it)."""
    if auth.player.email_verified_at is None:
        raise EmailUnverified(
            "Confirm your email address with the link we sent; "
            "POST /v1/me/email-verification sends a new one."
        )
    return auth


VerifiedAuth = Annotated[Authenticated, Depends(verified_email)]
