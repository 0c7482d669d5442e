"""Opaque, player-bound page cursors for the transaction list.

A cursor carries the last entry id of a page. Entry ids are a global sequence,
so handing them out would tell every player how many money movements the casino
makes between two of their bets; the id is therefore sealed (AES-256-GCM under
a key derived from the keyring) with the player's id as associated data, and a
cursor made for one player is refused for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from croupier.kit.errors import CroupierError
from croupier.kit.keyring import Keyring

_PURPOSE = b"croupier.wallet.cursor.v1"
_NONCE = 12
_ID = struct.Struct(">Q")


class InvalidCursor(CroupierError):
    code = "invalid_cursor"
    status = 422
    title = "Invalid page cursor"


def _key(ring: Keyring) -> bytes:
    return hmac.new(ring.blind_index_key, _PURPOSE, hashlib.sha256).digest()


def seal_cursor(ring: Keyring, player_id: uuid.UUID, entry_id: int) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(ring)).encrypt(nonce, _ID.pack(entry_id), player_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def open_cursor(ring: Keyring, player_id: uuid.UUID, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = AESGCM(_key(ring)).decrypt(raw[:_NONCE], raw[_NONCE:], player_id.bytes)
        (entry_id,) = _ID.unpack(plain)
    except (binascii.Error, ValueError, InvalidTag, struct.error):
        raise InvalidCursor("Use the next_cursor of a previous page, unchanged.") from None
    return int(entry_id)
