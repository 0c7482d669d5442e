"""Time-outs, self-exclusions and the return from one: the rules, in the caller's transaction.

Every change locks the player's row first (so two changes of one player apply one after
the other), writes the exclusion, brings ``players.gambling_blocked_until`` up to date,
and records an ``exclusion_changed`` event and an audit entry, all in the same
transaction. Nothing here ends an exclusion early: a new one can only add to what is in
force, and a self-exclusion past its end still blocks until the player asks to return and
``RETURN_COOLING_OFF`` has passed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.compliance.responsible.exclusions import gate, periods, repository
from croupier.compliance.responsible.exclusions.models import Exclusion, ExclusionKind
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import players
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict

RETURN_COOLING_OFF = timedelta(hours=24)


class ExclusionNotEnded(Conflict):
    code = "exclusion_not_ended"
    title = "The self-exclusion has not ended yet"


class NoExclusionToEnd(Conflict):
    code = "no_exclusion_to_end"
    title = "There is no ended self-exclusion to return from"


class ExclusionState(StrEnum):
    IN_FORCE = "in_force"  # within its period
    AWAITING_RETURN = "awaiting_return"  # a self-exclusion past its end: the player may ask to return
    COOLING_OFF = "cooling_off"  # the player asked to return; gambling reopens at blocks_until
    ENDED = "ended"  # blocks no longer; kept for the record (only staff see these)


@dataclass(frozen=True)
class Standing:
    """What ``GET /v1/rg/status`` shows of exclusions."""

    blocked: bool
    blocked_until: datetime | None  # None while blocked: no end yet
    exclusions: list[tuple[Exclusion, str]]  # in force, with their state


async def take_time_out(
    session: AsyncSession, *, player_id: uuid.UUID, period: str, client: ClientInfo | None
) -> Exclusion:
    chosen = periods.time_out(period)
    return await _start(
        session, player_id=player_id, kind=ExclusionKind.TIME_OUT, period=chosen, client=client
    )


async def self_exclude(
    session: AsyncSession, *, player_id: uuid.UUID, period: str, client: ClientInfo | None
) -> Exclusion:
    chosen = periods.self_exclusion(period)
    return await _start(
        session, player_id=player_id, kind=ExclusionKind.SELF_EXCLUSION, period=chosen, client=client
    )


async def _start(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    kind: ExclusionKind,
    period: periods.Period,
    client: ClientInfo | None,
) -> Exclusion:
    await players.gambling_blocked_until(session, player_id, lock=True)
    now = utcnow()
    ends_at = period.end(now)
    # A time-out lifts by itself; a self-exclusion only once the player asks, after its end.
    blocks_until = ends_at if kind is ExclusionKind.TIME_OUT and ends_at is not None else gate.FOREVER
    exclusion = Exclusion(
        id=uuid.uuid4(),
        player_id=player_id,
        kind=kind,
        period=period.text,
        started_at=now,
        ends_at=ends_at,
        blocks_until=blocks_until,
        created_at=now,
    )
    await repository.add(session, exclusion)
    await _changed(session, exclusion, action="started", client=client, now=now)
    return exclusion


async def request_return(
    session: AsyncSession, *, player_id: uuid.UUID, client: ClientInfo | None
) -> datetime:
    """Ask to gamble again after a self-exclusion's end; answers when gambling reopens.

    Asking again changes nothing and answers the same time.
    """
    await players.gambling_blocked_until(session, player_id, lock=True)
    now = utcnow()
    own = [
        e
        for e in await repository.in_force(session, player_id, now)
        if e.kind == ExclusionKind.SELF_EXCLUSION
    ]
    if not own:
        raise NoExclusionToEnd("No self-exclusion is in force on this account.")
    if any(e.ends_at is None or e.ends_at > now for e in own):
        raise ExclusionNotEnded(
            "A self-exclusion cannot be ended before its end; GET /v1/rg/status shows when that is."
        )
    waiting = [e for e in own if e.return_requested_at is None]
    if not waiting:
        return max(e.blocks_until for e in own)
    reopens_at = now + RETURN_COOLING_OFF
    await repository.lift(session, [e.id for e in waiting], blocks_until=reopens_at, return_requested_at=now)
    for exclusion in waiting:
        exclusion.blocks_until, exclusion.return_requested_at = reopens_at, now
        await _changed(session, exclusion, action="return_requested", client=client, now=now)
    return reopens_at


async def set_register_block(
    session: AsyncSession, *, player_id: uuid.UUID, blocked: bool, answer: str, client: ClientInfo | None
) -> None:
    """Open a register block (the register said Y, or could not answer and outages block), or lift
    the one in force (it said N or P). Nothing changes when the block is already as asked."""
    await players.gambling_blocked_until(session, player_id, lock=True)
    now = utcnow()
    found = await repository.open_register_block(session, player_id, now)
    if blocked and found is None:
        exclusion = Exclusion(
            id=uuid.uuid4(),
            player_id=player_id,
            kind=ExclusionKind.REGISTER,
            period=None,
            started_at=now,
            ends_at=None,
            blocks_until=gate.FOREVER,
            created_at=now,
        )
        await repository.add(session, exclusion)
        await _changed(session, exclusion, action="register_blocked", client=client, now=now, answer=answer)
    elif not blocked and found is not None:
        await repository.lift(session, [found.id], blocks_until=now)
        found.blocks_until = now
        await _changed(session, found, action="register_cleared", client=client, now=now, answer=answer)


async def _changed(
    session: AsyncSession,
    exclusion: Exclusion,
    *,
    action: str,
    client: ClientInfo | None,
    now: datetime,
    answer: str | None = None,
) -> None:
    """Bring the player's block up to date, and record the change: event and audit entry."""
    until = await repository.latest_block(session, exclusion.player_id, now)
    await players.set_gambling_blocked_until(session, exclusion.player_id, until)
    data: dict[str, Any] = {
        "action": action,
        "exclusion_id": str(exclusion.id),
        "kind": exclusion.kind,
        "period": exclusion.period,
        "ends_at": _iso(exclusion.ends_at),
        "blocks_until": _iso(exclusion.blocks_until),
        "gambling_blocked_until": _iso(until),
    }
    if answer is not None:
        data["register_answer"] = answer
    await record_event(
        session, EventKind.EXCLUSION_CHANGED, player_id=exclusion.player_id, data=data, client=client
    )
    audit.record(
        session,
        AuditAction.EXCLUSION_CHANGE,
        actor=Actor.system()
        if exclusion.kind == ExclusionKind.REGISTER
        else Actor.player(exclusion.player_id),
        target=Target.player(exclusion.player_id),
        client=client,
        details=data,
    )


def _iso(moment: datetime | None) -> str | None:
    """A time for events and audit; an open end (``gate.FOREVER``) is None."""
    return None if moment is None or moment >= gate.FOREVER else moment.isoformat()


async def standing(session: AsyncSession, *, player_id: uuid.UUID) -> Standing:
    now = utcnow()
    found = await repository.in_force(session, player_id, now)
    shown = [(e, _state(e, now)) for e in found]
    until = max((e.blocks_until for e in found), default=None)
    return Standing(
        blocked=until is not None,
        blocked_until=None if until is None or until >= gate.FOREVER else until,
        exclusions=shown,
    )


async def history(session: AsyncSession, *, player_id: uuid.UUID) -> list[tuple[Exclusion, str]]:
    """Every exclusion the player has had, oldest first, with its state now (``ended`` once lifted)."""
    now = utcnow()
    return [
        (e, _state(e, now) if e.blocks_until > now else ExclusionState.ENDED)
        for e in await repository.all_of(session, player_id)
    ]


def _state(exclusion: Exclusion, now: datetime) -> str:
    if exclusion.return_requested_at is not None:
        return ExclusionState.COOLING_OFF
    if (
        exclusion.kind == ExclusionKind.SELF_EXCLUSION
        and exclusion.ends_at is not None
        and exclusion.ends_at <= now
    ):
        return ExclusionState.AWAITING_RETURN
    return ExclusionState.IN_FORCE


async def refuse_if_excluded(session: AsyncSession, *, player_id: uuid.UUID, doing: str) -> None:
    """Raise ``gate.GamblingBlocked`` while the player may not gamble (deposits ask this)."""
    gate.refuse_if_blocked(await players.gambling_blocked_until(session, player_id), utcnow(), doing=doing)


async def may_receive_marketing(session: AsyncSession, player_id: uuid.UUID) -> bool:
    """False while any time-out, self-exclusion or register block is in force (cooling-off included).

    Every marketing message must pass this before it is queued (LCCP SR 3.5.3: no marketing to
    the self-excluded). Consent to marketing is a separate question, asked as well.
    """
    return not gate.is_blocked(await players.gambling_blocked_until(session, player_id), utcnow())
