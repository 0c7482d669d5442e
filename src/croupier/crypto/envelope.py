"""AES-256-GCM envelope encryption.

A sealed value is ``format (1 byte) || key version (4 bytes, big-endian) ||
nonce (12 bytes) || ciphertext || tag (16 bytes)``. The key version names the
key that sealed it (a KEK version for a wrapped data key, a data-key version for
a personal field), so old ciphertexts stay readable after a rotation. The
associated data is the header followed by the caller's context, which binds a
ciphertext to the row and column it belongs to: moved to another row, or with
its header edited, it no longer decrypts.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from croupier.kit.errors import CroupierError

FORMAT_V1 = 1
NONCE_BYTES = 12
_HEADER = struct.Struct(">BI")
_MIN_LEN = _HEADER.size + NONCE_BYTES + 16


class DecryptionFailed(CroupierError):
    code = "decryption_failed"
    status = 500
    title = "Stored data could not be decrypted"


def gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Raw AES-GCM: ciphertext with the 16-byte tag appended."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def gcm_decrypt(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(nonce, ciphertext_and_tag, aad)


def seal(key: bytes, version: int, plaintext: bytes, aad: bytes) -> bytes:
    # Random 96-bit nonces: each data key seals a handful of fields, far below
    # the 2^32 messages per key at which random nonces become a concern.
    nonce = os.urandom(NONCE_BYTES)
    header = _HEADER.pack(FORMAT_V1, version)
    return header + nonce + gcm_encrypt(key, nonce, plaintext, header + aad)


def sealed_version(blob: bytes) -> int:
    if len(blob) < _MIN_LEN:
        raise DecryptionFailed("ciphertext is truncated")
    fmt, version = _HEADER.unpack_from(blob)
    if fmt != FORMAT_V1:
        raise DecryptionFailed(f"unknown ciphertext format {fmt}")
    return int(version)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    sealed_version(blob)
    header, nonce = blob[: _HEADER.size], blob[_HEADER.size : _HEADER.size + NONCE_BYTES]
    try:
        return gcm_decrypt(key, nonce, blob[_HEADER.size + NONCE_BYTES :], header + aad)
    except InvalidTag:
        raise DecryptionFailed("ciphertext failed authentication") from None
