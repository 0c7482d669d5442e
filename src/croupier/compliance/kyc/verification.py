"""A player's documents and checks, to the provider and back.

Uploads and checks span short transactions with the provider (and the document store)
called in between, none holding a database connection while it waits (as deposits do).
A check's row is committed *before* the provider hears of it, with Croupier's id as the
reference, so the webhook with its result always finds it. Each webhook event is recorded with its
effect in one transaction and acted on once; a check moves only from ``pending``, so
a repeated, late or out-of-order event changes nothing.
"""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction
from croupier.compliance.kyc import repository
from croupier.compliance.kyc.errors import (
    AddressRequired,
    AlreadyVerified,
    CheckPending,
    DocumentsMissing,
    DocumentStoreUnavailable,
    RejectedFinal,
    Underage,
)
from croupier.compliance.kyc.models import (
    CheckStatus,
    DocumentKind,
    KycCheck,
    KycDocument,
    KycLevel,
    Rejection,
)
from croupier.compliance.kyc.provider import (
    ApplicantData,
    KycEvent,
    KycProvider,
    KycProviderRefused,
    KycProviderUnavailable,
)
from croupier.compliance.kyc.service import FULL_CHECK_DOCUMENTS, change_level, on_file_since_rejection
from croupier.compliance.kyc.store import DocumentStore
from croupier.compliance.kyc.uploads import recognise
from croupier.crypto.service import player_cipher
from croupier.identity import players
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.kit.errors import NotFound
from croupier.kit.settings import Settings

ADDRESS_FIELD = "kyc_address"
PROVIDER = Actor.provider("kyc")


def document_field(document_id: uuid.UUID) -> str:
    """The associated data a document is sealed under: its content cannot be moved to another row."""
    return f"kyc_document:{document_id}"


async def _applicant(session: AsyncSession, player_id: uuid.UUID) -> ApplicantData:
    profile = await players.profile_of(session, player_id)
    if profile is None:
        raise NotFound("No such player.")
    return ApplicantData(
        external_id=str(player_id),
        first_name=profile.first_name,
        last_name=profile.last_name,
        date_of_birth=profile.date_of_birth,
        country=profile.country,
    )


async def _refuse_if_closed(session: AsyncSession, player_id: uuid.UUID) -> KycCheck | None:
    latest = await repository.latest_check(session, player_id)
    if latest is not None and latest.rejection == Rejection.FINAL:
        raise RejectedFinal("Verification was refused for good; support can review it.")
    return latest


async def upload(
    database: Database,
    provider: KycProvider,
    store: DocumentStore,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    kind: DocumentKind,
    data: bytes,
    client: ClientInfo | None = None,
) -> KycDocument:
    """Recognise the document by its content, forward it to the provider, keep it sealed."""
    content_type = recognise(data, max_bytes=settings.kyc_document_max_bytes)
    document_id = uuid.uuid4()
    async with database.unit_of_work() as session:
        await _refuse_if_closed(session, player_id)
        row = await repository.get(session, player_id)
        applicant_id = row.applicant_id if row is not None else None
        applicant = await _applicant(session, player_id) if applicant_id is None else None
        sealed = (await player_cipher(session, player_id=player_id)).encrypt_bytes(
            document_field(document_id), data
        )
    if applicant is not None:
        applicant_id = await provider.create_applicant(applicant, webhook_url=settings.kyc_webhook_url)
    if applicant_id is None:  # pragma: no cover - found or created just above
        raise RuntimeError("no applicant")
    forwarded = await provider.upload_document(
        applicant_id=applicant_id, kind=str(kind), content_type=str(content_type), data=data
    )
    # Stored before its row exists, outside any transaction (the store may be a bucket across
    # the network): a store that fails leaves no row pointing at a missing document.
    await store.put(document_id, sealed)
    try:
        async with database.unit_of_work() as session:
            # Erased meanwhile: no data key, and no document is recorded.
            await player_cipher(session, player_id=player_id)
            row = await repository.lock(session, player_id)
            row.applicant_id = row.applicant_id or applicant_id
            document = KycDocument(
                id=document_id,
                player_id=player_id,
                kind=kind,
                content_type=content_type,
                size_bytes=len(data),
                provider_document_id=forwarded,
                created_at=utcnow(),
            )
            repository.add(session, document)
            audit_record(
                session,
                AuditAction.KYC_DOCUMENT_UPLOAD,
                actor=Actor.player(player_id),
                target=Target.player(player_id),
                client=client,
                details={
                    "document_id": str(document.id),
                    "kind": str(kind),
                    "content_type": str(content_type),
                    "size_bytes": len(data),
                },
            )
            await session.flush()
    except BaseException:
        # Retention and erasure find documents by their rows: an object without one would
        # stay for good, so it goes now. Should the store fail here too (or the process die
        # before), the orphan is ciphertext under the player's key, shredded with it on erasure.
        with contextlib.suppress(DocumentStoreUnavailable):
            await store.delete(document_id)
        raise
    return document


async def request_check(
    database: Database,
    provider: KycProvider,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    address: str | None,
    client: ClientInfo | None = None,
) -> KycCheck:
    """Ask the provider to check what is on file: ``full`` with a document and a selfie, else ``basic``."""
    async with database.unit_of_work() as session:
        row = await repository.lock(session, player_id)
        level = KycLevel(row.level)
        if level.at_least(KycLevel.FULL):
            raise AlreadyVerified()
        latest = await _refuse_if_closed(session, player_id)
        if latest is not None and latest.status == CheckStatus.PENDING:
            raise CheckPending()
        on_file = on_file_since_rejection(await repository.documents(session, player_id), latest)
        missing = [str(kind) for kind in FULL_CHECK_DOCUMENTS if kind not in on_file]
        target = KycLevel.BASIC if missing else KycLevel.FULL
        if target == KycLevel.BASIC and level.at_least(KycLevel.BASIC):
            raise DocumentsMissing(f"Upload first: {', '.join(missing)}.", missing=missing)
        cipher = await player_cipher(session, player_id=player_id)
        if address:
            row.address_enc = cipher.encrypt(ADDRESS_FIELD, address)
        elif row.address_enc is None:
            raise AddressRequired()
        else:
            address = cipher.decrypt(ADDRESS_FIELD, row.address_enc)
        applicant_id = row.applicant_id
        applicant = await _applicant(session, player_id) if applicant_id is None else None
        check = KycCheck(
            id=uuid.uuid4(),
            player_id=player_id,
            level=target,
            status=CheckStatus.PENDING,
            labels=[],
            created_at=utcnow(),
        )
        repository.add(session, check)
        audit_record(
            session,
            AuditAction.KYC_CHECK_REQUEST,
            actor=Actor.player(player_id),
            target=Target.player(player_id),
            client=client,
            details={"check_id": str(check.id), "level": str(target)},
        )
    try:
        if applicant is not None:
            applicant_id = await provider.create_applicant(applicant, webhook_url=settings.kyc_webhook_url)
        if applicant_id is None:  # pragma: no cover - found or created just above
            raise RuntimeError("no applicant")
        answer = await provider.create_check(
            applicant_id=applicant_id, level=str(target), reference=str(check.id), address=address
        )
    except (KycProviderUnavailable, KycProviderRefused):
        async with database.unit_of_work() as session:
            await repository.delete_pending_check(session, check.id)
        raise
    async with database.unit_of_work() as session:
        row = await repository.lock(session, player_id)
        row.applicant_id = row.applicant_id or applicant_id
        locked = await repository.lock_check_by_id(session, check.id)
        if locked is None:  # pragma: no cover - checks the provider received are never deleted
            raise RuntimeError("check vanished")
        locked.provider_check_id = locked.provider_check_id or answer.id
        return locked


async def receive(session: AsyncSession, settings: Settings, *, event: KycEvent) -> str:
    """Act on a provider event once; the outcome, for the provider's answer and the inbox row."""
    claimed = await repository.claim_event(
        session, event_id=event.id, kind=event.type, provider_check_id=event.check.id
    )
    if claimed is None:
        return "duplicate"
    claimed.outcome = await _apply(session, settings, event)
    return claimed.outcome


async def _apply(session: AsyncSession, settings: Settings, event: KycEvent) -> str:
    try:
        check_id = uuid.UUID(event.check.reference)
    except ValueError:
        return "unknown_check"
    check = await repository.lock_check_by_id(session, check_id)
    if check is None:
        return "unknown_check"
    if check.provider_check_id is None:
        check.provider_check_id = event.check.id
    elif check.provider_check_id != event.check.id:
        return "mismatch"
    if event.type == "check.pending":
        return "pending" if check.status == CheckStatus.PENDING else "stale"
    if event.type != "check.completed":
        return "ignored"
    if check.status != CheckStatus.PENDING:
        return "already_applied"
    if not _record_result(session, check, event):
        return "malformed"
    if check.status != CheckStatus.APPROVED:
        return f"rejected_{check.rejection}"
    return await _raise_level(session, settings, check)


def _record_result(session: AsyncSession, check: KycCheck, event: KycEvent) -> bool:
    if event.check.result == "approved":
        check.status = CheckStatus.APPROVED
    elif event.check.result == "rejected":
        check.status = CheckStatus.REJECTED
        # Only an explicit "final" closes the door; anything else lets the player try again.
        check.rejection = Rejection.FINAL if event.check.reject_type == "final" else Rejection.RETRY
    else:
        return False
    check.labels, check.decided_at = list(event.check.labels), utcnow()
    audit_record(
        session,
        AuditAction.KYC_CHECK_RESULT,
        actor=PROVIDER,
        target=Target.player(check.player_id),
        details={
            "check_id": str(check.id),
            "level": check.level,
            "status": check.status,
            "rejection": check.rejection,
            "labels": check.labels,
        },
    )
    return True


async def _raise_level(session: AsyncSession, settings: Settings, check: KycCheck) -> str:
    row = await repository.lock(session, check.player_id)
    if KycLevel(row.level).at_least(KycLevel(check.level)):
        return "approved"  # already there (staff got there first): nothing to change
    try:
        await change_level(
            session,
            settings,
            player_id=check.player_id,
            to=KycLevel(check.level),
            actor=PROVIDER,
            source="provider",
            row=row,
        )
    except Underage:
        return "underage"
    return "approved"


async def document_content(
    session: AsyncSession, store: DocumentStore, *, player_id: uuid.UUID, document_id: uuid.UUID, actor: Actor
) -> tuple[KycDocument, bytes]:
    """A document's content for a reviewer, decrypted; the read is audited."""
    document = await repository.document(session, document_id)
    if document is None or document.player_id != player_id:
        raise NotFound("No such document.")
    sealed = await store.get(document_id) if document.deleted_at is None else None
    if sealed is None:
        raise NotFound("The document's content is no longer held.")
    cipher = await player_cipher(session, player_id=player_id)
    content = cipher.decrypt_bytes(document_field(document_id), sealed)
    audit_record(
        session,
        AuditAction.KYC_DOCUMENT_READ,
        actor=actor,
        target=Target.player(player_id),
        details={"document_id": str(document_id), "kind": document.kind},
    )
    return document, content
