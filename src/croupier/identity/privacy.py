"""What identity holds about a player, for privacy requests: the profile and sessions an
export shows, and the erasure of the account's personal data (crypto-shredding's other half:
the data key is destroyed by ``crypto``, the sealed fields are blanked here)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.identity import players, repository
from croupier.identity.account import repository as account_repository
from croupier.identity.factors import factors
from croupier.identity.mfa import repository as mfa_repository
from croupier.identity.models import PlayerStatus
from croupier.kit.errors import NotFound

# Not a hash argon2 can produce: nothing verifies against it.
_NO_PASSWORD = "!erased"  # noqa: S105 - a marker that matches no password


async def export_profile(session: AsyncSession, player_id: uuid.UUID) -> dict[str, Any]:
    player = await repository.get_player(session, player_id)
    if player is None:
        raise NotFound("No such player.")
    shown: dict[str, Any] = asdict(await players.profile(session, player))
    shown["second_factors"] = (await factors(session, player)).methods
    shown["passkeys"] = [
        {"name": p.name, "created_at": p.created_at, "last_used_at": p.last_used_at}
        for p in await mfa_repository.list_passkeys(session, player_id)
    ]
    shown["known_devices"] = [
        {"first_seen_at": d.first_seen_at, "last_seen_at": d.last_seen_at}
        for d in await repository.known_devices_of(session, player_id)
    ]
    return shown


async def export_sessions(session: AsyncSession, player_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "expires_at": s.expires_at,
            "ip": s.ip,
            "user_agent": s.user_agent,
            "revoked_at": s.revoked_at,
            "revoked_reason": s.revoked_reason,
        }
        for s in await repository.sessions_of(session, player_id)
    ]


async def erase(session: AsyncSession, player_id: uuid.UUID) -> dict[str, int]:
    """Close the account for good and blank its personal fields.

    The email's blind index is replaced by random bytes, so the address finds no
    account (sign-in, registration and look-ups alike) and may register anew as a
    stranger. The player row stays: the ledger, rounds and payments the AML law
    keeps refer to its id. The country stays in clear for the regulator's reports.
    """
    player = await account_repository.lock_player(session, player_id)
    if player is None:
        raise NotFound("No such player.")
    counts = await repository.erase_player_rows(session, player)
    player.status = PlayerStatus.ERASED
    player.email_index = secrets.token_bytes(32)
    player.email_enc = b""
    player.first_name_enc = b""
    player.last_name_enc = b""
    player.date_of_birth_enc = b""
    player.postcode_enc = None
    player.password_hash = _NO_PASSWORD
    player.totp_secret_enc = None
    player.totp_pending_enc = None
    player.totp_enabled_at = None
    player.totp_last_step = None
    await session.flush()
    return counts


async def delete_ended_sessions(session: AsyncSession, cutoff: datetime) -> int:
    """Retention: sessions that ended (expired or revoked) before ``cutoff``."""
    return await repository.delete_sessions_ended_before(session, cutoff)
