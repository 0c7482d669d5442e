"""Request and response bodies of the KYC API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from croupier.compliance.kyc.models import (
    CheckStatus,
    DocumentKind,
    DocumentType,
    KycCheck,
    KycDocument,
    KycLevel,
    Rejection,
)
from croupier.compliance.kyc.service import Overview, StaffView
from croupier.identity.schemas import Strict
from croupier.kit.settings import Settings


class CheckView(BaseModel):
    id: uuid.UUID
    level: KycLevel
    status: CheckStatus
    rejection: Rejection | None = Field(description="retry: upload again; final: no further attempt.")
    labels: list[str] = Field(description="The provider's reason codes, e.g. document_expired.")
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, check: KycCheck) -> CheckView:
        return cls(
            id=check.id,
            level=KycLevel(check.level),
            status=CheckStatus(check.status),
            rejection=Rejection(check.rejection) if check.rejection else None,
            labels=[str(label) for label in check.labels],
            created_at=check.created_at,
            decided_at=check.decided_at,
        )


class DocumentView(BaseModel):
    id: uuid.UUID
    kind: DocumentKind
    content_type: DocumentType
    size_bytes: int
    forwarded: bool = Field(description="The provider has received it.")
    created_at: datetime
    deleted: bool = Field(description="Its content was removed (retention); the record stays.")

    @classmethod
    def of(cls, document: KycDocument) -> DocumentView:
        return cls(
            id=document.id,
            kind=DocumentKind(document.kind),
            content_type=DocumentType(document.content_type),
            size_bytes=document.size_bytes,
            forwarded=document.provider_document_id is not None,
            created_at=document.created_at,
            deleted=document.deleted_at is not None,
        )


class Requirements(BaseModel):
    withdrawal: KycLevel = Field(description="The level withdrawals need.")
    deposits_above: dict[str, int] = Field(
        description="Per currency, minor units: deposits past this total need `deposit_level`."
    )
    deposit_level: KycLevel

    @classmethod
    def of(cls, settings: Settings) -> Requirements:
        return cls(
            withdrawal=KycLevel(settings.kyc_withdrawal_level),
            deposits_above=dict(settings.kyc_deposit_thresholds),
            deposit_level=KycLevel(settings.kyc_deposit_level),
        )


class KycStatusView(BaseModel):
    level: KycLevel
    check: CheckView | None = Field(description="The latest check asked of the provider.")
    pending: bool = Field(description="A check is waiting for the provider's result.")
    documents: list[DocumentView]
    next_steps: list[str] = Field(
        description="What to do next: upload_identity_document, upload_selfie, request_check,"
        " wait_for_check, contact_support; empty when nothing is asked."
    )
    requirements: Requirements

    @classmethod
    def of(cls, found: Overview, settings: Settings) -> KycStatusView:
        return cls(
            level=found.level,
            check=CheckView.of(found.check) if found.check else None,
            pending=found.check is not None and found.check.status == CheckStatus.PENDING,
            documents=[DocumentView.of(d) for d in found.documents],
            next_steps=found.next_steps,
            requirements=Requirements.of(settings),
        )


class SetLevel(Strict):
    level: KycLevel
    reason: str = Field(min_length=1, max_length=500, description="Why; kept in the audit trail.")


class StaffPlayerView(BaseModel):
    player_id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date
    country: str
    address: str | None
    level: KycLevel
    next_steps: list[str]
    checks: list[CheckView]
    documents: list[DocumentView]

    @classmethod
    def of(cls, view: StaffView) -> StaffPlayerView:
        return cls(
            player_id=view.player.id,
            first_name=view.player.first_name,
            last_name=view.player.last_name,
            date_of_birth=view.player.date_of_birth,
            country=view.player.country,
            address=view.address,
            level=view.overview.level,
            next_steps=view.overview.next_steps,
            checks=[CheckView.of(c) for c in view.checks],
            documents=[DocumentView.of(d) for d in view.overview.documents],
        )


class LevelView(BaseModel):
    player_id: uuid.UUID
    level: KycLevel
    updated_at: datetime


class RequestCheck(Strict):
    address: str | None = Field(
        None,
        min_length=5,
        max_length=500,
        description="Your home address, once (kept sealed; sent to the provider with the check).",
    )


class WebhookAck(BaseModel):
    outcome: str
