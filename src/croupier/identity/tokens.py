"""Opaque bearer secrets: 256 random bits, stored only as SHA-256.

A fast hash is right here (unlike passwords): the secret has full entropy, so
the hash cannot be searched. The prefix makes leaked tokens recognisable to
secret scanners and to Croupier's own log scrubbing.
"""

from __future__ import annotations

import hashlib
import secrets

SESSION = "crs_"
MFA_TICKET = "crm_"
PASSWORD_RESET = "crp_"
EMAIL_VERIFICATION = "crv_"


def new_token(prefix: str) -> tuple[str, bytes]:
    token = prefix + secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
