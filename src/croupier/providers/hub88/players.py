"""Who a Hub88 call is about: the ``user`` is a Croupier player id, and the token, if sent, is theirs."""

from __future__ import annotations

import uuid

from croupier.providers.repository import Context


def player_id_of(user: str) -> uuid.UUID | None:
    """The player a ``user`` names: Croupier's player id, in its canonical form only."""
    try:
        parsed = uuid.UUID(user)
    except ValueError:
        return None
    return parsed if str(parsed) == user else None


def knows(ctx: Context, player_id: uuid.UUID, token: str | None) -> bool:
    """The user is a player, and the token, when one is sent, is this provider's token for them."""
    if ctx.player_status is None:
        return False
    return token is None or (ctx.token is not None and ctx.token.player_id == player_id)
