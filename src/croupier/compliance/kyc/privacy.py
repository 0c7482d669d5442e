"""KYC's part in privacy requests: its export section, its eraser and its retention sweep.

The level and the provider's decisions are AML records (customer due diligence, kept
under the legal hold): exported, never erased. The documents and the address are
personal data with a period of their own: erasure and retention remove their content from
the document store (after the transaction commits, so a rolled-back erasure keeps it) and
blank the address. The content was unreadable already once the data key is destroyed;
removing it is tidiness, retried by the next retention runs when the store was down.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.kyc import repository
from croupier.compliance.kyc.errors import DocumentStoreUnavailable
from croupier.compliance.kyc.models import KycDocument
from croupier.compliance.kyc.schemas import CheckView, DocumentView
from croupier.compliance.kyc.store import document_store
from croupier.compliance.kyc.verification import ADDRESS_FIELD
from croupier.crypto.service import player_cipher
from croupier.kit.clock import utcnow
from croupier.kit.db import after_commit
from croupier.kit.runtime import settings_of

# How long the daily retention run tries again to remove content the store kept through an outage.
REMOVAL_RETRY = timedelta(days=7)
_log = structlog.get_logger("croupier.kyc.privacy")


async def export(session: AsyncSession, player_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(session, player_id)
    address = None
    if row is not None and row.address_enc is not None:
        address = (await player_cipher(session, player_id=player_id)).decrypt(ADDRESS_FIELD, row.address_enc)
    return {
        "level": row.level if row is not None else "none",
        "address": address,
        "checks": [
            CheckView.of(c).model_dump(mode="json") for c in await repository.checks(session, player_id)
        ],
        "documents": [
            DocumentView.of(d).model_dump(mode="json") for d in await repository.documents(session, player_id)
        ],
    }


def _remove_after_commit(session: AsyncSession, documents: Sequence[KycDocument]) -> int:
    if not documents:
        return 0
    now = utcnow()
    for document in documents:
        document.deleted_at = now
    _delete_after_commit(session, "kyc.documents.remove", [d.id for d in documents])
    return len(documents)


def _delete_after_commit(session: AsyncSession, key: str, ids: Sequence[uuid.UUID]) -> None:
    store = document_store(settings_of(session))

    async def remove() -> None:
        # The rows say removed whatever the store answers: the transaction has committed.
        # A store that is down leaves the content to the next retention runs (below).
        failed = 0
        for document_id in ids:
            try:
                await store.delete(document_id)
            except DocumentStoreUnavailable:
                failed += 1
        if failed:
            _log.warning("kyc_documents_not_removed", documents=failed, retried_for_days=REMOVAL_RETRY.days)

    after_commit(session, f"{key}:{ids[0]}", remove)


async def erase(session: AsyncSession, player_id: uuid.UUID) -> dict[str, int]:
    row = await repository.get(session, player_id)
    blanked = 0
    if row is not None and row.address_enc is not None:
        row.address_enc, blanked = None, 1
    held = [d for d in await repository.documents(session, player_id) if d.deleted_at is None]
    return {"documents_removed": _remove_after_commit(session, held), "address_blanked": blanked}


async def delete_documents_before(session: AsyncSession, cutoff: datetime) -> int:
    # Removed lately: removed again (deleting is idempotent), in case the store was down then.
    lately = await repository.documents_removed_since(session, utcnow() - REMOVAL_RETRY)
    if lately:
        _delete_after_commit(session, "kyc.documents.remove-again", lately)
    return _remove_after_commit(session, await repository.documents_held_before(session, cutoff))
