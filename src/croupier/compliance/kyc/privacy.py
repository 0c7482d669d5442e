"""KYC's part in privacy requests: its export section, its eraser and its retention sweep.

The level and the provider's decisions are AML records (customer due diligence, kept
under the legal hold): exported, never erased. The documents and the address are
personal data with a period of their own: erasure and retention remove the files (after
the transaction commits, so a rolled-back erasure keeps them) and blank the address. The
files were unreadable already once the data key is destroyed; removing them is tidiness.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.kyc import repository
from croupier.compliance.kyc.models import KycDocument
from croupier.compliance.kyc.schemas import CheckView, DocumentView
from croupier.compliance.kyc.store import document_store
from croupier.compliance.kyc.verification import ADDRESS_FIELD
from croupier.crypto.service import player_cipher
from croupier.kit.clock import utcnow
from croupier.kit.db import after_commit
from croupier.kit.runtime import settings_of


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
    store = document_store(settings_of(session))
    ids = [d.id for d in documents]
    now = utcnow()
    for document in documents:
        document.deleted_at = now

    async def remove() -> None:
        for document_id in ids:
            await store.delete(document_id)

    after_commit(session, f"kyc.documents.remove:{ids[0]}", remove)
    return len(ids)


async def erase(session: AsyncSession, player_id: uuid.UUID) -> dict[str, int]:
    row = await repository.get(session, player_id)
    blanked = 0
    if row is not None and row.address_enc is not None:
        row.address_enc, blanked = None, 1
    held = [d for d in await repository.documents(session, player_id) if d.deleted_at is None]
    return {"documents_removed": _remove_after_commit(session, held), "address_blanked": blanked}


async def delete_documents_before(session: AsyncSession, cutoff: datetime) -> int:
    return _remove_after_commit(session, await repository.documents_held_before(session, cutoff))
