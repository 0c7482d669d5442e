"""Game tokens: what a provider presents for a player's game session.

A token is issued when a player launches a game (``POST /v1/games/launch``) or
by an operator for integration testing (``croupier providers token``). It is a
256-bit secret with a ``crg_`` prefix, stored as SHA-256 like every other
Croupier token, and bound to one provider, player and currency.

Lifetime: it must be used within ``START_WINDOW`` of being issued; each use
(a balance or a bet) keeps it alive for ``IDLE`` more, written at most once a
minute, and never beyond ``MAX_SESSION`` after issue. Wins and rollbacks do not
look at expiry: they may arrive long after the bet.

A launched token also names the sign-in session it was launched from, and ends
with it: once the player signs out, the session is revoked (another device, a
password change, a disablement) or it reaches its absolute lifetime, the game
may no longer take bets. Its idle timeout is not applied: a player in a
provider's game calls the provider, not Croupier, so the session's last-seen
time stands still however busy the game; the token's own ``IDLE`` measures
that play. An operator's test token has no sign-in session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.identity import tokens
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, NotFound
from croupier.providers import repository
from croupier.providers.repository import ProviderRow, TokenRow
from croupier.wallet import service as wallet

PREFIX = "crg_"
START_WINDOW = timedelta(minutes=5)
IDLE = timedelta(minutes=30)
MAX_SESSION = timedelta(hours=12)
# The expiry is pushed forward at most this often: a busy session should not write on every bet.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    user: str  # the player's id as the provider must send it
    provider: str
    currency: str
    game_code: str | None
    expires_at: datetime


def digest(token: str) -> bytes:
    return tokens.digest(token)


def expired(row: TokenRow, now: datetime) -> bool:
    """Past its own expiry, or its sign-in session has ended."""
    return now >= row.expires_at or (row.sign_in_ends_at is not None and now >= row.sign_in_ends_at)


async def keep_alive(session: AsyncSession, token: str, row: TokenRow, now: datetime) -> None:
    """Push the token's expiry forward after a use at ``now``; written at most once a ``TOUCH_INTERVAL``."""
    wanted = min(now + IDLE, row.ends_at)
    if wanted - row.expires_at >= TOUCH_INTERVAL:
        await repository.touch_token(session, digest(token), wanted)


async def _issue(
    session: AsyncSession,
    *,
    provider: ProviderRow,
    player_id: uuid.UUID,
    currency: str,
    game_code: str | None,
    sign_in_session_id: uuid.UUID | None,
) -> IssuedToken:
    await wallet.exponent(session, currency)  # UnknownCurrency if Croupier does not hold it
    secret, token_hash = tokens.new_token(PREFIX)
    now = utcnow()
    expires_at = now + START_WINDOW
    await repository.add_token(
        session,
        {
            "token_hash": token_hash,
            "provider_id": provider.id,
            "player_id": player_id,
            "currency": currency,
            "game_code": game_code,
            "expires_at": expires_at,
            "ends_at": now + MAX_SESSION,
            "sign_in_session_id": sign_in_session_id,
            "created_at": now,
        },
    )
    return IssuedToken(
        token=secret,
        user=str(player_id),
        provider=provider.name,
        currency=currency,
        game_code=game_code,
        expires_at=expires_at,
    )


async def launch(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    sign_in_session_id: uuid.UUID,
    game_code: str,
    currency: str,
) -> IssuedToken:
    """A token for the signed-in player to open ``game_code`` playing in ``currency``, bound to the
    sign-in session it is launched from."""
    provider = await repository.provider_of_game(session, game_code)
    if provider is None or not provider.enabled:
        raise NotFound("No such game.")
    return await _issue(
        session,
        provider=provider,
        player_id=player_id,
        currency=currency,
        game_code=game_code,
        sign_in_session_id=sign_in_session_id,
    )


async def issue_for_testing(
    session: AsyncSession,
    *,
    provider_name: str,
    player_id: uuid.UUID,
    currency: str,
    game_code: str | None,
    actor: Actor,
) -> IssuedToken:
    """A token an operator hands to a provider's integration tests; audited."""
    provider = await repository.provider_by_name(session, provider_name)
    if provider is None:
        raise NotFound(f"No provider named {provider_name!r}.")
    if not provider.enabled:
        raise Conflict(f"The provider {provider_name!r} is disabled.")
    if not await repository.player_exists(session, player_id):
        raise NotFound("No such player.")
    if game_code is not None:
        owner = await repository.provider_of_game(session, game_code)
        if owner is None or owner.id != provider.id:
            raise NotFound(f"{provider_name} has no game {game_code!r}.")
    issued = await _issue(
        session,
        provider=provider,
        player_id=player_id,
        currency=currency,
        game_code=game_code,
        sign_in_session_id=None,
    )
    audit.record(
        session,
        AuditAction.GAME_TOKEN_ISSUE,
        actor=actor,
        target=Target.player(player_id),
        details={"provider": provider.name, "currency": currency, "game_code": game_code},
    )
    return issued
