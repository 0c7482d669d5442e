"""Request and response bodies of the staff risk API (alerts, cases, reports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from croupier.identity.schemas import Strict
from croupier.risk.cases import Disposition
from croupier.risk.casework import MAX_NOTE, MAX_REASON


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EventOut(_View):
    id: int
    kind: str
    occurred_at: datetime
    data: dict[str, Any]


class AlertOut(_View):
    id: uuid.UUID
    case_id: uuid.UUID | None
    case_status: str | None = Field(description="The status of the case the alert belongs to.")
    player_id: uuid.UUID
    typology: str
    source: str = Field(description="What raised it: `rule:<name>@<version>`, the anomaly model, screening.")
    score: float
    reasons: list[Any]
    event_ids: list[int]
    created_at: datetime
    events: list[EventOut] = Field(description="The domain events behind the alert.")


class AlertPageOut(_View):
    items: list[AlertOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class EntryOut(_View):
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


class CaseOut(_View):
    id: uuid.UUID
    player_id: uuid.UUID
    status: str
    assignee: str | None
    disposition: str | None
    disposition_reason: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    alert_count: int


class CaseListOut(_View):
    items: list[CaseOut]


class CaseDetailOut(_View):
    case: CaseOut
    alerts: list[AlertOut]
    notes: list[EntryOut]
    timeline: list[EntryOut]


class AddNote(Strict):
    text: str = Field(min_length=1, max_length=MAX_NOTE)


class AssignCase(Strict):
    assignee: str = Field(min_length=1, max_length=64, description="Who works the case (a staff name).")


class MoveCase(Strict):
    reason: str | None = Field(None, min_length=1, max_length=MAX_REASON)


class CloseCase(Strict):
    disposition: Disposition
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class PrecisionOut(_View):
    source: str
    typology: str
    confirmed: int
    false_positive: int
    precision: float | None


class PrecisionListOut(_View):
    items: list[PrecisionOut]


class LargeTransactionOut(_View):
    player_id: uuid.UUID
    currency: str
    threshold: int
    cash_in: int
    deposits: int
    cash_out: int
    withdrawals: int
    reported: str


class LargeTransactionReportOut(BaseModel):
    gaming_day: date
    starts_at: datetime
    ends_at: datetime
    rows: list[LargeTransactionOut]
