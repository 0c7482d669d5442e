"""AML reports: the gaming-day large-transaction report and the suspicious activity report.

The large-transaction report lists, for one gaming day, each player whose cash in
(credited deposits) or cash out (paid withdrawals) in a currency reached the
threshold (EUR 2,000 by default, as the EU AML directive sets for casinos). A gaming
day runs from the cutover time in the casino's time zone to the next day's.

The suspicious activity report is a case exported in the structure of goAML, the
UNODC system most financial intelligence units receive reports through: a
``report`` with the reporting entity, the report code ``SAR``, the reporting officer,
the reason and action taken, and an ``activity`` naming the person involved, followed
by the indicators (here the alerts' typologies and reason codes).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # nosec B405 - builds XML, never parses it
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.crypto.service import PersonalDataErased
from croupier.identity.players import profile_of
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings
from croupier.payments.repository import cash_totals
from croupier.risk import casework
from croupier.risk.casework import AlertView
from croupier.risk.gaming_day import GamingDay, gaming_day
from croupier.risk.models import RiskCase


@dataclass(frozen=True)
class LargeTransactionRow:
    player_id: uuid.UUID
    currency: str
    threshold: int
    cash_in: int
    deposits: int
    cash_out: int
    withdrawals: int
    # Which side reached the threshold: "in", "out" or "in,out".
    reported: str


@dataclass(frozen=True)
class LargeTransactionReport:
    gaming_day: GamingDay
    rows: list[LargeTransactionRow]


async def large_transactions(
    session: AsyncSession, *, day: date, settings: Settings, actor: Actor
) -> LargeTransactionReport:
    """Players whose cash in or out in one currency during the gaming day reached its threshold. Audited."""
    window = gaming_day(day, timezone=settings.gaming_day_timezone, cutover=settings.gaming_day_cutover)
    rows = []
    for totals in await cash_totals(session, start=window.start, end=window.end):
        threshold = settings.aml_large_transaction_thresholds.get(totals.currency, 0)
        sides = [
            side
            for side, amount in (("in", totals.cash_in), ("out", totals.cash_out))
            if amount > 0 and amount >= threshold
        ]
        if sides:
            rows.append(
                LargeTransactionRow(
                    player_id=totals.player_id,
                    currency=totals.currency,
                    threshold=threshold,
                    cash_in=totals.cash_in,
                    deposits=totals.deposits,
                    cash_out=totals.cash_out,
                    withdrawals=totals.withdrawals,
                    reported=",".join(sides),
                )
            )
    audit.record(
        session,
        AuditAction.RISK_LTR_READ,
        actor=actor,
        details={"gaming_day": day.isoformat(), "players": len({r.player_id for r in rows})},
    )
    return LargeTransactionReport(gaming_day=window, rows=rows)


# Suspicious activity report (goAML) --------------------------------------------

# goAML dates are xs:dateTime without a zone.
_GOAML_TIME = "%Y-%m-%dT%H:%M:%S"


def _goaml_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_GOAML_TIME)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _split_name(full: str) -> tuple[str, str]:
    first, _, last = full.strip().rpartition(" ")
    return (first, last) if first else (last, last)


async def suspicious_activity_report(
    session: AsyncSession, *, case_id: uuid.UUID, settings: Settings, actor: Actor
) -> bytes:
    """The case as a goAML-style SAR (UTF-8 XML). Audited, and on the case's timeline."""
    case, alerts = await casework.case_for_report(session, case_id=case_id)
    try:
        person = await profile_of(session, case.player_id)
        erased = False
    except PersonalDataErased:  # erased under GDPR: the report still names the pseudonymous player
        person, erased = None, True
    await casework.record_sar_export(session, case=case, actor=actor)
    root = _report(case, alerts, settings=settings)
    activity = _sub(root, "activity")
    party = _sub(_sub(activity, "report_parties"), "report_party")
    subject = _sub(party, "person")
    if person is not None:
        _sub(subject, "first_name", person.first_name)
        _sub(subject, "last_name", person.last_name)
        _sub(subject, "birthdate", _goaml_time(datetime.combine(person.date_of_birth, time(0), tzinfo=UTC)))
        # Croupier records where a player lives, not their nationality: goAML's residence.
        _sub(subject, "residence", person.country)
        _sub(subject, "email", person.email)
    _sub(subject, "comments", f"player {case.player_id}" + ("; personal data erased" if erased else ""))
    _sub(party, "significance", "10")
    _sub(party, "reason", "; ".join(sorted({a.typology for a in alerts})) or "case")
    _sub(party, "comments", _activity_summary(alerts))
    indicators = _sub(root, "report_indicators")
    for code in _indicators(alerts):
        _sub(indicators, "indicator", code)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _report(case: RiskCase, alerts: list[AlertView], *, settings: Settings) -> ET.Element:
    root = ET.Element("report")
    _sub(root, "rentity_id", settings.sar_rentity_id)
    _sub(root, "submission_code", "E")  # electronic
    _sub(root, "report_code", "SAR")
    _sub(root, "entity_reference", f"case-{case.id}")
    _sub(root, "submission_date", _goaml_time(utcnow()))
    _sub(root, "currency_code_local", settings.sar_currency_code_local)
    officer = _sub(root, "reporting_person")
    first, last = _split_name(settings.sar_reporting_person or "unnamed officer")
    _sub(officer, "first_name", first)
    _sub(officer, "last_name", last)
    if settings.sar_reporting_email:
        _sub(officer, "email", settings.sar_reporting_email)
    _sub(root, "reason", case.disposition_reason or _activity_summary(alerts))
    _sub(root, "action", _action(case))
    return root


def _action(case: RiskCase) -> str:
    if case.disposition:
        return f"case {case.status}, disposition {case.disposition}"
    return f"case {case.status}, under investigation"


def _activity_summary(alerts: list[AlertView]) -> str:
    parts = []
    for alert in alerts:
        kinds = ", ".join(f"{e.kind}@{_goaml_time(e.occurred_at)}" for e in alert.events)
        parts.append(
            f"{_goaml_time(alert.created_at)} {alert.typology} ({alert.source}, score {alert.score:.2f})"
            + (f": {kinds}" if kinds else "")
        )
    return "\n".join(parts)


def _indicators(alerts: list[AlertView]) -> list[str]:
    """Each typology and reason code once, in the order first seen."""
    seen: dict[str, None] = {}
    for alert in alerts:
        seen.setdefault(f"typology:{alert.typology}", None)
        for reason in alert.reasons:
            seen.setdefault(f"reason:{reason}", None)
    return list(seen)
