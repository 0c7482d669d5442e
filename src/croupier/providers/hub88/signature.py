"""``X-Hub88-Signature``: RSA-SHA256 (PKCS#1 v1.5) over the raw request body, base64.

The provider signs with its private key; Croupier verifies with the public key
registered for it (``croupier providers add --public-key``). The body is
verified exactly as received, before it is parsed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from croupier.kit.errors import CroupierError

HEADER = "X-Hub88-Signature"
MIN_KEY_BITS = 2048
# A 4096-bit signature is 684 base64 characters; anything much longer is not one.
_MAX_HEADER = 1400


class InvalidPublicKey(CroupierError):
    code = "invalid_public_key"
    status = 422
    title = "Not an RSA public key of at least 2048 bits in PEM form"


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidPublicKey("The file is not a PEM public key.") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
        raise InvalidPublicKey(f"Hub88 signs with RSA; the key must be RSA of at least {MIN_KEY_BITS} bits.")
    return key


def fingerprint(pem: bytes) -> str:
    """SHA-256 of the key's DER encoding, for the operator to compare with the provider's."""
    der = load_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def verify(key: rsa.RSAPublicKey, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the key's signature of ``body``."""
    if not header or len(header) > _MAX_HEADER:
        return False
    try:
        raw = base64.b64decode(header.strip(), validate=True)
        key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
