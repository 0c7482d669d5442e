"""Request and response bodies of the privacy API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from croupier.compliance.gdpr import erasure, exports
from croupier.compliance.gdpr.consent import Standing
from croupier.compliance.gdpr.models import ConsentPurpose, DataExport, ExportStatus


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentView(BaseModel):
    purpose: ConsentPurpose
    granted: bool = Field(description="True only while a grant of the current text stands.")
    text_version: str | None = Field(description="The text version the newest change was made against.")
    current_text_version: str
    summary: str
    source: str | None
    changed_at: datetime | None

    @classmethod
    def of(cls, s: Standing) -> ConsentView:
        return cls(**s.__dict__)


class ConsentList(BaseModel):
    items: list[ConsentView]


class ConsentChange(Strict):
    purpose: ConsentPurpose
    granted: bool
    text_version: str = Field(min_length=1, max_length=32, description="The version of the text shown.")


class ConsentUpdate(Strict):
    source: Literal["web", "app", "api"] = Field(description="Where the player made the change.")
    consents: list[ConsentChange] = Field(min_length=1, max_length=len(ConsentPurpose))


class ExportView(BaseModel):
    id: uuid.UUID
    status: ExportStatus
    created_at: datetime
    ready_at: datetime | None
    expires_at: datetime
    downloaded_at: datetime | None
    size_bytes: int | None
    download_path: str | None = Field(
        description="GET it (with the session) to download the archive, once, before `expires_at`."
    )

    @classmethod
    def of(cls, export: DataExport) -> ExportView:
        status = exports.shown_status(export)
        return cls(
            id=export.id,
            status=status,
            created_at=export.created_at,
            ready_at=export.ready_at,
            expires_at=export.expires_at,
            downloaded_at=export.downloaded_at,
            size_bytes=export.size_bytes,
            download_path=f"/v1/me/exports/{export.id}/archive" if status == ExportStatus.READY else None,
        )


class ExportList(BaseModel):
    items: list[ExportView]


class ErasureRequest(Strict):
    confirm: Literal[True] = Field(description="Erasure is final: send true to confirm.")


class StaffErasureRequest(Strict):
    player_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=500, description="Audited; name no one in it.")


class HoldView(BaseModel):
    records: str
    data: str
    basis: str
    until: date


class ErasureView(BaseModel):
    erasure_id: uuid.UUID
    player_id: uuid.UUID
    erased_at: datetime
    already_erased: bool
    removed: dict[str, Any] = Field(description="What each domain removed or blanked.")
    legal_hold: list[HoldView] = Field(
        description="What is kept, pseudonymous, because the AML law requires it, and until when."
    )

    @classmethod
    def of(cls, e: erasure.Erased) -> ErasureView:
        return cls(
            erasure_id=e.erasure_id,
            player_id=e.player_id,
            erased_at=e.erased_at,
            already_erased=e.already,
            removed=e.removed,
            legal_hold=[HoldView(**h.__dict__) for h in e.legal_hold],
        )
