"""Request and response bodies of the game launch API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from croupier.providers.tokens import IssuedToken


class LaunchGame(BaseModel):
    # Forbid, so that a player cannot name anyone but themselves: the token is for the session's player.
    model_config = ConfigDict(extra="forbid")

    game_code: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", examples=["clt_dragonrising"]
    )
    currency: str = Field(pattern=r"^[A-Z]{3,8}$", examples=["EUR"], description="What to play with.")


class GameLaunch(BaseModel):
    provider: str = Field(description="The provider that serves the game.")
    game_code: str
    currency: str
    user: str = Field(description="Your id as the provider knows it.")
    token: str = Field(description="Hand it to the provider's game launcher; it starts one game session.")
    expires_at: datetime = Field(description="Start the game before this; playing keeps the session alive.")

    @classmethod
    def of(cls, issued: IssuedToken) -> GameLaunch:
        return cls(
            provider=issued.provider,
            game_code=issued.game_code or "",
            currency=issued.currency,
            user=issued.user,
            token=issued.token,
            expires_at=issued.expires_at,
        )
