"""Password reset by a mailed single-use link (OWASP ASVS 5.0 §6.4).

Asking never says whether the address has an account: the endpoint answers
before any of this runs. The link carries a 256-bit token of which only the
SHA-256 is stored; it works once, for ``password_reset_minutes``, and asking
again retires the earlier link. A reset never bypasses MFA: a player with a
second factor must also give a TOTP or recovery code, and every wrong one
draws on the same lockout budget as a wrong password at sign-in.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.crypto.service import player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import repository, sessions, tokens
from croupier.identity.account import repository as account_repository
from croupier.identity.account import service as account
from croupier.identity.errors import AccountLocked, InvalidOtp
from croupier.identity.factors import Method, factors
from croupier.identity.mfa import service as mfa
from croupier.identity.models import PasswordReset, Player, PlayerStatus
from croupier.identity.passwords import Passwords
from croupier.identity.players import email_key
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings
from croupier.mail import service as mail
from croupier.mail.templates import MailTemplate

# Links mailed to one account per hour, whoever asks: a reset form must not
# become a way to flood someone's inbox.
MAX_RESETS_PER_HOUR = 5
# Second factors a reset link can be completed with (a passkey needs a ceremony
# the reset form does not run; such players use a recovery code).
_RESET_METHODS = (Method.TOTP.value, Method.RECOVERY_CODE.value)


class InvalidResetToken(CroupierError):
    code = "invalid_reset_token"
    status = 400
    title = "Reset link invalid, used or expired"


class ResetMfaRequired(CroupierError):
    code = "mfa_required"
    status = 401
    title = "Second factor required"


def reset_link(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/reset-password?token={token}"


async def request_reset(session: AsyncSession, *, settings: Settings, email: str, client: ClientInfo) -> None:
    """Mail a reset link if the address belongs to an active account; otherwise do nothing visible."""
    now = utcnow()
    player = await repository.player_by_email_index(session, email_key(session, email))
    refused = None
    if player is None or player.status != PlayerStatus.ACTIVE:
        refused = "no_active_account"
    elif (
        await account_repository.resets_since(session, player.id, now - timedelta(hours=1))
        >= MAX_RESETS_PER_HOUR
    ):
        refused = "too_many_requests"
    if refused is not None or player is None:
        audit.record(
            session,
            AuditAction.PASSWORD_RESET_REQUEST,
            actor=Actor.anonymous(),
            outcome=Outcome.DENIED,
            target=Target.player(player.id) if player else None,
            client=client,
            details={"reason": refused},
        )
        return

    await account_repository.retire_resets(session, player.id, now=now, reason="superseded")
    token, digest = tokens.new_token(tokens.PASSWORD_RESET)
    account_repository.add_reset(
        session,
        PasswordReset(
            player_id=player.id,
            token_hash=digest,
            expires_at=now + timedelta(minutes=settings.password_reset_minutes),
            details={},
        ),
    )
    await session.flush()
    cipher = await player_cipher(session, player_id=player.id)
    await mail.enqueue(
        session,
        player_id=player.id,
        template=MailTemplate.PASSWORD_RESET,
        # The address on file, not as typed: the same mailbox either way, spelt as the player chose.
        to=cipher.decrypt("email", player.email_enc),
        context={"link": reset_link(settings, token), "minutes": str(settings.password_reset_minutes)},
    )
    audit.record(
        session,
        AuditAction.PASSWORD_RESET_REQUEST,
        actor=Actor.anonymous(),
        target=Target.player(player.id),
        client=client,
        details={"expires_minutes": settings.password_reset_minutes},
    )


async def _refuse(session: AsyncSession, *, client: ClientInfo, player: Player | None, reason: str) -> None:
    await audit.record_now(
        session,
        AuditAction.PASSWORD_RESET,
        actor=Actor.anonymous(),
        outcome=Outcome.FAILURE,
        target=Target.player(player.id) if player else None,
        client=client,
        details={"reason": reason},
    )


async def _second_factor(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    otp: str | None,
    recovery_code: str | None,
    client: ClientInfo,
) -> bool:
    """True when a second factor was required and proven; raises when it was not."""
    available = await factors(session, player)
    if not available.any:
        return False
    locked_until = await repository.guard_locked_until(session, player.email_index)
    if locked_until is not None and locked_until > utcnow():
        # Otherwise the link would be a way round the lockout to keep guessing codes.
        await _refuse(session, client=client, player=player, reason="locked")
        raise AccountLocked("Too many failed attempts on this account; try again later.")
    if (otp is None or not available.totp) and recovery_code is None:
        methods = [method for method in available.methods if method in _RESET_METHODS]
        raise ResetMfaRequired(
            "This account has a second factor: repeat the request with `otp` or `recovery_code`.",
            methods=methods,
        )
    method = await mfa.verify_code(
        session,
        player=player,
        otp=otp if available.totp else None,
        recovery_code=recovery_code,
        client=client,
        purpose="password_reset",
    )
    if method is None:
        await sessions.record_failed_attempt(
            session,
            settings=settings,
            index=player.email_index,
            player=player,
            client=client,
            reason="invalid_otp",
            action=AuditAction.PASSWORD_RESET,
        )
        raise InvalidOtp("The second factor is wrong or was already used.")
    return True


async def confirm_reset(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    token: str,
    new_password: str,
    otp: str | None,
    recovery_code: str | None,
    client: ClientInfo,
) -> None:
    now = utcnow()
    reset = None
    if token.startswith(tokens.PASSWORD_RESET):
        reset = await account_repository.reset_by_token_hash(session, tokens.digest(token))
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        reason = "unknown" if reset is None else ("used" if reset.used_at is not None else "expired")
        await _refuse(session, client=client, player=None, reason=f"token_{reason}")
        raise InvalidResetToken("Ask for a new reset link.")
    player = await account_repository.lock_player(session, reset.player_id)
    if player is None or player.status != PlayerStatus.ACTIVE:
        await _refuse(session, client=client, player=player, reason="account_not_active")
        raise InvalidResetToken("Ask for a new reset link.")

    # The policy first: a weak password should not cost a TOTP step or a recovery code.
    new = await account.checked_password(session, player=player, new_password=new_password)
    used_mfa = await _second_factor(
        session, settings=settings, player=player, otp=otp, recovery_code=recovery_code, client=client
    )
    reset.used_at = now
    reset.details = {"mfa": used_mfa}
    await session.flush()
    ended = await account.set_password(
        session,
        settings=settings,
        passwords=passwords,
        player=player,
        new=new,
        how="reset",
    )
    # Proving the mailbox (and the second factor) is the way out of a lockout,
    # and confirms the address like the link mailed at registration.
    await repository.clear_guard(session, player.email_index)
    if player.email_verified_at is None:
        player.email_verified_at = now
    audit.record(
        session,
        AuditAction.PASSWORD_RESET,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"sessions_ended": ended, "mfa": used_mfa},
    )
    await record_event(
        session,
        EventKind.PASSWORD_RESET,
        player_id=player.id,
        data={"sessions_ended": ended, "mfa": used_mfa},
        client=client,
    )
