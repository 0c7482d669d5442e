"""The one gate every marketing message passes before it is queued.

Two rules, both required: the player is not excluded from gambling (no time-out,
self-exclusion or register block in force, cooling-off included: LCCP SR 3.5.3), and
holds a standing consent to the channel's current text (GDPR article 7). A sender
asks ``may_send_marketing`` and queues nothing when it answers False.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.gdpr import consent
from croupier.compliance.gdpr.consent import Channel
from croupier.compliance.responsible.exclusions import service as exclusions


async def may_send_marketing(session: AsyncSession, player_id: uuid.UUID, channel: Channel) -> bool:
    if not await exclusions.may_receive_marketing(session, player_id):
        return False
    return await consent.may_send_marketing(session, player_id, channel)
