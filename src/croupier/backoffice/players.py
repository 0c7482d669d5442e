"""The player 360: one staff read of everything about a player, and finding a player.

Six months of history (the MGA asks that staff can see at least that): the profile and
status, KYC, limits and exclusions, balances and ledger entries, rounds with their fairness
data, payments, risk cases, and the audit trail. Each domain is read through its own
functions. Every read is audited under the reader's name with where they read from
(``backoffice:player:read``), in the same transaction; those entries are the player's
access log, which only holders of ``players:access-log`` see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.models import AuditEvent
from croupier.audit.service import Target
from croupier.audit.tags import AuditAction
from croupier.compliance.kyc import service as kyc
from croupier.compliance.responsible import limits
from croupier.compliance.responsible.exclusions import privacy as exclusions
from croupier.games import rounds
from croupier.games.models import GameRound
from croupier.identity import players
from croupier.identity.players import PlayerProfile
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import NotFound
from croupier.kit.settings import Settings
from croupier.payments import privacy as payments
from croupier.risk import casework
from croupier.risk.casework import CaseView
from croupier.staff.access import Permission
from croupier.staff.service import StaffMember
from croupier.wallet import service as wallet

HISTORY = timedelta(days=183)
SHOWN = 100  # per list; the export (GDPR) or the reports have the rest


@dataclass(frozen=True)
class Player360:
    profile: PlayerProfile
    kyc: kyc.Overview
    limits: list[limits.LimitState]
    exclusions: list[dict[str, Any]]
    balances: list[wallet.Balance]
    entries: list[wallet.Entry]
    rounds: list[GameRound]
    payments: dict[str, Any]
    cases: list[CaseView]
    trail: list[AuditEvent]
    access_log: list[AuditEvent] | None  # None: the reader may not see it
    since: datetime


async def player_360(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    reader: StaffMember,
    client: ClientInfo,
    settings: Settings,
) -> Player360:
    profile = await players.profile_of(session, player_id)
    if profile is None:
        raise NotFound("No such player.")
    since = utcnow() - HISTORY
    audit.record(
        session,
        AuditAction.PLAYER_360_READ,
        actor=reader.actor,
        target=Target.player(player_id),
        client=client,
        details={"since": since.isoformat()},
    )
    trail = list(await audit.trail_of_player(session, player_id, since=since, limit=2 * SHOWN))
    reads = [e for e in trail if e.action == str(AuditAction.PLAYER_360_READ)]
    paid = await payments.export(session, player_id)
    return Player360(
        profile=profile,
        kyc=await kyc.overview(session, player_id=player_id),
        limits=await limits.overview(session, player_id=player_id, settings=settings),
        exclusions=await exclusions.export(session, player_id),
        balances=await wallet.balances(session, player_id=player_id),
        entries=[
            e
            for e in await wallet.entries(session, player_id=player_id, limit=SHOWN)
            if e.created_at >= since
        ],
        rounds=[r for r in await rounds.history(session, player_id, limit=SHOWN) if r.created_at >= since],
        payments={kind: _recent(items, since) for kind, items in paid.items()},
        cases=await casework.cases(session, player_id=player_id, limit=SHOWN),
        trail=[e for e in trail if e.action != str(AuditAction.PLAYER_360_READ)][:SHOWN],
        access_log=reads[:SHOWN] if reader.may(Permission.PLAYERS_ACCESS_LOG) else None,
        since=since,
    )


async def find_by_email(
    session: AsyncSession, *, email: str, reader: StaffMember, client: ClientInfo
) -> uuid.UUID | None:
    """The player with this address (through its blind index), if any. Audited, found or not."""
    player_id = await players.id_by_email(session, email)
    audit.record(
        session,
        AuditAction.PLAYER_SEARCH,
        actor=reader.actor,
        target=Target.player(player_id) if player_id else None,
        client=client,
        details={"by": "email", "found": player_id is not None},
    )
    return player_id


def _recent(items: Any, since: datetime) -> Any:
    if not isinstance(items, list):
        return items
    return [i for i in items if not isinstance(i, dict) or _when(i.get("created_at")) >= since]


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return datetime.max.replace(tzinfo=utcnow().tzinfo)
