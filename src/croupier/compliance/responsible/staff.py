"""A player's responsible-gambling standing as compliance staff see it, in one read.

Everything the player set or was subjected to: limits (with any pending loosening), their
history, every exclusion (ended ones too), the national register's last answer, the
reality-check settings and the latest markers of harm. The staff API and ``croupier rg
show`` both come here, and each read is audited under the reader's name: what a player
does to protect themselves is personal data of the most sensitive kind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.compliance.responsible import limits, repository
from croupier.compliance.responsible.exclusions import gate
from croupier.compliance.responsible.exclusions import service as exclusions
from croupier.compliance.responsible.exclusions.models import Exclusion
from croupier.compliance.responsible.limits import LimitState
from croupier.compliance.responsible.models import RgLimitChange
from croupier.compliance.responsible.register import service as register
from croupier.compliance.responsible.register.models import RegisterCheck
from croupier.events import repository as events
from croupier.events.kinds import EventKind
from croupier.identity import players
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings

# Enough to see a pattern; the whole trail is in the events and the risk engine's cases.
HARM_MARKERS_SHOWN = 50


@dataclass(frozen=True)
class HarmMarker:
    marker: str
    occurred_at: datetime
    details: dict[str, Any]


@dataclass(frozen=True)
class RealityCheckSettings:
    interval_minutes: int | None
    acknowledged_at: datetime | None  # the last acknowledgement, in whichever session


@dataclass(frozen=True)
class StaffView:
    player_id: uuid.UUID
    blocked_until: datetime | None  # None: free to gamble; gate.FOREVER: blocked with no end yet
    exclusions: list[tuple[Exclusion, str]]  # every one, oldest first, with its state now
    limits: list[LimitState]
    limit_changes: list[RgLimitChange]  # oldest first
    register: RegisterCheck | None
    reality_check: RealityCheckSettings
    harm_markers: list[HarmMarker]  # newest first

    @property
    def blocked(self) -> bool:
        return gate.is_blocked(self.blocked_until, utcnow())


async def staff_view(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    actor: Actor,
    client: ClientInfo | None = None,
) -> StaffView:
    """The player's standing; ``NotFound`` for no such player. Audited in the caller's transaction."""
    blocked_until = await players.gambling_blocked_until(session, player_id)  # NotFound first
    reality = await repository.reality_settings(session, player_id)
    markers = await events.recent_of_player(
        session, player_id, EventKind.HARM_MARKER, limit=HARM_MARKERS_SHOWN
    )
    view = StaffView(
        player_id=player_id,
        blocked_until=blocked_until,
        exclusions=await exclusions.history(session, player_id=player_id),
        limits=await limits.overview(session, player_id=player_id, settings=settings),
        limit_changes=list(await repository.changes_of(session, player_id)),
        register=await register.last_check(session, player_id),
        reality_check=RealityCheckSettings(
            interval_minutes=None if reality is None else reality.reality_check_minutes,
            acknowledged_at=None if reality is None else reality.acknowledged_at,
        ),
        harm_markers=[_marker(e.data, e.occurred_at) for e in markers],
    )
    audit.record(
        session,
        AuditAction.RG_READ,
        actor=actor,
        target=Target.player(player_id),
        client=client,
        details={
            "sections": ["exclusions", "limits", "limit_changes", "register", "reality_check", "harm_markers"]
        },
    )
    return view


def _marker(data: dict[str, Any], occurred_at: datetime) -> HarmMarker:
    details = dict(data)
    return HarmMarker(marker=str(details.pop("marker", "")), occurred_at=occurred_at, details=details)
