"""The KYC API: a player's own status, and the staff desk that reviews and overrides levels."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from croupier.audit.service import Actor
from croupier.audit.service import record_now as audit_now
from croupier.audit.tags import AuditAction, Outcome
from croupier.compliance.kyc import service, verification
from croupier.compliance.kyc.errors import (
    AddressRequired,
    AlreadyVerified,
    CheckPending,
    DocumentsMissing,
    DocumentStoreUnavailable,
    InvalidLevelChange,
    KycNotConfigured,
    RejectedFinal,
    Underage,
)
from croupier.compliance.kyc.gateway import provider_of
from croupier.compliance.kyc.models import DocumentKind
from croupier.compliance.kyc.provider import (
    KycProviderRefused,
    KycProviderUnavailable,
    KycWebhookMalformed,
    KycWebhookSignatureInvalid,
)
from croupier.compliance.kyc.schemas import (
    CheckView,
    DocumentView,
    KycStatusView,
    LevelView,
    RequestCheck,
    SetLevel,
    StaffPlayerView,
    WebhookAck,
)
from croupier.compliance.kyc.store import document_store
from croupier.compliance.kyc.uploads import (
    DocumentTooLarge,
    EmptyDocument,
    ExecutableDocument,
    UnsupportedDocument,
)
from croupier.identity.auth import CurrentAuth
from croupier.identity.errors import InvalidSession
from croupier.kit.db import commit_now
from croupier.kit.deps import Client, DbSession, RuntimeDep, SettingsDep
from croupier.kit.errors import Forbidden, NotFound, Unauthenticated, responses
from croupier.staff.auth import KycReader, KycReviewer

router = APIRouter(tags=["kyc"])
staff_router = APIRouter(prefix="/v1/staff/kyc", tags=["staff: kyc"])
_STAFF = (Unauthenticated, Forbidden)


@router.get("/v1/kyc", summary="My identity verification", responses=responses(InvalidSession))
async def my_kyc(session: DbSession, auth: CurrentAuth, settings: SettingsDep) -> KycStatusView:
    """My level, the latest check, my documents, what is asked of me next and what each
    level opens."""
    found = await service.overview(session, player_id=auth.player.id)
    return KycStatusView.of(found, settings)


@router.post(
    "/v1/kyc/documents",
    status_code=201,
    summary="Upload an identity document, a selfie or a proof of address",
    responses=responses(
        InvalidSession,
        DocumentTooLarge,
        UnsupportedDocument,
        ExecutableDocument,
        EmptyDocument,
        RejectedFinal,
        KycProviderUnavailable,
        KycProviderRefused,
        KycNotConfigured,
        DocumentStoreUnavailable,
    ),
)
async def upload_document(
    *,
    session: DbSession,
    auth: CurrentAuth,
    runtime: RuntimeDep,
    client: Client,
    kind: Annotated[DocumentKind, Form(description="identity_document, selfie or proof_of_address")],
    file: Annotated[UploadFile, File(description="JPEG, PNG or PDF, recognised by its content")],
) -> DocumentView:
    """The file is judged by its content, not its name; it is forwarded to the provider
    and kept sealed under your data key."""
    provider = provider_of(runtime)
    data = await file.read(runtime.settings.kyc_document_max_bytes + 1)
    # Authenticated: the connection goes back to the pool while the provider is called.
    await commit_now(session)
    document = await verification.upload(
        runtime.database,
        provider,
        document_store(runtime.settings),
        runtime.settings,
        player_id=auth.player.id,
        kind=kind,
        data=data,
        client=client,
    )
    return DocumentView.of(document)


@router.post(
    "/v1/kyc/checks",
    status_code=201,
    summary="Ask for my documents (or, without them, my name, birth date and address) to be checked",
    responses=responses(
        InvalidSession,
        AlreadyVerified,
        CheckPending,
        RejectedFinal,
        DocumentsMissing,
        AddressRequired,
        KycProviderUnavailable,
        KycProviderRefused,
        KycNotConfigured,
    ),
)
async def request_check(
    body: RequestCheck, session: DbSession, auth: CurrentAuth, runtime: RuntimeDep, client: Client
) -> CheckView:
    """A `full` check when an identity document and a selfie are on file, else a `basic`
    one; the result comes later (see `GET /v1/kyc`)."""
    provider = provider_of(runtime)
    await commit_now(session)
    check = await verification.request_check(
        runtime.database,
        provider,
        runtime.settings,
        player_id=auth.player.id,
        address=body.address,
        client=client,
    )
    return CheckView.of(check)


@router.post(
    "/v1/webhooks/kyc",
    summary="KYC provider events (signed)",
    responses=responses(KycWebhookSignatureInvalid, KycWebhookMalformed, KycNotConfigured),
)
async def kyc_webhook(
    request: Request, session: DbSession, runtime: RuntimeDep, client: Client
) -> WebhookAck:
    """Verifies the HMAC-SHA256 signature and its timestamp, then acts on the event once.
    A 2xx tells the provider to stop delivering it."""
    provider = provider_of(runtime)
    try:
        event = provider.parse_event(await request.body(), request.headers)
    except KycWebhookSignatureInvalid as exc:
        await audit_now(
            session,
            AuditAction.KYC_WEBHOOK_REJECT,
            actor=Actor.provider(provider.name),
            outcome=Outcome.DENIED,
            client=client,
            details={"reason": exc.detail},
        )
        raise
    return WebhookAck(outcome=await verification.receive(session, runtime.settings, event=event))


@staff_router.get(
    "/players/{player_id}",
    summary="A player's verification, with the personal data it rests on (audited)",
    responses=responses(*_STAFF, NotFound),
)
async def show_player(player_id: uuid.UUID, session: DbSession, staff: KycReader) -> StaffPlayerView:
    return StaffPlayerView.of(await service.staff_view(session, player_id=player_id, actor=staff.actor))


@staff_router.put(
    "/players/{player_id}/level",
    summary="Set a player's level after a review, or override it, with a reason",
    responses=responses(*_STAFF, NotFound, InvalidLevelChange, Underage),
)
async def set_level(
    player_id: uuid.UUID, body: SetLevel, session: DbSession, staff: KycReviewer, settings: SettingsDep
) -> LevelView:
    row = await service.set_level_by_staff(
        session, settings, player_id=player_id, level=body.level, reason=body.reason, actor=staff.actor
    )
    return LevelView(player_id=row.player_id, level=row.level, updated_at=row.updated_at)


@staff_router.get(
    "/players/{player_id}/documents/{document_id}",
    summary="A document's content, decrypted (audited)",
    responses=responses(*_STAFF, NotFound, DocumentStoreUnavailable),
    response_class=Response,
)
async def document_content(
    player_id: uuid.UUID, document_id: uuid.UUID, session: DbSession, staff: KycReader, runtime: RuntimeDep
) -> Response:
    document, content = await verification.document_content(
        session,
        document_store(runtime.settings),
        player_id=player_id,
        document_id=document_id,
        actor=staff.actor,
    )
    return Response(
        content,
        media_type=document.content_type,
        headers={"Cache-Control": "no-store", "Content-Disposition": "attachment"},
    )
