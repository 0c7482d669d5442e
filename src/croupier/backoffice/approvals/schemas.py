"""Request and response bodies of the approvals desk."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from croupier.backoffice.approvals.models import ApprovalRequest, ApprovalStatus
from croupier.identity.schemas import Strict


class ApprovalView(BaseModel):
    id: uuid.UUID
    kind: str
    subject: str = Field(description='What the action is about, e.g. "withdrawal:<id>".')
    payload: dict[str, Any] = Field(description="The action's parameters.")
    maker: str
    maker_reason: str | None
    permission: str = Field(description="What the member who decides must hold.")
    status: ApprovalStatus
    checker: str | None
    checker_note: str | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, row: ApprovalRequest) -> ApprovalView:
        return cls.model_validate(row, from_attributes=True)


class ApprovalList(BaseModel):
    items: list[ApprovalView]


class ApprovalDone(ApprovalView):
    effect: dict[str, Any] = Field(description="What the approved action did.")


class ApproveBody(Strict):
    note: str | None = Field(None, max_length=500)


class RejectBody(Strict):
    note: str = Field(
        min_length=1, max_length=500, pattern=r"\S", description="Why; kept in the audit trail."
    )
