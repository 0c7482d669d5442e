"""Request and response bodies of the games and fairness API. Amounts are minor units."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from croupier.compliance.responsible.enforcement import PlayState
from croupier.compliance.responsible.schemas import SessionView
from croupier.games.engines import blackjack
from croupier.games.models import GameRound
from croupier.games.seeds import Commitment


class LimitsView(BaseModel):
    minimum: int
    maximum: int


class GameView(BaseModel):
    code: str = Field(examples=["dice"])
    name: str
    rtp: str = Field(description="Return to player, percent, e.g. 97.3000.", examples=["99.0000"])
    house_edge: str = Field(description="100 minus the RTP, percent.")
    rtp_is_exact: bool = Field(description="False where the figure is nominal or depends on play.")
    rtp_note: str
    multi_step: bool
    stake_limits: dict[str, LimitsView] = Field(description="Per currency, in minor units.")


class GameList(BaseModel):
    items: list[GameView]


class RoundView(BaseModel):
    id: uuid.UUID
    game: str
    status: str = Field(examples=["settled", "open"])
    currency: str
    stake: int
    payout: int | None = Field(description="All paid back, stake included; null while open.")
    roll: float | None = Field(None, description="Dice only: the roll, 0.00 to 100.00.")
    nonce: int
    client_seed: str
    server_seed_hash: str
    server_seed: str | None = Field(description="Revealed once the seed pair has been rotated.")
    bet: dict[str, Any]
    outcome: dict[str, Any] | None
    table: dict[str, Any] | None = Field(None, description="Blackjack: the cards as the player may see them.")
    actions: list[str]
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, played: GameRound, *, revealed: str | None = None) -> RoundView:
        outcome = played.outcome
        roll = outcome.get("roll") if outcome and played.game == "dice" else None
        table = None
        if played.state is not None:
            table = blackjack.public_view(blackjack.BlackjackState.from_json(played.state))
        return cls(
            id=played.id,
            game=played.game,
            status=played.status,
            currency=played.currency,
            stake=played.stake,
            payout=played.payout,
            roll=float(roll) if roll is not None else None,
            nonce=played.nonce,
            client_seed=played.client_seed,
            server_seed_hash=played.server_seed_hash,
            server_seed=revealed,
            bet=played.bet,
            outcome=outcome,
            table=table,
            actions=list(played.actions),
            created_at=played.created_at,
            settled_at=played.settled_at,
        )


class PlayedView(RoundView):
    """A bet's answer: the round, and where the player stands in their session after it."""

    session: SessionView | None = Field(
        description="Time played and net position in this sign-in session; whether a reality check is due."
    )

    @classmethod
    def after(cls, played: GameRound, play: PlayState | None) -> PlayedView:
        # Both parts are built validated; putting them together needs no second pass.
        return cls.model_construct(
            **dict(RoundView.of(played)), session=None if play is None else SessionView.of(play)
        )


class RoundList(BaseModel):
    items: list[RoundView]
    next_before: uuid.UUID | None = Field(description="Pass as `before` for the next page.")


class RoundQuery(BaseModel):
    """Paging of the round history; unknown parameters are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100, description="Rounds per page.")
    before: uuid.UUID | None = Field(
        None,
        description="The previous page's `next_before`: the id of its last (oldest) round; the rounds"
        " played before it follow. Omit it for the newest page. A round that is not the player's is"
        " answered 404 `not_found`.",
    )


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(examples=["hit", "stand", "double", "split"], max_length=16)


class SeedsView(BaseModel):
    server_seed_hash: str = Field(description="SHA-256 of the active server seed, committed before any bet.")
    client_seed: str
    nonce: int = Field(description="The nonce the next bet will use.")

    @classmethod
    def of(cls, found: Commitment) -> SeedsView:
        return cls(server_seed_hash=found.server_seed_hash, client_seed=found.client_seed, nonce=found.nonce)


class ClientSeedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_seed: str = Field(min_length=1, max_length=64)


class RotationView(BaseModel):
    revealed_server_seed: str
    server_seed_hash: str = Field(description="The new pair's commitment.")
    client_seed: str
    nonce: int


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Named in the body, an unknown game is invalid input (422), not a missing resource.
    game: Literal["dice", "roulette", "slots", "blackjack"]
    server_seed: str = Field(max_length=64)
    client_seed: str = Field(max_length=64)
    nonce: int = Field(ge=0, le=2**63 - 1)
    bet: dict[str, Any]
    actions: list[str] = Field(default_factory=list, max_length=64)


class VerifyView(BaseModel):
    server_seed_hash: str
    stake: int
    payout: int
    outcome: dict[str, Any]
