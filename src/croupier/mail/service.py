"""Queue mail inside the caller's transaction; open it again for the relay.

A message is written to the outbox in the same transaction as the change that
causes it, so a password reset link exists exactly when its token does, and is
dropped with it on rollback. Recipient, subject and body are sealed together
under the player's data key: a mailed link is a credential and an address is
personal data, so neither is ever in clear in the database. The outbox row id
is part of the associated data, so a sealed message cannot be moved to another
row (or replayed under another id) without failing to open.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.service import player_cipher
from croupier.kit.clock import utcnow
from croupier.kit.db import after_commit, shared_context
from croupier.mail import repository, templates
from croupier.mail.models import OutgoingMail
from croupier.mail.templates import MailTemplate

# The running relay puts its wake-up callable here (in Database.shared), so a
# commit anywhere in the process can nudge it without importing it.
WAKE_KEY = "mail.wake"


@dataclass(frozen=True)
class OpenedMail:
    id: uuid.UUID
    template: str
    to: str
    subject: str
    body: str
    created_at: datetime


def _field(mail_id: uuid.UUID) -> str:
    return f"mail:{mail_id}"


async def enqueue(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    template: MailTemplate,
    to: str,
    context: Mapping[str, str],
) -> uuid.UUID:
    """Seal the rendered message into the outbox; it is relayed once the caller commits."""
    subject, body = templates.render(template, context)
    mail_id = uuid.uuid4()
    cipher = await player_cipher(session, player_id=player_id)
    payload = json.dumps({"to": to, "subject": subject, "body": body}, ensure_ascii=False)
    repository.add(
        session,
        OutgoingMail(
            id=mail_id,
            player_id=player_id,
            template=str(template),
            sealed=cipher.encrypt(_field(mail_id), payload),
            attempts=0,
            created_at=utcnow(),
        ),
    )
    shared = shared_context(session)

    async def _wake() -> None:
        wake: Callable[[], None] | None = shared.get(WAKE_KEY)
        if wake is not None:
            wake()

    after_commit(session, "mail.wake", _wake)
    return mail_id


async def open_mail(session: AsyncSession, mail: OutgoingMail) -> OpenedMail:
    """Decrypt a queued message (raises ``PersonalDataErased`` once the player's key is gone)."""
    cipher = await player_cipher(session, player_id=mail.player_id)
    payload = json.loads(cipher.decrypt(_field(mail.id), mail.sealed))
    return OpenedMail(
        id=mail.id,
        template=mail.template,
        to=payload["to"],
        subject=payload["subject"],
        body=payload["body"],
        created_at=mail.created_at,
    )


def compose(mail: OpenedMail, *, sender: str) -> EmailMessage:
    """An RFC 5322 message; the same outbox row always yields the same Message-ID.

    A retry after a crash between sending and committing therefore repeats the
    Message-ID, which lets receiving systems drop the duplicate.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "croupier.localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = f"<{mail.id}@{domain}>"
    # RFC 3834: tells vacation responders not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Croupier-Template"] = mail.template
    message.set_content(mail.body)
    return message
