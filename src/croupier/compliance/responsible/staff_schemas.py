"""The staff view of a player's responsible-gambling standing: the API's body and the CLI's JSON."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from croupier.compliance.responsible.exclusions import gate
from croupier.compliance.responsible.exclusions.schemas import ExclusionView
from croupier.compliance.responsible.exclusions.service import ExclusionState
from croupier.compliance.responsible.models import RgLimitChange
from croupier.compliance.responsible.schemas import LimitView
from croupier.compliance.responsible.staff import HarmMarker, StaffView


class LimitChangeView(BaseModel):
    at: datetime
    currency: str
    kind: str
    period: str
    change: str = Field(
        description="`set` (new or lower: at once), `requested` (higher or removal), `confirmed`."
    )
    previous: int | None = Field(description="In force before; null: none.")
    amount: int | None = Field(description="Set or asked for; null: a removal.")
    increase: bool = Field(description="A loosening (higher or removed), which waits for the cooling-off.")

    @classmethod
    def of(cls, change: RgLimitChange) -> LimitChangeView:
        return cls(
            at=change.at,
            currency=change.currency,
            kind=change.kind,
            period=change.period,
            change=change.change,
            previous=change.previous,
            amount=change.amount,
            increase=change.increase,
        )


class StaffRegisterView(BaseModel):
    answer: str = Field(description="`Y` (excluded), `N`, `P` (excluded before) or `unavailable`.")
    checked_at: datetime
    trigger: str = Field(description="What asked: `registration` or `sign_in`.")


class RealityCheckSettingsView(BaseModel):
    interval_minutes: int | None = Field(description="Null: the player has no reality checks.")
    acknowledged_at: datetime | None = Field(description="The last check the player acknowledged.")


class HarmMarkerView(BaseModel):
    marker: str = Field(examples=["deposit_frequency_rising", "repeated_limit_increases", "late_night_play"])
    occurred_at: datetime
    details: dict[str, Any] = Field(description="What the marker saw (counts, currency, amounts).")

    @classmethod
    def of(cls, marker: HarmMarker) -> HarmMarkerView:
        return cls(marker=marker.marker, occurred_at=marker.occurred_at, details=marker.details)


class StaffRgView(BaseModel):
    """Everything responsible gambling holds about a player, for compliance staff."""

    player_id: uuid.UUID
    gambling_blocked: bool = Field(description="No deposits and no bets while true.")
    blocked_until: datetime | None = Field(description="Null while blocked: no end yet; or not blocked.")
    exclusions: list[ExclusionView] = Field(
        description="Every time-out, self-exclusion and register block, oldest first; `ended` once lifted."
    )
    limits: list[LimitView] = Field(
        description="In force or pending, with when a loosening may be confirmed."
    )
    cooling_off_hours: int
    limit_changes: list[LimitChangeView] = Field(description="The limit history, oldest first.")
    national_register: StaffRegisterView | None = Field(description="Null until the register has been asked.")
    reality_check: RealityCheckSettingsView
    harm_markers: list[HarmMarkerView] = Field(description="The latest markers of harm, newest first.")

    @classmethod
    def of(cls, view: StaffView, *, cooling_off_hours: int) -> StaffRgView:
        until = view.blocked_until
        return cls(
            player_id=view.player_id,
            gambling_blocked=view.blocked,
            blocked_until=None if not view.blocked or until is None or until >= gate.FOREVER else until,
            exclusions=[ExclusionView.of(e, ExclusionState(s)) for e, s in view.exclusions],
            limits=[LimitView.of(s) for s in view.limits],
            cooling_off_hours=cooling_off_hours,
            limit_changes=[LimitChangeView.of(c) for c in view.limit_changes],
            national_register=None
            if view.register is None
            else StaffRegisterView(
                answer=view.register.answer,
                checked_at=view.register.checked_at,
                trigger=view.register.trigger,
            ),
            reality_check=RealityCheckSettingsView(
                interval_minutes=view.reality_check.interval_minutes,
                acknowledged_at=view.reality_check.acknowledged_at,
            ),
            harm_markers=[HarmMarkerView.of(m) for m in view.harm_markers],
        )
