"""Security notices: a mail to the player about a change they should know of.

Queued in the transaction of the change (through the sealed outbox), so a
notice goes out exactly when its change committed. Sent to the address on
file, where an attacker holding only a session cannot intercept it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.service import player_cipher
from croupier.identity.models import Player
from croupier.kit.clock import utcnow
from croupier.mail import service as mail
from croupier.mail.templates import MailTemplate


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


async def address_on_file(session: AsyncSession, player: Player) -> str:
    return (await player_cipher(session, player_id=player.id)).decrypt("email", player.email_enc)


async def tell(
    session: AsyncSession, *, player: Player, template: MailTemplate, context: Mapping[str, str] | None = None
) -> None:
    """Queue ``template`` to the player's address on file; ``when`` is filled in as now."""
    await mail.enqueue(
        session,
        player_id=player.id,
        template=template,
        to=await address_on_file(session, player),
        context={"when": when(utcnow()), **(context or {})},
    )


async def factor_changed(session: AsyncSession, *, player: Player, what: str) -> None:
    """``what`` completes "<what> on <when>": e.g. "a passkey was added to your Croupier account"."""
    await tell(
        session,
        player=player,
        template=MailTemplate.MFA_CHANGED,
        context={"what": what[:1].upper() + what[1:]},
    )
