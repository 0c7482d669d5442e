"""Second factors: TOTP enrolment and checks, recovery codes, and which factors a player has.

Passkeys have their own ceremony (``passkeys.py``); ``step_up.py`` puts the
factors to use when finishing a sign-in and when stepping a session up.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.crypto.service import player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import notices, repository
from croupier.identity.errors import InvalidOtp
from croupier.identity.factors import Method, factors
from croupier.identity.mfa import repository as mfa_repository
from croupier.identity.mfa import totp
from croupier.identity.models import Player
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, NotFound
from croupier.kit.metrics import MFA_VERIFICATIONS
from croupier.mail.templates import MailTemplate

RECOVERY_CODE_COUNT = 10
# 6 groups of 4 base32 characters: 24 x 5 = 120 random bits per code.
_RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_RECOVERY_GROUPS = 6
_RECOVERY_GROUP_LENGTH = 4

# Field names bind each ciphertext to its column (associated data): a pending
# secret cannot be copied into the active column without the confirm step.
_ACTIVE_FIELD = "totp_secret"
_PENDING_FIELD = "totp_pending"


class TotpNotPending(Conflict):
    code = "totp_not_pending"
    title = "No authenticator app enrolment to confirm"


class TotpNotEnabled(NotFound):
    code = "totp_not_enabled"
    title = "No authenticator app is set up"


class MfaNotEnabled(Conflict):
    code = "mfa_not_enabled"
    title = "No second factor is set up"


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


# Recovery codes -----------------------------------------------------------------------


def normalise_recovery_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


def recovery_code_hash(code: str) -> bytes:
    # Recovery codes carry 120 random bits, so a plain SHA-256 cannot be searched.
    return hashlib.sha256(normalise_recovery_code(code).encode()).digest()


def new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
        for _ in range(_RECOVERY_GROUPS)
    )
    return "-".join(groups)


async def issue_recovery_codes(session: AsyncSession, *, player_id: uuid.UUID) -> list[str]:
    """A fresh set replacing the old one; the plain codes exist only in the return value."""
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    await mfa_repository.replace_recovery_codes(
        session, player_id, [recovery_code_hash(code) for code in codes], now=utcnow()
    )
    return codes


async def regenerate_recovery_codes(
    session: AsyncSession, *, player: Player, client: ClientInfo
) -> list[str]:
    if not (await factors(session, player)).any:
        raise MfaNotEnabled("Set up an authenticator app or a passkey first; it comes with recovery codes.")
    codes = await issue_recovery_codes(session, player_id=player.id)
    audit.record(
        session,
        AuditAction.RECOVERY_REGENERATE,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
    )
    await record_event(
        session,
        EventKind.MFA_CHANGED,
        player_id=player.id,
        data={"change": "recovery_codes_regenerated"},
        client=client,
    )
    await notices.factor_changed(
        session,
        player=player,
        what="a new set of recovery codes replaced the old one on your Croupier account",
    )
    return codes


async def forget_recovery_codes_if_unprotected(session: AsyncSession, *, player: Player) -> None:
    """Once the last second factor is gone the codes protect nothing; the next factor brings new ones."""
    if not (await factors(session, player)).any:
        await mfa_repository.delete_recovery_codes(session, player.id)


async def use_recovery_code(session: AsyncSession, player_id: uuid.UUID, code: str) -> bool:
    spent = await mfa_repository.spend_recovery_code(
        session, player_id, recovery_code_hash(code), now=utcnow()
    )
    MFA_VERIFICATIONS.labels(Method.RECOVERY_CODE, "success" if spent else "failure").inc()
    return spent


# TOTP ------------------------------------------------------------------------------------


async def _locked(session: AsyncSession, player: Player) -> Player:
    locked = await mfa_repository.lock_player_secrets(session, player.id)
    if locked is None:  # the player was authenticated in this very transaction
        raise NotFound("No such player.")
    return locked


async def enrol_totp(session: AsyncSession, *, player: Player, client: ClientInfo) -> TotpEnrolment:
    """Start (re-)enrolment: a pending secret that replaces nothing until it is confirmed."""
    locked = await _locked(session, player)
    cipher = await player_cipher(session, player_id=player.id)
    secret = totp.new_secret()
    locked.totp_pending_enc = cipher.encrypt(_PENDING_FIELD, secret)
    await session.flush()
    audit.record(
        session,
        AuditAction.TOTP_ENROLL,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"replacing": locked.totp_enabled_at is not None},
    )
    account = cipher.decrypt("email", locked.email_enc)
    return TotpEnrolment(secret=secret, otpauth_uri=totp.provisioning_uri(secret, account))


async def confirm_totp(session: AsyncSession, *, player: Player, code: str, client: ClientInfo) -> list[str]:
    """Activate the pending secret if ``code`` matches it; returns a fresh set of recovery codes."""
    locked = await _locked(session, player)
    if locked.totp_pending_enc is None:
        raise TotpNotPending("Start with POST /v1/me/mfa/totp.")
    cipher = await player_cipher(session, player_id=player.id)
    secret = cipher.decrypt(_PENDING_FIELD, locked.totp_pending_enc)
    # The old secret's steps say nothing about the new one: no last step to compare.
    step = totp.matching_step(secret, code, at=utcnow().timestamp(), last_used_step=None)
    if step is None:
        MFA_VERIFICATIONS.labels(Method.TOTP, "failure").inc()
        await audit.record_now(
            session,
            AuditAction.TOTP_CONFIRM,
            actor=Actor.player(player.id),
            outcome=Outcome.FAILURE,
            target=Target.player(player.id),
            client=client,
        )
        raise InvalidOtp("The code does not match the new authenticator app; check its clock.")
    replaced = locked.totp_enabled_at is not None
    locked.totp_secret_enc = cipher.encrypt(_ACTIVE_FIELD, secret)
    locked.totp_pending_enc = None
    locked.totp_enabled_at = utcnow()
    locked.totp_last_step = step
    await session.flush()
    codes = await issue_recovery_codes(session, player_id=player.id)
    audit.record(
        session,
        AuditAction.TOTP_CONFIRM,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"replaced": replaced},
    )
    await record_event(
        session,
        EventKind.MFA_CHANGED,
        player_id=player.id,
        data={"change": "totp_replaced" if replaced else "totp_enabled"},
        client=client,
    )
    await notices.factor_changed(
        session,
        player=locked,
        what=f"an authenticator app was {'replaced' if replaced else 'set up'} for your Croupier account",
    )
    return codes


async def disable_totp(session: AsyncSession, *, player: Player, client: ClientInfo) -> None:
    locked = await _locked(session, player)
    if locked.totp_enabled_at is None:
        raise TotpNotEnabled("There is no authenticator app to remove.")
    locked.totp_secret_enc = None
    locked.totp_pending_enc = None
    locked.totp_enabled_at = None
    locked.totp_last_step = None
    await session.flush()
    await forget_recovery_codes_if_unprotected(session, player=locked)
    audit.record(
        session,
        AuditAction.TOTP_DISABLE,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
    )
    await record_event(
        session, EventKind.MFA_CHANGED, player_id=player.id, data={"change": "totp_removed"}, client=client
    )
    await notices.factor_changed(
        session, player=locked, what="the authenticator app was removed from your Croupier account"
    )


async def verify_totp(session: AsyncSession, player_id: uuid.UUID, code: str) -> bool:
    """Check a TOTP code and burn its time step; False for a wrong or replayed code."""
    player = await mfa_repository.lock_player_secrets(session, player_id)
    if player is None or player.totp_secret_enc is None or player.totp_enabled_at is None:
        MFA_VERIFICATIONS.labels(Method.TOTP, "failure").inc()
        return False
    secret = (await player_cipher(session, player_id=player.id)).decrypt(
        _ACTIVE_FIELD, player.totp_secret_enc
    )
    step = totp.matching_step(secret, code, at=utcnow().timestamp(), last_used_step=player.totp_last_step)
    if step is None:
        MFA_VERIFICATIONS.labels(Method.TOTP, "failure").inc()
        return False
    player.totp_last_step = step
    await session.flush()
    MFA_VERIFICATIONS.labels(Method.TOTP, "success").inc()
    return True


# Checking a code ----------------------------------------------------------------------------


async def verify_code(
    session: AsyncSession,
    *,
    player: Player,
    otp: str | None,
    recovery_code: str | None,
    client: ClientInfo,
    purpose: str,
) -> Method | None:
    """Check a TOTP code or else a recovery code, and audit the outcome; the method on success.

    A failure is audited in its own transaction, because the caller's request
    is about to fail and roll back.
    """
    if otp is not None:
        method = Method.TOTP
        ok = await verify_totp(session, player.id, otp)
    elif recovery_code is not None:
        method = Method.RECOVERY_CODE
        ok = await use_recovery_code(session, player.id, recovery_code)
    else:
        return None
    await record_verification(session, player=player, method=method, ok=ok, client=client, purpose=purpose)
    if ok and method is Method.RECOVERY_CODE:
        left = await repository.unused_recovery_codes(session, player.id)
        audit.record(
            session,
            AuditAction.RECOVERY_USE,
            actor=Actor.player(player.id),
            target=Target.player(player.id),
            client=client,
            details={"left": left},
        )
        await record_event(
            session,
            EventKind.MFA_CHANGED,
            player_id=player.id,
            data={"change": "recovery_code_used"},
            client=client,
        )
        await notices.tell(
            session, player=player, template=MailTemplate.RECOVERY_CODE_USED, context={"left": str(left)}
        )
    return method if ok else None


async def record_verification(
    session: AsyncSession,
    *,
    player: Player,
    method: Method,
    ok: bool,
    client: ClientInfo,
    purpose: str,
    target: Target | None = None,
    reason: str | None = None,
) -> None:
    details = {"method": method.value, "purpose": purpose}
    if reason is not None:
        details["reason"] = reason
    actor, target = Actor.player(player.id), target or Target.player(player.id)
    if ok:
        audit.record(
            session, AuditAction.MFA_VERIFY, actor=actor, target=target, client=client, details=details
        )
    else:
        await audit.record_now(
            session,
            AuditAction.MFA_VERIFY,
            actor=actor,
            outcome=Outcome.FAILURE,
            target=target,
            client=client,
            details=details,
        )
