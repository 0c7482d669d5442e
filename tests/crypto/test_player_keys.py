"""Per-player data keys: wrapped by the newest KEK, bound to their player and column."""

from __future__ import annotations

import secrets
import uuid

import httpx
import pytest
from sqlalchemy import text

from croupier.crypto import envelope
from croupier.crypto.envelope import DecryptionFailed
from croupier.crypto.models import PlayerDataKey
from croupier.crypto.service import PlayerCipher, player_cipher
from croupier.kit.runtime import Runtime
from tests.factories import signed_in_player
from tests.sql import sql


def _cipher() -> PlayerCipher:
    return PlayerCipher(uuid.uuid4(), secrets.token_bytes(32), 1)


class TestPlayerCipher:
    def test_round_trip(self) -> None:
        cipher = _cipher()
        assert cipher.decrypt("email", cipher.encrypt("email", "ada@example.com")) == "ada@example.com"

    def test_a_value_moved_to_another_column_does_not_open(self) -> None:
        cipher = _cipher()
        with pytest.raises(DecryptionFailed):
            cipher.decrypt("last_name", cipher.encrypt("first_name", "Ada"))

    def test_a_value_moved_to_another_player_does_not_open_even_under_the_same_key(self) -> None:
        one = _cipher()
        other = PlayerCipher(uuid.uuid4(), one._dek, 1)  # the worst case: a shared key
        with pytest.raises(DecryptionFailed):
            other.decrypt("email", one.encrypt("email", "ada@example.com"))

    def test_a_field_is_sealed_under_the_data_key_version(self) -> None:
        cipher = PlayerCipher(uuid.uuid4(), secrets.token_bytes(32), 4)
        blob = cipher.encrypt("email", "ada@example.com")
        assert envelope.sealed_version(blob) == 4
        relabelled = blob[:1] + (5).to_bytes(4, "big") + blob[5:]
        with pytest.raises(DecryptionFailed):
            cipher.decrypt("email", relabelled)

    def test_every_flipped_byte_is_detected(self) -> None:
        cipher = _cipher()
        blob = cipher.encrypt("date_of_birth", "1990-12-10")
        for i in range(len(blob)):
            tampered = bytearray(blob)
            tampered[i] ^= 0x80
            with pytest.raises(DecryptionFailed):
                cipher.decrypt("date_of_birth", bytes(tampered))


async def _data_key(runtime: Runtime, player_id: str) -> PlayerDataKey:
    async with runtime.database.unit_of_work() as session:
        key = await session.get(PlayerDataKey, uuid.UUID(player_id))
        assert key is not None
        return key


class TestDataKeysOverHttp:
    async def test_the_newest_kek_wraps_new_keys_and_old_versions_still_unwrap(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        before = await signed_in_player(client, first_name="Hedy")
        runtime.keyring.replace(runtime.keyring.current().with_new_version())
        after = await signed_in_player(client, first_name="Radia")
        for player, version in ((before, 1), (after, 2)):
            key = await _data_key(runtime, player.id)
            assert key.wrapped is not None
            assert key.kek_version == version
            assert envelope.sealed_version(key.wrapped) == version
        assert (await client.get("/v1/me", headers=before.headers)).json()["first_name"] == "Hedy"
        assert (await client.get("/v1/me", headers=after.headers)).json()["first_name"] == "Radia"

    async def test_a_field_moved_to_another_column_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client, first_name="Grace", last_name="Hopper")
        await sql(
            runtime,
            "UPDATE players SET first_name_enc = last_name_enc, last_name_enc = first_name_enc"
            " WHERE id = :id",
            id=uuid.UUID(player.id),
        )
        response = await client.get("/v1/me", headers=player.headers)
        assert response.status_code == 500
        assert response.json()["code"] == "decryption_failed"

    async def test_a_field_moved_to_another_player_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        victim = await signed_in_player(client)
        thief = await signed_in_player(client)
        await sql(
            runtime,
            "UPDATE players SET email_enc = (SELECT email_enc FROM players WHERE id = :victim)"
            " WHERE id = :thief",
            victim=uuid.UUID(victim.id),
            thief=uuid.UUID(thief.id),
        )
        response = await client.get("/v1/me", headers=thief.headers)
        assert response.json()["code"] == "decryption_failed"

    async def test_a_wrapped_key_moved_to_another_player_does_not_unwrap(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        victim = await signed_in_player(client)
        thief = await signed_in_player(client)
        await sql(
            runtime,
            "UPDATE player_data_keys"
            " SET wrapped = (SELECT wrapped FROM player_data_keys WHERE player_id = :victim)"
            " WHERE player_id = :thief",
            victim=uuid.UUID(victim.id),
            thief=uuid.UUID(thief.id),
        )
        response = await client.get("/v1/me", headers=thief.headers)
        assert response.json()["code"] == "decryption_failed"

    async def test_a_destroyed_data_key_leaves_the_personal_data_unreadable(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await sql(
            runtime,
            "UPDATE player_data_keys SET wrapped = NULL, destroyed_at = now() WHERE player_id = :id",
            id=uuid.UUID(player.id),
        )
        response = await client.get("/v1/me", headers=player.headers)
        assert response.status_code == 410
        assert response.json()["code"] == "personal_data_erased"


class TestDataKeysInSession:
    async def test_a_key_is_unwrapped_once_per_session_and_matches_the_one_created(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client, first_name="Katherine")
        async with runtime.database.unit_of_work() as session:
            first = await player_cipher(session, player_id=uuid.UUID(player.id))
            assert await player_cipher(session, player_id=uuid.UUID(player.id)) is first
            enc = await session.scalar(
                text("SELECT first_name_enc FROM players WHERE id = :id"), {"id": uuid.UUID(player.id)}
            )
            assert first.decrypt("first_name", enc) == "Katherine"
