"""Players' profiles, with personal fields sealed under the player's key, and the address look-up key.

Registration is in ``account.registration``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.blind_index import blind_index
from croupier.crypto.service import PersonalDataErased, player_cipher
from croupier.identity import repository
from croupier.identity.models import Player
from croupier.kit.errors import NotFound
from croupier.kit.keyring import keyring_of


def email_key(session: AsyncSession, email: str) -> bytes:
    return blind_index(keyring_of(session), "player.email", email.strip().casefold())


async def id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The id of the player registered with ``email``, found through its blind index; the caller audits."""
    player = await repository.player_by_email_index(session, email_key(session, email))
    return None if player is None else player.id


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class PlayerProfile:
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    date_of_birth: date
    country: str
    postcode: str | None
    status: str
    created_at: datetime
    last_sign_in_at: datetime | None
    email_verified: bool


async def profile(session: AsyncSession, player: Player) -> PlayerProfile:
    cipher = await player_cipher(session, player_id=player.id)
    return PlayerProfile(
        id=player.id,
        email=cipher.decrypt("email", player.email_enc),
        first_name=cipher.decrypt("first_name", player.first_name_enc),
        last_name=cipher.decrypt("last_name", player.last_name_enc),
        date_of_birth=date.fromisoformat(cipher.decrypt("date_of_birth", player.date_of_birth_enc)),
        country=player.country,
        postcode=None if player.postcode_enc is None else cipher.decrypt("postcode", player.postcode_enc),
        status=player.status,
        created_at=player.created_at,
        last_sign_in_at=player.last_sign_in_at,
        email_verified=player.email_verified_at is not None,
    )


async def profile_of(session: AsyncSession, player_id: uuid.UUID) -> PlayerProfile | None:
    """A player's profile, decrypted, for another domain that must name the person (an AML report);
    None if there is no such player; ``PersonalDataErased`` if the player was erased.
    The caller audits the read."""
    player = await repository.get_player(session, player_id)
    return None if player is None else await profile(session, player)


async def ensure_exists(session: AsyncSession, player_id: uuid.UUID) -> None:
    """``NotFound`` unless there is such a player (for a domain about to act on one later)."""
    if await repository.get_player(session, player_id) is None:
        raise NotFound("No such player.")


async def gambling_blocked_until(
    session: AsyncSession, player_id: uuid.UUID, *, lock: bool = False
) -> datetime | None:
    """Until when the player may not deposit or bet (None: free to); ``NotFound`` for no such player.

    ``lock`` holds the player's row until the transaction ends, so that changes to the block
    apply one after the other.
    """
    exists, until = await repository.gambling_blocked_until(session, player_id, lock=lock)
    if not exists:
        raise NotFound("No such player.")
    return until


async def set_gambling_blocked_until(
    session: AsyncSession, player_id: uuid.UUID, until: datetime | None
) -> None:
    """Only compliance.responsible calls this: it derives ``until`` from the player's exclusions."""
    await repository.set_gambling_blocked_until(session, player_id, until)


@dataclass(frozen=True)
class NameOnFile:
    """What screening against sanctions lists reads about a player."""

    player_id: uuid.UUID
    full_name: str
    date_of_birth: date
    country: str


async def name_on_file(session: AsyncSession, player: Player) -> NameOnFile:
    cipher = await player_cipher(session, player_id=player.id)
    return NameOnFile(
        player_id=player.id,
        full_name=f"{cipher.decrypt('first_name', player.first_name_enc)} "
        f"{cipher.decrypt('last_name', player.last_name_enc)}",
        date_of_birth=date.fromisoformat(cipher.decrypt("date_of_birth", player.date_of_birth_enc)),
        country=player.country,
    )


async def names_on_file(session: AsyncSession, *, page: int = 500) -> AsyncIterator[NameOnFile]:
    """Every player's name, date of birth and country, decrypted one by one; erased players are skipped."""
    after: uuid.UUID | None = None
    while True:
        found = await repository.players_after(session, after, page)
        for player in found:
            try:
                yield await name_on_file(session, player)
            except PersonalDataErased:
                continue
        if len(found) < page:
            return
        after = found[-1].id
