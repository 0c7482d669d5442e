"""Request and response bodies of the exclusion API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from croupier.compliance.responsible.exclusions import gate
from croupier.compliance.responsible.exclusions.models import Exclusion
from croupier.compliance.responsible.exclusions.service import ExclusionState, Standing
from croupier.compliance.responsible.schemas import LimitView


class TimeOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=16, description="24 hours to 6 weeks: `24h`, `72h`, `3d`, `2w`, `6w`.")


class SelfExclusionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(
        max_length=16, description="6 months to 5 years, or indefinite: `6m`, `1y`, `5y`, `indefinite`."
    )


class ExclusionView(BaseModel):
    id: uuid.UUID
    kind: str = Field(examples=["time_out", "self_exclusion", "register"])
    period: str | None = Field(description="As chosen; null for a register block.")
    state: ExclusionState
    started_at: datetime
    ends_at: datetime | None = Field(description="The end of the period; null: indefinite.")
    return_requested_at: datetime | None
    blocks_until: datetime | None = Field(
        description="When gambling reopens as far as this exclusion goes; null: not before the player "
        "asks to return (self-exclusion) or the register clears them."
    )

    @classmethod
    def of(cls, exclusion: Exclusion, state: ExclusionState) -> ExclusionView:
        return cls(
            id=exclusion.id,
            kind=exclusion.kind,
            period=exclusion.period,
            state=state,
            started_at=exclusion.started_at,
            ends_at=exclusion.ends_at,
            return_requested_at=exclusion.return_requested_at,
            blocks_until=None if exclusion.blocks_until >= gate.FOREVER else exclusion.blocks_until,
        )


class ExclusionStatus(BaseModel):
    gambling_blocked: bool = Field(description="No deposits and no bets while true; withdrawals stay open.")
    blocked_until: datetime | None = Field(
        description="When gambling reopens; null while blocked: no end yet."
    )
    exclusions: list[ExclusionView] = Field(description="The exclusions in force.")

    @classmethod
    def of(cls, standing: Standing) -> ExclusionStatus:
        return cls(
            gambling_blocked=standing.blocked,
            blocked_until=standing.blocked_until,
            exclusions=[ExclusionView.of(e, ExclusionState(s)) for e, s in standing.exclusions],
        )


class RgStatus(BaseModel):
    """Everything responsible gambling holds about the player."""

    exclusion: ExclusionStatus
    limits: list[LimitView] = Field(
        description="The limits in force or pending, as GET /v1/rg/limits shows them."
    )
    reality_check_minutes: int | None = Field(description="The reality-check interval; null: none.")
    national_register: RegisterView | None = Field(description="Null until the register has been asked.")


class RegisterView(BaseModel):
    answer: str = Field(
        description="The national register's last answer: `Y` (self-excluded: gambling blocked), `N`, `P` "
        "(excluded before, no longer), or `unavailable`.",
        examples=["N"],
    )
    checked_at: datetime


class ReturnRequested(BaseModel):
    reopens_at: datetime = Field(
        description="When deposits and bets open again, after a 24-hour cooling-off."
    )
