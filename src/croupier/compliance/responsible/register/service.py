"""Asking the national register at registration and sign-in, and acting on its answer.

``Y`` opens a register block (an exclusion of kind ``register``: no deposits, no bets,
like a self-exclusion); ``N`` or ``P`` lifts one. When the register cannot answer,
``register_on_outage`` decides: ``block`` (the default) opens a block that the next
successful check lifts, ``allow`` leaves things as they are. At sign-in a fresh answer
(``register_cache_hours``) is reused instead of asking again; an outage is never reused.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.compliance.responsible.exclusions import service as exclusions
from croupier.compliance.responsible.register import client as register
from croupier.compliance.responsible.register import repository
from croupier.compliance.responsible.register.client import Answer, Person, Verdict
from croupier.compliance.responsible.register.models import RegisterCheck
from croupier.identity import players
from croupier.identity.models import Player
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings


class Trigger(StrEnum):
    REGISTRATION = "registration"
    SIGN_IN = "sign_in"


async def ask(settings: Settings, person: Person) -> Verdict | None:
    """The register's answer (no database work); None when no register is configured."""
    return await register.ask(settings, person) if register.configured(settings) else None


async def record(
    session: AsyncSession,
    *,
    settings: Settings,
    player_id: uuid.UUID,
    verdict: Verdict,
    trigger: Trigger,
    client: ClientInfo | None,
) -> None:
    """Keep the answer and act on it, in the caller's transaction."""
    await repository.save_check(
        session,
        player_id=player_id,
        answer=verdict.answer,
        unique_id=verdict.unique_id,
        trigger=trigger,
        at=utcnow(),
    )
    audit.record(
        session,
        AuditAction.REGISTER_CHECK,
        actor=Actor.system(),
        target=Target.player(player_id),
        client=client,
        details={"answer": str(verdict.answer), "trigger": str(trigger), "unique_id": verdict.unique_id},
    )
    if verdict.answer == Answer.UNAVAILABLE and settings.register_on_outage == "allow":
        return
    blocked = verdict.answer in {Answer.EXCLUDED, Answer.UNAVAILABLE}
    await exclusions.set_register_block(
        session, player_id=player_id, blocked=blocked, answer=str(verdict.answer), client=client
    )


async def screen_at_sign_in(
    session: AsyncSession, *, settings: Settings, player: Player, client: ClientInfo | None
) -> None:
    """Ask the register about a player signing in, unless a fresh answer is on file."""
    if not register.configured(settings):
        return
    last = await repository.last_check(session, player.id)
    fresh = timedelta(hours=settings.register_cache_hours)
    if last is not None and last.answer != Answer.UNAVAILABLE and utcnow() - last.checked_at < fresh:
        return
    profile = await players.profile(session, player)
    person = Person(
        first_name=profile.first_name,
        last_name=profile.last_name,
        date_of_birth=profile.date_of_birth,
        email=profile.email,
        postcode=profile.postcode,  # None when the player gave none: sent empty
    )
    verdict = await register.ask(settings, person)
    await record(
        session,
        settings=settings,
        player_id=player.id,
        verdict=verdict,
        trigger=Trigger.SIGN_IN,
        client=client,
    )


async def last_check(session: AsyncSession, player_id: uuid.UUID) -> RegisterCheck | None:
    return await repository.last_check(session, player_id)
