"""The ``Idempotency-Key`` header every money-moving call takes (IETF draft-ietf-httpapi-idempotency-key).

The client picks a unique key per operation and repeats it on a retry; the
server answers the retry from what it stored, and refuses the key for a
different request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Header, Response
from starlette.datastructures import Headers

from croupier.kit.errors import CroupierError

MAX_LENGTH = 255
HEADER = "Idempotency-Key"


class IdempotencyKeyRequired(CroupierError):
    code = "idempotency_key_required"
    status = 400
    title = "Send an Idempotency-Key header"


class IdempotencyKeyReused(CroupierError):
    code = "idempotency_key_reused"
    status = 409
    title = "Idempotency key already used for another request"


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="A unique key per operation (a UUID is fine); repeat it to retry safely.",
        ),
    ] = None,
) -> str:
    if key is None or not key.strip():
        raise IdempotencyKeyRequired("Money-moving calls need an Idempotency-Key header.")
    key = key.strip()
    if not _acceptable(key):
        raise IdempotencyKeyRequired(f"The Idempotency-Key is 1-{MAX_LENGTH} printable ASCII characters.")
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


def plain_key(headers: Headers) -> str | None:
    """The key as ``idempotency_key`` takes it, when there is exactly one and it is valid; None
    otherwise (a hot route's fast path then leaves the request to the dependency's refusal)."""
    found = headers.getlist(HEADER)
    if len(found) != 1:
        return None
    key = found[0].strip()
    return key if key and _acceptable(key) else None


def _acceptable(key: str) -> bool:
    return len(key) <= MAX_LENGTH and key.isascii() and key.isprintable()


def declare_required_keys(schema: dict[str, Any]) -> None:
    """Say in the OpenAPI document that the ``Idempotency-Key`` header is required where taken.

    The dependency above takes it as optional only to answer its absence with its own
    problem (400 ``idempotency_key_required``) rather than a generic validation error,
    so FastAPI documents it as optional; every operation that takes it requires it.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == HEADER:
                    parameter["required"] = True
                    parameter["schema"] = {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_LENGTH,
                        "pattern": "^[ -~]*[!-~][ -~]*$",  # printable ASCII, not only spaces
                    }


REPLAYED_HEADER = "Idempotent-Replayed"


def mark_replayed(response: Response, replayed: bool) -> None:
    """Tell the client that this answer is the stored one of an earlier request with its key."""
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"


def request_hash(document: Mapping[str, Any], *, ensure_ascii: bool = True) -> bytes:
    """A digest of what a request asked for, to tell a retry from a different request.

    ``ensure_ascii=False`` is the ledger's form: its stored hashes were made with the
    characters as they are, so each caller keeps the form its stored hashes have.
    """
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii)
    return hashlib.sha256(canonical.encode()).digest()
