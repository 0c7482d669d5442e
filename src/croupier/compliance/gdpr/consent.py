"""Consent per purpose (GDPR article 7): granted and withdrawn by the player, each change
recorded with its time, source and the version of the text the player saw.

A purpose's text is versioned here; when it changes, earlier grants no longer count and
the player is asked again. ``may_send_marketing`` is the consent half of the gate every
marketing message passes (``compliance.marketing``): only a standing grant of the current
text lets one through.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.gdpr import repository
from croupier.compliance.gdpr.models import ConsentPurpose, ConsentRecord, ConsentSource
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError


@dataclass(frozen=True)
class PurposeText:
    version: str
    summary: str


# The text each purpose is granted against. A new version is a new entry here (and a
# notice to players): grants of an older version stop counting at once.
PURPOSES: dict[ConsentPurpose, PurposeText] = {
    ConsentPurpose.MARKETING_EMAIL: PurposeText("2026-12-01", "Offers and news from Croupier by email."),
    ConsentPurpose.MARKETING_SMS: PurposeText("2026-12-01", "Offers and news from Croupier by text message."),
    ConsentPurpose.ANALYTICS: PurposeText("2026-12-01", "Measuring how the site is used, to improve it."),
}

Channel = Literal["email", "sms"]
_CHANNEL_PURPOSE: dict[str, ConsentPurpose] = {
    "email": ConsentPurpose.MARKETING_EMAIL,
    "sms": ConsentPurpose.MARKETING_SMS,
}


class ConsentTextOutdated(Conflict):
    code = "consent_text_outdated"
    title = "That is not the current text of this purpose"


class DuplicatePurpose(CroupierError):
    code = "duplicate_purpose"
    status = 422
    title = "A purpose is named more than once"


@dataclass(frozen=True)
class Change:
    purpose: ConsentPurpose
    granted: bool
    text_version: str


@dataclass(frozen=True)
class Standing:
    purpose: ConsentPurpose
    granted: bool  # a grant of the current text stands
    text_version: str | None  # the version the newest change was made against
    current_text_version: str
    summary: str
    source: str | None
    changed_at: datetime | None


async def standing(session: AsyncSession, *, player_id: uuid.UUID) -> list[Standing]:
    found = await repository.standing_consents(session, player_id)
    shown = []
    for purpose, text in PURPOSES.items():
        record = found.get(purpose)
        shown.append(
            Standing(
                purpose=purpose,
                granted=_counts(record, text),
                text_version=record.text_version if record else None,
                current_text_version=text.version,
                summary=text.summary,
                source=record.source if record else None,
                changed_at=record.recorded_at if record else None,
            )
        )
    return shown


def _counts(record: ConsentRecord | None, text: PurposeText) -> bool:
    return record is not None and record.granted and record.text_version == text.version


async def change(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    changes: Sequence[Change],
    source: ConsentSource,
    client: ClientInfo | None,
) -> list[Standing]:
    """Apply the changes that change something; each one recorded and announced (``consent_changed``)."""
    purposes = [c.purpose for c in changes]
    if len(set(purposes)) != len(purposes):
        raise DuplicatePurpose("Name each purpose once.")
    for item in changes:
        current = PURPOSES[item.purpose].version
        if item.text_version != current:
            raise ConsentTextOutdated(
                f"The current text of {item.purpose} is version {current}; show it and send that version.",
                purpose=str(item.purpose),
                current_text_version=current,
            )
    found = await repository.standing_consents(session, player_id)
    now = utcnow()
    for item in changes:
        before = found.get(item.purpose)
        if before is not None and (before.granted, before.text_version) == (item.granted, item.text_version):
            continue  # nothing changes: nothing to record
        await _record(session, player_id, item, source=source, now=now, client=client)
    await session.flush()
    return await standing(session, player_id=player_id)


async def _record(
    session: AsyncSession,
    player_id: uuid.UUID,
    item: Change,
    *,
    source: ConsentSource,
    now: datetime,
    client: ClientInfo | None,
) -> None:
    repository.add_consent(
        session,
        ConsentRecord(
            player_id=player_id,
            purpose=item.purpose,
            granted=item.granted,
            text_version=item.text_version,
            source=source,
            recorded_at=now,
        ),
    )
    await record_event(
        session,
        EventKind.CONSENT_CHANGED,
        player_id=player_id,
        data={
            "purpose": str(item.purpose),
            "granted": item.granted,
            "text_version": item.text_version,
            "source": str(source),
        },
        client=client,
    )


async def withdraw_all(session: AsyncSession, *, player_id: uuid.UUID, source: ConsentSource) -> int:
    """Withdraw every standing grant (an erasure); the number withdrawn."""
    found = await repository.standing_consents(session, player_id)
    now = utcnow()
    withdrawn = 0
    for purpose, record in found.items():
        if record.granted:
            item = Change(ConsentPurpose(purpose), granted=False, text_version=record.text_version)
            await _record(session, player_id, item, source=source, now=now, client=None)
            withdrawn += 1
    return withdrawn


async def may_send_marketing(session: AsyncSession, player_id: uuid.UUID, channel: Channel) -> bool:
    """The consent gate of marketing: True only with a standing grant of the channel's current text.

    Senders do not call this alone: ``compliance.marketing.may_send_marketing`` asks it and the
    exclusion gate (which refuses excluded players whatever they consented to), and every
    marketing message passes that one before it is queued.
    """
    purpose = _CHANNEL_PURPOSE[channel]
    record = await repository.standing_consent(session, player_id, purpose)
    return _counts(record, PURPOSES[purpose])


async def history(session: AsyncSession, player_id: uuid.UUID) -> list[dict[str, object]]:
    """Every change, oldest first (a data export)."""
    return [
        {
            "purpose": r.purpose,
            "granted": r.granted,
            "text_version": r.text_version,
            "source": r.source,
            "recorded_at": r.recorded_at,
        }
        for r in await repository.consent_history(session, player_id)
    ]
