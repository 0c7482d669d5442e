"""Working cases: collecting alerts, assigning, moving, noting, closing; and what the
dispositions say about each rule (precision).

Every change is a timeline entry (actor, time, what) and an audit entry; every staff
read of a case or of alerts is audited too, since they show a person's activity.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.events.repository import events_by_ids
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.risk import case_repository as repository
from croupier.risk.cases import CONFIRMING, TRANSITIONS, CaseStatus, Disposition, TimelineAction
from croupier.risk.models import RiskAlert, RiskCase, RiskCaseEntry
from croupier.risk.typologies import Typology

MAX_NOTE = 4000
MAX_REASON = 2000


class CaseNotFound(NotFound):
    code = "case_not_found"
    title = "No such case"


class CaseTransitionNotAllowed(Conflict):
    code = "case_transition_not_allowed"
    title = "The case cannot move to that status from its current one"


class CaseClosed(Conflict):
    code = "case_closed"
    title = "The case is closed"


class InvalidCursor(CroupierError):
    code = "invalid_cursor"
    status = 422
    title = "The cursor is not one this list gave out"


class InvalidCaseInput(CroupierError):
    code = "invalid_case_input"
    status = 422
    title = "A note, reason or assignee must be non-empty text within its length"


def actor_name(actor: Actor) -> str:
    """How the timeline names who did something: ``staff:alice``, ``operator:bob``."""
    return f"{actor.type}:{actor.id}" if actor.id else str(actor.type)


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    occurred_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class AlertView:
    id: uuid.UUID
    case_id: uuid.UUID | None
    case_status: str | None
    player_id: uuid.UUID
    typology: str
    source: str
    score: float
    reasons: list[Any]
    event_ids: list[int]
    created_at: datetime
    events: list[EventView] = field(default_factory=list)


@dataclass(frozen=True)
class EntryView:
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class CaseView:
    id: uuid.UUID
    player_id: uuid.UUID
    status: str
    assignee: str | None
    disposition: str | None
    disposition_reason: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    alert_count: int

    @classmethod
    def of(cls, case: RiskCase, alert_count: int) -> CaseView:
        return cls(
            id=case.id,
            player_id=case.player_id,
            status=case.status,
            assignee=case.assignee,
            disposition=case.disposition,
            disposition_reason=case.disposition_reason,
            opened_at=case.opened_at,
            updated_at=case.updated_at,
            closed_at=case.closed_at,
            alert_count=alert_count,
        )


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    alerts: list[AlertView]
    notes: list[EntryView]
    timeline: list[EntryView]


@dataclass(frozen=True)
class AlertPage:
    items: list[AlertView]
    next_cursor: str | None


@dataclass(frozen=True)
class Precision:
    """What closed cases say of one alert source and typology."""

    source: str
    typology: str
    confirmed: int  # alerts in cases closed as confirmed fraud or reported as suspicious
    false_positive: int
    precision: float | None  # confirmed / (confirmed + false_positive); None before any closed case


# Raising ----------------------------------------------------------------------


async def collect(
    session: AsyncSession, *, alert_id: uuid.UUID, player_id: uuid.UUID, typology: Typology, source: str
) -> uuid.UUID:
    """Put a new alert in the player's open case, opening one if there is none; the case's id."""
    now = utcnow()
    system = f"system:{source}"
    case = await repository.lock_open_case(session, player_id)
    if case is None:
        case_id = await repository.insert_case(session, player_id, now)
        if case_id is None:  # opened meanwhile by a concurrent alert, now committed
            case = await repository.lock_open_case(session, player_id)
            if case is None:  # pragma: no cover - closed in the same instant: open afresh
                return await collect(
                    session, alert_id=alert_id, player_id=player_id, typology=typology, source=source
                )
            case_id = case.id
        else:
            await repository.add_entry(
                session, case_id, actor=system, action=TimelineAction.OPENED, details={}
            )
    else:
        case_id = case.id
    await repository.attach_alert(session, alert_id, case_id, now)
    await repository.add_entry(
        session,
        case_id,
        actor=system,
        action=TimelineAction.ALERT_ADDED,
        details={"alert_id": str(alert_id), "typology": str(typology), "source": source},
    )
    return case_id


# Reading ----------------------------------------------------------------------


async def _with_events(
    session: AsyncSession, rows: Iterable[tuple[RiskAlert, str | None]]
) -> list[AlertView]:
    pairs = list(rows)
    events = {
        e.id: EventView(id=e.id, kind=e.kind, occurred_at=e.occurred_at, data=dict(e.data))
        for e in await events_by_ids(session, (i for alert, _ in pairs for i in alert.event_ids))
    }
    return [
        AlertView(
            id=alert.id,
            case_id=alert.case_id,
            case_status=status,
            player_id=alert.player_id,
            typology=alert.typology,
            source=alert.source,
            score=alert.score,
            reasons=list(alert.reasons),
            event_ids=[int(i) for i in alert.event_ids],
            created_at=alert.created_at,
            events=[events[int(i)] for i in alert.event_ids if int(i) in events],
        )
        for alert, status in pairs
    ]


def _cursor(alert: AlertView) -> str:
    raw = f"{alert.created_at.isoformat()}|{alert.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, alert_id = raw.partition("|")
        return datetime.fromisoformat(at), uuid.UUID(alert_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor() from None


async def alerts(
    session: AsyncSession,
    *,
    actor: Actor,
    player_id: uuid.UUID | None = None,
    status: CaseStatus | None = None,
    typology: Typology | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AlertPage:
    """Alerts newest first, filtered; ``status`` is their case's. Audited: they show a player's activity."""
    after = _after(cursor) if cursor else None
    rows = await repository.alerts_page(
        session,
        player_id=player_id,
        status=status,
        typology=str(typology) if typology else None,
        after=after,
        limit=limit + 1,
    )
    items = await _with_events(session, rows[:limit])
    audit.record(
        session,
        AuditAction.RISK_ALERTS_READ,
        actor=actor,
        target=Target.player(player_id) if player_id else None,
        details={
            "status": str(status) if status else None,
            "typology": str(typology) if typology else None,
            "alerts": [str(a.id) for a in items],
        },
    )
    return AlertPage(items=items, next_cursor=_cursor(items[-1]) if len(rows) > limit else None)


async def open_work(session: AsyncSession) -> dict[CaseStatus, int]:
    """The desk's queue at a glance: cases open, in review and escalated (counts only)."""
    counts = await repository.unclosed_case_counts(session)
    return {status: counts.get(str(status), 0) for status in CaseStatus if status != CaseStatus.CLOSED}


async def cases(
    session: AsyncSession,
    *,
    status: CaseStatus | None = None,
    player_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[CaseView]:
    """Cases, most recently changed first (no personal data beyond the player id)."""
    return [
        CaseView.of(case, n)
        for case, n in await repository.cases(session, status=status, player_id=player_id, limit=limit)
    ]


def _entry(row: RiskCaseEntry) -> EntryView:
    return EntryView(at=row.at, actor=row.actor, action=row.action, details=dict(row.details))


async def _detail(session: AsyncSession, case: RiskCase) -> CaseDetail:
    alert_rows = await repository.case_alerts(session, case.id)
    entries = [_entry(e) for e in await repository.timeline(session, case.id)]
    return CaseDetail(
        case=CaseView.of(case, len(alert_rows)),
        alerts=await _with_events(session, ((a, case.status) for a in alert_rows)),
        notes=[e for e in entries if e.action == TimelineAction.NOTE],
        timeline=entries,
    )


async def _case(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> RiskCase:
    case = await repository.get_case(session, case_id, for_update=for_update)
    if case is None:
        raise CaseNotFound(f"No case {case_id}.")
    return case


async def case_detail(session: AsyncSession, *, case_id: uuid.UUID, actor: Actor) -> CaseDetail:
    """A case with its alerts (and their events), notes and timeline. Audited."""
    case = await _case(session, case_id)
    audit.record(
        session,
        AuditAction.RISK_CASE_READ,
        actor=actor,
        target=Target.player(case.player_id),
        details={"case_id": str(case.id)},
    )
    return await _detail(session, case)


# Changing ---------------------------------------------------------------------


def _text(value: str, limit: int, what: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit:
        raise InvalidCaseInput(f"The {what} must be 1 to {limit} characters.")
    return cleaned


async def _change(
    session: AsyncSession,
    case: RiskCase,
    *,
    actor: Actor,
    action: TimelineAction,
    audit_action: AuditAction,
    details: Mapping[str, Any],
) -> CaseDetail:
    case.updated_at = utcnow()
    await repository.add_entry(session, case.id, actor=actor_name(actor), action=action, details=details)
    audit.record(
        session,
        audit_action,
        actor=actor,
        target=Target.player(case.player_id),
        # A note's text may name people: the audit keeps that a note was added, not what it says.
        details={"case_id": str(case.id), **{k: v for k, v in details.items() if k != "text"}},
    )
    await session.flush()
    return await _detail(session, case)


async def _open_case(session: AsyncSession, case_id: uuid.UUID) -> RiskCase:
    case = await _case(session, case_id, for_update=True)
    if case.status == CaseStatus.CLOSED:
        raise CaseClosed(f"Case {case_id} is closed; it can no longer change.")
    return case


async def assign(session: AsyncSession, *, case_id: uuid.UUID, assignee: str, actor: Actor) -> CaseDetail:
    case = await _open_case(session, case_id)
    case.assignee = _text(assignee, 64, "assignee")
    return await _change(
        session,
        case,
        actor=actor,
        action=TimelineAction.ASSIGNED,
        audit_action=AuditAction.RISK_CASE_ASSIGN,
        details={"assignee": case.assignee},
    )


async def claim_next(session: AsyncSession, *, actor: Actor) -> CaseDetail | None:
    """Assign the open case waiting longest, unassigned, to the analyst asking; None if none waits.
    Two analysts claiming at once get different cases."""
    case_id = await repository.oldest_unclaimed_case(session)
    if case_id is None:
        return None
    return await assign(session, case_id=case_id, assignee=actor.id or actor_name(actor), actor=actor)


async def move(
    session: AsyncSession, *, case_id: uuid.UUID, to: CaseStatus, actor: Actor, reason: str | None = None
) -> CaseDetail:
    """Into review or escalated; closing needs a disposition (``close``)."""
    case = await _open_case(session, case_id)
    current = CaseStatus(case.status)
    if to == CaseStatus.CLOSED or to not in TRANSITIONS[current]:
        raise CaseTransitionNotAllowed(
            f"A case that is {current} cannot move to {to}.", current=str(current), requested=str(to)
        )
    details: dict[str, Any] = {"from": str(current), "to": str(to)}
    if reason is not None:
        details["reason"] = _text(reason, MAX_REASON, "reason")
    case.status = to  # only once the input is known good
    return await _change(
        session,
        case,
        actor=actor,
        action=TimelineAction.MOVED,
        audit_action=AuditAction.RISK_CASE_MOVE,
        details=details,
    )


async def add_note(session: AsyncSession, *, case_id: uuid.UUID, text: str, actor: Actor) -> CaseDetail:
    case = await _open_case(session, case_id)
    return await _change(
        session,
        case,
        actor=actor,
        action=TimelineAction.NOTE,
        audit_action=AuditAction.RISK_CASE_NOTE,
        details={"text": _text(text, MAX_NOTE, "note")},
    )


async def close(
    session: AsyncSession, *, case_id: uuid.UUID, disposition: Disposition, reason: str, actor: Actor
) -> CaseDetail:
    """Close with a disposition and its reason; the next alert about the player opens a new case."""
    case = await _open_case(session, case_id)
    current = CaseStatus(case.status)
    if CaseStatus.CLOSED not in TRANSITIONS[current]:  # pragma: no cover - every open status may close
        raise CaseTransitionNotAllowed(f"A case that is {current} cannot be closed.")
    case.status = CaseStatus.CLOSED
    case.disposition = disposition
    case.disposition_reason = _text(reason, MAX_REASON, "reason")
    case.closed_at = utcnow()
    return await _change(
        session,
        case,
        actor=actor,
        action=TimelineAction.CLOSED,
        audit_action=AuditAction.RISK_CASE_CLOSE,
        details={"from": str(current), "disposition": str(disposition), "reason": case.disposition_reason},
    )


async def record_sar_export(session: AsyncSession, *, case: RiskCase, actor: Actor) -> None:
    """A suspicious activity report left Croupier: on the case's timeline and in the audit."""
    await repository.add_entry(
        session, case.id, actor=actor_name(actor), action=TimelineAction.SAR_EXPORTED, details={}
    )
    audit.record(
        session,
        AuditAction.RISK_SAR_EXPORT,
        actor=actor,
        target=Target.player(case.player_id),
        details={"case_id": str(case.id)},
    )


async def case_for_report(session: AsyncSession, *, case_id: uuid.UUID) -> tuple[RiskCase, list[AlertView]]:
    """A case and its alerts with their events, for a report (the caller audits the export)."""
    case = await _case(session, case_id)
    rows = await repository.case_alerts(session, case.id)
    return case, await _with_events(session, ((a, case.status) for a in rows))


# Precision --------------------------------------------------------------------


async def precision(session: AsyncSession) -> list[Precision]:
    """Per alert source and typology, what the closed cases' dispositions say.

    An alert counts as confirmed when its case closed as confirmed fraud or with a
    suspicious activity report, as a false positive when it closed as one.
    """
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for source, typology, disposition, count in await repository.disposition_counts(session):
        counts = tally[(source, typology)]
        counts[0 if Disposition(disposition) in CONFIRMING else 1] += int(count)
    return [
        Precision(
            source=source,
            typology=typology,
            confirmed=confirmed,
            false_positive=false_positive,
            precision=round(confirmed / (confirmed + false_positive), 4)
            if confirmed + false_positive
            else None,
        )
        for (source, typology), (confirmed, false_positive) in sorted(tally.items())
    ]
