"""Helpers shared by the MFA specifications: codes, clocks and storage look-ups."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pyotp

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn, signed_in_player
from tests.sql import sql

STEP = 30
RECOVERY_CODE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$")


def code(secret: str, steps: int = 0) -> str:
    """The code an authenticator app shows ``steps`` time steps from now."""
    return pyotp.TOTP(secret).at(int(time.time()) + STEP * steps)


async def away_from_step_boundary() -> None:
    """Wait out the last second of a step, so a code made now is judged in the same step."""
    left = STEP - time.time() % STEP
    if left < 1.5:
        await asyncio.sleep(left + 0.1)


async def age_session(runtime: Runtime, player: SignedIn, minutes: int = 60) -> None:
    """Make the session's last password and second-factor proofs ``minutes`` old."""
    await sql(
        runtime,
        "UPDATE player_sessions SET authenticated_at = authenticated_at - make_interval(mins => :m),"
        " mfa_at = mfa_at - make_interval(mins => :m) WHERE player_id = CAST(:p AS uuid)",
        m=minutes,
        p=player.id,
    )


async def audit_entries(runtime: Runtime, action: str, player_id: str) -> list[Any]:
    return await sql(
        runtime,
        "SELECT outcome, details, actor_id, target_type, target_id FROM audit_events"
        " WHERE action = :a AND (actor_id = :p OR target_id = :p) ORDER BY seq",
        a=action,
        p=player_id,
    )


async def enable_totp(client: httpx.AsyncClient, player: SignedIn) -> tuple[str, list[str]]:
    """Enrol and confirm an authenticator app; the secret and the recovery codes."""
    enrol = await client.post("/v1/me/mfa/totp", headers=player.headers)
    assert enrol.status_code == 201, enrol.text
    secret = enrol.json()["secret"]
    confirm = await client.post("/v1/me/mfa/totp/confirm", json={"otp": code(secret)}, headers=player.headers)
    assert confirm.status_code == 200, confirm.text
    return secret, confirm.json()["recovery_codes"]


async def totp_player(client: httpx.AsyncClient) -> tuple[SignedIn, str, list[str]]:
    player = await signed_in_player(client)
    secret, codes = await enable_totp(client, player)
    return player, secret, codes
