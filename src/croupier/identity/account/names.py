"""A player changing the name or postcode on file; a new name is screened against sanctions lists at once.

Both are sealed under the player's key like every personal field. A change is audited
(which fields, never their values); a change of name is also recorded as a ``name_changed``
domain event, and screening runs in the same transaction, so a name that hits a list is
stored with its hit or not at all. A postcode is not screened: the lists do not hold one.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.crypto.service import player_cipher
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import players
from croupier.identity.account import repository as account_repository
from croupier.identity.models import Player
from croupier.identity.sessions import Authenticated
from croupier.kit.client import ClientInfo
from croupier.kit.errors import NotFound
from croupier.kit.settings import Settings
from croupier.risk.sanctions import service as sanctions
from croupier.risk.sanctions.models import ScreeningTrigger


async def change_profile(
    session: AsyncSession,
    *,
    settings: Settings,
    auth: Authenticated,
    first_name: str | None,
    last_name: str | None,
    postcode: str | None,
    changes_postcode: bool,
    client: ClientInfo,
) -> players.PlayerProfile:
    """Set the given names (None: unchanged) and, if ``changes_postcode``, the postcode (None:
    removed); screen the player by the new full name when a name changed."""
    player = await account_repository.lock_player(session, auth.player.id)
    if player is None:
        raise NotFound("No such player.")
    cipher = await player_cipher(session, player_id=player.id)
    names = []
    if first_name is not None:
        player.first_name_enc = cipher.encrypt("first_name", first_name)
        names.append("first_name")
    if last_name is not None:
        player.last_name_enc = cipher.encrypt("last_name", last_name)
        names.append("last_name")
    if changes_postcode:
        player.postcode_enc = None if postcode is None else cipher.encrypt("postcode", postcode)
    await session.flush()
    if changes_postcode:
        audit.record(
            session,
            AuditAction.POSTCODE_CHANGE,
            actor=Actor.player(player.id),
            target=Target.player(player.id),
            client=client,
            details={"removed": postcode is None},
        )
    if names:
        await _screen_new_name(session, settings=settings, player=player, names=names, client=client)
    return await players.profile(session, player)


async def _screen_new_name(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    names: list[str],
    client: ClientInfo,
) -> None:
    audit.record(
        session,
        AuditAction.NAME_CHANGE,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"fields": names},
    )
    await record_event(
        session, EventKind.NAME_CHANGED, player_id=player.id, data={"fields": names}, client=client
    )
    on_file = await players.name_on_file(session, player)
    await sanctions.screen_player(
        session,
        player_id=player.id,
        full_name=on_file.full_name,
        date_of_birth=on_file.date_of_birth,
        country=on_file.country,
        trigger=ScreeningTrigger.NAME_CHANGE,
        settings=settings,
    )
