"""Registration that does not say whether an address is taken, and proving the address.

A new address and a registered one get the same answer, and the request does
the same work either way: the password is hashed (most of the cost), one mail
is queued under some player's key, one audit entry is written. The difference
reaches only the mailbox: a new address gets a welcome with a confirmation
link, a registered one a note that someone tried to sign up with it (OWASP
ASVS 5.0 §6.3, WSTG-IDNT-04). Until the link is used the player may sign in
and play but not deposit.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.compliance.responsible.register import service as national_register
from croupier.compliance.responsible.register.client import Person
from croupier.crypto.service import create_player_cipher, player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import notices, players, repository
from croupier.identity.account import verification
from croupier.identity.account.verification import Purpose
from croupier.identity.errors import TooYoung
from croupier.identity.models import Player, PlayerStatus
from croupier.identity.passwords import Passwords, check_policy
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, RateLimited
from croupier.kit.metrics import REGISTRATIONS
from croupier.kit.settings import Settings
from croupier.mail import service as mail
from croupier.mail.templates import MailTemplate
from croupier.risk import service as risk
from croupier.risk.rules import Action
from croupier.risk.sanctions import service as sanctions
from croupier.risk.sanctions.matching import Subject
from croupier.risk.sanctions.models import ScreeningTrigger


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    title = "The email address is already confirmed"


async def register(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    country: str,
    postcode: str | None = None,
    client: ClientInfo,
) -> uuid.UUID | None:
    """The new player's id, or None when the address already had an account.

    ``postcode`` comes normalised (``schemas.Postcode``); None when the player gave none.
    Callers answering a client must not let the two outcomes differ.
    """
    today = utcnow().date()
    if date_of_birth > today:
        raise TooYoung("The date of birth is in the future.")
    if players.age_on(date_of_birth, today) < settings.minimum_age:
        REGISTRATIONS.labels("underage").inc()
        raise TooYoung(f"Players must be at least {settings.minimum_age} years old.")
    password = check_policy(password, context=(email.split("@", maxsplit=1)[0], first_name, last_name))
    # Before the address is looked up, so that a refusal says nothing about whether it has an account.
    await risk.decide(session, action=Action.REGISTRATION, player_id=None, client=client, settings=settings)
    index = players.email_key(session, email)
    # Hashed before the look-up and on both paths: it is most of the request's time.
    password_hash = await passwords.hash(password)
    # Asked on both paths too, before the look-up: the time it takes says nothing either.
    verdict = await national_register.ask(
        settings,
        Person(
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            email=email,
            postcode=postcode,
        ),
    )
    owner = await repository.player_by_email_index(session, index)
    if owner is None:
        player = await _create(
            session,
            email=email,
            index=index,
            password_hash=password_hash,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            country=country,
            postcode=postcode,
        )
        if player is not None:
            await sanctions.screen_player(
                session,
                player_id=player.id,
                full_name=f"{first_name} {last_name}",
                date_of_birth=date_of_birth,
                country=country,
                trigger=ScreeningTrigger.REGISTRATION,
                settings=settings,
            )
            if verdict is not None:
                await national_register.record(
                    session,
                    settings=settings,
                    player_id=player.id,
                    verdict=verdict,
                    trigger=national_register.Trigger.REGISTRATION,
                    client=client,
                )
            await _welcome(session, settings=settings, player=player, email=email, first_name=first_name)
            audit.record(
                session,
                AuditAction.PLAYER_REGISTER,
                actor=Actor.player(player.id),
                target=Target.player(player.id),
                client=client,
                details={"country": country},
            )
            await record_event(
                session, EventKind.REGISTERED, player_id=player.id, data={"country": country}, client=client
            )
            REGISTRATIONS.labels("created").inc()
            return player.id
        # Another request registered the address a moment ago: answer as for any registered address.
        owner = await repository.player_by_email_index(session, index)
        if owner is None:
            raise RuntimeError("the address's account vanished after its unique index refused ours")
    # The same search a new player's screening makes, stored nowhere: its time says nothing either.
    await sanctions.search(session, Subject(f"{first_name} {last_name}", date_of_birth, country))
    await notices.tell(
        session,
        player=owner,
        template=MailTemplate.REGISTRATION_ATTEMPT,
        context={"public_url": settings.public_url},
    )
    audit.record(
        session,
        AuditAction.PLAYER_REGISTER,
        actor=Actor.anonymous(),
        outcome=Outcome.DENIED,
        target=Target.player(owner.id),
        client=client,
        details={"reason": "email_taken"},
    )
    REGISTRATIONS.labels("email_taken").inc()
    return None


async def _create(
    session: AsyncSession,
    *,
    email: str,
    index: bytes,
    password_hash: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    country: str,
    postcode: str | None,
) -> Player | None:
    """Insert the player and its data key; None when a concurrent request took the address."""
    player_id = uuid.uuid4()
    try:
        # In a savepoint: losing the race for the address must not end the transaction.
        async with session.begin_nested():
            cipher = await create_player_cipher(session, player_id=player_id)
            player = Player(
                id=player_id,
                email_index=index,
                email_enc=cipher.encrypt("email", email),
                first_name_enc=cipher.encrypt("first_name", first_name),
                last_name_enc=cipher.encrypt("last_name", last_name),
                date_of_birth_enc=cipher.encrypt("date_of_birth", date_of_birth.isoformat()),
                postcode_enc=None if postcode is None else cipher.encrypt("postcode", postcode),
                country=country,
                password_hash=password_hash,
                status=PlayerStatus.ACTIVE,
            )
            session.add(player)
            await session.flush()
    except IntegrityError:
        return None
    return player


async def _welcome(
    session: AsyncSession, *, settings: Settings, player: Player, email: str, first_name: str
) -> None:
    token = await verification.issue(
        session, player_id=player.id, purpose=Purpose.REGISTER, email_index=player.email_index
    )
    await mail.enqueue(
        session,
        player_id=player.id,
        template=MailTemplate.VERIFY_EMAIL,
        to=email,
        context={
            "first_name": first_name,
            "link": verification.link(settings, Purpose.REGISTER, token),
            "hours": str(verification.VERIFICATION_HOURS),
        },
    )


async def resend_link(
    session: AsyncSession, *, settings: Settings, player: Player, client: ClientInfo
) -> None:
    """A new confirmation link for a signed-in player whose address is not confirmed yet."""
    if player.email_verified_at is not None:
        raise EmailAlreadyVerified("This address is confirmed already.")
    sent = await verification.links_in_the_last_hour(session, player_id=player.id, purpose=Purpose.REGISTER)
    if sent >= verification.MAX_LINKS_PER_HOUR:
        error = RateLimited("Several links were sent in the last hour; use the newest one or try later.")
        error.headers["Retry-After"] = "3600"
        raise error
    cipher = await player_cipher(session, player_id=player.id)
    await _welcome(
        session,
        settings=settings,
        player=player,
        email=cipher.decrypt("email", player.email_enc),
        first_name=cipher.decrypt("first_name", player.first_name_enc),
    )
    audit.record(
        session,
        AuditAction.EMAIL_VERIFY,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"step": "link_sent"},
    )


async def confirm(session: AsyncSession, *, token: str, client: ClientInfo) -> None:
    """Mark the address on file as proven."""
    _, player = await verification.spend(
        session, token=token, purpose=Purpose.REGISTER, action=AuditAction.EMAIL_VERIFY, client=client
    )
    if player.email_verified_at is None:
        player.email_verified_at = utcnow()
        await session.flush()
    audit.record(
        session,
        AuditAction.EMAIL_VERIFY,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
    )
