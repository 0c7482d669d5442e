"""Second factors at sign-in and step-up: TOTP codes and recovery codes.

Passkeys are verified through their own ceremony (``passkeys.py``) and end in
the same place: ``mark_mfa`` on the session.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.service import player_cipher
from croupier.identity import repository, totp
from croupier.identity.models import Player, RecoveryCode
from croupier.kit.clock import utcnow
from croupier.kit.metrics import MFA_VERIFICATIONS


@dataclass(frozen=True)
class Factors:
    totp: bool
    passkeys: int
    recovery_codes: int

    @property
    def any(self) -> bool:
        return self.totp or self.passkeys > 0

    @property
    def methods(self) -> list[str]:
        methods = []
        if self.totp:
            methods.append("totp")
        if self.passkeys:
            methods.append("passkey")
        if self.recovery_codes:
            methods.append("recovery_code")
        return methods


async def factors(session: AsyncSession, player: Player) -> Factors:
    return Factors(
        totp=player.totp_enabled_at is not None,
        passkeys=await repository.passkey_count(session, player.id),
        recovery_codes=await repository.unused_recovery_codes(session, player.id),
    )


def normalise_recovery_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


def recovery_code_hash(code: str) -> bytes:
    # Recovery codes carry 120 random bits, so a plain SHA-256 cannot be searched.
    return hashlib.sha256(normalise_recovery_code(code).encode()).digest()


async def verify_totp(session: AsyncSession, player_id: object, code: str) -> bool:
    """Check a TOTP code and burn its time step; False for a wrong or replayed code."""
    player = await repository.get_player_with_secrets(session, player_id)  # type: ignore[arg-type]
    if player is None or player.totp_secret_enc is None:
        MFA_VERIFICATIONS.labels("totp", "failure").inc()
        return False
    secret = (await player_cipher(session, player_id=player.id)).decrypt(
        "totp_secret", player.totp_secret_enc
    )
    step = totp.matching_step(secret, code, at=utcnow().timestamp(), last_used_step=player.totp_last_step)
    if step is None:
        MFA_VERIFICATIONS.labels("totp", "failure").inc()
        return False
    player.totp_last_step = step
    await session.flush()
    MFA_VERIFICATIONS.labels("totp", "success").inc()
    return True


async def use_recovery_code(session: AsyncSession, player_id: object, code: str) -> bool:
    digest = recovery_code_hash(code)
    row = await session.scalar(
        select(RecoveryCode)
        .where(RecoveryCode.player_id == player_id, RecoveryCode.used_at.is_(None))
        .where(RecoveryCode.code_hash == digest)
        .with_for_update()
    )
    if row is None or not hmac.compare_digest(row.code_hash, digest):
        MFA_VERIFICATIONS.labels("recovery_code", "failure").inc()
        return False
    await session.execute(update(RecoveryCode).where(RecoveryCode.id == row.id).values(used_at=utcnow()))
    MFA_VERIFICATIONS.labels("recovery_code", "success").inc()
    return True
