"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}.{raw body}"``.

The header reads ``t=<unix seconds>,v1=<hex digest>`` (the scheme Stripe and
most providers use). The timestamp is covered by the MAC and must lie within a
tolerance window, so a captured delivery cannot be replayed later; several
``v1`` values may be present while a provider rotates its secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "PSP-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The signature header is missing, malformed, stale or does not match."""


def sign(secret: bytes, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed with ``secret`` at ``timestamp`` (default now)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={_mac(secret, stamp, body)}"


def verify(
    secrets: list[bytes],
    body: bytes,
    header: str | None,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> int:
    """Check ``header`` against ``body`` under any of ``secrets``; returns the signed timestamp."""
    if not header:
        raise SignatureError("missing signature")
    stamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            stamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if stamp is None or not candidates:
        raise SignatureError("malformed signature")
    current = int(time.time()) if now is None else now
    if abs(current - stamp) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance window")
    expected = [_mac(secret, stamp, body) for secret in secrets]
    # Every comparison runs, so timing says nothing about which secret or candidate failed.
    matched = False
    for candidate in candidates:
        for digest in expected:
            matched |= hmac.compare_digest(candidate, digest)
    if not matched:
        raise SignatureError("signature does not match")
    return stamp


def _mac(secret: bytes, stamp: int, body: bytes) -> str:
    return hmac.new(secret, str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
