"""Blind indexes: equality look-ups on encrypted email without storing it or its plain hash."""

from __future__ import annotations

import hashlib
import uuid

import httpx
from sqlalchemy import text

from croupier.crypto.blind_index import blind_index
from croupier.identity.players import email_key
from croupier.kit.keyring import Keyring
from croupier.kit.runtime import Runtime
from tests.factories import register, sign_in


class TestBlindIndex:
    def test_is_deterministic_for_one_purpose_and_value(self) -> None:
        ring = Keyring.generate()
        assert blind_index(ring, "player.email", "ada@example.com") == blind_index(
            ring, "player.email", "ada@example.com"
        )

    def test_differs_across_purposes(self) -> None:
        ring = Keyring.generate()
        values = {blind_index(ring, p, "ada@example.com") for p in ("player.email", "player.phone", "iban")}
        assert len(values) == 3

    def test_purpose_and_value_cannot_be_shifted_into_each_other(self) -> None:
        ring = Keyring.generate()
        assert blind_index(ring, "player.email", "x") != blind_index(ring, "player.emai", "lx")

    def test_depends_on_the_keyring(self) -> None:
        value = "ada@example.com"
        assert blind_index(Keyring.generate(), "player.email", value) != blind_index(
            Keyring.generate(), "player.email", value
        )

    def test_is_not_a_plain_hash_of_the_email(self) -> None:
        ring = Keyring.generate()
        email = "ada@example.com"
        index = blind_index(ring, "player.email", email)
        plain = {
            hashlib.sha256(email.encode()).digest(),
            hashlib.sha256(b"player.email\x00" + email.encode()).digest(),
            hashlib.sha256(email.upper().encode()).digest(),
        }
        assert index not in plain


class TestEmailLookUp:
    async def test_is_case_insensitive(self, runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            keys = {
                email_key(session, e) for e in ("Ada@Example.COM", "ada@example.com", " ADA@EXAMPLE.COM ")
            }
            assert len(keys) == 1
            assert email_key(session, "ada@example.org") not in keys

    async def test_sign_in_matches_the_email_whatever_its_case(self, client: httpx.AsyncClient) -> None:
        _, data = await register(client, email=f"Mixed.Case-{uuid.uuid4().hex[:8]}@Example.com")
        for variant in (data["email"], data["email"].upper(), data["email"].lower()):
            response = await sign_in(client, variant)
            assert response.status_code == 201, (variant, response.text)

    async def test_the_stored_index_is_neither_the_email_nor_its_sha256(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id, data = await register(client)
        async with runtime.database.unit_of_work() as session:
            stored = await session.scalar(
                text("SELECT email_index FROM players WHERE id = :id"), {"id": uuid.UUID(player_id)}
            )
        email = data["email"]
        assert stored == blind_index(runtime.keyring.current(), "player.email", email.casefold())
        for candidate in (email, email.casefold()):
            assert stored != hashlib.sha256(candidate.encode()).digest()
            assert candidate.encode() not in stored
