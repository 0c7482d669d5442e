"""Player registration and profile, with personal fields sealed under the player's key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.crypto.blind_index import blind_index
from croupier.crypto.service import create_player_cipher, player_cipher
from croupier.identity import repository
from croupier.identity.errors import EmailTaken, TooYoung
from croupier.identity.models import Player, PlayerStatus
from croupier.identity.passwords import Passwords, check_policy
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.keyring import keyring_of
from croupier.kit.metrics import REGISTRATIONS
from croupier.mail import service as mail
from croupier.mail.templates import MailTemplate


def email_key(session: AsyncSession, email: str) -> bytes:
    return blind_index(keyring_of(session), "player.email", email.strip().casefold())


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
    status: str
    created_at: datetime
    last_sign_in_at: datetime | None


async def register(
    session: AsyncSession,
    *,
    passwords: Passwords,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    country: str,
    minimum_age: int,
    client: ClientInfo,
) -> uuid.UUID:
    today = utcnow().date()
    if date_of_birth > today:
        raise TooYoung("The date of birth is in the future.")
    if age_on(date_of_birth, today) < minimum_age:
        REGISTRATIONS.labels("underage").inc()
        raise TooYoung(f"Players must be at least {minimum_age} years old.")
    password = check_policy(password, context=(email.split("@", maxsplit=1)[0], first_name, last_name))
    index = email_key(session, email)
    if await repository.email_taken(session, index):
        REGISTRATIONS.labels("email_taken").inc()
        raise EmailTaken("An account with this email already exists.")

    player_id = uuid.uuid4()
    cipher = await create_player_cipher(session, player_id=player_id)
    player = Player(
        id=player_id,
        email_index=index,
        email_enc=cipher.encrypt("email", email),
        first_name_enc=cipher.encrypt("first_name", first_name),
        last_name_enc=cipher.encrypt("last_name", last_name),
        date_of_birth_enc=cipher.encrypt("date_of_birth", date_of_birth.isoformat()),
        country=country,
        password_hash=await passwords.hash(password),
        status=PlayerStatus.ACTIVE,
    )
    session.add(player)
    await session.flush()
    audit.record(
        session,
        AuditAction.PLAYER_REGISTER,
        actor=Actor.player(player_id),
        target=Target.player(player_id),
        client=client,
        details={"country": country},
    )
    await mail.enqueue(
        session,
        player_id=player_id,
        template=MailTemplate.WELCOME,
        to=email,
        context={"first_name": first_name},
    )
    REGISTRATIONS.labels("created").inc()
    return player_id


async def profile(session: AsyncSession, player: Player) -> PlayerProfile:
    cipher = await player_cipher(session, player_id=player.id)
    return PlayerProfile(
        id=player.id,
        email=cipher.decrypt("email", player.email_enc),
        first_name=cipher.decrypt("first_name", player.first_name_enc),
        last_name=cipher.decrypt("last_name", player.last_name_enc),
        date_of_birth=date.fromisoformat(cipher.decrypt("date_of_birth", player.date_of_birth_enc)),
        country=player.country,
        status=player.status,
        created_at=player.created_at,
        last_sign_in_at=player.last_sign_in_at,
    )
