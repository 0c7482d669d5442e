"""A software WebAuthn authenticator, enough to drive Croupier's passkey ceremonies in tests.

It answers the options the server sends the way a browser and a security key
together would: a P-256 key per credential, "none" attestation, authenticator
data and the COSE public key in CBOR, clientDataJSON naming the challenge and
origin, and ES256 signatures over authenticatorData || SHA-256(clientDataJSON).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost:8000"  # Settings.webauthn_origin's default

_UP = 0x01  # user present
_UV = 0x04  # user verified
_AT = 0x40  # attested credential data included


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    id: bytes
    rp_id: str
    key: ec.EllipticCurvePrivateKey
    # None: an authenticator without a signature counter (always reports zero).
    sign_count: int | None = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def next_count(self) -> int:
        if self.sign_count is None:
            return 0
        self.sign_count += 1
        return self.sign_count


@dataclass
class SoftAuthenticator:
    origin: str = ORIGIN
    user_verified: bool = False
    credentials: dict[bytes, SoftCredential] = field(default_factory=dict)

    def create(
        self, options: dict[str, Any], *, counter: bool = True, reuse: bytes | None = None
    ) -> dict[str, Any]:
        """navigator.credentials.create(): a new credential for the options' RP.

        ``reuse`` attests an existing credential again, as a tampered client could.
        """
        rp_id = options["rp"]["id"]
        if reuse is not None:
            credential = self.credentials[reuse]
        else:
            excluded = {unb64url(c["id"]) for c in options.get("excludeCredentials", [])}
            if excluded & self.credentials.keys():
                raise ValueError("InvalidStateError: this authenticator is already registered")
            credential = SoftCredential(
                id=secrets.token_bytes(32),
                rp_id=rp_id,
                key=ec.generate_private_key(ec.SECP256R1()),
                sign_count=0 if counter else None,
            )
            self.credentials[credential.id] = credential
        client_data = self._client_data("webauthn.create", options["challenge"])
        attested = (
            bytes(16)  # AAGUID: all zero, as with "none" attestation
            + len(credential.id).to_bytes(2, "big")
            + credential.id
            + credential.cose_public_key()
        )
        auth_data = self._auth_data(rp_id, _UP | _AT, 0) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["usb"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential_id: bytes | None = None,
        sign_count: int | None = None,
        origin: str | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.get(): an assertion by one of the allowed credentials.

        ``sign_count`` forces the reported counter (a cloned key's stale one);
        ``origin`` pretends the page was elsewhere (phishing).
        """
        allowed = [unb64url(c["id"]) for c in options.get("allowCredentials", [])]
        if credential_id is None:
            credential_id = next(c for c in allowed if c in self.credentials)
        credential = self.credentials[credential_id]
        count = credential.next_count() if sign_count is None else sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin=origin)
        auth_data = self._auth_data(options.get("rpId", credential.rp_id), _UP, count)
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
        }

    def _client_data(self, kind: str, challenge: str, *, origin: str | None = None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()

    def _auth_data(self, rp_id: str, flags: int, count: int) -> bytes:
        if self.user_verified:
            flags |= _UV
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + count.to_bytes(4, "big")
