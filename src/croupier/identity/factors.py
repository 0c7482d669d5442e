"""Which second factors a player has: read by sign-in, step-up and the profile as well as by ``mfa``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.identity import repository
from croupier.identity.models import Player


class Method(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    PASSKEY = "passkey"


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
            methods.append(Method.TOTP.value)
        if self.passkeys:
            methods.append(Method.PASSKEY.value)
        if self.recovery_codes:
            methods.append(Method.RECOVERY_CODE.value)
        return methods


async def factors(session: AsyncSession, player: Player) -> Factors:
    return Factors(
        totp=player.totp_enabled_at is not None,
        passkeys=await repository.passkey_count(session, player.id),
        recovery_codes=await repository.unused_recovery_codes(session, player.id),
    )
