"""Registering game providers: their key, their games, their stake limits. Every change is audited.

A provider is registered with the public key it signs its wallet calls with
(it keeps the private key). Its games are registered by the codes its protocol
sends (``game_code``); a code belongs to one provider, so a launch finds the
provider from the game. Stake limits are per currency, in minor units.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.providers import repository
from croupier.providers.hub88 import signature
from croupier.providers.models import GameProvider
from croupier.wallet import service as wallet

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,47}$")
GAME_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
HUB88 = "hub88"


@dataclass(frozen=True)
class ProviderView:
    """A provider as staff see it: its stake limits in major units (``{"EUR": "100.00"}``)."""

    name: str
    protocol: str
    enabled: bool
    wallet_path: str
    stake_limits: dict[str, str]
    games: tuple[str, ...]


def wallet_path(name: str) -> str:
    """Where the provider's Wallet API calls arrive (``providers.hub88.endpoints``)."""
    return f"/providers/hub88/{name}"


class InvalidProviderName(CroupierError):
    code = "invalid_provider_name"
    status = 422
    title = "Provider names are 2-48 lower-case letters, digits, dots, dashes or underscores"


class InvalidGameCode(CroupierError):
    code = "invalid_game_code"
    status = 422
    title = "Game codes are 1-64 letters, digits, dots, colons, dashes or underscores"


class InvalidStakeLimit(CroupierError):
    code = "invalid_stake_limit"
    status = 422
    title = "A stake limit is a positive amount with no more decimals than the currency has"


def _check_codes(codes: Sequence[str]) -> list[str]:
    bad = [code for code in codes if not GAME_CODE.match(code)]
    if bad:
        raise InvalidGameCode(f"Not a game code: {', '.join(repr(code) for code in bad)}.")
    return sorted(set(codes))


async def _minor_limits(session: AsyncSession, limits: Mapping[str, Decimal]) -> dict[str, int]:
    """``{"EUR": Decimal("100.00")}`` as ``{"EUR": 10000}``: exact, positive, in supported currencies."""
    out: dict[str, int] = {}
    for currency, amount in limits.items():
        minor = amount.scaleb(await wallet.exponent(session, currency))
        if minor <= 0 or minor != minor.to_integral_value():
            raise InvalidStakeLimit(f"{amount} {currency} is not a positive whole number of minor units.")
        out[currency] = int(minor)
    return out


async def _locked(session: AsyncSession, name: str) -> GameProvider:
    provider = await repository.lock_provider(session, name)
    if provider is None:
        raise NotFound(f"No provider named {name!r}.")
    return provider


async def _add_games(session: AsyncSession, provider: GameProvider, codes: list[str]) -> None:
    taken = await repository.add_games(session, provider.id, codes)
    if taken:
        raise Conflict(f"Another provider has these games: {', '.join(taken)}.", games=taken)


async def add(
    session: AsyncSession,
    *,
    name: str,
    public_key_pem: bytes,
    games: Sequence[str] = (),
    stake_limits: Mapping[str, Decimal] | None = None,
    actor: Actor,
) -> GameProvider:
    """Register a provider speaking Hub88's wallet protocol, with its games and stake limits."""
    if not NAME.match(name):
        raise InvalidProviderName()
    key_fingerprint = signature.fingerprint(public_key_pem)
    codes = _check_codes(games)
    limits = await _minor_limits(session, stake_limits or {})
    if await repository.provider_by_name(session, name) is not None:
        raise Conflict(f"A provider named {name!r} exists.")
    provider = GameProvider(
        name=name,
        protocol=HUB88,
        public_key=public_key_pem.decode("ascii"),
        stake_limits=limits,
        enabled=True,
        added_by=(actor.id or "")[:64],
    )
    session.add(provider)
    await session.flush()
    if codes:
        await _add_games(session, provider, codes)
    audit.record(
        session,
        AuditAction.PROVIDER_ADD,
        actor=actor,
        target=Target("provider", name),
        details={
            "protocol": HUB88,
            "key_sha256": key_fingerprint,
            "games": codes,
            "stake_limits": limits,
        },
    )
    return provider


async def add_games(session: AsyncSession, *, name: str, games: Sequence[str], actor: Actor) -> list[str]:
    codes = _check_codes(games)
    provider = await _locked(session, name)
    await _add_games(session, provider, codes)
    audit.record(
        session,
        AuditAction.PROVIDER_GAMES_ADD,
        actor=actor,
        target=Target("provider", name),
        details={"games": codes},
    )
    return codes


async def set_stake_limits(
    session: AsyncSession, *, name: str, stake_limits: Mapping[str, Decimal], actor: Actor
) -> dict[str, int]:
    """Replace the provider's stake limits (an empty mapping removes them all)."""
    limits = await _minor_limits(session, stake_limits)
    provider = await _locked(session, name)
    before = dict(provider.stake_limits)
    provider.stake_limits = limits
    audit.record(
        session,
        AuditAction.PROVIDER_LIMITS_SET,
        actor=actor,
        target=Target("provider", name),
        details={"before": before, "after": limits},
    )
    return limits


async def set_enabled(session: AsyncSession, *, name: str, enabled: bool, actor: Actor) -> bool:
    """Enable or disable the provider; whether anything changed. A disabled provider's calls are refused."""
    provider = await _locked(session, name)
    if provider.enabled == enabled:
        return False
    provider.enabled = enabled
    action = AuditAction.PROVIDER_ENABLE if enabled else AuditAction.PROVIDER_DISABLE
    audit.record(session, action, actor=actor, target=Target("provider", name))
    return True


async def listing(session: AsyncSession) -> list[ProviderView]:
    """Every provider, by name, with its state, stake limits and games."""
    views = []
    for provider, games in await repository.providers(session):
        limits = {
            currency: wallet.format_minor(amount, await wallet.exponent(session, currency))
            for currency, amount in sorted(provider.stake_limits.items())
        }
        views.append(
            ProviderView(
                name=provider.name,
                protocol=provider.protocol,
                enabled=provider.enabled,
                wallet_path=wallet_path(provider.name),
                stake_limits=limits,
                games=tuple(games),
            )
        )
    return views
