"""Where uploaded documents live, each sealed under its player's data key: files on disk
(``file``, the default) or objects in an S3-compatible bucket (``s3``), by
``CROUPIER_KYC_DOCUMENT_STORE``.

A store only ever sees ciphertext (``PlayerCipher.encrypt_bytes``, bound to the
document's id): a copy of the folder or the bucket, like a dump of the database, reads as
noise, and erasing the player's data key shreds every document at once. Names are the
document's id, nothing personal.
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from croupier.compliance.kyc.errors import DocumentStoreUnavailable
from croupier.kit.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")
_log = structlog.get_logger("croupier.kyc.store")
# The codes S3 answers for an object (or, on some services, a key) that is not there.
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class DocumentStore(Protocol):
    """Raises ``DocumentStoreUnavailable`` when the store cannot be reached or refuses."""

    async def put(self, document_id: uuid.UUID, sealed: bytes) -> None: ...

    async def get(self, document_id: uuid.UUID) -> bytes | None: ...

    async def delete(self, document_id: uuid.UUID) -> None:
        """Idempotent: a document already gone is not an error."""


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
        await _file_answer_of("put", functools.partial(self._write, document_id, sealed))

    async def get(self, document_id: uuid.UUID) -> bytes | None:
        path = self._path(document_id)
        try:
            return await _file_answer_of("get", path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, document_id: uuid.UUID) -> None:
        await _file_answer_of("delete", functools.partial(self._path(document_id).unlink, missing_ok=True))


async def _file_answer_of(operation: str, call: Callable[[], T]) -> T:
    """A full disk or a lost mount as ``DocumentStoreUnavailable``; a missing file stays itself."""
    try:
        return await asyncio.to_thread(call)
    except FileNotFoundError:
        raise
    except OSError as exc:
        _log.warning("kyc_document_store_failed", store="file", operation=operation, error=exc.strerror)
        raise DocumentStoreUnavailable("The document store did not answer; try again later.") from None


class S3DocumentStore:
    """Objects in a bucket of any S3-compatible service, through boto3 in worker threads.

    S3 writes an object whole or not at all, so a reader never sees half a document. Every
    failure comes out as ``DocumentStoreUnavailable``, whose message names no credential.
    """

    def __init__(self, client: S3Client, *, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self._prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def key(self, document_id: uuid.UUID) -> str:
        return f"{self._prefix}{document_id.hex}"

    def _put(self, document_id: uuid.UUID, sealed: bytes) -> None:
        self._client.put_object(
            Bucket=self.bucket, Key=self.key(document_id), Body=sealed, ContentType="application/octet-stream"
        )

    def _get(self, document_id: uuid.UUID) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self.key(document_id))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        with answer["Body"] as body:
            return body.read()

    def _delete(self, document_id: uuid.UUID) -> None:
        # S3 answers 204 for a key that is not there: deleting twice is fine.
        self._client.delete_object(Bucket=self.bucket, Key=self.key(document_id))

    async def put(self, document_id: uuid.UUID, sealed: bytes) -> None:
        await _answer_of("put", functools.partial(self._put, document_id, sealed))

    async def get(self, document_id: uuid.UUID) -> bytes | None:
        return await _answer_of("get", functools.partial(self._get, document_id))

    async def delete(self, document_id: uuid.UUID) -> None:
        await _answer_of("delete", functools.partial(self._delete, document_id))


async def _answer_of(operation: str, call: Callable[[], T]) -> T:
    """``call`` in a worker thread; botocore's errors as ``DocumentStoreUnavailable``, logged by
    their kind and S3's error code only: their text may quote request details."""
    try:
        return await asyncio.to_thread(call)
    except (BotoCoreError, ClientError) as exc:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
        _log.warning(
            "kyc_document_store_failed",
            store="s3",
            operation=operation,
            error=type(exc).__name__,
            s3_code=code,
        )
        raise DocumentStoreUnavailable("The document store did not answer; try again later.") from None


@functools.lru_cache(maxsize=8)
def _s3_store(
    *,
    bucket: str,
    prefix: str,
    endpoint_url: str | None,
    region: str | None,
    access_key_id: SecretStr | None,
    secret_access_key: SecretStr | None,
    timeout: float,
) -> S3DocumentStore:
    # One client per configuration, shared by every request: building one loads the service
    # model (tens of milliseconds), and boto3's clients are safe to share between threads.
    session = boto3.session.Session(
        aws_access_key_id=access_key_id.get_secret_value() if access_key_id else None,
        aws_secret_access_key=secret_access_key.get_secret_value() if secret_access_key else None,
        region_name=region,
    )
    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": 2, "mode": "standard"},
        # MinIO, Ceph and the like are reached by their URL, not by a bucket subdomain.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        # Checksums only where S3 requires them: several S3-compatible services refuse the
        # newer default ones. The content is AEAD-sealed, so corruption is caught on reading.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    client = session.client("s3", endpoint_url=endpoint_url, config=config)
    return S3DocumentStore(client, bucket=bucket, prefix=prefix)


def document_store(settings: Settings) -> DocumentStore:
    if settings.kyc_document_store == "s3":
        if settings.kyc_s3_bucket is None:  # pragma: no cover - the settings refuse it
            raise RuntimeError("CROUPIER_KYC_S3_BUCKET is not set")
        return _s3_store(
            bucket=settings.kyc_s3_bucket,
            prefix=settings.kyc_s3_prefix,
            endpoint_url=settings.kyc_s3_endpoint_url,
            region=settings.kyc_s3_region,
            access_key_id=settings.kyc_s3_access_key_id,
            secret_access_key=settings.kyc_s3_secret_access_key,
            timeout=settings.kyc_s3_timeout_seconds,
        )
    return FileDocumentStore(settings.kyc_documents_dir)
