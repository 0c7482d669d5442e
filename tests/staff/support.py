"""Staff accounts as a test drives them: invited through the service, then over HTTP."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import update

from croupier.audit.service import Actor
from croupier.identity.mfa import totp
from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.staff import accounts
from croupier.staff.models import StaffSession

PASSWORD = "Tangerine-Quartz-Velvet-88"


async def invite(runtime: Runtime, email: str, *roles: str) -> str:
    """The invitation token, as `croupier staff invite` would print it."""
    async with runtime.database.unit_of_work() as session:
        made = await accounts.invite(
            session,
            settings=runtime.settings,
            email=email,
            role_names=list(roles),
            display_name=None,
            actor=Actor.operator("test"),
        )
    return made.token


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * totp.STEP_SECONDS)


def wrong_code(secret: str) -> str:
    """A six-digit code that no step within the drift window produces."""
    valid = {code_for(secret, steps_ahead=d) for d in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in valid)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Staff:
    email: str
    token: str  # the session token
    secret: str  # the authenticator app's secret

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/v1/staff/sessions", json={"email": email, "password": password})


async def onboard(
    http: httpx.AsyncClient, runtime: Runtime, email: str, *roles: str, token: str | None = None
) -> Staff:
    """Invited (unless ``token`` is an invitation made already), password set, first sign-in
    with TOTP enrolment: a fully signed-in person."""
    token = token or await invite(runtime, email, *roles)
    accepted = await http.post(f"/v1/staff/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    started = await sign_in(http, email)
    assert started.status_code == 201, started.text
    session_token = started.json()["token"]
    enrolment = await http.post("/v1/staff/sessions/current/totp", headers=bearer(session_token))
    assert enrolment.status_code == 201, enrolment.text
    secret = enrolment.json()["secret"]
    done = await http.post(
        "/v1/staff/sessions/current/mfa", json={"code": code_for(secret)}, headers=bearer(session_token)
    )
    assert done.status_code == 200, done.text
    return Staff(email, session_token, secret)


async def idle_for(runtime: Runtime, minutes: float) -> None:
    """Every staff session last used ``minutes`` ago."""
    async with runtime.database.unit_of_work() as session:
        await session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
