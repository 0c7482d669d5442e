"""Launching a third-party game: a token that lets its provider move the player's money."""

from __future__ import annotations

from fastapi import APIRouter

from croupier.identity.auth import CurrentAuth
from croupier.identity.errors import InvalidSession
from croupier.kit.deps import DbSession
from croupier.kit.errors import NotFound, responses
from croupier.providers import tokens
from croupier.providers.schemas import GameLaunch, LaunchGame
from croupier.wallet.service import UnknownCurrency

router = APIRouter(tags=["games"])


@router.post(
    "/v1/games/launch",
    status_code=201,
    summary="Launch a third-party game",
    responses=responses(InvalidSession, NotFound, UnknownCurrency),
)
async def launch(body: LaunchGame, session: DbSession, auth: CurrentAuth) -> GameLaunch:
    """A short-lived token for the game's provider, bound to you and the currency you play
    with. The game must be started within minutes; each bet keeps the session alive, until you
    sign out of this session or it ends."""
    issued = await tokens.launch(
        session,
        player_id=auth.player.id,
        sign_in_session_id=auth.session.id,
        game_code=body.game_code,
        currency=body.currency,
    )
    return GameLaunch.of(issued)
