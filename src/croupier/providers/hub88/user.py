"""``/user/info`` and ``/user/balance``: who the player is, and what they can spend."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.clock import utcnow
from croupier.providers import repository, tokens
from croupier.providers.hub88.answers import Answer, about, read
from croupier.providers.hub88.players import knows, player_id_of
from croupier.providers.hub88.schemas import BalanceRequest, UserInfoRequest
from croupier.providers.hub88.status import Status
from croupier.providers.repository import ProviderRow


async def user_info(session: AsyncSession, provider: ProviderRow, body: bytes) -> Answer:
    """The player's country and registration date, for a player this provider has had a game launched for.

    Nothing else is shared: birth date and sex are optional in Hub88's answer and
    a game does not need them.
    """
    request = read(UserInfoRequest, body)
    if isinstance(request, Answer):
        return request
    player_id = player_id_of(request.user)
    info = None if player_id is None else await repository.player_info(session, player_id)
    if (
        player_id is None
        or info is None
        or not await repository.token_issued(session, provider.id, player_id)
    ):
        return Answer(Status.INVALID_TOKEN, request_uuid=request.request_uuid)
    return Answer(
        Status.OK,
        request_uuid=request.request_uuid,
        user=request.user,
        profile={"country": info.country, "registration_date": info.registered_on.isoformat()},
    )


async def balance(session: AsyncSession, provider: ProviderRow, body: bytes) -> Answer:
    """The available cash in the token's currency; asking keeps the game session alive."""
    request = read(BalanceRequest, body)
    if isinstance(request, Answer):
        return request
    player_id = player_id_of(request.user)
    ctx = await repository.context(
        session, provider_id=provider.id, token_hash=tokens.digest(request.token), player_id=player_id
    )
    token = ctx.token
    if player_id is None or not knows(ctx, player_id, request.token) or token is None:
        return Answer(Status.INVALID_TOKEN, request_uuid=request.request_uuid)
    now = utcnow()
    if tokens.expired(token, now):
        return await about(session, Status.TOKEN_EXPIRED, request, player_id, token.currency)
    await tokens.keep_alive(session, request.token, token, now)
    return await about(session, Status.OK, request, player_id, token.currency)
