"""Keyed HMAC blind indexes: equality look-ups on encrypted fields without plaintext."""

from __future__ import annotations

import hashlib
import hmac

from croupier.kit.keyring import Keyring


def blind_index(ring: Keyring, purpose: str, value: str) -> bytes:
    """Deterministic for one (purpose, value); unlinkable across purposes."""
    message = purpose.encode() + b"\x00" + value.encode()
    return hmac.new(ring.blind_index_key, message, hashlib.sha256).digest()
