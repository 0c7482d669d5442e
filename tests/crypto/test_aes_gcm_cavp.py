"""The AES-GCM layer under Croupier's envelope, against NIST CAVP vectors.

Every AES-256 vector with a 96-bit IV (the only IV length Croupier uses) from
``gcmEncryptExtIV256.rsp`` and ``gcmDecrypt256.rsp``, at every tag length.
Croupier always writes and demands a full 128-bit tag; vectors with a truncated
tag are checked by comparing the leading bytes of Croupier's full tag.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from cryptography.exceptions import InvalidTag

from croupier.crypto.envelope import gcm_decrypt, gcm_encrypt
from tests.crypto import cavp

FULL_TAG = 16


def _groups(name: str) -> dict[str, list[cavp.Vector]]:
    groups: dict[str, list[cavp.Vector]] = defaultdict(list)
    for vector in cavp.load(name):
        if vector.param("Keylen") == 256 and vector.param("IVlen") == 96:
            groups[vector.group].append(vector)
    return dict(groups)


ENCRYPT = _groups("gcmEncryptExtIV256.rsp")
DECRYPT = _groups("gcmDecrypt256.rsp")


class TestTheVectorsAreLoaded:
    @pytest.mark.parametrize("groups", [ENCRYPT, DECRYPT], ids=["encrypt", "decrypt"])
    def test_every_96_bit_iv_group_at_every_tag_length(self, groups: dict[str, list[cavp.Vector]]) -> None:
        vectors = [v for group in groups.values() for v in group]
        # 5 PT lengths x 5 AAD lengths x 7 tag lengths, 15 vectors each.
        assert len(groups) == 175
        assert len(vectors) == 2625
        assert {v.param("Taglen") for v in vectors} == {32, 64, 96, 104, 112, 120, 128}

    def test_decrypt_vectors_include_forgeries_with_full_tags(self) -> None:
        full = [v for group in DECRYPT.values() for v in group if v.param("Taglen") == 128]
        assert sum(v.fail for v in full) > 100
        assert sum(not v.fail for v in full) > 100


class TestEncryption:
    @pytest.mark.parametrize("group", sorted(ENCRYPT))
    def test_ciphertext_and_tag_match_nist(self, group: str) -> None:
        for v in ENCRYPT[group]:
            key, iv, pt, aad = v.hex("Key"), v.hex("IV"), v.hex("PT"), v.hex("AAD")
            tag_bytes = v.param("Taglen") // 8
            sealed = gcm_encrypt(key, iv, pt, aad)
            count = v.fields["Count"]
            assert sealed[:-FULL_TAG] == v.hex("CT"), f"Count {count}: ciphertext"
            assert len(sealed) - len(pt) == FULL_TAG, f"Count {count}: Croupier writes full tags"
            assert sealed[-FULL_TAG:][:tag_bytes] == v.hex("Tag"), f"Count {count}: tag"
            assert gcm_decrypt(key, iv, sealed, aad) == pt, f"Count {count}: round trip"


class TestDecryption:
    @pytest.mark.parametrize("group", sorted(DECRYPT))
    def test_authentic_vectors_open_and_forgeries_are_refused(self, group: str) -> None:
        for v in DECRYPT[group]:
            key, iv, ct, aad, tag = v.hex("Key"), v.hex("IV"), v.hex("CT"), v.hex("AAD"), v.hex("Tag")
            count = v.fields["Count"]
            if len(tag) == FULL_TAG:
                if v.fail:
                    with pytest.raises(InvalidTag):
                        gcm_decrypt(key, iv, ct + tag, aad)
                else:
                    assert gcm_decrypt(key, iv, ct + tag, aad) == v.hex("PT"), f"Count {count}"
                continue
            # Truncated tag. GCM's keystream is the same in both directions, so
            # encrypting the ciphertext yields the candidate plaintext, and
            # sealing that gives the full tag the truncated one must prefix.
            candidate = gcm_encrypt(key, iv, ct, aad)[: len(ct)]
            full_tag = gcm_encrypt(key, iv, candidate, aad)[-FULL_TAG:]
            if v.fail:
                assert not full_tag.startswith(tag), f"Count {count}: forgery accepted"
            else:
                assert candidate == v.hex("PT"), f"Count {count}: plaintext"
                assert full_tag.startswith(tag), f"Count {count}: tag"
            # Croupier never accepts a short tag, even a correct one.
            with pytest.raises(InvalidTag):
                gcm_decrypt(key, iv, ct + tag, aad)
