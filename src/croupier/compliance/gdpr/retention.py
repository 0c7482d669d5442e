"""Retention: remove what is past its period in the record of processing.

Each registered sweep (``hooks``) gets its cut-off, now minus its activity's period, and
says how many records it removed. One run is one transaction and one audit entry; it is
run by ``croupier gdpr retention`` and, daily, by the ``gdpr:retention`` job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.compliance.gdpr import hooks
from croupier.compliance.gdpr.processing import activity_named
from croupier.kit.clock import utcnow


@dataclass(frozen=True)
class Swept:
    name: str
    activity: str
    period: str  # as the record of processing words it
    cutoff: datetime
    removed: int


async def run(session: AsyncSession, *, actor: Actor, now: datetime | None = None) -> list[Swept]:
    now = now or utcnow()
    report = []
    for name, sweep in hooks.retention_sweeps().items():
        activity = activity_named(sweep.activity)
        if activity.period is None:  # hooks.register_retention refuses one without
            raise RuntimeError(f"retention sweep {name!r} names an activity with no period")
        cutoff = now - activity.period
        removed = await sweep.sweep(session, cutoff)
        report.append(Swept(name, activity.name, activity.retention, cutoff, removed))
    await session.flush()
    audit.record(
        session, AuditAction.GDPR_RETENTION, actor=actor, details={line.name: line.removed for line in report}
    )
    return report
