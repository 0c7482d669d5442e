"""Per-player data keys and the field cipher built on them."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto import envelope, repository
from croupier.crypto.models import PlayerDataKey
from croupier.kit.clock import utcnow
from croupier.kit.errors import CroupierError
from croupier.kit.keyring import KEY_BYTES, keyring_of


class PersonalDataErased(CroupierError):
    code = "personal_data_erased"
    status = 410
    title = "Personal data erased"


def _wrap_aad(player_id: uuid.UUID, dek_version: int) -> bytes:
    return b"croupier:dek:" + player_id.bytes + dek_version.to_bytes(4, "big")


class PlayerCipher:
    """Seals one player's personal fields under that player's data key."""

    def __init__(self, player_id: uuid.UUID, dek: bytes, dek_version: int) -> None:
        self.player_id = player_id
        self._dek = dek
        self._version = dek_version

    def _aad(self, field: str) -> bytes:
        return f"{field}:{self.player_id}".encode()

    def encrypt(self, field: str, value: str) -> bytes:
        return envelope.seal(self._dek, self._version, value.encode(), self._aad(field))

    def decrypt(self, field: str, blob: bytes) -> str:
        if envelope.sealed_version(blob) != self._version:
            raise envelope.DecryptionFailed("field was sealed under another data-key version")
        return envelope.unseal(self._dek, blob, self._aad(field)).decode()

    def encrypt_bytes(self, field: str, value: bytes) -> bytes:
        """Seal bytes (an uploaded document) the way ``encrypt`` seals text."""
        return envelope.seal(self._dek, self._version, value, self._aad(field))

    def decrypt_bytes(self, field: str, blob: bytes) -> bytes:
        if envelope.sealed_version(blob) != self._version:
            raise envelope.DecryptionFailed("field was sealed under another data-key version")
        return envelope.unseal(self._dek, blob, self._aad(field))

    def __repr__(self) -> str:
        return f"PlayerCipher(player_id={self.player_id})"


_CACHE = "croupier.player_ciphers"


async def create_player_cipher(session: AsyncSession, *, player_id: uuid.UUID) -> PlayerCipher:
    ring = keyring_of(session)
    dek = secrets.token_bytes(KEY_BYTES)
    wrapped = envelope.seal(ring.current_kek, ring.current_version, dek, _wrap_aad(player_id, 1))
    repository.add(
        session,
        PlayerDataKey(player_id=player_id, dek_version=1, kek_version=ring.current_version, wrapped=wrapped),
    )
    cipher = PlayerCipher(player_id, dek, 1)
    session.info.setdefault(_CACHE, {})[player_id] = cipher
    return cipher


async def player_cipher(session: AsyncSession, *, player_id: uuid.UUID) -> PlayerCipher:
    cache: dict[uuid.UUID, PlayerCipher] = session.info.setdefault(_CACHE, {})
    if player_id in cache:
        return cache[player_id]
    key = await repository.get(session, player_id)
    if key is None:
        raise PersonalDataErased()
    return cipher_of_wrapped(
        session,
        player_id=player_id,
        wrapped=key.wrapped,
        kek_version=key.kek_version,
        dek_version=key.dek_version,
    )


def cipher_of_wrapped(
    session: AsyncSession, *, player_id: uuid.UUID, wrapped: bytes | None, kek_version: int, dek_version: int
) -> PlayerCipher:
    """The player's cipher from a data key row the caller read with its own query (a bet reads it
    with the seed it unseals, in one statement)."""
    cache: dict[uuid.UUID, PlayerCipher] = session.info.setdefault(_CACHE, {})
    if player_id in cache:
        return cache[player_id]
    if wrapped is None:
        raise PersonalDataErased()
    ring = keyring_of(session)
    if envelope.sealed_version(wrapped) != kek_version:
        raise envelope.DecryptionFailed("wrapped data key disagrees with its KEK version")
    dek = envelope.unseal(ring.kek(kek_version), wrapped, _wrap_aad(player_id, dek_version))
    cache[player_id] = PlayerCipher(player_id, dek, dek_version)
    return cache[player_id]


async def destroy_player_key(session: AsyncSession, *, player_id: uuid.UUID) -> bool:
    """Crypto-shredding: destroy the player's data key, so every field and document sealed
    under it is unreadable wherever a copy of it lies (backups included). Final."""
    session.info.setdefault(_CACHE, {}).pop(player_id, None)
    return await repository.destroy(session, player_id, now=utcnow())


async def rewrap_batch(session: AsyncSession, *, limit: int = 500) -> int:
    """Re-wrap up to ``limit`` data keys under the newest KEK; plaintext stays in memory."""
    ring = keyring_of(session)
    keys = await repository.lock_stale_batch(session, current=ring.current_version, limit=limit)
    for key in keys:
        if key.wrapped is None:  # destroyed between the query and now
            continue
        aad = _wrap_aad(key.player_id, key.dek_version)
        dek = envelope.unseal(ring.kek(key.kek_version), key.wrapped, aad)
        key.wrapped = envelope.seal(ring.current_kek, ring.current_version, dek, aad)
        key.kek_version = ring.current_version
    await session.flush()
    return len(keys)


async def keys_by_kek_version(session: AsyncSession) -> dict[int, int]:
    return await repository.count_by_kek_version(session)
