"""Where uploaded documents live: files on disk, each sealed under its player's data key.

The store only ever sees ciphertext (``PlayerCipher.encrypt_bytes``, bound to the
document's id): a copy of the folder, like a dump of the database, reads as noise, and
erasing the player's data key shreds every document at once. An S3-compatible store
would be another implementation of ``DocumentStore``; only the filesystem one exists.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Protocol

from croupier.kit.settings import Settings


class DocumentStore(Protocol):
    async def put(self, document_id: uuid.UUID, sealed: bytes) -> None: ...

    async def get(self, document_id: uuid.UUID) -> bytes | None: ...

    async def delete(self, document_id: uuid.UUID) -> None: ...


class FileDocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, document_id: uuid.UUID) -> Path:
        # Two levels of fan-out keep folders small; the name is the id, nothing personal.
        name = document_id.hex
        return self.root / name[:2] / name

    def _write(self, document_id: uuid.UUID, sealed: bytes) -> None:
        path = self._path(document_id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_suffix(".partial")
        # Written whole, then renamed: a reader never sees half a document.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(sealed)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)

    async def put(self, document_id: uuid.UUID, sealed: bytes) -> None:
        await asyncio.to_thread(self._write, document_id, sealed)

    async def get(self, document_id: uuid.UUID) -> bytes | None:
        path = self._path(document_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, document_id: uuid.UUID) -> None:
        await asyncio.to_thread(self._path(document_id).unlink, missing_ok=True)


def document_store(settings: Settings) -> DocumentStore:
    return FileDocumentStore(settings.kyc_documents_dir)
