"""Changing one's password and email, and an operator disabling or enabling an account.

Each change is made on the player row locked ``FOR UPDATE``, so two changes to
one account apply one after the other, and each ends in an audit entry and,
where the player should know, a mail queued in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.crypto.service import player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import notices, players, repository
from croupier.identity.account import repository as account_repository
from croupier.identity.account import verification
from croupier.identity.account.verification import Purpose
from croupier.identity.errors import EmailTaken, WrongPassword
from croupier.identity.factors import factors
from croupier.identity.models import Player, PlayerStatus
from croupier.identity.passwords import Passwords, check_policy
from croupier.identity.sessions import (
    Authenticated,
    end_all_sessions,
    record_failed_attempt,
    refuse_if_locked,
)
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, NotFound
from croupier.kit.settings import Settings
from croupier.mail import service as mail
from croupier.mail.templates import MailTemplate, mask_address

# The associated data of a new address waiting for its confirmation link.
_PENDING_EMAIL = "pending_email"


class PlayerErased(Conflict):
    code = "player_erased"
    title = "The player was erased"


async def _locked(session: AsyncSession, player_id: uuid.UUID) -> Player:
    player = await account_repository.lock_player(session, player_id)
    if player is None:
        raise NotFound("No such player.")
    return player


@dataclass(frozen=True)
class NewPassword:
    """A password that passed the policy, and the address to tell about the change."""

    value: str
    email: str


async def checked_password(session: AsyncSession, *, player: Player, new_password: str) -> NewPassword:
    profile = await players.profile(session, player)
    value = check_policy(
        new_password,
        context=(profile.email.split("@", maxsplit=1)[0], profile.first_name, profile.last_name),
    )
    return NewPassword(value=value, email=profile.email)


async def set_password(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    player: Player,
    new: NewPassword,
    how: str,
) -> int:
    """Hash, timestamp, end every session, retire reset links, tell the player. Shared by change and reset.

    The session that made the change ends too: whoever changed the password
    signs in again with it, so a stolen session cannot outlive the change.
    """
    now = utcnow()
    player.password_hash = await passwords.hash(new.value)
    player.password_changed_at = now
    ended = await end_all_sessions(session, player_id=player.id, reason=f"password_{how}")
    # A reset link asked for before the change must not undo it.
    await account_repository.retire_resets(session, player.id, now=now, reason=f"password_{how}")
    await session.flush()
    await mail.enqueue(
        session,
        player_id=player.id,
        template=MailTemplate.PASSWORD_CHANGED,
        to=new.email,
        context={
            "how": "reset" if how == "reset" else "changed",
            "when": notices.when(now),
            "public_url": settings.public_url,
        },
    )
    return ended


async def change_password(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    auth: Authenticated,
    current_password: str,
    new_password: str,
    client: ClientInfo,
) -> None:
    """Step-up is checked by the caller; the current password is checked here.

    A wrong current password draws on the sign-in lockout, as at step-up: a
    stolen session must not become a way to guess the password without limit.
    """
    player = await _locked(session, auth.player.id)
    await refuse_if_locked(session, player=player, action=AuditAction.PASSWORD_CHANGE, client=client)
    if not await passwords.verify(player.password_hash, current_password):
        # Counted and audited in a transaction of its own: the request rolls back.
        await record_failed_attempt(
            session,
            settings=settings,
            index=player.email_index,
            player=player,
            client=client,
            reason="wrong_password",
            action=AuditAction.PASSWORD_CHANGE,
        )
        raise WrongPassword("The current password is wrong.")
    new = await checked_password(session, player=player, new_password=new_password)
    ended = await set_password(
        session,
        settings=settings,
        passwords=passwords,
        player=player,
        new=new,
        how="change",
    )
    audit.record(
        session,
        AuditAction.PASSWORD_CHANGE,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"sessions_ended": ended},
    )
    await record_event(
        session,
        EventKind.PASSWORD_CHANGED,
        player_id=player.id,
        data={"sessions_ended": ended},
        client=client,
    )


async def request_email_change(
    session: AsyncSession,
    *,
    settings: Settings,
    auth: Authenticated,
    new_email: str,
    client: ClientInfo,
) -> None:
    """Mail a link to the new address; the change waits for it (``confirm_email_change``).

    If the new address has an account of its own, its owner is told instead and
    nothing else happens; the caller answers the same either way, so the change
    form cannot be used to learn who is registered.
    """
    player = await _locked(session, auth.player.id)
    index = players.email_key(session, new_email)
    owner = await repository.player_by_email_index(session, index)
    if owner is not None and owner.id != player.id:
        await notices.tell(session, player=owner, template=MailTemplate.EMAIL_CHANGE_ATTEMPT)
        audit.record(
            session,
            AuditAction.EMAIL_CHANGE_REQUEST,
            actor=Actor.player(player.id),
            outcome=Outcome.DENIED,
            target=Target.player(player.id),
            client=client,
            details={"reason": "email_taken"},
        )
        return
    cipher = await player_cipher(session, player_id=player.id)
    token = await verification.issue(
        session,
        player_id=player.id,
        purpose=Purpose.CHANGE,
        email_index=index,
        new_email_enc=cipher.encrypt(_PENDING_EMAIL, new_email),
    )
    await mail.enqueue(
        session,
        player_id=player.id,
        template=MailTemplate.CONFIRM_EMAIL_CHANGE,
        to=new_email,
        context={
            "link": verification.link(settings, Purpose.CHANGE, token),
            "hours": str(verification.VERIFICATION_HOURS),
        },
    )
    audit.record(
        session,
        AuditAction.EMAIL_CHANGE_REQUEST,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
    )


async def confirm_email_change(
    session: AsyncSession, *, settings: Settings, token: str, client: ClientInfo
) -> None:
    """Re-seal the address, re-compute its blind index, tell the old address.

    The link proves the new mailbox, so the address counts as confirmed.
    """
    pending, player = await verification.spend(
        session, token=token, purpose=Purpose.CHANGE, action=AuditAction.EMAIL_CHANGE, client=client
    )
    cipher = await player_cipher(session, player_id=player.id)
    if pending.new_email_enc is None:  # every change link carries its address
        raise verification.InvalidVerificationToken("Ask for a new link.")
    new_email = cipher.decrypt(_PENDING_EMAIL, pending.new_email_enc)
    old_email = cipher.decrypt("email", player.email_enc)
    player.email_index = pending.email_index
    player.email_enc = cipher.encrypt("email", new_email)
    player.email_verified_at = utcnow()
    try:
        # In a savepoint: an address registered since the link was sent ends as 409, not 500.
        # Only the holder of that mailbox can get this far, so the answer tells nobody else anything.
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise EmailTaken("An account with this email already exists.") from exc
    # A registration link sent to the old address must not confirm the new one.
    await account_repository.retire_verifications(session, player.id, Purpose.REGISTER, now=utcnow())
    audit.record(
        session,
        AuditAction.EMAIL_CHANGE,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
    )
    await record_event(session, EventKind.EMAIL_CHANGED, player_id=player.id, client=client)
    # The old address learns of the change: if it was not the owner's doing,
    # the owner hears of it somewhere the attacker does not control.
    await mail.enqueue(
        session,
        player_id=player.id,
        template=MailTemplate.EMAIL_CHANGED,
        to=old_email,
        context={
            "when": notices.when(utcnow()),
            "new_email_masked": mask_address(new_email),
            "public_url": settings.public_url,
        },
    )


# Operator actions ---------------------------------------------------------------


@dataclass(frozen=True)
class StatusChange:
    player_id: uuid.UUID
    changed: bool
    sessions_ended: int


def _refuse_erased(player: Player) -> None:
    # Erasure is final: nothing is left to sign in with, and the status says why.
    if player.status == PlayerStatus.ERASED:
        raise PlayerErased("This player's personal data was erased; the account stays closed.")


async def disable(
    session: AsyncSession, *, player_id: uuid.UUID, reason: str, actor: Actor, client: ClientInfo
) -> StatusChange:
    """Disable sign-in and end every session; repeating it is harmless."""
    player = await _locked(session, player_id)
    _refuse_erased(player)
    changed = player.status != PlayerStatus.DISABLED
    player.status = PlayerStatus.DISABLED
    ended = await end_all_sessions(session, player_id=player_id, reason="disabled")
    await account_repository.retire_resets(session, player_id, now=utcnow(), reason="disabled")
    await session.flush()
    if changed:
        audit.record(
            session,
            AuditAction.PLAYER_DISABLE,
            actor=actor,
            target=Target.player(player_id),
            client=client,
            details={"reason": reason, "sessions_ended": ended},
        )
    return StatusChange(player_id=player_id, changed=changed, sessions_ended=ended)


async def enable(
    session: AsyncSession, *, player_id: uuid.UUID, actor: Actor, client: ClientInfo
) -> StatusChange:
    player = await _locked(session, player_id)
    _refuse_erased(player)
    changed = player.status != PlayerStatus.ACTIVE
    player.status = PlayerStatus.ACTIVE
    await session.flush()
    if changed:
        audit.record(
            session, AuditAction.PLAYER_ENABLE, actor=actor, target=Target.player(player_id), client=client
        )
    return StatusChange(player_id=player_id, changed=changed, sessions_ended=0)


@dataclass(frozen=True)
class AccountSummary:
    """What an operator may see without touching personal data or secrets."""

    id: uuid.UUID
    status: str
    country: str
    created_at: datetime
    last_sign_in_at: datetime | None
    password_changed_at: datetime
    active_sessions: int
    mfa_methods: list[str]


async def summary(session: AsyncSession, *, player_id: uuid.UUID) -> AccountSummary:
    player = await repository.get_player(session, player_id)
    if player is None:
        raise NotFound("No such player.")
    available = await factors(session, player)
    active = await repository.active_sessions(session, player_id, utcnow())
    return AccountSummary(
        id=player.id,
        status=player.status,
        country=player.country,
        created_at=player.created_at,
        last_sign_in_at=player.last_sign_in_at,
        password_changed_at=player.password_changed_at,
        active_sessions=len(active),
        mfa_methods=available.methods,
    )
