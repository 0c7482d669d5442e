"""The sealed-value format: AES-256-GCM with a format byte and a key version in front."""

from __future__ import annotations

import secrets

import pytest

from croupier.crypto import envelope
from croupier.crypto.envelope import DecryptionFailed, seal, sealed_version, unseal

KEY = secrets.token_bytes(32)
AAD = b"email:3f1c2a9e-0000-4000-8000-000000000001"
HEADER = 1 + 4


class TestRoundTrip:
    @pytest.mark.parametrize("plaintext", [b"", b"a", "Zoë Ångström".encode(), secrets.token_bytes(4096)])
    def test_what_is_sealed_opens_with_the_same_key_and_context(self, plaintext: bytes) -> None:
        assert unseal(KEY, seal(KEY, 3, plaintext, AAD), AAD) == plaintext

    def test_sealing_twice_gives_different_ciphertexts(self) -> None:
        # Random nonces: equal values are not recognisable as equal in storage.
        assert seal(KEY, 1, b"same", AAD) != seal(KEY, 1, b"same", AAD)


class TestHeader:
    def test_layout_is_format_version_nonce_ciphertext_tag(self) -> None:
        blob = seal(KEY, 0x01020304, b"hello", AAD)
        assert blob[0] == envelope.FORMAT_V1
        assert blob[1:5] == bytes([1, 2, 3, 4])
        assert len(blob) == HEADER + envelope.NONCE_BYTES + len(b"hello") + 16

    @pytest.mark.parametrize("version", [1, 2, 7, 2**32 - 1])
    def test_the_key_version_is_carried(self, version: int) -> None:
        assert sealed_version(seal(KEY, version, b"x", AAD)) == version

    def test_an_unknown_format_is_refused(self) -> None:
        blob = bytearray(seal(KEY, 1, b"x", AAD))
        blob[0] = 2
        with pytest.raises(DecryptionFailed, match="format"):
            unseal(KEY, bytes(blob), AAD)

    @pytest.mark.parametrize("length", [0, 1, HEADER, HEADER + 12, HEADER + 12 + 15])
    def test_a_truncated_value_is_refused(self, length: int) -> None:
        with pytest.raises(DecryptionFailed, match="truncated"):
            unseal(KEY, seal(KEY, 1, b"", AAD)[:length], AAD)


class TestTampering:
    def test_every_flipped_byte_after_the_header_is_detected(self) -> None:
        blob = seal(KEY, 1, b"4539 1488 0343 6467", AAD)
        for i in range(HEADER, len(blob)):
            tampered = bytearray(blob)
            tampered[i] ^= 0x01
            with pytest.raises(DecryptionFailed):
                unseal(KEY, bytes(tampered), AAD)

    def test_an_edited_key_version_in_the_header_is_detected(self) -> None:
        """The header is authenticated: relabelling a ciphertext's key version breaks it."""
        blob = seal(KEY, 1, b"payload", AAD)
        for i in range(1, HEADER):
            tampered = bytearray(blob)
            tampered[i] ^= 0x01
            with pytest.raises(DecryptionFailed):
                unseal(KEY, bytes(tampered), AAD)

    def test_a_dropped_or_added_byte_is_detected(self) -> None:
        blob = seal(KEY, 1, b"payload", AAD)
        for tampered in (blob[:-1], blob + b"\x00", blob[: HEADER + 12] + blob[HEADER + 13 :]):
            with pytest.raises(DecryptionFailed):
                unseal(KEY, tampered, AAD)

    def test_another_context_does_not_open_it(self) -> None:
        blob = seal(KEY, 1, b"payload", AAD)
        for other in (b"", AAD + b"x", AAD.replace(b"email", b"first_name")):
            with pytest.raises(DecryptionFailed):
                unseal(KEY, blob, other)

    def test_another_key_does_not_open_it(self) -> None:
        with pytest.raises(DecryptionFailed):
            unseal(secrets.token_bytes(32), seal(KEY, 1, b"payload", AAD), AAD)
