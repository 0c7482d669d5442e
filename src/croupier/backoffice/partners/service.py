"""The partner reports, folded from the regulator reports of ``compliance.reports``.

The regulator's GGR report goes down to the game and provider; a partner gets each day's
totals per currency. The players report becomes counts only: new registrations and active
players per currency, never money movements of players nor anything about one of them.
Every read is audited under the client's id.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Target
from croupier.audit.tags import AuditAction
from croupier.backoffice.oauth.service import Bearer
from croupier.backoffice.partners.schemas import GgrDay, GgrReport, PlayersDay, PlayersReport
from croupier.compliance.reports import service as reports
from croupier.compliance.reports.service import Period, ReportName, Value
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings


def _int(value: Value) -> int:
    return value if isinstance(value, int) else 0


def _audit(
    session: AsyncSession, partner: Bearer, name: ReportName, period: Period, info: ClientInfo
) -> None:
    audit.record(
        session,
        AuditAction.PARTNERS_REPORT_READ,
        actor=partner.actor,
        target=Target("report", str(name)),
        client=info,
        details={"client": partner.name, "from": period.first.isoformat(), "to": period.last.isoformat()},
    )


async def ggr(
    session: AsyncSession, *, period: Period, settings: Settings, partner: Bearer, info: ClientInfo
) -> GgrReport:
    report = await reports.compose(
        session, name=ReportName.GGR, period=period, settings=settings, actor=partner.actor
    )
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("stakes", "wins", "refunds"), 0)
    )
    for row in report.rows:
        day = totals[str(row["gaming_day"]), str(row["currency"])]
        for column in day:
            day[column] += _int(row[column])
    _audit(session, partner, ReportName.GGR, period, info)
    return GgrReport(
        first=period.first,
        last=period.last,
        days=[
            GgrDay.model_validate(
                {"gaming_day": d, "currency": c, **t, "ggr": t["stakes"] - t["wins"] - t["refunds"]}
            )
            for (d, c), t in sorted(totals.items())
        ],
    )


async def players(
    session: AsyncSession, *, period: Period, settings: Settings, partner: Bearer, info: ClientInfo
) -> PlayersReport:
    report = await reports.compose(
        session, name=ReportName.PLAYERS, period=period, settings=settings, actor=partner.actor
    )
    days = {day: PlayersDay(gaming_day=day, new_players=0, active_players={}) for day in period.days()}
    for row in report.rows:
        day = days[date.fromisoformat(str(row["gaming_day"]))]
        if row["currency"] is None:
            day.new_players += _int(row["new_registrations"])
        elif active := _int(row["active_players"]):
            day.active_players[str(row["currency"])] = active
    _audit(session, partner, ReportName.PLAYERS, period, info)
    return PlayersReport(first=period.first, last=period.last, days=list(days.values()))
