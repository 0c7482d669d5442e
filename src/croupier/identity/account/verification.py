"""Proving an address with a mailed single-use link: the one registered, or one to change to.

The link carries a 256-bit token (``crv_``) of which only the SHA-256 is
stored; it works once, for ``VERIFICATION_HOURS``, and a newer link of the same
purpose retires the older ones. A link names the address it proves by its blind
index, so a registration link stops working once the address on file changed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.identity import tokens
from croupier.identity.account import repository as account_repository
from croupier.identity.models import EmailVerification, Player, PlayerStatus
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings

VERIFICATION_HOURS = 48
# Links one account may be sent per hour and purpose: asking again must not flood a mailbox.
MAX_LINKS_PER_HOUR = 5


class Purpose(StrEnum):
    REGISTER = "register"
    CHANGE = "change"


class InvalidVerificationToken(CroupierError):
    code = "invalid_verification_token"
    status = 400
    title = "Confirmation link invalid, used or expired"


def link(settings: Settings, purpose: Purpose, token: str) -> str:
    page = "verify-email" if purpose is Purpose.REGISTER else "confirm-email-change"
    return f"{settings.public_url.rstrip('/')}/{page}?token={token}"


async def issue(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    purpose: Purpose,
    email_index: bytes,
    new_email_enc: bytes | None = None,
) -> str:
    """A fresh link's token; earlier unused links of the same purpose stop working."""
    now = utcnow()
    await account_repository.retire_verifications(session, player_id, purpose, now=now)
    token, digest = tokens.new_token(tokens.EMAIL_VERIFICATION)
    account_repository.add_verification(
        session,
        EmailVerification(
            player_id=player_id,
            purpose=purpose,
            token_hash=digest,
            email_index=email_index,
            new_email_enc=new_email_enc,
            expires_at=now + timedelta(hours=VERIFICATION_HOURS),
            created_at=now,
        ),
    )
    await session.flush()
    return token


async def links_in_the_last_hour(session: AsyncSession, *, player_id: uuid.UUID, purpose: Purpose) -> int:
    return await account_repository.verifications_since(
        session, player_id, purpose, utcnow() - timedelta(hours=1)
    )


async def spend(
    session: AsyncSession, *, token: str, purpose: Purpose, action: AuditAction, client: ClientInfo
) -> tuple[EmailVerification, Player]:
    """Use a link once: its record and the player, locked; or ``InvalidVerificationToken``, audited."""
    now = utcnow()
    found = None
    if token.startswith(tokens.EMAIL_VERIFICATION):
        found = await account_repository.verification_by_token_hash(session, tokens.digest(token))
    player = None
    reason = None
    if found is None or found.purpose != purpose:
        reason = "token_unknown"
    elif found.used_at is not None:
        reason = "token_used"
    elif found.expires_at <= now:
        reason = "token_expired"
    else:
        player = await account_repository.lock_player(session, found.player_id)
        if player is None or player.status != PlayerStatus.ACTIVE:
            reason = "account_not_active"
        elif purpose is Purpose.REGISTER and found.email_index != player.email_index:
            reason = "address_changed"
    if reason is not None or found is None or player is None:
        # Kept although the request fails: repeated guessing should be visible.
        await audit.record_now(
            session,
            action,
            actor=Actor.anonymous(),
            outcome=Outcome.FAILURE,
            target=Target.player(player.id) if player else None,
            client=client,
            details={"reason": reason},
        )
        raise InvalidVerificationToken("Ask for a new link.")
    found.used_at = now
    await session.flush()
    return found, player
