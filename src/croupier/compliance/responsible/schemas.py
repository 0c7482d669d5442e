"""Request and response bodies of the responsible-gambling API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from croupier.compliance.responsible.enforcement import PlayState
from croupier.compliance.responsible.limits import LimitState
from croupier.compliance.responsible.reality_checks import RealityCheck
from croupier.identity.schemas import Strict


class LimitKeyBody(Strict):
    currency: str = Field(min_length=1, max_length=8, examples=["EUR"])
    kind: str = Field(max_length=32, description="deposit, loss (net), wager or session (minutes).")
    period: str | None = Field(
        None,
        max_length=32,
        description="day, week or month; session for (and by default for) a session limit.",
    )


class SetLimit(LimitKeyBody):
    amount: StrictInt | None = Field(
        description="Minor units (minutes for a session limit), above zero; null removes the limit."
        " Lower takes effect at once; higher or removed after the cooling-off and your confirmation."
    )


class PendingView(BaseModel):
    amount: int | None = Field(description="The limit asked for; null with `removal`.")
    removal: bool
    requested_at: datetime
    confirmable_at: datetime = Field(
        description="From when POST /v1/rg/limits/confirmations puts it in force."
    )
    lapses_at: datetime = Field(
        description="Until when it may be confirmed; after that it lapses and must be asked for again."
    )


class LimitView(BaseModel):
    currency: str
    kind: str
    period: str
    amount: int | None = Field(
        description="In force: minor units, or minutes for a session limit; null: none."
    )
    pending: PendingView | None
    used: int | None = Field(description="This period's deposits, stakes or net loss so far (money limits).")

    @classmethod
    def of(cls, state: LimitState) -> LimitView:
        pending = None
        if (
            state.requested_at is not None
            and state.confirmable_at is not None
            and state.lapses_at is not None
        ):
            pending = PendingView(
                amount=state.pending_amount,
                removal=state.pending_removal,
                requested_at=state.requested_at,
                confirmable_at=state.confirmable_at,
                lapses_at=state.lapses_at,
            )
        return cls(
            currency=state.currency,
            kind=str(state.kind),
            period=str(state.period),
            amount=state.amount,
            pending=pending,
            used=state.used,
        )


class LimitList(BaseModel):
    items: list[LimitView]
    cooling_off_hours: int


class SessionView(BaseModel):
    """Where the player stands in this sign-in session, carried by every bet's answer."""

    started_at: datetime
    elapsed_seconds: int
    currency: str
    net_position: int = Field(description="Payouts less stakes in this session, minor units of `currency`.")
    reality_check_due: bool = Field(description="Acknowledge with POST /v1/rg/reality-check.")
    reality_check_due_at: datetime | None
    reality_check_minutes: int | None

    @classmethod
    def of(cls, state: PlayState) -> SessionView:
        return cls(
            started_at=state.started_at,
            elapsed_seconds=state.elapsed_seconds,
            currency=state.currency,
            net_position=state.net_position,
            reality_check_due=state.reality_check_due,
            reality_check_due_at=state.reality_check_due_at,
            reality_check_minutes=state.reality_check_minutes,
        )


class SetRealityCheck(Strict):
    interval_minutes: StrictInt | None = Field(
        description="Minutes of play between reality checks, 1 to 1440; null stops them."
    )


class RealityCheckView(BaseModel):
    session_started_at: datetime
    elapsed_seconds: int
    net_positions: dict[str, int] = Field(
        description="Payouts less stakes in this session, per currency, minor units."
    )
    interval_minutes: int | None
    acknowledged_at: datetime | None
    due: bool = Field(description="Acknowledge with POST /v1/rg/reality-check.")
    due_at: datetime | None

    @classmethod
    def of(cls, check: RealityCheck) -> RealityCheckView:
        return cls(
            session_started_at=check.started_at,
            elapsed_seconds=check.elapsed_seconds,
            net_positions=check.net_positions,
            interval_minutes=check.interval_minutes,
            acknowledged_at=check.acknowledged_at,
            due=check.due,
            due_at=check.due_at,
        )
